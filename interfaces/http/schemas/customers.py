"""Bodies of the customer commands (API.md, customers)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictBool, StrictInt

from domain.values import MAX_TERM_DAYS
from interfaces.http.schemas.common import (
    Command,
    Money,
    PositiveCount,
    Score1to5,
    ShortText,
    Text,
)


class ContactBody(Command):
    name: ShortText
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=200)


class RegisterLead(Command):
    name: ShortText
    kind: Literal["company", "person"]
    industry: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    source: Literal[
        "phone", "email", "web", "social", "exhibition", "referral", "campaign", "other"
    ]
    campaign_id: UUID | None = None
    contacts: list[ContactBody] = Field(max_length=50)
    owner_id: str | None = Field(default=None, max_length=200)
    tags: list[ShortText] | None = Field(default=None, max_length=50)


class UpdateProfile(Command):
    name: ShortText | None = None
    industry: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    contacts: list[ContactBody] | None = Field(default=None, max_length=50)
    tags: list[ShortText] | None = Field(default=None, max_length=50)


class AssignOwner(Command):
    owner_id: ShortText


class Reason(Command):
    reason: Text


class Erase(Command):
    """Why the data subject's personal data is erased (kept in the `Erased` event)."""

    reason: Text


class RecordFollowUp(Command):
    kind: Literal["call", "visit", "email", "meeting"]
    notes: Text
    occurred_at: AwareDatetime | None = None
    next_follow_up_on: date | None = None


class AssessCredit(Command):
    rating: Literal["A", "B", "C", "D"]
    score: StrictInt = Field(ge=0, le=100)
    credit_limit: Money = Field(ge=0)
    max_payment_term_days: StrictInt = Field(ge=0, le=MAX_TERM_DAYS)
    guarantee_required: StrictBool
    valid_until: date
    basis: Text


class RegisterGuarantee(Command):
    amount: Money = Field(gt=0)
    kind: Literal["bank", "deposit", "corporate", "other"]
    expires_on: date


class EnrollMembership(Command):
    tier: ShortText


class AwardPoints(Command):
    points: PositiveCount
    reason: Text


class RedeemPoints(Command):
    points: PositiveCount
    reward: Text


class RecordSatisfaction(Command):
    score: Score1to5
    source: ShortText
