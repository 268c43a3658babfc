"""Campaign commands (DOMAIN.md, Campaign): plan, approval, results and evaluation.

A campaign's approval, results, completion and cancellation change its Budget too: both
aggregates are saved in one transaction, or neither, and the command takes the
budget's in-process turn like every command on the budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from application.commands import Command, Find
from domain.campaign import Campaign


class CampaignChanges(TypedDict, total=False):
    """The fields of a draft an amendment names; a field left out (or None) is left as it is."""

    name: str | None
    objective: str | None
    channels: Sequence[str] | None
    starts_on: date | None
    ends_on: date | None
    budget_amount: Decimal | None
    budget_id: UUID | None
    budget_period: str | None
    # {impressions, leads, conversions, revenue}, each optional.
    targets: Mapping[str, Any] | None
    owner_id: str | None


@dataclass(frozen=True)
class DraftCampaign(Command):
    """Draft a campaign drawing on a budget's promotion line."""

    permission = "campaign.draft"
    creates = True
    name: str
    objective: str
    channels: Sequence[str]
    starts_on: date
    ends_on: date
    budget_amount: Decimal
    budget_id: UUID
    budget_period: str
    # {impressions, leads, conversions, revenue}, each optional.
    targets: Mapping[str, Any] | None = None
    owner_id: str | None = None


@dataclass(frozen=True)
class AmendCampaign(Command):
    """Change fields of a draft campaign."""

    permission = "campaign.amend"
    campaign_id: UUID
    changes: CampaignChanges


@dataclass(frozen=True)
class SubmitCampaign(Command):
    """Put the draft up for approval."""

    permission = "campaign.submit"
    campaign_id: UUID


@dataclass(frozen=True)
class CampaignBudgetCommand(Command):
    """A campaign command that changes the campaign's budget too: it takes the budget's turn."""

    campaign_id: UUID

    def turn(self, find: Find) -> UUID | None:
        """The turn of the campaign's budget; none for an id naming no campaign."""
        # Once submitted, a campaign's budget no longer changes: the one read here is the
        # one the command will change.
        campaign = find(self.campaign_id)
        return campaign.budget_id if isinstance(campaign, Campaign) else None


@dataclass(frozen=True)
class ApproveCampaign(CampaignBudgetCommand):
    """Approve a campaign and commit its budget amount on the budget, in one transaction."""

    permission = "campaign.approve"


@dataclass(frozen=True)
class RejectCampaign(Command):
    """Send the campaign back to draft, with the reasons."""

    permission = "campaign.reject"
    campaign_id: UUID
    reasons: str


@dataclass(frozen=True)
class LaunchCampaign(Command):
    """Start running the approved campaign."""

    permission = "campaign.launch"
    campaign_id: UUID


@dataclass(frozen=True)
class RecordCampaignResult(CampaignBudgetCommand):
    """Record what a channel achieved; its spend is booked as an expense on the budget."""

    permission = "campaign.result"
    channel: str
    spend: Decimal
    impressions: int | None = None
    clicks: int | None = None
    leads: int | None = None
    conversions: int | None = None
    attributed_revenue: Decimal | None = None
    feedback: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class CompleteCampaign(CampaignBudgetCommand):
    """End the running campaign and release the rest of its commitment."""

    permission = "campaign.complete"


@dataclass(frozen=True)
class EvaluateCampaign(Command):
    """Judge the completed campaign with a summary and a rating from 1 to 5."""

    permission = "campaign.evaluate"
    campaign_id: UUID
    summary: str
    rating: int


@dataclass(frozen=True)
class CancelCampaign(CampaignBudgetCommand):
    """Call the campaign off and release the rest of its commitment."""

    permission = "campaign.cancel"
    reason: str
