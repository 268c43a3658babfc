"""Bodies of the contract commands (API.md, contracts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictInt

from domain.contract import MAX_QUANTITY
from domain.values import MAX_TERM_DAYS
from interfaces.http.schemas.common import Command, Money, ShortText, Text

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
    owner_id: ShortText | None = None
    channel: Channel | None = None
    region: str | None = Field(default=None, max_length=200)
    lines: list[LineBody] | None = Field(default=None, max_length=500)
    payment_term_days: PaymentTerm | None = None
    delivery_due_on: date | None = None
    penalty_rate: PenaltyRate | None = None
    notes: str | None = Field(default=None, max_length=5000)


class ApproveReview(Command):
    department: Department
    comments: str | None = Field(default=None, max_length=5000)


class RejectReview(Command):
    department: Department
    reasons: Text


class Sign(Command):
    signed_on: date


class RecordDelivery(Command):
    lines: dict[ShortText, Quantity] = Field(min_length=1, max_length=500)
    occurred_at: AwareDatetime | None = None


class IssueInvoice(Command):
    amount: Money = Field(gt=0)
    issued_on: date


class RecordPayment(Command):
    amount: Money = Field(gt=0)
    received_on: date
    reference: ShortText


class SendReminder(Command):
    level: StrictInt = Field(ge=1, le=3)
    note: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime | None = None


class WriteOff(Command):
    amount: Money = Field(gt=0)
    reason: Text


class WaivePenalty(Command):
    reason: Text


class ChargeInterest(Command):
    through: date
