"""Bodies of the expense-claim commands (API.md, expense-claims)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import AwareDatetime, Field

from interfaces.http.schemas.budgets import Category, ExpenseType, Period
from interfaces.http.schemas.common import Command, Money, ShortText, Text, example


class SubmitClaim(Command):
    model_config = example(
        {
            "expense_type": "travel",
            "amount": "2350.00",
            "spent_on": "2026-03-12",
            "description": "Train and hotel, a customer visit in Suzhou",
            "receipt_ref": "RC-2026-0311",
            "budget_id": "8d0c6a52-91e4-4f3b-a6c2-5b7e1d9f3a48",
            "category": "sales",
            "period": "Q1",
        }
    )
    expense_type: ExpenseType
    amount: Money = Field(gt=0)
    spent_on: date
    description: Text
    receipt_ref: ShortText
    budget_id: UUID
    category: Category
    period: Period
    overrun_id: UUID | None = None
    # Beyond API.md, optional: a claim filed on paper and keyed in later may be dated
    # when it was handed in. Clients that leave it out get "now".
    occurred_at: AwareDatetime | None = None


class Approve(Command):
    model_config = example({})
    # Beyond API.md, optional: a decision logged late is dated when it was taken; the
    # expense is booked on the budget at that moment.
    occurred_at: AwareDatetime | None = None


class Reject(Command):
    model_config = example({"reasons": "No receipt attached"})
    reasons: Text
    occurred_at: AwareDatetime | None = None


class Pay(Command):
    model_config = example({"paid_on": "2026-03-25"})
    paid_on: date
