"""Answers of `/campaigns`: a campaign and the directory."""

from __future__ import annotations

from datetime import date, datetime

from interfaces.http.schemas.answers.common import Aggregate, Answer, Id, Listed, Money, Subject


class CampaignTargets(Answer):
    """The targets set; a target not set is absent."""

    impressions: int | None = None
    leads: int | None = None
    conversions: int | None = None
    revenue: Money | None = None


class CampaignEvaluation(Answer):
    """The judgement of a completed campaign."""

    summary: str
    rating: int


class CampaignView(Aggregate):
    """A campaign: its plan, budget line, approval, results and evaluation."""

    status: str
    name: str
    objective: str
    channels: list[str]
    starts_on: date
    ends_on: date
    budget_amount: Money
    budget_id: Id
    budget_category: str
    budget_period: str
    targets: CampaignTargets
    owner_id: Subject
    submitted_by: Subject | None
    approved_by: Subject | None
    rejection: str | None
    committed: Money
    released: Money
    spend: Money
    results: int
    impressions: int
    clicks: int
    leads: int
    conversions: int
    attributed_revenue: Money
    evaluation: CampaignEvaluation | None
    cancel_reason: str | None


class CampaignItem(Listed):
    """A campaign in the directory."""

    name: str
    status: str
    owner_id: Subject
    channels: list[str]
    starts_on: date
    ends_on: date
    budget_id: Id
    budget_period: str
    budget_amount: Money
    spend: Money
    drafted_at: datetime
