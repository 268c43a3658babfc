"""`/reports/sales` and `/reports/credit`: the sales and credit read models.

Every authenticated role may read them. `group_by` takes one or more keys, repeated
(`group_by=month&group_by=sku`) or comma-separated (`group_by=month,sku`); without
any, the sales report answers one row of totals. `from`/`to` are inclusive dates.
The credit reports take `as_of` (a date, or a timestamp meaning its UTC day; the
app's today by default) and echo it as passed, or the day used when none was.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.errors import ValidationFailed
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST
from interfaces.http.reads import (
    EARLIEST_REPORT_DAY,
    caught_up,
    day_range,
    encode_cursor,
    group_keys,
    moment,
    page_limit,
    page_offset,
    read_answer,
)
from projections.sales import GROUP_KEYS

router = APIRouter(prefix="/reports", tags=["reports"])

LATEST = date(9999, 11, 30)


def _after(cursor: str | None) -> int:
    """Where a page starts: 0, or what a cursor of ours carries (a bounded whole number)."""
    after = page_offset(cursor)
    if after >= 2**62:
        raise ValidationFailed.of("cursor", "is not a cursor this service gave out")
    return after


def _as_of(services: Any, value: str | None) -> tuple[date, str]:
    """The day a credit report is computed for, and the `as_of` it echoes."""
    if value is None:
        today = services.backoffice.clock().astimezone(UTC).date()
        return today, today.isoformat()
    at = moment(value, "as_of")
    day = at.date() if at is not None else date.min
    # The report looks 90 days back and 30 ahead of as_of.
    if not EARLIEST_REPORT_DAY <= day <= LATEST:
        raise ValidationFailed.of("as_of", f"must lie between {EARLIEST_REPORT_DAY} and {LATEST}")
    return day, value


@router.get("/sales", responses=LIST)
def sales_report(
    caller: CurrentCaller,
    services: ServicesDep,
    group_by: Annotated[list[str] | None, Query()] = None,
    day_from: Annotated[str | None, Query(alias="from")] = None,
    day_to: Annotated[str | None, Query(alias="to")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Signed, delivered, invoiced, collected and written-off figures by the keys asked."""
    keys = group_keys(group_by, GROUP_KEYS)
    start, end = day_range(day_from, day_to)
    size = page_limit(limit)
    offset = _after(cursor)
    fresh = caught_up(services, "sales", wait_for)
    rows = services.read_side.view("sales").report(
        keys, day_from=start, day_to=end, limit=size + 1, offset=offset
    )
    more = len(rows) > size
    items = rows[:size]
    return read_answer(
        {"items": items, "next_cursor": encode_cursor(offset + size) if more else None}, fresh
    )


@router.get("/credit", responses=LIST)
def credit_report(
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Per customer with an assessment or a signed contract: limit, exposure, aging, alerts."""
    day, echo = _as_of(services, as_of)
    size = page_limit(limit)
    after = _after(cursor)
    fresh = caught_up(services, "credit", wait_for)
    rows = services.read_side.view("credit").report(day, after=after, limit=size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return read_answer(
        {
            "as_of": echo,
            "items": [{k: v for k, v in row.items() if k != "seq"} for row in rows],
            "next_cursor": encode_cursor(rows[-1]["seq"]) if more else None,
        },
        fresh,
    )


@router.get("/credit/alerts", responses=LIST)
def credit_alerts(
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every credit alert at `as_of`, customer by customer: `{customer_id, alert, detail}`."""
    day, echo = _as_of(services, as_of)
    size = page_limit(limit)
    after = _after(cursor)
    fresh = caught_up(services, "credit", wait_for)
    found = services.read_side.view("credit").alerts(day, after=after, limit=size + 1)
    more = len(found) > size
    found = found[:size]
    return read_answer(
        {
            "as_of": echo,
            "items": [{k: v for k, v in item.items() if k != "key"} for item in found],
            "next_cursor": encode_cursor(found[-1]["key"]) if more else None,
        },
        fresh,
    )
