"""Budget commands (DOMAIN.md, Budget): planning, approval and execution of a fiscal year.

The Budget is the hot aggregate of the company (every commitment, expense and campaign
result appends to it): a command on one takes the budget's in-process turn, so that
racing threads queue instead of losing most optimistic races to each other (eight
clients on one line lost about five races per accepted commitment, and some answered
409 after twelve). Other processes still race, optimistically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from application.commands import Command, Find


class BudgetChanges(TypedDict, total=False):
    """The fields of a draft an amendment names; lines and targets replace the old ones."""

    name: str | None
    lines: Sequence[Mapping[str, Any]] | None
    targets: Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True)
class DraftBudget(Command):
    """Draft the budget of a fiscal year; a second one for the year is refused."""

    permission = "budget.draft"
    creates = True
    fiscal_year: int
    # Planned amounts, each {category, period, amount}.
    lines: Sequence[Mapping[str, Any]]
    name: str | None = None
    # Sales targets, each {period, revenue, units, new_customers}.
    targets: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class BudgetCommand(Command):
    """A command on one existing budget: it takes the budget's in-process turn."""

    budget_id: UUID

    def turn(self, find: Find) -> UUID:
        """The budget's own turn."""
        return self.budget_id


@dataclass(frozen=True)
class AmendBudget(BudgetCommand):
    """Revise a draft budget: its name, lines or targets."""

    permission = "budget.amend"
    changes: BudgetChanges


@dataclass(frozen=True)
class SubmitBudget(BudgetCommand):
    """Put the draft before an executive."""

    permission = "budget.submit"


@dataclass(frozen=True)
class ApproveBudget(BudgetCommand):
    """An executive other than the submitter approves the budget; execution may start."""

    permission = "budget.approve"


@dataclass(frozen=True)
class RejectBudget(BudgetCommand):
    """An executive other than the submitter sends the budget back to draft, with reasons."""

    permission = "budget.reject"
    reasons: str


@dataclass(frozen=True)
class CloseBudget(BudgetCommand):
    """Close the year's budget: nothing more is committed or spent on it."""

    permission = "budget.close"


@dataclass(frozen=True)
class CommitBudget(BudgetCommand):
    """Reserve money of a line for a purpose named by its reference."""

    permission = "budget.commit"
    category: str
    period: str
    amount: Decimal
    reference: str


@dataclass(frozen=True)
class ReleaseCommitment(BudgetCommand):
    """Give back what is still open of a commitment."""

    permission = "budget.release_commitment"
    reference: str


@dataclass(frozen=True)
class RecordExpense(BudgetCommand):
    """Book an expense on a line, under the expense standards of the settings."""

    permission = "budget.expense"
    category: str
    period: str
    amount: Decimal
    expense_type: str
    description: str
    reference: str | None = None
    overrun_id: UUID | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RequestOverrun(BudgetCommand):
    """Ask for money beyond a line's budget; answers the overrun's id."""

    permission = "budget.overrun_request"
    category: str
    period: str
    amount: Decimal
    justification: str


@dataclass(frozen=True)
class ApproveOverrun(BudgetCommand):
    """An executive other than the requester grants an overrun."""

    permission = "budget.overrun_approve"
    overrun_id: UUID


@dataclass(frozen=True)
class RejectOverrun(BudgetCommand):
    """An executive other than the requester refuses an overrun, with reasons."""

    permission = "budget.overrun_reject"
    overrun_id: UUID
    reasons: str


@dataclass(frozen=True)
class ReallocateBudget(BudgetCommand):
    """Move available money from one line to another."""

    permission = "budget.reallocate"
    from_category: str
    from_period: str
    to_category: str
    to_period: str
    amount: Decimal
    reason: str
