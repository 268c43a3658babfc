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
    example,
)


class ContactBody(Command):
    name: ShortText
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=200)


class RegisterLead(Command):
    model_config = example(
        {
            "name": "Hangzhou Lianhua Trading Co.",
            "kind": "company",
            "industry": "retail",
            "region": "East",
            "source": "exhibition",
            "contacts": [
                {"name": "Li Wei", "phone": "+86 571 8888 1234", "email": "li.wei@lianhua.example"}
            ],
            "tags": ["key-account"],
        }
    )
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
    model_config = example({"region": "North", "tags": ["key-account", "export"]})
    name: ShortText | None = None
    industry: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    contacts: list[ContactBody] | None = Field(default=None, max_length=50)
    tags: list[ShortText] | None = Field(default=None, max_length=50)


class AssignOwner(Command):
    model_config = example({"owner_id": "e-sales-02"})
    owner_id: ShortText


class Reason(Command):
    model_config = example({"reason": "Chose a competitor's offer"})
    reason: Text


class Erase(Command):
    """Why the data subject's personal data is erased (kept in the `Erased` event)."""

    model_config = example({"reason": "The data subject's request of 2026-03-02"})

    reason: Text


class RecordFollowUp(Command):
    model_config = example(
        {
            "kind": "call",
            "notes": "Discussed the Q2 order; a quote follows",
            "next_follow_up_on": "2026-04-15",
        }
    )
    kind: Literal["call", "visit", "email", "meeting"]
    notes: Text
    occurred_at: AwareDatetime | None = None
    next_follow_up_on: date | None = None


class AssessCredit(Command):
    model_config = example(
        {
            "rating": "B",
            "score": 72,
            "credit_limit": "500000.00",
            "max_payment_term_days": 60,
            "guarantee_required": False,
            "valid_until": "2026-12-31",
            "basis": "2025 audited accounts and payment history",
        }
    )
    rating: Literal["A", "B", "C", "D"]
    score: StrictInt = Field(ge=0, le=100)
    credit_limit: Money = Field(ge=0)
    max_payment_term_days: StrictInt = Field(ge=0, le=MAX_TERM_DAYS)
    guarantee_required: StrictBool
    valid_until: date
    basis: Text


class RegisterGuarantee(Command):
    model_config = example({"amount": "200000.00", "kind": "bank", "expires_on": "2027-03-31"})
    amount: Money = Field(gt=0)
    kind: Literal["bank", "deposit", "corporate", "other"]
    expires_on: date


class EnrollMembership(Command):
    model_config = example({"tier": "gold"})
    tier: ShortText


class AwardPoints(Command):
    model_config = example({"points": 500, "reason": "Annual contract renewal"})
    points: PositiveCount
    reason: Text


class RedeemPoints(Command):
    model_config = example({"points": 200, "reward": "An on-site training day"})
    points: PositiveCount
    reward: Text


class RecordSatisfaction(Command):
    model_config = example({"score": 4, "source": "post-delivery survey"})
    score: Score1to5
    source: ShortText
