"""What every query shares: pagination, as-of times and read-your-writes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time
from typing import Any, overload
from uuid import UUID

from eventsourcing.domain import Aggregate
from fastapi.responses import JSONResponse

from domain.errors import NotFound, ValidationFailed
from interfaces.bootstrap import Services

MAX_LIMIT = 1000
# The largest position a cursor may carry: log positions and read-model keys are 64-bit
# integers in both databases, and a larger one cannot even be compared with them.
MAX_CURSOR = 2**63 - 1


def page_limit(limit: int | None) -> int:
    if limit is None:
        return 50
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.of("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded))["after"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ValidationFailed.of("cursor", "is not a cursor this service gave out") from None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_CURSOR:
        raise ValidationFailed.of("cursor", "is not a cursor this service gave out")
    return after


def page_offset(cursor: str | None) -> int:
    """Where a page of a report paged by offset starts: 0, or what a cursor of ours carries."""
    return decode_cursor(cursor) or 0


def offset_page(rows: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    """The page of a report's rows from `offset` on, and the cursor to the next one."""
    more = len(rows) > offset + limit
    return {
        "items": rows[offset : offset + limit],
        "next_cursor": encode_cursor(offset + limit) if more else None,
    }


def page(items: list[dict[str, Any]], limit: int, key: str) -> dict[str, Any]:
    """A page of a list fetched with limit + 1 rows, and the cursor to the next one."""
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": items,
        "next_cursor": encode_cursor(items[-1][key]) if more and items else None,
    }


def fiscal_year_filter(fiscal_year: int | None) -> int | None:
    """A fiscal-year filter; a year off the calendar is refused rather than sent to the
    database, whose integer columns cannot hold every Python int (SQLite overflows)."""
    if fiscal_year is not None and not 1 <= fiscal_year <= 9999:
        raise ValidationFailed.of("fiscal_year", "must be a year between 1 and 9999")
    return fiscal_year


def group_keys(group_by: list[str] | None, allowed: Collection[str]) -> list[str]:
    """A report's `group_by` keys, repeated or comma-separated, each once in the order asked."""
    keys = [key.strip() for value in group_by or [] for key in value.split(",") if key.strip()]
    unknown = [key for key in keys if key not in allowed]
    if unknown:
        raise ValidationFailed.of("group_by", f"{unknown[0]!r} is not one of {', '.join(allowed)}")
    return list(dict.fromkeys(keys))


def day_range(day_from: str | None, day_to: str | None) -> tuple[date | None, date | None]:
    """A report's inclusive `from`/`to` dates, each YYYY-MM-DD or absent, from not after to."""
    start, end = _day(day_from, "from"), _day(day_to, "to")
    if start is not None and end is not None and start > end:
        raise ValidationFailed.of("from", "must not lie after to")
    return start, end


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.of(field, "must be a date YYYY-MM-DD") from None


# The earliest day a report that looks back from its as_of (90 days of invoices, 30 of
# complaints, the year's revenue) may be asked for.
EARLIEST_REPORT_DAY = date(1900, 1, 1)


@overload
def moment(value: str, field: str, *, start_of_day: bool = False) -> datetime: ...


@overload
def moment(value: str | None, field: str, *, start_of_day: bool = False) -> datetime | None: ...


def moment(value: str | None, field: str, *, start_of_day: bool = False) -> datetime | None:
    """A query's date or timestamp; a date means the end of that day, UTC (or its start)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.min if start_of_day else time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # A time at the edge of the calendar may lie outside it once moved to UTC.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationFailed.of(field, "must be a date YYYY-MM-DD or an ISO 8601 time") from None


def caught_up(services: Services, read_model: str, wait_for: int | None) -> bool:
    """Wait until a read model reflects `wait_for`, by default every write made so far."""
    position = wait_for if wait_for is not None else services.backoffice.max_position()
    if position <= 0:
        return True
    return services.read_side.wait(
        read_model, position, timeout=services.settings.read_wait_seconds
    )


def read_answer(content: Any, fresh: bool) -> JSONResponse:
    """A query's answer; one that could not wait for its read model says so in a header."""
    headers = {} if fresh else {"Mops-Read-Model-Lagging": "true"}
    return JSONResponse(content, headers=headers)


def history_answer(
    services: Services,
    kind: type,
    aggregate_id: UUID,
    limit: int | None,
    cursor: str | None,
    wait_for: int | None,
) -> JSONResponse:
    """Every event of one aggregate, oldest first, with actor and both times."""
    if not services.backoffice.exists(aggregate_id, kind):
        raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found")
    size = page_limit(limit)
    fresh = caught_up(services, "audit_log", wait_for)
    rows = services.read_side.view("audit_log").search(
        limit=size + 1, after_position=decode_cursor(cursor), aggregate_id=str(aggregate_id)
    )
    return read_answer(page(rows, size, "position"), fresh)


def refuse_nul(**filters: Any) -> None:
    """Refuse a text filter holding a NUL: PostgreSQL refuses one in a text parameter, and
    no stored value holds one anyway."""
    for name, value in filters.items():
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed.of(name, "must not contain a NUL character")


def directory_answer(
    services: Services,
    read_model: str,
    item: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    limit: int | None,
    cursor: str | None,
    wait_for: int | None,
    key: str = "position",
    **filters: Any,
) -> JSONResponse:
    """A page of a directory read model (`GET /{collection}`), filtered, in its order.

    `key` names the item's field that orders the directory, which the cursor carries.
    """
    refuse_nul(**filters)
    size = page_limit(limit)
    after = decode_cursor(cursor)
    fresh = caught_up(services, read_model, wait_for)
    rows = services.read_side.view(read_model).search(limit=size + 1, after=after, **filters)
    return read_answer(page([item(r) for r in rows], size, key), fresh)


def aggregate_answer(
    services: Services,
    kind: type[Aggregate],
    aggregate_id: UUID,
    version: int | None,
    as_of: str | None,
    represent: Callable[[Any], dict[str, Any]],
) -> JSONResponse:
    """An aggregate now, at a version, or as recorded at a time, with its version as ETag."""
    aggregate = services.backoffice.get(
        aggregate_id, kind, version=version, as_of=moment(as_of, "as_of")
    )
    return JSONResponse(represent(aggregate), headers={"ETag": f'"{aggregate.version}"'})
