"""What every query shares: pagination, as-of times and read-your-writes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import typing
from collections.abc import Callable, Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any, Literal, TypeVar, overload
from uuid import UUID

import anyio.to_thread
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import ConnectionPoolClosedError, PersistenceError
from fastapi import Request
from fastapi.responses import JSONResponse

from domain.errors import DomainError, NotFound, ValidationFailed
from interfaces.auth import caller_from
from interfaces.bootstrap import Services
from interfaces.personal_data import forget_erased_keys
from projections.runner import READ_MODELS
from projections.scratch import copies_of, cutoff

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


# The longest one request waits for read models, whatever MOPS_READ_WAIT_SECONDS says
# (API.md): a flood of waiting requests must not hold the server's worker threads.
MAX_READ_WAIT_SECONDS = 5.0


@dataclass
class RequestWaits:
    """The read-your-writes waits of one request: the route, and when its waits give up."""

    route: str
    deadline: float | None = None


# Set for each request by `storable_parameters`, which runs first for every route.
_request_waits: ContextVar[RequestWaits | None] = ContextVar("mops_request_waits", default=None)
# The read models each route's queries have waited for: a request of the route waits for
# them (asynchronously) before its query runs in a worker thread.
_READ_MODELS_BY_ROUTE: dict[str, set[str]] = {}


def caught_up(services: Services, read_model: str, wait_for: int | None) -> bool:
    """Wait until a read model reflects `wait_for`, by default every write made so far.

    A position beyond the log head is refused (422): no write will ever make a read model
    reach it sooner than another write does, and waiting for it only held a thread. All the
    waits of one request share one deadline of at most `MAX_READ_WAIT_SECONDS`; a request
    whose waits ran before its query (`wait_without_a_thread`) mostly finds it met.
    """
    waits = _request_waits.get()
    if waits is not None:  # the route's read models, for `wait_without_a_thread`
        _READ_MODELS_BY_ROUTE.setdefault(waits.route, set()).add(read_model)
    if wait_for is not None and services.read_side.known(read_model, wait_for):
        return True  # a position folded is one of the log's: no need to ask for the head
    head = services.backoffice.max_position()
    if wait_for is not None and wait_for > head:
        raise ValidationFailed.of("wait_for", f"lies beyond the head of the log ({head})")
    position = wait_for if wait_for is not None else head
    if position <= 0:
        return True
    now = monotonic()
    deadline = now + _wait_seconds(services)
    if waits is not None:  # in a request: its first wait sets the deadline of them all
        if waits.deadline is None:
            waits.deadline = deadline
        deadline = waits.deadline
    return services.read_side.wait(read_model, position, timeout=max(deadline - now, 0.0))


def _wait_seconds(services: Services) -> float:
    return min(services.settings.read_wait_seconds, MAX_READ_WAIT_SECONDS)


async def wait_without_a_thread(request: Request, waits: RequestWaits) -> None:
    """Wait, on the event loop, for the read models the request's route queries.

    A sleeping worker thread per waiting request starved the server: 45 of them delayed a
    command by 23 s. Here a wait holds no thread but for a brief look at the tracking
    table now and then; the route's own `caught_up` then finds its read model there. Only
    for a caller with a valid token, and a `wait_for` the route would accept.
    """
    names = _READ_MODELS_BY_ROUTE.get(waits.route)
    services: Services | None = getattr(request.app.state, "services", None)
    if not names or services is None or not _signed_in(request, services):
        return
    wait_for = _whole_number(request.query_params.get("wait_for"))
    if wait_for is False:
        return
    try:
        if wait_for is not None and all(services.read_side.known(n, wait_for) for n in names):
            return
        if wait_for is not None:
            await _folded_unless_beyond_head(services, sorted(names), wait_for, waits)
            return
        head = await anyio.to_thread.run_sync(services.backoffice.max_position)
        waits.deadline = monotonic() + _wait_seconds(services)
        await _all_folded(services, sorted(names), head, waits.deadline)
    except (PersistenceError, ConnectionPoolClosedError, KeyError):
        return  # the route meets the error (the database's, a view not here) itself


async def _folded_unless_beyond_head(
    services: Services, names: list[str], wait_for: int, waits: RequestWaits
) -> None:
    """Wait for the read models while the log's head is asked for, not after it: a
    position beyond the head ends the wait at once (the route refuses it)."""
    waits.deadline = monotonic() + _wait_seconds(services)
    head = asyncio.ensure_future(anyio.to_thread.run_sync(services.backoffice.max_position))
    folded = asyncio.ensure_future(_all_folded(services, names, wait_for, waits.deadline))
    try:
        done, _ = await asyncio.wait({head, folded}, return_when=asyncio.FIRST_COMPLETED)
        if folded in done or wait_for <= head.result():
            await folded
    finally:
        folded.cancel()
        # Its answer is not needed once the read models are there; nor is its error
        # (the route asks for the head itself when it must).
        head.add_done_callback(lambda task: task.cancelled() or task.exception())


async def _all_folded(services: Services, names: list[str], position: int, deadline: float) -> bool:
    for name in names:
        if position <= 0 or not await _folded(services, name, position, deadline):
            return False
    return True


# How often a waiting request looks at the tracking table itself, should nothing wake it:
# a fold in this process, one another process announces (PostgreSQL), or one the tracking
# watch of this process finds (SQLite, `projections.store.TrackingWatch`) wakes it at once.
_TABLE_LOOK_SECONDS = 0.1
# The first look, for a position folded before this process could hear of it.
_FIRST_LOOK_SECONDS = 0.02


async def _folded(services: Services, name: str, position: int, deadline: float) -> bool:
    """Whether a read model folded `position` before the deadline, looked at as the
    blocking wait does (`ReadModel.wait`): what this process knows, then the table.

    Sleeps on the event loop until the view says a new position is known (`waiting`),
    not for a slice of time: the answer follows the fold by the loop's next turn.
    """
    view = services.read_side.view(name)
    app_name = services.read_side.app_name
    loop = asyncio.get_running_loop()
    news = asyncio.Event()

    def wake() -> None:  # in the thread that learnt of a position
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(news.set)

    # The table is looked at only should nothing wake the wait: a fold of this process
    # or one announced (PostgreSQL) or watched (SQLite) from another wakes it first.
    next_look = monotonic() + _FIRST_LOOK_SECONDS
    with view.waiting(app_name, wake):
        while True:
            news.clear()  # before looking: news arriving after the look is kept
            if view.known_position(app_name) >= position:
                return True
            now = monotonic()
            if now >= next_look:
                if await anyio.to_thread.run_sync(view.has_tracking_id, app_name, position):
                    return True
                next_look = monotonic() + _TABLE_LOOK_SECONDS
            remaining = deadline - monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(news.wait(), min(remaining, next_look - monotonic()))


def _signed_in(request: Request, services: Services) -> bool:
    try:
        caller = caller_from(
            request.headers.get("authorization"),
            services.jwt_secret,
            max_ttl=timedelta(minutes=services.settings.token_max_ttl),
        )
    except DomainError:
        return False
    return bool(caller.roles)


def _whole_number(text: str | None) -> int | Literal[False] | None:
    """A query's whole number, None when absent, False when it is not one."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return False


def read_answer(content: Any, fresh: bool) -> JSONResponse:
    """A query's answer; one that could not wait for its read model says so in a header."""
    headers = {} if fresh else {"Mops-Read-Model-Lagging": "true"}
    return JSONResponse(content, headers=headers)


def must_exist(services: Services, kind: type, aggregate_id: UUID) -> None:
    """Refuse an id that names no aggregate of the kind: 404 `not_found`."""
    if not services.backoffice.exists(aggregate_id, kind):
        raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found")


def history_answer(
    services: Services,
    kind: type,
    aggregate_id: UUID,
    limit: int | None,
    cursor: str | None,
    wait_for: int | None,
) -> JSONResponse:
    """Every event of one aggregate, oldest first, with actor and both times."""
    must_exist(services, kind, aggregate_id)
    size = page_limit(limit)
    fresh = caught_up(services, "audit_log", wait_for)
    rows = services.read_side.view("audit_log").search(
        limit=size + 1, after_position=decode_cursor(cursor), aggregate_id=str(aggregate_id)
    )
    return read_answer(page(rows, size, "position"), fresh)


def unstorable(text: str) -> bool:
    """Whether a text holds what no text column stores: a NUL, or a lone surrogate (not UTF-8)."""
    if text.isascii():
        return "\x00" in text
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


async def storable_parameters(request: Request) -> None:
    """Refuse a query or path parameter that no column could store or compare with (422).

    PostgreSQL refuses a NUL in a text parameter, and the query failed with a 500 (the
    audit filters did); no stored value holds one, so no filter can need one. A whole
    number beyond 64 bits (`after_position`, `version`) overflowed SQLite the same way.
    A FastAPI dependency of the whole app: every parameter of every route, before the
    route runs; so it also holds the request's read-your-writes waits, which it makes
    once the parameters pass (`wait_without_a_thread`).
    """
    route = request.scope.get("route")
    # Keyed by method and path: a command shares its path with a query (POST and GET
    # /customers) and must never wait for the query's read model.
    waits = RequestWaits(f"{request.method} {getattr(route, 'path', request.url.path)}")
    _request_waits.set(waits)
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if unstorable(name):
            raise ValidationFailed.of("query", "a parameter name holds a NUL or invalid text")
        if isinstance(value, str) and unstorable(value):
            raise ValidationFailed.of(name, "must not contain a NUL character or invalid text")
    if not request.query_params:
        await wait_without_a_thread(request, waits)
        return
    for name in _whole_number_parameters(request.scope.get("route")):
        for value in request.query_params.getlist(name):
            if _beyond_64_bits(value):
                raise ValidationFailed.of(name, f"must be a whole number of at most {MAX_CURSOR}")
    await wait_without_a_thread(request, waits)


def _whole_number_parameters(route: Any) -> frozenset[str]:
    """The query parameters a route (and its dependencies) declare as whole numbers.

    Read from the route's FastAPI dependant on each request: a walk of a few objects.
    """
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        pending.extend(dependant.dependencies)
        for field in dependant.query_params:
            annotation = field.field_info.annotation
            if annotation is int or int in typing.get_args(annotation):
                names.add(field.alias)
    return frozenset(names)


def _beyond_64_bits(value: str) -> bool:
    try:
        number = int(value)
    except ValueError:
        return False  # not a number at all: FastAPI's own validation answers it
    return not -MAX_CURSOR - 1 <= number <= MAX_CURSOR


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
    if version is not None or as_of is not None:
        # Replayed from old events: not with a key whose subject was erased since.
        forget_erased_keys(services.backoffice.mapper)
    aggregate = services.backoffice.get(
        aggregate_id, kind, version=version, as_of=moment(as_of, "as_of")
    )
    return JSONResponse(represent(aggregate), headers={"ETag": f'"{aggregate.version}"'})


Part = TypeVar("Part")


def part_of(parts: Mapping[str, Part], part_id: UUID, kind: str, whole: str) -> Part:
    """One part of an aggregate by its id (an invoice of a contract); 404 when it has none."""
    part = parts.get(str(part_id))
    if part is None:
        raise NotFound(f"{kind} {part_id} not found on this {whole}")
    return part


@dataclass
class ReportSide:
    """Where a report reads: the live read models, or scratch copies as known at a moment.

    `now` is the moment a report without `as_of` is computed for: the clock, or
    `known_at` when the report is asked as it was known then (`past`). `echo` is what
    the answer adds (`known_at` as passed), `fresh` whether the live read models caught
    up.
    """

    views: Callable[[str], Any]
    now: datetime
    echo: dict[str, str]
    fresh: bool
    past: bool = False

    def view(self, name: str) -> Any:
        """The read model to query."""
        return self.views(name)

    def answer(self, content: dict[str, Any]) -> JSONResponse:
        """The report's answer, `known_at` echoed after `as_of` when it was passed."""
        if self.echo:
            first = {"as_of": content["as_of"]} if "as_of" in content else {}
            content = {**first, **self.echo, **content}
        return read_answer(content, self.fresh)


def known_moment(value: str | None, now: datetime) -> datetime | None:
    """A report's `known_at`: None for now (absent, or not in the past), else the moment."""
    at = moment(value, "known_at")
    if at is None:
        return None
    # Nothing was recorded before this; a report looks back from its as_of too.
    if at.date() < EARLIEST_REPORT_DAY:
        raise ValidationFailed.of("known_at", f"must lie on or after {EARLIEST_REPORT_DAY}")
    return at if at < now else None


def report_side(
    services: Services, names: Sequence[str], known_at: str | None, wait_for: int | None
) -> ReportSide:
    """The read models a report queries, as recorded by `known_at` (default: now).

    Now, or a `known_at` at or after the clock: the live read models, after the
    read-your-writes wait. Before: scratch copies folded from the events recorded by
    then (projections/scratch.py), or the live ones when nothing was recorded since.
    """
    now = services.backoffice.clock()
    echo = {} if known_at is None else {"known_at": known_at}
    at = known_moment(known_at, now)
    if at is None:
        fresh = all([caught_up(services, name, wait_for) for name in names])
        return ReportSide(services.read_side.view, now, echo, fresh)
    app = services.backoffice
    head = app.max_position()
    if wait_for is not None and wait_for > head:
        raise ValidationFailed.of("wait_for", f"lies beyond the head of the log ({head})")
    cut = cutoff(app, at, head)
    if cut.covers(head):
        fresh = all([caught_up(services, name, head) for name in names])
        return ReportSide(services.read_side.view, at, echo, fresh, past=True)
    views = copies_of(app).views([READ_MODELS[name] for name in names], cut)
    return ReportSide(views.__getitem__, at, echo, True, past=True)
