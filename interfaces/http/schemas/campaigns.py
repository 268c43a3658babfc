"""Bodies of the campaign commands (API.md, campaigns)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from interfaces.http.schemas.budgets import Period
from interfaces.http.schemas.common import Command, Count, Money, Score1to5, ShortText, Text

Channel = Literal[
    "social",
    "search",
    "email",
    "industry_site",
    "advertising",
    "pr_event",
    "exhibition",
    "promotion",
]


class CampaignTargets(Command):
    impressions: Count | None = None
    leads: Count | None = None
    conversions: Count | None = None
    revenue: Money | None = Field(default=None, ge=0)


class DraftCampaign(Command):
    name: ShortText
    objective: Text
    channels: list[Channel] = Field(min_length=1, max_length=8)
    starts_on: date
    ends_on: date
    budget_amount: Money = Field(gt=0)
    budget_id: UUID
    budget_period: Period
    targets: CampaignTargets | None = None
    owner_id: ShortText | None = None


class AmendCampaign(Command):
    name: ShortText | None = None
    objective: Text | None = None
    channels: list[Channel] | None = Field(default=None, min_length=1, max_length=8)
    starts_on: date | None = None
    ends_on: date | None = None
    budget_amount: Money | None = Field(default=None, gt=0)
    budget_id: UUID | None = None
    budget_period: Period | None = None
    targets: CampaignTargets | None = None
    owner_id: ShortText | None = None


class RecordResult(Command):
    channel: Channel
    spend: Money = Field(ge=0)
    impressions: Count | None = None
    clicks: Count | None = None
    leads: Count | None = None
    conversions: Count | None = None
    attributed_revenue: Money | None = Field(default=None, ge=0)
    feedback: Text | None = None
    occurred_at: AwareDatetime | None = None


class Evaluate(Command):
    summary: Text
    rating: Score1to5
