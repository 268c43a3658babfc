"""Bodies of the budget commands (API.md, budgets)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictInt

from interfaces.http.schemas.common import Command, Count, Money, ShortText, Text, example

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
    model_config = example(
        {
            "fiscal_year": 2027,
            "name": "Budget 2027",
            "lines": [
                {"category": "promotion", "period": "Q1", "amount": "300000.00"},
                {"category": "sales", "period": "Q1", "amount": "450000.00"},
            ],
            "targets": [
                {"period": "Q1", "revenue": "5000000.00", "units": 400, "new_customers": 25}
            ],
        }
    )
    fiscal_year: StrictInt = Field(ge=1900, le=9998)
    name: ShortText | None = None
    lines: list[BudgetLine] = Field(max_length=16)
    targets: list[SalesTarget] | None = Field(default=None, max_length=4)


class AmendBudget(Command):
    model_config = example(
        {
            "name": "Budget 2027, revised",
            "lines": [{"category": "promotion", "period": "Q1", "amount": "320000.00"}],
        }
    )
    name: ShortText | None = None
    lines: list[BudgetLine] | None = Field(default=None, max_length=16)
    targets: list[SalesTarget] | None = Field(default=None, max_length=4)


class Reasons(Command):
    model_config = example({"reasons": "Promotion spend is 40% above last year's"})
    reasons: Text


class Commit(Command):
    model_config = example(
        {"category": "promotion", "period": "Q1", "amount": "80000.00", "reference": "PO-2027-0015"}
    )
    category: Category
    period: Period
    amount: Money = Field(gt=0)
    # Addressed later as `/commitments/{reference}/release`: no slash, `?` or `#`.
    reference: ShortText = Field(pattern=r"^[^/?#]+$")


class RecordExpense(Command):
    model_config = example(
        {
            "category": "promotion",
            "period": "Q1",
            "amount": "12000.00",
            "expense_type": "advertising",
            "reference": "PO-2027-0015",
            "description": "Trade magazine advertisement, March issue",
        }
    )
    category: Category
    period: Period
    amount: Money = Field(gt=0)
    expense_type: ExpenseType
    reference: ShortText | None = None
    overrun_id: UUID | None = None
    description: Text
    occurred_at: AwareDatetime | None = None


class RequestOverrun(Command):
    model_config = example(
        {
            "category": "promotion",
            "period": "Q1",
            "amount": "50000.00",
            "justification": "An extra booth at the Canton Fair",
        }
    )
    category: Category
    period: Period
    amount: Money = Field(gt=0)
    justification: Text


class Reallocate(Command):
    model_config = example(
        {
            "from_category": "sales",
            "from_period": "Q2",
            "to_category": "promotion",
            "to_period": "Q2",
            "amount": "30000.00",
            "reason": "Spend moved to the spring campaign",
        }
    )
    from_category: Category
    from_period: Period
    to_category: Category
    to_period: Period
    amount: Money = Field(gt=0)
    reason: Text
