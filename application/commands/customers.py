"""Customer commands (DOMAIN.md, Customer): development, profile, credit and loyalty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict
from uuid import UUID

from application.commands import Command
from domain.customer import Contact


class ProfileChanges(TypedDict, total=False):
    """The profile fields an update names; a field left out (or None) is left as it is."""

    name: str | None
    industry: str | None
    region: str | None
    contacts: Sequence[Contact] | None
    tags: Sequence[str] | None


@dataclass(frozen=True)
class RegisterLead(Command):
    """Register a lead, refusing one whose identity another customer holds."""

    permission = "customer.register"
    creates = True
    name: str
    kind: str
    source: str
    contacts: Sequence[Contact] = ()
    industry: str | None = None
    region: str | None = None
    campaign_id: UUID | None = None
    owner_id: str | None = None
    tags: Sequence[str] = ()


@dataclass(frozen=True)
class UpdateProfile(Command):
    """Change a customer's profile; a new name or contact is checked for duplicates."""

    permission = "customer.profile"
    customer_id: UUID
    changes: ProfileChanges


@dataclass(frozen=True)
class EraseCustomer(Command):
    """Erase the customer's personal data: its key is destroyed; it cannot be undone."""

    permission = "customer.erase"
    customer_id: UUID
    reason: str


@dataclass(frozen=True)
class AssignCustomerOwner(Command):
    """Hand the customer to another employee."""

    permission = "customer.owner"
    customer_id: UUID
    owner_id: str


@dataclass(frozen=True)
class QualifyCustomer(Command):
    """A lead shows real interest and becomes a prospect."""

    permission = "customer.qualify"
    customer_id: UUID


@dataclass(frozen=True)
class MarkCustomerLost(Command):
    """Give up on a lead or prospect."""

    permission = "customer.lost"
    customer_id: UUID
    reason: str


@dataclass(frozen=True)
class ReopenCustomer(Command):
    """Bring a lost customer back as a lead."""

    permission = "customer.reopen"
    customer_id: UUID


@dataclass(frozen=True)
class RecordFollowUp(Command):
    """Log a call, visit, email or meeting, and when to follow up next."""

    permission = "customer.follow_up"
    customer_id: UUID
    kind: str
    notes: str
    occurred_at: datetime | None = None
    next_follow_up_on: date | None = None


@dataclass(frozen=True)
class AssessCredit(Command):
    """Replace the customer's credit assessment; history keeps every earlier one."""

    permission = "customer.credit_assessment"
    customer_id: UUID
    rating: str
    score: int
    credit_limit: Decimal
    max_payment_term_days: int
    guarantee_required: bool
    valid_until: date
    basis: str


@dataclass(frozen=True)
class PlaceCreditHold(Command):
    """Stop new credit for the customer."""

    permission = "customer.credit_hold"
    customer_id: UUID
    reason: str


@dataclass(frozen=True)
class ReleaseCreditHold(Command):
    """Lift the customer's credit hold."""

    permission = "customer.credit_hold_release"
    customer_id: UUID


@dataclass(frozen=True)
class RegisterGuarantee(Command):
    """Record a guarantee that extends what the customer may owe; answers its id."""

    permission = "customer.guarantee"
    customer_id: UUID
    amount: Decimal
    kind: str
    expires_on: date


@dataclass(frozen=True)
class ReleaseGuarantee(Command):
    """Give a guarantee back; it no longer counts towards the limit."""

    permission = "customer.guarantee_release"
    customer_id: UUID
    guarantee_id: UUID


@dataclass(frozen=True)
class EnrollMembership(Command):
    """Enrol the customer in the membership programme, or move it to another tier."""

    permission = "customer.membership"
    customer_id: UUID
    tier: str


@dataclass(frozen=True)
class AwardPoints(Command):
    """Credit loyalty points to a member."""

    permission = "customer.points_award"
    customer_id: UUID
    points: int
    reason: str


@dataclass(frozen=True)
class RedeemPoints(Command):
    """Exchange a member's points for a reward; points never go negative."""

    permission = "customer.points_redeem"
    customer_id: UUID
    points: int
    reward: str


@dataclass(frozen=True)
class RecordSatisfaction(Command):
    """Record a satisfaction score from 1 to 5."""

    permission = "customer.satisfaction"
    customer_id: UUID
    score: int
    source: str
