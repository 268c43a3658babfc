"""`/expense-claims`: commands, the claim now and as of a time, its history, and the list.

`POST /expense-claims` submits a claim of the caller (201, Location); `approve`,
`reject` and `pay` act on it. `GET /expense-claims/{id}` shows the claim, who decided
in which capacity (`manager` or `finance`), and the booking its approval made on the
budget (`budget_version`, `consumed`, `above_standard`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.expense_claims import (
    ApproveExpenseClaim,
    MarkExpenseClaimPaid,
    RejectExpenseClaim,
    SubmitExpenseClaim,
)
from domain.expense_claim import ExpenseClaim
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, iso_utc_or_none
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import expense_claims as bodies
from interfaces.http.schemas.answers import expense_claims as answers

router = APIRouter(prefix="/expense-claims", tags=["expense claims"])


def represent(claim: ExpenseClaim) -> dict[str, Any]:
    """A claim as `GET /expense-claims/{id}` answers it."""
    booking = claim.booking
    return {
        "id": str(claim.id),
        "version": claim.version,
        "status": claim.status,
        "claimant_id": claim.claimant_id,
        "expense_type": claim.expense_type,
        "amount": str(claim.amount),
        "spent_on": claim.spent_on.isoformat(),
        "description": claim.description,
        "receipt_ref": claim.receipt_ref,
        "budget_id": str(claim.budget_id),
        "category": claim.category,
        "period": claim.period,
        "overrun_id": None if claim.overrun_id is None else str(claim.overrun_id),
        "submitted_at": iso_utc(claim.submitted_at),
        "decided_at": iso_utc_or_none(claim.decided_at),
        "decided_by": claim.decided_by,
        "approver_capacity": claim.approver_capacity,
        "booking": None
        if booking is None
        else {
            "budget_version": booking["budget_version"],
            "consumed": str(booking["consumed"]),
            "above_standard": str(booking["above_standard"]),
        },
        "rejection": claim.rejection,
        "paid_on": None if claim.paid_on is None else claim.paid_on.isoformat(),
        "paid_by": claim.paid_by,
        "created_at": iso_utc(claim.created_on),
        "updated_at": iso_utc(claim.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "claimant_id": row["claimant_id"],
        "expense_type": row["expense_type"],
        "amount": row["amount"],
        "spent_on": row["spent_on"],
        "receipt_ref": row["receipt_ref"],
        "budget_id": row["budget_id"],
        "category": row["category"],
        "period": row["period"],
        "submitted_at": row["submitted_at"],
        "decided_at": row["decided_at"],
        "decided_by": row["decided_by"],
        "approver_capacity": row["approver_capacity"],
        "budget_version": row["budget_version"],
        "paid_on": row["paid_on"],
        "version": row["version"],
        "position": row["submitted_position"],
    }


@router.post("", status_code=201, openapi_extra=body_schema(bodies.SubmitClaim), responses=CREATE)
async def submit_expense_claim(call: CommandDep) -> JSONResponse:
    """Claim money the caller spent on a budget line (any active employee, for themselves)."""
    body = await call.read(SubmitExpenseClaim, bodies.SubmitClaim)
    command = SubmitExpenseClaim(
        expense_type=body.expense_type,
        amount=body.amount,
        spent_on=body.spent_on,
        description=body.description,
        receipt_ref=body.receipt_ref,
        budget_id=body.budget_id,
        category=body.category,
        period=body.period,
        overrun_id=body.overrun_id,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{claim_id}/approve", openapi_extra=body_schema(bodies.Approve), responses=COMMAND)
async def approve_expense_claim(claim_id: UUID, call: CommandDep) -> JSONResponse:
    """Approve and book the expense on the budget (the claimant's manager, or finance)."""
    body = await call.read(ApproveExpenseClaim, bodies.Approve, Target(ExpenseClaim, claim_id))
    return await call.answer(ApproveExpenseClaim(claim_id, body.occurred_at))


@router.post("/{claim_id}/reject", openapi_extra=body_schema(bodies.Reject), responses=COMMAND)
async def reject_expense_claim(claim_id: UUID, call: CommandDep) -> JSONResponse:
    """Reject the claim for good, with reasons (the claimant's manager, or finance)."""
    body = await call.read(RejectExpenseClaim, bodies.Reject, Target(ExpenseClaim, claim_id))
    return await call.answer(RejectExpenseClaim(claim_id, body.reasons, body.occurred_at))


@router.post("/{claim_id}/pay", openapi_extra=body_schema(bodies.Pay), responses=COMMAND)
async def pay_expense_claim(claim_id: UUID, call: CommandDep) -> JSONResponse:
    """Record the approved claim paid out on a day (finance)."""
    body = await call.read(MarkExpenseClaimPaid, bodies.Pay, Target(ExpenseClaim, claim_id))
    return await call.answer(MarkExpenseClaimPaid(claim_id, body.paid_on))


@router.get("", responses=list_of(answers.ExpenseClaimItem))
def list_expense_claims(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    claimant_id: str | None = None,
    budget_id: UUID | None = None,
    category: str | None = None,
    period: str | None = None,
    expense_type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Expense claims in the order they were submitted, filtered."""
    return directory_answer(
        services,
        "expense_claims",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        claimant_id=claimant_id,
        budget_id=str(budget_id) if budget_id else None,
        category=category,
        period=period,
        expense_type=expense_type,
    )


@router.get("/{claim_id}", responses=read_of(answers.ExpenseClaimView))
def get_expense_claim(
    claim_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A claim now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, ExpenseClaim, claim_id, version, as_of, represent)


@router.get("/{claim_id}/history", responses=history_of())
def expense_claim_history(
    claim_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a claim, oldest first, with actor and both times."""
    return history_answer(services, ExpenseClaim, claim_id, limit, cursor, wait_for)
