"""Handlers of the Budget commands: `(command, context) -> Decision` each."""

from __future__ import annotations

from uuid import uuid4

from application.commands.budgets import (
    AmendBudget,
    ApproveBudget,
    ApproveOverrun,
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
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.budget import Budget, BudgetYear


def draft_budget(cmd: DraftBudget, ctx: Context) -> Decision:
    """The budget claims its fiscal year: a second draft for the year is refused."""
    budget = Budget.draft(
        ctx.cause,
        id=uuid4(),
        fiscal_year=cmd.fiscal_year,
        name=cmd.name,
        lines=cmd.lines,
        targets=cmd.targets or (),
    )
    held = ctx.find_key(BudgetYear.id_for(cmd.fiscal_year))
    return Decision(budget, (BudgetYear.claim(ctx.cause, cmd.fiscal_year, budget.id, held),))


def amend_budget(cmd: AmendBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.amend(ctx.cause, **cmd.changes)
    return Decision(budget)


def submit_budget(cmd: SubmitBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.submit(ctx.cause)
    return Decision(budget)


def approve_budget(cmd: ApproveBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.approve(ctx.cause)
    return Decision(budget)


def reject_budget(cmd: RejectBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.reject(ctx.cause, cmd.reasons)
    return Decision(budget)


def close_budget(cmd: CloseBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.close(ctx.cause)
    return Decision(budget)


def commit_budget(cmd: CommitBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.commit(
        ctx.cause,
        category=cmd.category,
        period=cmd.period,
        amount=cmd.amount,
        reference=cmd.reference,
    )
    return Decision(budget)


def release_commitment(cmd: ReleaseCommitment, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.release_commitment(ctx.cause, cmd.reference)
    return Decision(budget)


def record_expense(cmd: RecordExpense, ctx: Context) -> Decision:
    """The expense standards are the policy's."""
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.record_expense(
        ctx.cause,
        ctx.policy.expense_standards,
        category=cmd.category,
        period=cmd.period,
        amount=cmd.amount,
        expense_type=cmd.expense_type,
        description=cmd.description,
        reference=cmd.reference,
        overrun_id=cmd.overrun_id,
        occurred_at=cmd.occurred_at,
    )
    return Decision(budget)


def request_overrun(cmd: RequestOverrun, ctx: Context) -> Decision:
    """The answer names the new overrun (`overrun_id`)."""
    budget = ctx.addressed(cmd.budget_id, Budget)
    overrun_id = uuid4()
    budget.request_overrun(
        ctx.cause,
        overrun_id=overrun_id,
        category=cmd.category,
        period=cmd.period,
        amount=cmd.amount,
        justification=cmd.justification,
    )
    return Decision(budget, extra={"overrun_id": str(overrun_id)})


def approve_overrun(cmd: ApproveOverrun, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.approve_overrun(ctx.cause, cmd.overrun_id)
    return Decision(budget)


def reject_overrun(cmd: RejectOverrun, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.reject_overrun(ctx.cause, cmd.overrun_id, cmd.reasons)
    return Decision(budget)


def reallocate_budget(cmd: ReallocateBudget, ctx: Context) -> Decision:
    budget = ctx.addressed(cmd.budget_id, Budget)
    budget.reallocate(
        ctx.cause,
        from_category=cmd.from_category,
        from_period=cmd.from_period,
        to_category=cmd.to_category,
        to_period=cmd.to_period,
        amount=cmd.amount,
        reason=cmd.reason,
    )
    return Decision(budget)


HANDLERS: Handlers = {
    DraftBudget: draft_budget,
    AmendBudget: amend_budget,
    SubmitBudget: submit_budget,
    ApproveBudget: approve_budget,
    RejectBudget: reject_budget,
    CloseBudget: close_budget,
    CommitBudget: commit_budget,
    ReleaseCommitment: release_commitment,
    RecordExpense: record_expense,
    RequestOverrun: request_overrun,
    ApproveOverrun: approve_overrun,
    RejectOverrun: reject_overrun,
    ReallocateBudget: reallocate_budget,
}
