"""`/reports/budgets/{id}` (budget execution) and `/reports/campaigns`."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.budget import Budget
from domain.errors import NotFound
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, READ
from interfaces.http.reads import caught_up, decode_cursor, moment, page, page_limit, read_answer
from projections.campaigns import report_item

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/budgets/{budget_id}", responses=READ)
def budget_report(
    budget_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Execution per line and spend by expense type, counting facts dated up to `as_of`."""
    at = moment(as_of, "as_of")
    if not services.backoffice.exists(budget_id, Budget):
        raise NotFound(f"budget {budget_id} not found")
    fresh = caught_up(services, "budget_execution", wait_for)
    report = services.read_side.view("budget_execution").report(
        str(budget_id), at or datetime.now(UTC)
    )
    if report is None:
        raise NotFound(f"budget {budget_id} is not in the report yet")
    content = {"as_of": as_of, **report} if as_of is not None else report
    return read_answer(content, fresh)


@router.get("/campaigns", responses=LIST)
def campaigns_report(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    owner_id: str | None = None,
    budget_id: UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Per campaign: budget, spend, reach, leads recorded and attributed, cost per lead, ROI."""
    size = page_limit(limit)
    after = decode_cursor(cursor)
    fresh = caught_up(services, "campaigns", wait_for)
    view = services.read_side.view("campaigns")
    rows = view.search(
        limit=size + 1,
        after=after,
        status=status,
        owner_id=owner_id,
        budget_id=str(budget_id) if budget_id else None,
    )
    attributed = view.attributed([r["id"] for r in rows[:size]])
    items = [report_item(r, attributed.get(r["id"], 0)) for r in rows]
    return read_answer(page(items, size, "position"), fresh)
