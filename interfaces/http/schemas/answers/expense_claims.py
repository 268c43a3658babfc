"""Answers of `/expense-claims`: a claim and the directory."""

from __future__ import annotations

from datetime import date, datetime

from interfaces.http.schemas.answers.common import Aggregate, Answer, Id, Listed, Money, Subject


class Booking(Answer):
    """The approval's booking on the budget: its version, what it consumed, what lay
    above the expense standard."""

    budget_version: int
    consumed: Money
    above_standard: Money


class ExpenseClaimView(Aggregate):
    """An expense claim: what was spent on which budget line, its approval and payment."""

    status: str
    claimant_id: Subject
    expense_type: str
    amount: Money
    spent_on: date
    description: str
    receipt_ref: str
    budget_id: Id
    category: str
    period: str
    overrun_id: Id | None
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: Subject | None
    approver_capacity: str | None
    booking: Booking | None
    rejection: str | None
    paid_on: date | None
    paid_by: Subject | None


class ExpenseClaimItem(Listed):
    """A claim in the directory."""

    status: str
    claimant_id: Subject
    expense_type: str
    amount: Money
    spent_on: date
    receipt_ref: str
    budget_id: Id
    category: str
    period: str
    submitted_at: datetime
    decided_at: datetime | None
    decided_by: Subject | None
    approver_capacity: str | None
    budget_version: int | None
    paid_on: date | None
