"""Bodies of the expense-claim commands (API.md, expense-claims)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import AwareDatetime, Field

from interfaces.http.schemas.budgets import Category, ExpenseType, Period
from interfaces.http.schemas.common import Command, Money, ShortText, Text


class SubmitClaim(Command):
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
    # Beyond API.md, optional: a decision logged late is dated when it was taken; the
    # expense is booked on the budget at that moment.
    occurred_at: AwareDatetime | None = None


class Reject(Command):
    reasons: Text
    occurred_at: AwareDatetime | None = None


class Pay(Command):
    paid_on: date
