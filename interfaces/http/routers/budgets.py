"""`/budgets`: commands, the budget now and as of a time, its history, and the list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.budgets import (
    AmendBudget,
    ApproveBudget,
    ApproveOverrun,
    BudgetChanges,
    CloseBudget,
    CommitBudget,
    DraftBudget,
    ReallocateBudget,
    RecordExpense,
    RejectBudget,
    RejectOverrun,
    ReleaseCommitment,
    RequestOverrun,
    SubmitBudget,
)
from domain.budget import CATEGORIES, QUARTERS, Budget, available_on, line_key
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import (
    aggregate_answer,
    directory_answer,
    fiscal_year_filter,
    history_answer,
)
from interfaces.http.schemas import budgets as bodies
from interfaces.http.schemas.answers import budgets as answers
from interfaces.http.schemas.common import Empty

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


def _budget_changes(body: bodies.AmendBudget) -> BudgetChanges:
    """The fields the body gives (null leaves a field as it is)."""
    changes = BudgetChanges()
    if body.name is not None:
        changes["name"] = body.name
    if body.lines is not None:
        changes["lines"] = [line.model_dump() for line in body.lines]
    if body.targets is not None:
        changes["targets"] = [target.model_dump() for target in body.targets]
    return changes


@router.post("", status_code=201, openapi_extra=body_schema(bodies.DraftBudget), responses=CREATE)
async def draft_budget(call: CommandDep) -> JSONResponse:
    """Draft the budget of a fiscal year (finance, executive); a second one is refused."""
    body = await call.read(DraftBudget, bodies.DraftBudget)
    command = DraftBudget(
        fiscal_year=body.fiscal_year,
        lines=[line.model_dump() for line in body.lines],
        name=body.name,
        targets=[target.model_dump() for target in body.targets or ()],
    )
    return await call.answer(command)


@router.post("/{budget_id}/amend", openapi_extra=body_schema(bodies.AmendBudget), responses=COMMAND)
async def amend_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Revise a draft: name, lines or targets, each replaced whole (finance, executive)."""
    body = await call.read(AmendBudget, bodies.AmendBudget, Target(Budget, budget_id))
    return await call.answer(AmendBudget(budget_id, _budget_changes(body)))


@router.post("/{budget_id}/submit", openapi_extra=body_schema(Empty), responses=COMMAND)
async def submit_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the draft before an executive (finance, executive)."""
    await call.read(SubmitBudget, Empty, Target(Budget, budget_id))
    return await call.answer(SubmitBudget(budget_id))


@router.post("/{budget_id}/approve", openapi_extra=body_schema(Empty), responses=COMMAND)
async def approve_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Approve the budget (an executive other than the submitter)."""
    await call.read(ApproveBudget, Empty, Target(Budget, budget_id))
    return await call.answer(ApproveBudget(budget_id))


@router.post("/{budget_id}/reject", openapi_extra=body_schema(bodies.Reasons), responses=COMMAND)
async def reject_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Send the budget back to draft, with reasons (an executive other than the submitter)."""
    body = await call.read(RejectBudget, bodies.Reasons, Target(Budget, budget_id))
    return await call.answer(RejectBudget(budget_id, body.reasons))


@router.post(
    "/{budget_id}/commitments", openapi_extra=body_schema(bodies.Commit), responses=COMMAND
)
async def commit_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Reserve money of a line for a purpose named by its reference (finance)."""
    body = await call.read(CommitBudget, bodies.Commit, Target(Budget, budget_id))
    command = CommitBudget(
        budget_id,
        category=body.category,
        period=body.period,
        amount=body.amount,
        reference=body.reference,
    )
    return await call.answer(command)


@router.post(
    "/{budget_id}/commitments/{reference}/release",
    openapi_extra=body_schema(Empty),
    responses=COMMAND,
)
async def release_commitment(budget_id: UUID, reference: str, call: CommandDep) -> JSONResponse:
    """Give back what is still open of a commitment (finance)."""
    await call.read(ReleaseCommitment, Empty, Target(Budget, budget_id))
    return await call.answer(ReleaseCommitment(budget_id, reference))


@router.post(
    "/{budget_id}/expenses", openapi_extra=body_schema(bodies.RecordExpense), responses=COMMAND
)
async def record_expense(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Book an expense on a line, under the expense standards (finance)."""
    body = await call.read(RecordExpense, bodies.RecordExpense, Target(Budget, budget_id))
    command = RecordExpense(
        budget_id,
        category=body.category,
        period=body.period,
        amount=body.amount,
        expense_type=body.expense_type,
        description=body.description,
        reference=body.reference,
        overrun_id=body.overrun_id,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post(
    "/{budget_id}/overruns",
    status_code=201,
    openapi_extra=body_schema(bodies.RequestOverrun),
    responses=CREATE,
)
async def request_overrun(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Ask for money beyond a line's budget; answers the overrun's id (any role that spends)."""
    body = await call.read(RequestOverrun, bodies.RequestOverrun, Target(Budget, budget_id))
    command = RequestOverrun(
        budget_id,
        category=body.category,
        period=body.period,
        amount=body.amount,
        justification=body.justification,
    )
    return await call.answer(command, created_id="overrun_id")


@router.post(
    "/{budget_id}/overruns/{overrun_id}/approve",
    openapi_extra=body_schema(Empty),
    responses=COMMAND,
)
async def approve_overrun(budget_id: UUID, overrun_id: UUID, call: CommandDep) -> JSONResponse:
    """Grant an overrun (an executive other than the requester)."""
    target = Target(Budget, budget_id, "overruns", overrun_id)
    await call.read(ApproveOverrun, Empty, target)
    return await call.answer(ApproveOverrun(budget_id, overrun_id))


@router.post(
    "/{budget_id}/overruns/{overrun_id}/reject",
    openapi_extra=body_schema(bodies.Reasons),
    responses=COMMAND,
)
async def reject_overrun(budget_id: UUID, overrun_id: UUID, call: CommandDep) -> JSONResponse:
    """Refuse an overrun, with reasons (an executive other than the requester)."""
    target = Target(Budget, budget_id, "overruns", overrun_id)
    body = await call.read(RejectOverrun, bodies.Reasons, target)
    return await call.answer(RejectOverrun(budget_id, overrun_id, body.reasons))


@router.post(
    "/{budget_id}/reallocations", openapi_extra=body_schema(bodies.Reallocate), responses=COMMAND
)
async def reallocate_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Move available money from one line to another (executive)."""
    body = await call.read(ReallocateBudget, bodies.Reallocate, Target(Budget, budget_id))
    command = ReallocateBudget(
        budget_id,
        from_category=body.from_category,
        from_period=body.from_period,
        to_category=body.to_category,
        to_period=body.to_period,
        amount=body.amount,
        reason=body.reason,
    )
    return await call.answer(command)


@router.post("/{budget_id}/close", openapi_extra=body_schema(Empty), responses=COMMAND)
async def close_budget(budget_id: UUID, call: CommandDep) -> JSONResponse:
    """Close the year's budget (finance)."""
    await call.read(CloseBudget, Empty, Target(Budget, budget_id))
    return await call.answer(CloseBudget(budget_id))


@router.get("", responses=list_of(answers.BudgetItem))
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


@router.get("/{budget_id}", responses=read_of(answers.BudgetView))
def get_budget(
    budget_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A budget now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, Budget, budget_id, version, as_of, represent)


@router.get("/{budget_id}/history", responses=history_of())
def budget_history(
    budget_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a budget, oldest first, with actor and both times."""
    return history_answer(services, Budget, budget_id, limit, cursor, wait_for)
