"""Handlers of the ExpenseClaim commands: `(command, context) -> Decision` each.

The application tells the claim what it cannot know itself: that the claimant (the
caller) is an active employee, that the budget named exists, who the claimant's
manager is (their Employee record, read at the decision), whether the caller holds
finance (or admin), and the expense standards of the settings. The rules are the
claim's (domain/expense_claim.py).

Saved together, in one transaction: a new claim with the receipt it takes
(`ClaimReceipt`); an approval with the budget it books the expense on; a rejection
with the receipt it releases.
"""

from __future__ import annotations

from uuid import uuid4

from application.commands.expense_claims import (
    ApproveExpenseClaim,
    MarkExpenseClaimPaid,
    RejectExpenseClaim,
    SubmitExpenseClaim,
)
from application.context import Context
from application.handlers import Handlers
from application.handlers.employees import active_employee, employee_uuid
from application.messages import Decision
from application.permissions import FINANCE_ROLES
from domain.budget import Budget
from domain.employee import Employee
from domain.errors import Forbidden, ValidationFailed
from domain.expense_claim import ClaimReceipt, ExpenseClaim


def claimant_manager(ctx: Context, claim: ExpenseClaim) -> str | None:
    """The employee id of the claimant's manager as their record stands now, or None."""
    key = employee_uuid(claim.claimant_id)
    claimant = ctx.find(key) if key is not None else None
    return claimant.manager_id if isinstance(claimant, Employee) else None


def as_finance(ctx: Context) -> bool:
    """True when the caller decides on any claim (finance or admin)."""
    return ctx.caller.holds(FINANCE_ROLES)


def submit_expense_claim(cmd: SubmitExpenseClaim, ctx: Context) -> Decision:
    """The claim takes its receipt: a receipt the claimant used before is refused."""
    claim = ExpenseClaim.submit(
        ctx.cause,
        id=uuid4(),
        expense_type=cmd.expense_type,
        amount=cmd.amount,
        spent_on=cmd.spent_on,
        description=cmd.description,
        receipt_ref=cmd.receipt_ref,
        budget_id=cmd.budget_id,
        category=cmd.category,
        period=cmd.period,
        overrun_id=cmd.overrun_id,
        occurred_at=cmd.occurred_at,
    )
    if not isinstance(ctx.find(cmd.budget_id), Budget):
        raise ValidationFailed.of("budget_id", f"no budget {cmd.budget_id}")
    if active_employee(ctx, ctx.cause.actor) is None:
        raise Forbidden("only an employee claims, for themselves")
    held = ctx.find_key(ClaimReceipt.id_for(claim.claimant_id, claim.receipt_ref))
    return Decision(claim, (ClaimReceipt.claim(ctx.cause, claim, held),))


def approve_expense_claim(cmd: ApproveExpenseClaim, ctx: Context) -> Decision:
    """The expense is booked on the claim's budget, saved with the approval."""
    claim = ctx.addressed(cmd.claim_id, ExpenseClaim)
    manager_id = claimant_manager(ctx, claim)
    budget = ctx.load(claim.budget_id, Budget)
    claim.approve(
        ctx.cause,
        budget,
        ctx.policy.expense_standards,
        manager_id=manager_id,
        as_finance=as_finance(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(claim, (budget,))


def reject_expense_claim(cmd: RejectExpenseClaim, ctx: Context) -> Decision:
    """The claim's receipt is released with the rejection: it may be claimed again."""
    claim = ctx.addressed(cmd.claim_id, ExpenseClaim)
    claim.reject(
        ctx.cause,
        cmd.reasons,
        manager_id=claimant_manager(ctx, claim),
        as_finance=as_finance(ctx),
        occurred_at=cmd.occurred_at,
    )
    receipt = ctx.find_key(ClaimReceipt.id_for(claim.claimant_id, claim.receipt_ref))
    if receipt is not None and receipt.release(ctx.cause, claim.id):
        return Decision(claim, (receipt,))
    return Decision(claim)


def mark_expense_claim_paid(cmd: MarkExpenseClaimPaid, ctx: Context) -> Decision:
    claim = ctx.addressed(cmd.claim_id, ExpenseClaim)
    claim.mark_paid(ctx.cause, cmd.paid_on)
    return Decision(claim)


HANDLERS: Handlers = {
    SubmitExpenseClaim: submit_expense_claim,
    ApproveExpenseClaim: approve_expense_claim,
    RejectExpenseClaim: reject_expense_claim,
    MarkExpenseClaimPaid: mark_expense_claim_paid,
}
