"""ExpenseClaim commands of the back office (DOMAIN.md, ExpenseClaim).

The application tells the claim what it cannot know itself: that the claimant (the
caller) is an active employee, that the budget named exists, who the claimant's
manager is (their Employee record, read at the decision), whether the caller holds
finance (or admin), and the expense standards of the settings. The rules are the
claim's (domain/expense_claim.py).

Saved together, in one transaction: a new claim with the receipt it takes
(`ClaimReceipt`); an approval with the budget it books the expense on; a rejection
with the receipt it releases. The approval takes the budget's in-process turn
(`budget_lock`) like every budget command, and a race with another process is
decided again on fresh state by `_run`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from application.budgets import budget_lock
from application.employees import employee_uuid
from domain.budget import Budget, BudgetYear
from domain.employee import Employee
from domain.errors import Forbidden, ValidationFailed
from domain.expense_claim import ClaimReceipt, ExpenseClaim
from domain.values import Cause

if TYPE_CHECKING:
    from collections.abc import Callable

    from application.backoffice import Backoffice, Decision, Outcome, Request

# Roles that decide on any claim, besides the claimant's manager.
DECIDING_ROLES = frozenset({"finance", "admin"})


class ExpenseClaimCommands:
    """The ExpenseClaim commands; a part of `Backoffice`, whose machinery they use."""

    def submit_expense_claim(
        self: Backoffice,
        request: Request,
        *,
        expense_type: str,
        amount: Decimal,
        spent_on: date,
        description: str,
        receipt_ref: str,
        budget_id: UUID,
        category: str,
        period: str,
        overrun_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """The caller, an active employee, claims money they spent on a budget line."""

        def decide(cause: Cause) -> Decision:
            claim = ExpenseClaim.submit(
                cause,
                id=uuid4(),
                expense_type=expense_type,
                amount=amount,
                spent_on=spent_on,
                description=description,
                receipt_ref=receipt_ref,
                budget_id=budget_id,
                category=category,
                period=period,
                overrun_id=overrun_id,
                occurred_at=occurred_at,
            )
            if not isinstance(self._find(budget_id), Budget):
                raise ValidationFailed.of("budget_id", f"no budget {budget_id}")
            if self._active_employee(cause.actor) is None:
                raise Forbidden("only an employee claims, for themselves")
            held = self._find_key(ClaimReceipt.id_for(claim.claimant_id, claim.receipt_ref))
            return claim, [ClaimReceipt.claim(cause, claim, held)], {}

        return self._run(request, "expense_claim.submit", decide, created=True)

    def _claimant_manager(self: Backoffice, claim: ExpenseClaim) -> str | None:
        key = employee_uuid(claim.claimant_id)
        claimant = self._find(key) if key is not None else None
        return claimant.manager_id if isinstance(claimant, Employee) else None

    def _decide_claim(
        self: Backoffice,
        request: Request,
        command: str,
        claim_id: UUID,
        act: Callable[[ExpenseClaim, Cause, str | None, bool], list[Any]],
    ) -> Outcome:
        """Approve or reject: the caller's capacity is the claimant's manager or finance."""
        as_finance = bool(request.caller.roles & DECIDING_ROLES)

        def decide(claim: ExpenseClaim, cause: Cause) -> tuple[list[Any], dict]:
            return act(claim, cause, self._claimant_manager(claim), as_finance), {}

        return self._change(request, command, claim_id, ExpenseClaim, decide)

    def approve_expense_claim(
        self: Backoffice, request: Request, claim_id: UUID, occurred_at: datetime | None = None
    ) -> Outcome:
        """Approve the claim and book its expense on the budget, in one transaction."""

        def act(
            claim: ExpenseClaim, cause: Cause, manager_id: str | None, as_finance: bool
        ) -> list[Any]:
            budget = self._load(claim.budget_id, Budget)
            claim.approve(
                cause,
                budget,
                self.policy.expense_standards,
                manager_id=manager_id,
                as_finance=as_finance,
                occurred_at=occurred_at,
            )
            return [budget]

        # A claim's budget never changes: the one read here is the one the approval books on.
        claim = self._find(claim_id)
        if not isinstance(claim, ExpenseClaim):
            return self._decide_claim(request, "expense_claim.approve", claim_id, act)
        with budget_lock(claim.budget_id):
            return self._decide_claim(request, "expense_claim.approve", claim_id, act)

    def reject_expense_claim(
        self: Backoffice,
        request: Request,
        claim_id: UUID,
        reasons: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Reject the claim for good; its receipt may be claimed again."""

        def act(
            claim: ExpenseClaim, cause: Cause, manager_id: str | None, as_finance: bool
        ) -> list[Any]:
            claim.reject(
                cause,
                reasons,
                manager_id=manager_id,
                as_finance=as_finance,
                occurred_at=occurred_at,
            )
            receipt = self._find_key(ClaimReceipt.id_for(claim.claimant_id, claim.receipt_ref))
            return [receipt] if receipt is not None and receipt.release(cause, claim.id) else []

        return self._decide_claim(request, "expense_claim.reject", claim_id, act)

    def pay_expense_claim(
        self: Backoffice, request: Request, claim_id: UUID, paid_on: date
    ) -> Outcome:
        """Finance records the claim paid out on a day."""
        return self._change(
            request,
            "expense_claim.pay",
            claim_id,
            ExpenseClaim,
            lambda c, cause: c.mark_paid(cause, paid_on),
        )

    def budget_of_year(self: Backoffice, fiscal_year: int) -> UUID | None:
        """The id of the budget of a fiscal year, or None when the year has none."""
        year = self._find_key(BudgetYear.id_for(fiscal_year))
        return None if year is None else year.budget_id
