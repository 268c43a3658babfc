"""`/reports/pipeline`: the sales pipeline as of any date.

`group_by` takes any of `owner`, `stage`, `month` (row keys `owner_id`, `stage`,
`month`), repeated or comma-separated; without any, one row of totals. `from`/`to` are
inclusive dates (flow figures by their business day; open figures by the expected
close date, only when given); `as_of` (a date meaning the end of that day UTC, or a
timestamp; now by default) is echoed as passed, or as the moment used when none was.
The figures and their definitions: `projections/pipeline.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.errors import ValidationFailed
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import (
    caught_up,
    decode_cursor,
    encode_cursor,
    moment,
    page_limit,
    read_answer,
)
from projections.events import iso_utc
from projections.pipeline import GROUP_KEYS

router = APIRouter(prefix="/reports", tags=["reports"])


def _keys(group_by: list[str] | None) -> list[str]:
    asked = [part.strip() for value in group_by or [] for part in value.split(",")]
    for key in filter(None, asked):
        if key not in GROUP_KEYS:
            raise ValidationFailed.of("group_by", f"{key!r} is not one of {', '.join(GROUP_KEYS)}")
    return list(dict.fromkeys(filter(None, asked)))


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.of(field, "must be a date YYYY-MM-DD") from None


@router.get("/pipeline")
def pipeline_report(
    caller: CurrentCaller,
    services: ServicesDep,
    group_by: Annotated[list[str] | None, Query()] = None,
    day_from: Annotated[str | None, Query(alias="from")] = None,
    day_to: Annotated[str | None, Query(alias="to")] = None,
    as_of: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Open and weighted value, entries, regressions, wins, losses, win rate, cycle days."""
    keys = _keys(group_by)
    start, end = _date(day_from, "from"), _date(day_to, "to")
    if start is not None and end is not None and start > end:
        raise ValidationFailed.of("from", "must not lie after to")
    at = moment(as_of, "as_of") or services.backoffice.clock()
    size = page_limit(limit)
    offset = decode_cursor(cursor) or 0
    if offset < 0:
        raise ValidationFailed.of("cursor", "is not a cursor this service gave out")
    fresh = caught_up(services, "pipeline", wait_for)
    rows = services.read_side.view("pipeline").report(keys, as_of=at, day_from=start, day_to=end)
    more = len(rows) > offset + size
    return read_answer(
        {
            "as_of": as_of if as_of is not None else iso_utc(at),
            "items": rows[offset : offset + size],
            "next_cursor": encode_cursor(offset + size) if more else None,
        },
        fresh,
    )
