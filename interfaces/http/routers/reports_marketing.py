"""`/reports/budgets/{id}` (budget execution) and `/reports/campaigns`.

Both take `known_at` (a date meaning the end of that day UTC, or a timestamp): the
answer as the service gave it then, echoed as passed (interfaces/http/reads.py,
`report_side`). The campaigns report takes `as_of` too, echoed when passed: each
campaign as it stood then, its results and attributed leads counted by business time
(projections/campaigns.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.budget import Budget
from domain.errors import NotFound
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, READ, answer_of
from interfaces.http.reads import decode_cursor, moment, must_exist, page, page_limit, report_side
from interfaces.http.routers.report_answers import echo_as_of
from interfaces.http.schemas.answers import reports as answers
from projections.campaigns import report_item

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/budgets/{budget_id}", responses=answer_of(answers.BudgetReport, READ))
def budget_report(
    budget_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    known_at: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Execution per line and spend by expense type, counting facts dated up to `as_of`."""
    at = moment(as_of, "as_of")
    must_exist(services, Budget, budget_id)
    side = report_side(services, ["budget_execution"], known_at, wait_for)
    default = side.now if side.past else datetime.now(UTC)
    report = side.view("budget_execution").report(str(budget_id), at or default)
    if report is None:
        raise NotFound(f"budget {budget_id} is not in the report yet")
    return side.answer(echo_as_of(as_of, report))


@router.get(
    "/campaigns",
    summary="Each campaign's spend, reach, leads, revenue and return",
    responses=answer_of(answers.CampaignsReport, LIST),
)
def campaigns_report(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    owner_id: str | None = None,
    budget_id: UUID | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Per campaign: budget, spend, reach, leads recorded and attributed, cost per lead, ROI."""
    size = page_limit(limit)
    after = decode_cursor(cursor)
    at = moment(as_of, "as_of")
    side = report_side(services, ["campaigns"], known_at, wait_for)
    view = side.view("campaigns")
    rows = view.report_rows(
        limit=size + 1,
        after=after,
        as_of=at,
        status=status,
        owner_id=owner_id,
        budget_id=str(budget_id) if budget_id else None,
    )
    attributed = view.attributed([r["id"] for r in rows[:size]], as_of=at)
    items = [report_item(r, attributed.get(r["id"], 0)) for r in rows]
    return side.answer(echo_as_of(as_of, page(items, size, "position")))
