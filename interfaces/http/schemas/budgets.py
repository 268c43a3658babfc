"""Bodies of the budget commands (API.md, budgets)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictInt

from interfaces.http.schemas.common import Command, Count, Money, ShortText, Text

Category = Literal["sales", "promotion", "customer_service", "personnel"]
Period = Literal["Q1", "Q2", "Q3", "Q4"]
ExpenseType = Literal[
    "advertising", "event", "travel", "entertainment", "office", "training", "salary", "other"
]


class BudgetLine(Command):
    category: Category
    period: Period
    amount: Money = Field(ge=0)


class SalesTarget(Command):
    period: Period
    revenue: Money | None = Field(default=None, ge=0)
    units: Count | None = None
    new_customers: Count | None = None


class DraftBudget(Command):
    fiscal_year: StrictInt = Field(ge=1900, le=9998)
    name: ShortText | None = None
    lines: list[BudgetLine] = Field(max_length=16)
    targets: list[SalesTarget] | None = Field(default=None, max_length=4)


class AmendBudget(Command):
    name: ShortText | None = None
    lines: list[BudgetLine] | None = Field(default=None, max_length=16)
    targets: list[SalesTarget] | None = Field(default=None, max_length=4)


class Reasons(Command):
    reasons: Text


class Commit(Command):
    category: Category
    period: Period
    amount: Money = Field(gt=0)
    # Addressed later as `/commitments/{reference}/release`: no slash, `?` or `#`.
    reference: ShortText = Field(pattern=r"^[^/?#]+$")


class RecordExpense(Command):
    category: Category
    period: Period
    amount: Money = Field(gt=0)
    expense_type: ExpenseType
    reference: ShortText | None = None
    overrun_id: UUID | None = None
    description: Text
    occurred_at: AwareDatetime | None = None


class RequestOverrun(Command):
    category: Category
    period: Period
    amount: Money = Field(gt=0)
    justification: Text


class Reallocate(Command):
    from_category: Category
    from_period: Period
    to_category: Category
    to_period: Period
    amount: Money = Field(gt=0)
    reason: Text
