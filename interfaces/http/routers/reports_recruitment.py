"""`GET /reports/recruitment`: per department x quarter x position, plan, roster, hiring.

Every authenticated role may read it. `fiscal_year` (required) and `department`
(optional, compared normalised) filter; items `{department, fiscal_year, quarter,
position, planned, filled, open, hires_planned, hires_unplanned, candidates,
interviewed, rejected, hired, mean_days_to_hire, hires_by_source}` come by department,
quarter and position, paged by `limit`/`cursor` (projections/recruitment.py says what
each counts). `as_of` (a date meaning the end of that day UTC, or a timestamp; echoed
when passed) counts the facts dated by then and the plan in force then; `known_at`
answers as the service did then, echoed as passed (interfaces/http/reads.py,
`report_side`).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.errors import ValidationFailed
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import (
    fiscal_year_filter,
    moment,
    offset_page,
    page_limit,
    page_offset,
    refuse_nul,
    report_side,
)
from interfaces.http.routers.report_answers import echo_as_of
from interfaces.http.schemas.answers.staffing_plans import RecruitmentReport
from projections.recruitment import public

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/recruitment", responses=answer_of(RecruitmentReport, LIST))
def recruitment_report(
    caller: CurrentCaller,
    services: ServicesDep,
    fiscal_year: int | None = None,
    department: str | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Planned headcount against the roster and the hiring of a year, by quarter."""
    year = fiscal_year_filter(fiscal_year)
    if year is None:
        raise ValidationFailed.of("fiscal_year", "is required: a year such as 2026")
    at = moment(as_of, "as_of")
    refuse_nul(department=department)
    size = page_limit(limit)
    offset = page_offset(cursor)
    side = report_side(services, ["recruitment"], known_at, wait_for)
    items = side.view("recruitment").report(year, at or side.now, department)
    page = offset_page(items, offset, size)
    page["items"] = [public(i) for i in page["items"]]
    return side.answer(echo_as_of(as_of, page))
