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

from domain.expense_claim import ExpenseClaim
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import expense_claims as bodies
from projections.events import iso_utc

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
        "decided_at": None if claim.decided_at is None else iso_utc(claim.decided_at),
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


create_route(
    router,
    ExpenseClaim,
    "expense_claim.submit",
    bodies.SubmitClaim,
    lambda app, cmd, body: app.submit_expense_claim(cmd, **body.model_dump()),
)

for path, permission, model, call in (
    (
        "/{id}/approve",
        "expense_claim.approve",
        bodies.Approve,
        lambda a, c, i, b: a.approve_expense_claim(c, i, b.occurred_at),
    ),
    (
        "/{id}/reject",
        "expense_claim.reject",
        bodies.Reject,
        lambda a, c, i, b: a.reject_expense_claim(c, i, b.reasons, b.occurred_at),
    ),
    (
        "/{id}/pay",
        "expense_claim.pay",
        bodies.Pay,
        lambda a, c, i, b: a.pay_expense_claim(c, i, b.paid_on),
    ),
):
    command_route(router, ExpenseClaim, path, permission, model, call)


@router.get("")
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


aggregate_reads(router, ExpenseClaim, represent)
