"""Answers of `/budgets`: a budget and the directory."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from interfaces.http.schemas.answers.common import Aggregate, Answer, Id, Listed, Money, Subject


class BudgetLine(Answer):
    """A line of a category and quarter: planned, moved, granted, committed, spent, left."""

    category: str
    period: str = Field(examples=["Q1"])
    planned: Money
    adjustments: Money
    overruns_approved: Money
    committed: Money
    spent: Money
    available: Money


class BudgetTarget(Answer):
    """What the budget's quarter (or year) aims at; null where no target is set."""

    period: str
    revenue: Money | None = None
    units: int | None = None
    new_customers: int | None = None


class Commitment(Answer):
    """Money of a line reserved for a purpose named by its reference."""

    reference: str
    category: str
    period: str
    amount: Money
    open: Money
    released: bool


class Overrun(Answer):
    """A request for money beyond a line's budget, and its decision."""

    id: Id
    category: str
    period: str
    amount: Money
    justification: str
    status: str
    requested_by: Subject
    decided_by: Subject | None
    reasons: str | None
    used: Money


class BudgetView(Aggregate):
    """A budget: its lines per category and quarter, targets, commitments and overruns."""

    status: str
    fiscal_year: int
    name: str
    lines: list[BudgetLine]
    targets: list[BudgetTarget]
    commitments: list[Commitment]
    overruns: list[Overrun]
    spent_by_type: dict[str, Money] = Field(description="spent per expense type")
    submitted_by: Subject | None
    approved_by: Subject | None
    rejection: str | None


class BudgetItem(Listed):
    """A budget in the directory."""

    fiscal_year: int
    name: str
    status: str
    submitted_by: Subject | None
    approved_by: Subject | None
    drafted_at: datetime
