"""MarketingPlan commands (DOMAIN.md, MarketingPlan): one plan a fiscal year, its revisions.

The plan states strategies by kind and targets by quarter; an executive other than the
submitter approves or returns each revision, and marketing records what research
measured against the approved targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.commands import Command


@dataclass(frozen=True)
class DraftMarketingPlan(Command):
    """Draft the plan of a fiscal year; a second one for the year is refused."""

    permission = "marketing_plan.draft"
    creates = True
    fiscal_year: int
    # Text by kind: product, price, channel, promotion.
    strategies: Mapping[str, Any] | None = None
    # Each {period, market_share, brand_awareness, customer_count}.
    targets: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class AmendMarketingPlan(Command):
    """Change a draft: the strategies or targets given replace the earlier ones."""

    permission = "marketing_plan.amend"
    plan_id: UUID
    strategies: Mapping[str, Any] | None = None
    targets: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class SubmitMarketingPlan(Command):
    """Put the draft revision before an executive."""

    permission = "marketing_plan.submit"
    plan_id: UUID


@dataclass(frozen=True)
class ApproveMarketingPlan(Command):
    """An executive other than the submitter puts the revision in force."""

    permission = "marketing_plan.approve"
    plan_id: UUID


@dataclass(frozen=True)
class ReturnMarketingPlan(Command):
    """An executive other than the submitter sends the revision back to draft, with comments."""

    permission = "marketing_plan.return"
    plan_id: UUID
    comments: str


@dataclass(frozen=True)
class ReviseMarketingPlan(Command):
    """Start a new revision of the approved plan; the approved one stays in force."""

    permission = "marketing_plan.revise"
    plan_id: UUID


@dataclass(frozen=True)
class RecordPlanMeasurement(Command):
    """Record a measured market share or brand awareness of a quarter of the approved plan."""

    permission = "marketing_plan.measurement"
    plan_id: UUID
    metric: str
    period: str
    value: Decimal | str | int
    source: str
    method: str | None = None
    occurred_at: datetime | None = None
