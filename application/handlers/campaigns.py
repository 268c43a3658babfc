"""Handlers of the Campaign commands: `(command, context) -> Decision` each.

Approval, results, completion and cancellation change the campaign's Budget too: the
handler answers with the campaign and saves the budget with it, in one transaction.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from application.commands.campaigns import (
    AmendCampaign,
    ApproveCampaign,
    CancelCampaign,
    CompleteCampaign,
    DraftCampaign,
    EvaluateCampaign,
    LaunchCampaign,
    RecordCampaignResult,
    RejectCampaign,
    SubmitCampaign,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from application.permissions import MANAGING_ROLES
from domain.budget import Budget
from domain.campaign import Campaign
from domain.errors import ValidationFailed


def acting_for_owners(ctx: Context) -> bool:
    """True when the caller may act on a campaign someone else owns."""
    return ctx.caller.holds(MANAGING_ROLES)


def _require_budget(ctx: Context, budget_id: UUID) -> None:
    """The budget a command's body names exists; `validation_error` on `budget_id` if not."""
    if not isinstance(ctx.find(budget_id), Budget):
        raise ValidationFailed.of("budget_id", "names no budget")


def draft_campaign(cmd: DraftCampaign, ctx: Context) -> Decision:
    """The drafting caller owns the campaign unless the command names another owner."""
    campaign = Campaign.draft(
        ctx.cause,
        id=uuid4(),
        name=cmd.name,
        objective=cmd.objective,
        channels=cmd.channels,
        starts_on=cmd.starts_on,
        ends_on=cmd.ends_on,
        budget_amount=cmd.budget_amount,
        budget_id=cmd.budget_id,
        budget_period=cmd.budget_period,
        targets=cmd.targets,
        owner_id=cmd.owner_id,
        may_act_for_others=acting_for_owners(ctx),
    )
    _require_budget(ctx, cmd.budget_id)
    return Decision(campaign)


def amend_campaign(cmd: AmendCampaign, ctx: Context) -> Decision:
    """A new budget named must exist."""
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    campaign.amend(ctx.cause, may_act_for_others=acting_for_owners(ctx), **cmd.changes)
    budget_id = cmd.changes.get("budget_id")
    if budget_id is not None:
        _require_budget(ctx, budget_id)
    return Decision(campaign)


def submit_campaign(cmd: SubmitCampaign, ctx: Context) -> Decision:
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    campaign.submit(ctx.cause, may_act_for_others=acting_for_owners(ctx))
    return Decision(campaign)


def approve_campaign(cmd: ApproveCampaign, ctx: Context) -> Decision:
    """The campaign's budget amount is committed on the budget in the same transaction."""
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    budget = ctx.load(campaign.budget_id, Budget)
    campaign.approve(ctx.cause, budget)
    return Decision(campaign, (budget,))


def reject_campaign(cmd: RejectCampaign, ctx: Context) -> Decision:
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    campaign.reject(ctx.cause, cmd.reasons)
    return Decision(campaign)


def launch_campaign(cmd: LaunchCampaign, ctx: Context) -> Decision:
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    campaign.launch(ctx.cause, may_act_for_others=acting_for_owners(ctx))
    return Decision(campaign)


def record_campaign_result(cmd: RecordCampaignResult, ctx: Context) -> Decision:
    """The spend is booked on the budget, under the policy's expense standards."""
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    budget = ctx.load(campaign.budget_id, Budget)
    campaign.record_result(
        ctx.cause,
        budget,
        ctx.policy.expense_standards,
        may_act_for_others=acting_for_owners(ctx),
        channel=cmd.channel,
        spend=cmd.spend,
        impressions=cmd.impressions,
        clicks=cmd.clicks,
        leads=cmd.leads,
        conversions=cmd.conversions,
        attributed_revenue=cmd.attributed_revenue,
        feedback=cmd.feedback,
        occurred_at=cmd.occurred_at,
    )
    return Decision(campaign, (budget,))


def complete_campaign(cmd: CompleteCampaign, ctx: Context) -> Decision:
    """The rest of the campaign's commitment is released on the budget."""
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    budget = ctx.load(campaign.budget_id, Budget)
    campaign.complete(ctx.cause, budget, may_act_for_others=acting_for_owners(ctx))
    return Decision(campaign, (budget,))


def evaluate_campaign(cmd: EvaluateCampaign, ctx: Context) -> Decision:
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    campaign.evaluate(ctx.cause, cmd.summary, cmd.rating, may_act_for_others=acting_for_owners(ctx))
    return Decision(campaign)


def cancel_campaign(cmd: CancelCampaign, ctx: Context) -> Decision:
    """The rest of the campaign's commitment, if any, is released on the budget."""
    campaign = ctx.addressed(cmd.campaign_id, Campaign)
    budget = ctx.load(campaign.budget_id, Budget)
    campaign.cancel(ctx.cause, budget, cmd.reason, may_act_for_others=acting_for_owners(ctx))
    return Decision(campaign, (budget,))


HANDLERS: Handlers = {
    DraftCampaign: draft_campaign,
    AmendCampaign: amend_campaign,
    SubmitCampaign: submit_campaign,
    ApproveCampaign: approve_campaign,
    RejectCampaign: reject_campaign,
    LaunchCampaign: launch_campaign,
    RecordCampaignResult: record_campaign_result,
    CompleteCampaign: complete_campaign,
    EvaluateCampaign: evaluate_campaign,
    CancelCampaign: cancel_campaign,
}
