"""Bodies of the contract commands (API.md, contracts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictInt

from domain.contract import MAX_QUANTITY
from domain.values import MAX_TERM_DAYS
from interfaces.http.schemas.common import Command, Money, ShortText, Text, example

Channel = Literal["direct", "distributor", "online", "agent"]
Department = Literal["legal", "finance", "pricing", "executive"]
PaymentTerm = Annotated[int, Field(ge=0, le=MAX_TERM_DAYS, strict=True)]
# A daily rate, a fraction to six places (0.0005 is 0.05 % a day).
PenaltyRate = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6, allow_inf_nan=False)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]


class LineBody(Command):
    sku: ShortText
    description: str | None = Field(default=None, max_length=1000)
    quantity: Quantity
    unit_price: Money = Field(ge=0)
    unit_cost: Money = Field(ge=0)


class DraftContract(Command):
    model_config = example(
        {
            "customer_id": "3f2b8c1e-6a4d-4e8b-9c1a-2d5e7f9a0b1c",
            "channel": "direct",
            "region": "East",
            "lines": [
                {
                    "sku": "PUMP-200",
                    "description": "Industrial pump, 200 l/min",
                    "quantity": 10,
                    "unit_price": "12500.00",
                    "unit_cost": "8200.00",
                }
            ],
            "payment_term_days": 30,
            "delivery_due_on": "2026-05-31",
            "penalty_rate": "0.001",
            "notes": "Delivery to the Ningbo plant",
        }
    )
    customer_id: UUID
    owner_id: ShortText | None = None
    channel: Channel
    region: str | None = Field(default=None, max_length=200)
    lines: list[LineBody] = Field(max_length=500)
    payment_term_days: PaymentTerm
    delivery_due_on: date
    penalty_rate: PenaltyRate | None = None
    notes: str | None = Field(default=None, max_length=5000)


class AmendContract(Command):
    model_config = example({"payment_term_days": 45, "notes": "Term agreed at 45 days"})
    owner_id: ShortText | None = None
    channel: Channel | None = None
    region: str | None = Field(default=None, max_length=200)
    lines: list[LineBody] | None = Field(default=None, max_length=500)
    payment_term_days: PaymentTerm | None = None
    delivery_due_on: date | None = None
    penalty_rate: PenaltyRate | None = None
    notes: str | None = Field(default=None, max_length=5000)


class ApproveReview(Command):
    model_config = example({"department": "finance", "comments": "Within the customer's limit"})
    department: Department
    comments: str | None = Field(default=None, max_length=5000)


class RejectReview(Command):
    model_config = example({"department": "legal", "reasons": "The liability clause is missing"})
    department: Department
    reasons: Text


class Sign(Command):
    model_config = example({"signed_on": "2026-04-02"})
    signed_on: date


class RecordDelivery(Command):
    model_config = example({"lines": {"PUMP-200": 4}})
    lines: dict[ShortText, Quantity] = Field(min_length=1, max_length=500)
    occurred_at: AwareDatetime | None = None


class IssueInvoice(Command):
    model_config = example({"amount": "50000.00", "issued_on": "2026-04-20"})
    amount: Money = Field(gt=0)
    issued_on: date


class RecordPayment(Command):
    model_config = example(
        {"amount": "50000.00", "received_on": "2026-05-18", "reference": "BOC-20260518-0042"}
    )
    amount: Money = Field(gt=0)
    received_on: date
    reference: ShortText


class SendReminder(Command):
    model_config = example({"level": 1, "note": "Invoice overdue since 2026-05-20"})
    level: StrictInt = Field(ge=1, le=3)
    note: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class WriteOff(Command):
    model_config = example(
        {"amount": "1200.00", "reason": "Customer insolvent; the settlement closed"}
    )
    amount: Money = Field(gt=0)
    reason: Text


class WaivePenalty(Command):
    model_config = example({"reason": "The delay was our own carrier's"})
    reason: Text


class ChargeInterest(Command):
    model_config = example({"through": "2026-06-30"})
    through: date
