"""`/reports/training` and `/reports/competitors`.

Both take `from`/`to` (inclusive days), `as_of` (business time: each program as its
latest event dated by then left it; research published and opportunities lost by then)
and `known_at` (record time: the answer as the service gave it then, from scratch
copies folded from the events recorded by then; interfaces/http/reads.py,
`report_side`). Both echo `as_of` when passed, and page their items by offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import (
    day_range,
    moment,
    offset_page,
    page_limit,
    page_offset,
    report_side,
)
from interfaces.http.routers.report_answers import echo_as_of
from interfaces.http.schemas.answers.research_reports import CompetitorsReport
from interfaces.http.schemas.answers.training_programs import TrainingReport

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/training", responses=answer_of(TrainingReport, LIST))
def training_report(
    caller: CurrentCaller,
    services: ServicesDep,
    day_from: str | None = Query(default=None, alias="from"),
    day_to: str | None = Query(default=None, alias="to"),
    program_id: UUID | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Per program: participants, attendance, hours, costs, reaction, learning, KPI change."""
    start, end = day_range(day_from, day_to)
    at = moment(as_of, "as_of")
    size, offset = page_limit(limit), page_offset(cursor)
    side = report_side(services, ["training"], known_at, wait_for)
    rows = side.view("training").report_rows(
        day_from=start,
        day_to=end,
        as_of=at,
        program_id=str(program_id) if program_id else None,
    )
    return side.answer(echo_as_of(as_of, offset_page(rows, offset, size)))


@router.get("/competitors", responses=answer_of(CompetitorsReport, LIST))
def competitors_report(
    caller: CurrentCaller,
    services: ServicesDep,
    day_from: str | None = Query(default=None, alias="from"),
    day_to: str | None = Query(default=None, alias="to"),
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Per competitor: research naming it, latest share and price position, losses to it."""
    start, end = day_range(day_from, day_to)
    at = moment(as_of, "as_of")
    size, offset = page_limit(limit), page_offset(cursor)
    side = report_side(services, ["competitors"], known_at, wait_for)
    default = side.now if side.past else datetime.now(UTC)
    rows = side.view("competitors").report_rows(day_from=start, day_to=end, as_of=at or default)
    return side.answer(echo_as_of(as_of, offset_page(rows, offset, size)))
