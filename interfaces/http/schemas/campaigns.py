"""Bodies of the campaign commands (API.md, campaigns)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from interfaces.http.schemas.budgets import Period
from interfaces.http.schemas.common import (
    Command,
    Count,
    Money,
    Score1to5,
    ShortText,
    Text,
    example,
)

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
    model_config = example(
        {
            "name": "Spring pump launch",
            "objective": "40 qualified leads in East China",
            "channels": ["search", "exhibition"],
            "starts_on": "2027-03-01",
            "ends_on": "2027-04-30",
            "budget_amount": "120000.00",
            "budget_id": "8d0c6a52-91e4-4f3b-a6c2-5b7e1d9f3a48",
            "budget_period": "Q1",
            "targets": {
                "impressions": 200000,
                "leads": 40,
                "conversions": 8,
                "revenue": "900000.00",
            },
        }
    )
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
    model_config = example({"budget_amount": "100000.00", "ends_on": "2027-04-15"})
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
    model_config = example(
        {
            "channel": "search",
            "spend": "18000.00",
            "impressions": 85000,
            "clicks": 2100,
            "leads": 17,
            "conversions": 3,
            "attributed_revenue": "210000.00",
            "feedback": "Long-tail keywords converted best",
        }
    )
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
    model_config = example({"summary": "Leads above target, conversions below", "rating": 4})
    summary: Text
    rating: Score1to5
