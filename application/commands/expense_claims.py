"""ExpenseClaim commands (DOMAIN.md, ExpenseClaim): an employee's claim, decided and paid.

An approval books the claim's expense on its budget in the same transaction, so it
takes the budget's in-process turn like every command on the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from application.commands import Command, Find
from domain.expense_claim import ExpenseClaim


@dataclass(frozen=True)
class SubmitExpenseClaim(Command):
    """The caller, an active employee, claims money they spent on a budget line."""

    permission = "expense_claim.submit"
    creates = True
    expense_type: str
    amount: Decimal
    spent_on: date
    description: str
    receipt_ref: str
    budget_id: UUID
    category: str
    period: str
    overrun_id: UUID | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ApproveExpenseClaim(Command):
    """The claimant's manager or finance approves; the expense is booked on the budget."""

    permission = "expense_claim.approve"
    claim_id: UUID
    occurred_at: datetime | None = None

    def turn(self, find: Find) -> UUID | None:
        """The turn of the claim's budget; none for an id naming no claim."""
        # A claim's budget never changes: the one read here is the one the approval books on.
        claim = find(self.claim_id)
        return claim.budget_id if isinstance(claim, ExpenseClaim) else None


@dataclass(frozen=True)
class RejectExpenseClaim(Command):
    """The claimant's manager or finance rejects the claim for good; its receipt is freed."""

    permission = "expense_claim.reject"
    claim_id: UUID
    reasons: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class MarkExpenseClaimPaid(Command):
    """Finance records the approved claim paid out on a day."""

    permission = "expense_claim.pay"
    claim_id: UUID
    paid_on: date
