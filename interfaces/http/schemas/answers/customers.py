"""Answers of `/customers`: a customer, a guarantee, the directory."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from interfaces.http.schemas.answers.common import Aggregate, Answer, Id, Listed, Money, Subject


class Contact(Answer):
    """A contact person; `[erased]` in each given field once the customer is erased."""

    name: str
    phone: str | None
    email: str | None


class Credit(Answer):
    """The credit assessment in force, and who made it when."""

    rating: str
    score: int
    credit_limit: Money
    max_payment_term_days: int
    guarantee_required: bool
    valid_until: date
    basis: str
    assessed_at: datetime
    assessed_by: str


class Guarantee(Answer):
    """A guarantee the customer gave; it counts towards the limit until released."""

    id: Id
    amount: Money
    kind: str
    expires_on: date
    released: bool


class Satisfaction(Answer):
    """The satisfaction scores recorded: how many, their average and the last."""

    count: int
    average: float | None
    last: int | None


class CustomerView(Aggregate):
    """A customer: profile, lifecycle, credit standing and loyalty."""

    status: str = Field(examples=["lead", "prospect", "customer", "lost"])
    name: str
    kind: str
    industry: str | None
    region: str | None
    source: str
    campaign_id: Id | None
    contacts: list[Contact]
    owner_id: Subject
    tags: list[str]
    lost_reason: str | None
    credit: Credit | None
    on_hold: bool
    hold_reason: str | None
    guarantees: list[Guarantee]
    tier: str | None
    points: int
    satisfaction: Satisfaction
    signed_contracts: list[Id]
    follow_ups: int
    last_contact_at: datetime | None
    next_follow_up_on: date | None


class CustomerItem(Listed):
    """A customer in the directory."""

    name: str
    kind: str
    status: str
    owner_id: Subject
    region: str | None
    industry: str | None
    source: str
    campaign_id: Id | None
    tags: list[str]
    rating: str | None
    on_hold: bool
    tier: str | None
    points: int
    registered_at: datetime
