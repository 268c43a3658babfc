"""Answers of `/opportunities`: an opportunity and the directory."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from interfaces.http.openapi import CommandAnswer
from interfaces.http.schemas.answers.common import Aggregate, Answer, Id, Listed, Money, Subject


class QuoteLine(Answer):
    """A quoted line, with the list price of its sku on the quote day (null if unlisted)."""

    sku: str
    description: str | None
    quantity: int
    unit_price: Money
    unit_cost: Money
    list_price: Money | None
    price_list_id: Id | None


class Quote(Answer):
    """A quote: its lines, validity, payment term and total."""

    id: Id
    quoted_on: date
    valid_until: date
    payment_term_days: int
    total: Money
    lines: list[QuoteLine]


class Negotiation(Answer):
    """A negotiation round: what was discussed and conceded, by whom."""

    occurred_at: datetime
    summary: str
    concessions: str | None
    actor: Subject


class Loss(Answer):
    """Why the opportunity was lost, and to whom."""

    reason: str
    competitor: str | None


class OpportunityView(Aggregate):
    """An opportunity: its stage and probability, quotes, negotiations and outcome."""

    status: str
    stage: str
    closed_from: str | None
    customer_id: Id
    owner_id: Subject
    title: str
    expected_value: Money
    expected_close_on: date
    source: str | None
    competitors: list[str]
    probability: float
    value: Money
    weighted_value: Money
    quotes: list[Quote]
    negotiations: list[Negotiation]
    regressions: int
    contract_id: Id | None
    won_quote_id: Id | None
    loss: Loss | None
    opened_at: datetime
    closed_at: datetime | None


class OpportunityItem(Listed):
    """An opportunity in the directory."""

    title: str
    customer_id: Id
    owner_id: Subject
    status: str
    stage: str
    expected_value: Money
    expected_close_on: date
    value: Money
    probability: float
    weighted_value: Money
    contract_id: Id | None
    loss_reason: str | None
    opened_at: datetime
    closed_at: datetime | None
    created_at: datetime


class OpportunityWon(CommandAnswer):
    """`win`'s answer: the opportunity's id and version, and the contract drafted from
    the quote."""

    contract_id: Id | SkipJsonSchema[None] = Field(
        default=None, description="the draft contract saved with the win"
    )
