"""Bodies of the opportunity commands (API.md, opportunities).

Beyond API.md, each command takes an optional `occurred_at` (business time; the
back-dating window applies), and a quote line an optional `description` (the line of
the contract a win drafts).
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from interfaces.http.schemas.common import Command, Money, ShortText, Text
from interfaces.http.schemas.contracts import PaymentTerm, Quantity

Stage = Literal["qualification", "needs_analysis", "proposal", "negotiation"]
LossReason = Literal["price", "product", "timing", "competitor", "no_decision", "other"]
Channel = Literal["direct", "distributor", "online", "agent"]


class OpenOpportunity(Command):
    customer_id: UUID
    title: ShortText
    expected_value: Money = Field(gt=0)
    expected_close_on: date
    source: ShortText | None = None
    competitors: list[ShortText] | None = Field(default=None, max_length=50)
    owner_id: ShortText | None = None
    occurred_at: AwareDatetime | None = None


class Advance(Command):
    to_stage: Stage
    note: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class Regress(Command):
    to_stage: Stage
    reason: Text
    note: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class QuoteLine(Command):
    sku: ShortText
    description: str | None = Field(default=None, max_length=1000)
    quantity: Quantity
    unit_price: Money | None = Field(default=None, ge=0)
    unit_cost: Money = Field(ge=0)


class AddQuote(Command):
    lines: list[QuoteLine] = Field(min_length=1, max_length=500)
    valid_until: date
    payment_term_days: PaymentTerm
    occurred_at: AwareDatetime | None = None


class RecordNegotiation(Command):
    summary: Text
    concessions: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class Win(Command):
    quote_id: UUID
    delivery_due_on: date
    channel: Channel = "direct"
    occurred_at: AwareDatetime | None = None


class Lose(Command):
    reason: LossReason
    competitor: ShortText | None = None
    occurred_at: AwareDatetime | None = None


class Reopen(Command):
    occurred_at: AwareDatetime | None = None
