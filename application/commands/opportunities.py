"""Opportunity commands (DOMAIN.md, Opportunity): the sales pipeline from a lead to a contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.commands import Command


@dataclass(frozen=True)
class OpenOpportunity(Command):
    """Open an opportunity for a customer that is not lost."""

    permission = "opportunity.open"
    creates = True
    customer_id: UUID
    title: str
    expected_value: Decimal
    expected_close_on: date
    source: str | None = None
    competitors: Sequence[str] | None = None
    owner_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AdvanceOpportunity(Command):
    """Move an open opportunity forward by one or more stages."""

    permission = "opportunity.advance"
    opportunity_id: UUID
    to_stage: str
    note: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RegressOpportunity(Command):
    """Move an open opportunity back to an earlier stage, with the reason (kept for the funnel)."""

    permission = "opportunity.regress"
    opportunity_id: UUID
    to_stage: str
    reason: str
    note: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AddQuote(Command):
    """Add an immutable quote, lines without a unit price priced from the list; answers its id."""

    permission = "opportunity.quote"
    opportunity_id: UUID
    lines: Sequence[Mapping[str, Any]]
    valid_until: date
    payment_term_days: int
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RecordNegotiation(Command):
    """Log a negotiation round: what was discussed and what was conceded."""

    permission = "opportunity.negotiation"
    opportunity_id: UUID
    summary: str
    concessions: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class WinOpportunity(Command):
    """Win with an unexpired quote, drafting its contract in the same transaction."""

    permission = "opportunity.win"
    opportunity_id: UUID
    quote_id: UUID
    delivery_due_on: date
    channel: str = "direct"
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class LoseOpportunity(Command):
    """Close an open opportunity as lost, with the reason and the competitor if known."""

    permission = "opportunity.lose"
    opportunity_id: UUID
    reason: str
    competitor: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ReopenOpportunity(Command):
    """Bring a lost opportunity back to qualification."""

    permission = "opportunity.reopen"
    opportunity_id: UUID
    occurred_at: datetime | None = None
