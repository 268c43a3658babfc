"""`/reports/sales` and `/reports/credit`: the sales and credit read models.

Every authenticated role may read them. `group_by` takes one or more keys, repeated
(`group_by=month&group_by=sku`) or comma-separated (`group_by=month,sku`); without
any, the sales report answers one row of totals. `from`/`to` are inclusive dates.
The sales report takes `as_of` (a date, or a timestamp meaning its UTC day): only facts
whose business day is on or before it count; it is echoed when passed.
The credit reports take `as_of` (a date, or a timestamp meaning its UTC day; the
app's today by default) and echo it as passed, or the day used when none was.
Every report takes `known_at` (a date meaning the end of that day UTC, or a
timestamp): the answer as the service gave it then (interfaces/http/reads.py,
`report_side`), echoed as passed; without `as_of` it is the moment computed for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.errors import ValidationFailed
from interfaces.bootstrap import Services
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import (
    EARLIEST_REPORT_DAY,
    ReportSide,
    day_range,
    encode_cursor,
    group_keys,
    moment,
    page_limit,
    page_offset,
    report_side,
)
from interfaces.http.routers.report_answers import echo_as_of, fetched_page
from interfaces.http.schemas.answers import reports as answers
from projections.money import utc_day
from projections.sales import GROUP_KEYS

router = APIRouter(prefix="/reports", tags=["reports"])

LATEST = date(9999, 11, 30)


def _after(cursor: str | None) -> int:
    """Where a page starts: 0, or what a cursor of ours carries (a bounded whole number)."""
    after = page_offset(cursor)
    if after >= 2**62:
        raise ValidationFailed.of("cursor", "is not a cursor this service gave out")
    return after


def _as_of(now: datetime, value: str | None) -> tuple[date, str]:
    """The day a credit report is computed for, and the `as_of` it echoes."""
    if value is None:
        today = now.astimezone(UTC).date()
        return today, today.isoformat()
    at = moment(value, "as_of")
    day = at.date() if at is not None else date.min
    # The report looks 90 days back and 30 ahead of as_of.
    if not EARLIEST_REPORT_DAY <= day <= LATEST:
        raise ValidationFailed.of("as_of", f"must lie between {EARLIEST_REPORT_DAY} and {LATEST}")
    return day, value


def credit_side(
    services: Services, as_of: str | None, known_at: str | None, wait_for: int | None
) -> tuple[ReportSide, date, str]:
    """Where a credit report reads, the day it is computed for, and the `as_of` it echoes."""
    side = report_side(services, ["credit"], known_at, wait_for)
    day, echo = _as_of(side.now, as_of)
    return side, day, echo


def _keyed_page(rows: list[dict[str, Any]], size: int, key: str) -> dict[str, Any]:
    """A page fetched with one row more than `size`. The cursor carries the `key` of its
    last row, which is the read model's to order by and no field of the answer."""
    more = len(rows) > size
    rows = rows[:size]
    return {
        "items": [{k: v for k, v in row.items() if k != key} for row in rows],
        "next_cursor": encode_cursor(rows[-1][key]) if more else None,
    }


@router.get("/sales", responses=answer_of(answers.SalesReport, LIST))
def sales_report(
    caller: CurrentCaller,
    services: ServicesDep,
    group_by: Annotated[list[str] | None, Query()] = None,
    day_from: Annotated[str | None, Query(alias="from")] = None,
    day_to: Annotated[str | None, Query(alias="to")] = None,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Signed, delivered, invoiced, collected and written-off figures by the keys asked."""
    keys = group_keys(group_by, GROUP_KEYS)
    start, end = day_range(day_from, day_to)
    at = moment(as_of, "as_of")
    if at is not None:
        end = utc_day(at) if end is None else min(end, utc_day(at))
    size = page_limit(limit)
    offset = _after(cursor)
    side = report_side(services, ["sales"], known_at, wait_for)
    rows = side.view("sales").report(
        keys, day_from=start, day_to=end, limit=size + 1, offset=offset
    )
    return side.answer(echo_as_of(as_of, fetched_page(rows, offset, size)))


@router.get(
    "/credit",
    summary="Each customer's credit position",
    responses=answer_of(answers.CreditReport, LIST),
)
def credit_report(
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Per customer with an assessment or a signed contract: limit, exposure, aging, alerts."""
    side, day, echo = credit_side(services, as_of, known_at, wait_for)
    size = page_limit(limit)
    after = _after(cursor)
    rows = side.view("credit").report(day, after=after, limit=size + 1)
    return side.answer({"as_of": echo, **_keyed_page(rows, size, "seq")})


@router.get("/credit/alerts", responses=answer_of(answers.CreditAlerts, LIST))
def credit_alerts(
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every credit alert at `as_of`, customer by customer: `{customer_id, alert, detail}`."""
    side, day, echo = credit_side(services, as_of, known_at, wait_for)
    size = page_limit(limit)
    after = _after(cursor)
    found = side.view("credit").alerts(day, after=after, limit=size + 1)
    return side.answer({"as_of": echo, **_keyed_page(found, size, "key")})
