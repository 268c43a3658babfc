"""`/reports/pipeline`: the sales pipeline as of any date.

`group_by` takes any of `owner`, `stage`, `month` (row keys `owner_id`, `stage`,
`month`), repeated or comma-separated; without any, one row of totals. `from`/`to` are
inclusive dates (flow figures by their business day; open figures by the expected
close date, only when given); `as_of` (a date meaning the end of that day UTC, or a
timestamp; now by default) is echoed as passed, or as the moment used when none was.
`known_at` (a date meaning the end of that day UTC, or a timestamp) answers as the
service did then, echoed as passed (interfaces/http/reads.py, `report_side`); without
`as_of`, the report is computed for that moment.
The figures and their definitions: `projections/pipeline.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import (
    day_range,
    group_keys,
    moment,
    offset_page,
    page_limit,
    page_offset,
    report_side,
)
from interfaces.http.routers.report_answers import as_of_echo
from interfaces.http.schemas.answers import reports as answers
from projections.pipeline import GROUP_KEYS

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/pipeline", responses=answer_of(answers.PipelineReport, LIST))
def pipeline_report(
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
    """Open and weighted value, entries, regressions, wins, losses, win rate, cycle days."""
    keys = group_keys(group_by, GROUP_KEYS)
    start, end = day_range(day_from, day_to)
    passed = moment(as_of, "as_of")
    size = page_limit(limit)
    offset = page_offset(cursor)
    side = report_side(services, ["pipeline"], known_at, wait_for)
    at = passed or side.now
    rows = side.view("pipeline").report(keys, as_of=at, day_from=start, day_to=end)
    return side.answer({"as_of": as_of_echo(as_of, at), **offset_page(rows, offset, size)})
