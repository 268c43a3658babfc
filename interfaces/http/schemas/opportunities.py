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

from interfaces.http.schemas.common import Command, Money, ShortText, Text, example
from interfaces.http.schemas.contracts import PaymentTerm, Quantity

Stage = Literal["qualification", "needs_analysis", "proposal", "negotiation"]
LossReason = Literal["price", "product", "timing", "competitor", "no_decision", "other"]
Channel = Literal["direct", "distributor", "online", "agent"]


class OpenOpportunity(Command):
    model_config = example(
        {
            "customer_id": "3f2b8c1e-6a4d-4e8b-9c1a-2d5e7f9a0b1c",
            "title": "Pumps for the Ningbo plant expansion",
            "expected_value": "250000.00",
            "expected_close_on": "2026-06-30",
            "source": "exhibition",
            "competitors": ["Grundfos"],
        }
    )
    customer_id: UUID
    title: ShortText
    expected_value: Money = Field(gt=0)
    expected_close_on: date
    source: ShortText | None = None
    competitors: list[ShortText] | None = Field(default=None, max_length=50)
    owner_id: ShortText | None = None
    occurred_at: AwareDatetime | None = None


class Advance(Command):
    model_config = example({"to_stage": "needs_analysis", "note": "Site visit done"})
    to_stage: Stage
    note: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class Regress(Command):
    model_config = example(
        {"to_stage": "needs_analysis", "reason": "The customer changed the specification"}
    )
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
    model_config = example(
        {
            "lines": [
                {
                    "sku": "PUMP-200",
                    "quantity": 20,
                    "unit_price": "12000.00",
                    "unit_cost": "8200.00",
                }
            ],
            "valid_until": "2026-05-31",
            "payment_term_days": 30,
        }
    )
    lines: list[QuoteLine] = Field(min_length=1, max_length=500)
    valid_until: date
    payment_term_days: PaymentTerm
    occurred_at: AwareDatetime | None = None


class RecordNegotiation(Command):
    model_config = example(
        {"summary": "Price and delivery discussed", "concessions": "Free installation"}
    )
    summary: Text
    concessions: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class Win(Command):
    model_config = example(
        {
            "quote_id": "c41e9b07-2f6d-4a85-b3e1-7a9d0c5f6e12",
            "delivery_due_on": "2026-07-31",
            "channel": "direct",
        }
    )
    quote_id: UUID
    delivery_due_on: date
    channel: Channel = "direct"
    occurred_at: AwareDatetime | None = None


class Lose(Command):
    model_config = example({"reason": "price", "competitor": "Grundfos"})
    reason: LossReason
    competitor: ShortText | None = None
    occurred_at: AwareDatetime | None = None


class Reopen(Command):
    model_config = example({})
    occurred_at: AwareDatetime | None = None
