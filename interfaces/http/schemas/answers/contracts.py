"""Answers of `/contracts`: a contract, an invoice, the directory."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from interfaces.http.openapi import CommandAnswer
from interfaces.http.schemas.answers.common import (
    Aggregate,
    Answer,
    Decimal,
    Id,
    Listed,
    Money,
    Ratio,
    Subject,
)


class ContractLine(Answer):
    """A line: a sku, how many, at what price and cost, and how many were delivered."""

    sku: str
    description: str | None
    quantity: int
    unit_price: Money
    unit_cost: Money
    total: Money
    cost: Money
    delivered: int


class RequiredReview(Answer):
    """A department that must approve the contract, and why."""

    department: str
    reason: str


class LinePricing(Answer):
    """A line's price against the list price in force when it was submitted."""

    sku: str
    price_list_id: Id
    list_price: Money
    floor_price: Money | None
    unit_price: Money
    discount: Ratio


class Invoice(Answer):
    """An invoice: its amount, due date, and what payments settled of it."""

    id: Id
    amount: Money
    issued_on: date
    due_on: date
    settled: Money
    open: Money


class Reminder(Answer):
    """A dunning reminder sent, with the amount overdue then."""

    level: int = Field(ge=1, le=3)
    at: datetime
    overdue_amount: Money


class Penalty(Answer):
    """A late-delivery penalty credited to the customer (capped), unless waived."""

    id: Id
    amount: Money
    days_late: int
    assessed_on: date
    waived: bool
    applied: Money


class InterestBasis(Answer):
    """The overdue days of an invoice that a debit note charges interest for."""

    invoice_id: Id
    first_day: date
    last_day: date
    days: int
    amount: Money


class DebitNote(Answer):
    """Late-payment interest charged through a day, and what payments settled of it."""

    id: Id
    amount: Money
    issued_on: date
    due_on: date
    settled: Money
    open: Money
    basis: list[InterestBasis]


class ContractView(Aggregate):
    """A contract: its lines, reviews, signing, deliveries and receivable."""

    status: str
    customer_id: Id
    owner_id: Subject
    channel: str
    region: str | None
    lines: list[ContractLine]
    total: Money
    cost: Money
    payment_term_days: int
    delivery_due_on: date
    penalty_rate: Decimal
    notes: str | None
    submitted_by: Subject | None
    required_reviews: list[RequiredReview]
    reviews: dict[str, str] = Field(
        description='each required department: "pending", "approved" or "rejected"'
    )
    discount_limit: Ratio | None
    line_pricing: list[LinePricing]
    signed_on: date | None
    late_deliveries: int
    invoices: list[Invoice]
    invoiced: Money
    paid: Money
    written_off: Money
    outstanding: Money
    penalties: list[Penalty]
    penalties_credited: Money
    unapplied_credit: Money
    debit_notes: list[DebitNote]
    interest_charged: Money
    exposure: Money
    reminders: list[Reminder]
    closing_reason: str | None
    completed_at: datetime | None


class ContractItem(Listed):
    """A contract in the directory."""

    customer_id: Id
    owner_id: Subject
    status: str
    channel: str
    region: str | None
    total: Money
    signed_on: date | None
    drafted_at: datetime


class AssessedPenalty(Answer):
    """The penalty a late delivery assessed (capped at the contract's share)."""

    id: Id
    amount: Money
    days_late: int


class DeliveryRecorded(CommandAnswer):
    """A delivery's answer: the contract's id and version, and the penalty it assessed
    when it came late (absent otherwise)."""

    penalty: AssessedPenalty | SkipJsonSchema[None] = Field(
        default=None, description="the late-delivery penalty assessed, if any"
    )


class InterestCharged(CommandAnswer):
    """`interest`'s answer: the new debit note's id (`id`), the contract's version, and
    the interest charged."""

    amount: Money | SkipJsonSchema[None] = Field(default=None, description="the interest")
