"""`/budgets`: commands, the budget now and as of a time, its history, and the list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.budget import CATEGORIES, QUARTERS, Budget, available_on, line_key
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer, fiscal_year_filter
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import budgets as bodies
from interfaces.http.schemas.common import Empty
from projections.events import iso_utc, plain

router = APIRouter(prefix="/budgets", tags=["budgets"])


def represent(budget: Budget) -> dict[str, Any]:
    """A budget as `GET /budgets/{id}` answers it."""
    lines = []
    for category in CATEGORIES:
        for period in QUARTERS:
            line = budget.lines[line_key(category, period)]
            lines.append(
                {
                    "category": category,
                    "period": period,
                    "planned": str(line["planned"]),
                    "adjustments": str(line["adjustments"]),
                    "overruns_approved": str(line["overruns"]),
                    "committed": str(line["committed"]),
                    "spent": str(line["spent"]),
                    "available": str(available_on(line)),
                }
            )
    return {
        "id": str(budget.id),
        "version": budget.version,
        "status": budget.status,
        "fiscal_year": budget.fiscal_year,
        "name": budget.name,
        "lines": lines,
        "targets": [
            {"period": period, **plain(target)} for period, target in sorted(budget.targets.items())
        ],
        "commitments": [plain(c) for c in budget.commitments.values()],
        "overruns": [plain(o) for o in budget.overruns.values()],
        "spent_by_type": plain(budget.spent_by_type),
        "submitted_by": budget.submitted_by,
        "approved_by": budget.approved_by,
        "rejection": budget.rejection,
        "created_at": iso_utc(budget.created_on),
        "updated_at": iso_utc(budget.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "fiscal_year": row["fiscal_year"],
        "name": row["name"],
        "status": row["status"],
        "submitted_by": row["submitted_by"],
        "approved_by": row["approved_by"],
        "version": row["version"],
        "drafted_at": row["drafted_at"],
        "position": row["drafted_position"],
    }


create_route(
    router,
    Budget,
    "budget.draft",
    bodies.DraftBudget,
    lambda app, cmd, body: app.draft_budget(
        cmd,
        fiscal_year=body.fiscal_year,
        name=body.name,
        lines=[line.model_dump() for line in body.lines],
        targets=[t.model_dump() for t in body.targets or ()],
    ),
)


def _amend(app: Any, command: Any, budget_id: UUID, body: bodies.AmendBudget) -> Any:
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.lines is not None:
        changes["lines"] = [line.model_dump() for line in body.lines]
    if body.targets is not None:
        changes["targets"] = [t.model_dump() for t in body.targets]
    return app.amend_budget(command, budget_id, **changes)


for path, permission, model, call, answer_with in (
    ("/{id}/amend", "budget.amend", bodies.AmendBudget, _amend, None),
    ("/{id}/submit", "budget.submit", Empty, lambda a, c, i, b: a.submit_budget(c, i), None),
    ("/{id}/approve", "budget.approve", Empty, lambda a, c, i, b: a.approve_budget(c, i), None),
    (
        "/{id}/reject",
        "budget.reject",
        bodies.Reasons,
        lambda a, c, i, b: a.reject_budget(c, i, b.reasons),
        None,
    ),
    (
        "/{id}/commitments",
        "budget.commit",
        bodies.Commit,
        lambda a, c, i, b: a.commit_budget(c, i, **b.model_dump()),
        None,
    ),
    (
        "/{id}/expenses",
        "budget.expense",
        bodies.RecordExpense,
        lambda a, c, i, b: a.record_expense(c, i, **b.model_dump()),
        None,
    ),
    (
        "/{id}/overruns",
        "budget.overrun_request",
        bodies.RequestOverrun,
        lambda a, c, i, b: a.request_overrun(c, i, **b.model_dump()),
        "overrun_id",
    ),
    (
        "/{id}/reallocations",
        "budget.reallocate",
        bodies.Reallocate,
        lambda a, c, i, b: a.reallocate_budget(c, i, **b.model_dump()),
        None,
    ),
    ("/{id}/close", "budget.close", Empty, lambda a, c, i, b: a.close_budget(c, i), None),
):
    command_route(router, Budget, path, permission, model, call, answer_with=answer_with)


for path, permission, model, call, sub in (
    (
        "/{id}/commitments/{sub}/release",
        "budget.release_commitment",
        Empty,
        lambda app, cmd, bid, reference, body: app.release_commitment(cmd, bid, reference),
        str,
    ),
    (
        "/{id}/overruns/{sub}/approve",
        "budget.overrun_approve",
        Empty,
        lambda app, cmd, bid, oid, body: app.approve_overrun(cmd, bid, oid),
        UUID,
    ),
    (
        "/{id}/overruns/{sub}/reject",
        "budget.overrun_reject",
        bodies.Reasons,
        lambda app, cmd, bid, oid, body: app.reject_overrun(cmd, bid, oid, body.reasons),
        UUID,
    ),
):
    overruns = (lambda b: b.overruns) if "/overruns/" in path else None
    command_route(router, Budget, path, permission, model, call, sub=sub, sub_in=overruns)


@router.get("")
def list_budgets(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    fiscal_year: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Budgets in the order they were drafted, filtered by status and fiscal year."""
    return directory_answer(
        services,
        "budget_execution",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        fiscal_year=fiscal_year_filter(fiscal_year),
    )


aggregate_reads(router, Budget, represent)
