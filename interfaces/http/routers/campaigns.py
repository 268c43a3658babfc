"""`/campaigns`: commands, the campaign now and as of a time, its history, and the list."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from application.commands.campaigns import (
    AmendCampaign,
    ApproveCampaign,
    CampaignChanges,
    CancelCampaign,
    CompleteCampaign,
    DraftCampaign,
    EvaluateCampaign,
    LaunchCampaign,
    RecordCampaignResult,
    RejectCampaign,
    SubmitCampaign,
)
from domain.campaign import Campaign
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import budgets as budget_bodies
from interfaces.http.schemas import campaigns as bodies
from interfaces.http.schemas.answers import campaigns as answers
from interfaces.http.schemas.common import Empty
from interfaces.http.schemas.customers import Reason

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def represent(campaign: Campaign) -> dict[str, Any]:
    """A campaign as `GET /campaigns/{id}` answers it."""
    return {
        "id": str(campaign.id),
        "version": campaign.version,
        "status": campaign.status,
        "name": campaign.name,
        "objective": campaign.objective,
        "channels": campaign.channels,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "budget_amount": str(campaign.budget_amount),
        "budget_id": str(campaign.budget_id),
        "budget_category": "promotion",
        "budget_period": campaign.budget_period,
        "targets": plain(campaign.targets),
        "owner_id": campaign.owner_id,
        "submitted_by": campaign.submitted_by,
        "approved_by": campaign.approved_by,
        "rejection": campaign.rejection,
        "committed": str(campaign.committed),
        "released": str(campaign.released),
        "spend": str(campaign.spend),
        "results": campaign.results,
        "impressions": campaign.impressions,
        "clicks": campaign.clicks,
        "leads": campaign.leads,
        "conversions": campaign.conversions,
        "attributed_revenue": str(campaign.attributed_revenue),
        "evaluation": campaign.evaluation,
        "cancel_reason": campaign.cancel_reason,
        "created_at": iso_utc(campaign.created_on),
        "updated_at": iso_utc(campaign.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "owner_id": row["owner_id"],
        "channels": json.loads(row["channels"]),
        "starts_on": row["starts_on"],
        "ends_on": row["ends_on"],
        "budget_id": row["budget_id"],
        "budget_period": row["budget_period"],
        "budget_amount": row["budget_amount"],
        "spend": row["spend"],
        "version": row["version"],
        "drafted_at": row["drafted_at"],
        "position": row["drafted_position"],
    }


def _targets(targets: bodies.CampaignTargets | None) -> dict[str, Any] | None:
    """The targets the body sets, or None when it names none."""
    return targets.model_dump(exclude_none=True) if targets is not None else None


def _campaign_changes(body: bodies.AmendCampaign) -> CampaignChanges:
    """The fields the body names, in the body's order with the targets last.

    The order is kept: the `Amended` event lists the changed fields in it.
    """
    named = body.model_fields_set
    changes = CampaignChanges()
    if "name" in named:
        changes["name"] = body.name
    if "objective" in named:
        changes["objective"] = body.objective
    if "channels" in named:
        changes["channels"] = body.channels
    if "starts_on" in named:
        changes["starts_on"] = body.starts_on
    if "ends_on" in named:
        changes["ends_on"] = body.ends_on
    if "budget_amount" in named:
        changes["budget_amount"] = body.budget_amount
    if "budget_id" in named:
        changes["budget_id"] = body.budget_id
    if "budget_period" in named:
        changes["budget_period"] = body.budget_period
    if "owner_id" in named:
        changes["owner_id"] = body.owner_id
    if body.targets is not None:
        changes["targets"] = _targets(body.targets)
    return changes


@router.post("", status_code=201, openapi_extra=body_schema(bodies.DraftCampaign), responses=CREATE)
async def draft_campaign(call: CommandDep) -> JSONResponse:
    """Draft a campaign on a budget's promotion line (marketing, sales_manager)."""
    body = await call.read(DraftCampaign, bodies.DraftCampaign)
    command = DraftCampaign(
        name=body.name,
        objective=body.objective,
        channels=body.channels,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        budget_amount=body.budget_amount,
        budget_id=body.budget_id,
        budget_period=body.budget_period,
        targets=_targets(body.targets),
        owner_id=body.owner_id,
    )
    return await call.answer(command)


@router.post(
    "/{campaign_id}/amend", openapi_extra=body_schema(bodies.AmendCampaign), responses=COMMAND
)
async def amend_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Change fields of a draft (the owner in marketing, or a sales_manager)."""
    body = await call.read(AmendCampaign, bodies.AmendCampaign, Target(Campaign, campaign_id))
    return await call.answer(AmendCampaign(campaign_id, _campaign_changes(body)))


@router.post("/{campaign_id}/submit", openapi_extra=body_schema(Empty), responses=COMMAND)
async def submit_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the draft up for approval (the owner in marketing, or a sales_manager)."""
    await call.read(SubmitCampaign, Empty, Target(Campaign, campaign_id))
    return await call.answer(SubmitCampaign(campaign_id))


@router.post("/{campaign_id}/approve", openapi_extra=body_schema(Empty), responses=COMMAND)
async def approve_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Approve and commit the budget amount (executive, sales_manager; not the owner)."""
    await call.read(ApproveCampaign, Empty, Target(Campaign, campaign_id))
    return await call.answer(ApproveCampaign(campaign_id))


@router.post(
    "/{campaign_id}/reject", openapi_extra=body_schema(budget_bodies.Reasons), responses=COMMAND
)
async def reject_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Send the campaign back to draft, with reasons (executive, sales_manager; not the owner)."""
    body = await call.read(RejectCampaign, budget_bodies.Reasons, Target(Campaign, campaign_id))
    return await call.answer(RejectCampaign(campaign_id, body.reasons))


@router.post("/{campaign_id}/launch", openapi_extra=body_schema(Empty), responses=COMMAND)
async def launch_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Start running the approved campaign (the owner in marketing, or a sales_manager)."""
    await call.read(LaunchCampaign, Empty, Target(Campaign, campaign_id))
    return await call.answer(LaunchCampaign(campaign_id))


@router.post(
    "/{campaign_id}/results", openapi_extra=body_schema(bodies.RecordResult), responses=COMMAND
)
async def record_campaign_result(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Record a channel's results; the spend is booked on the budget (marketing, sales_manager)."""
    body = await call.read(RecordCampaignResult, bodies.RecordResult, Target(Campaign, campaign_id))
    command = RecordCampaignResult(
        campaign_id,
        channel=body.channel,
        spend=body.spend,
        impressions=body.impressions,
        clicks=body.clicks,
        leads=body.leads,
        conversions=body.conversions,
        attributed_revenue=body.attributed_revenue,
        feedback=body.feedback,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{campaign_id}/complete", openapi_extra=body_schema(Empty), responses=COMMAND)
async def complete_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """End the running campaign, releasing the rest of its commitment (marketing, sales_manager)."""
    await call.read(CompleteCampaign, Empty, Target(Campaign, campaign_id))
    return await call.answer(CompleteCampaign(campaign_id))


@router.post(
    "/{campaign_id}/evaluate", openapi_extra=body_schema(bodies.Evaluate), responses=COMMAND
)
async def evaluate_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Judge the completed campaign with a summary and a rating (marketing, sales_manager)."""
    body = await call.read(EvaluateCampaign, bodies.Evaluate, Target(Campaign, campaign_id))
    return await call.answer(EvaluateCampaign(campaign_id, body.summary, body.rating))


@router.post("/{campaign_id}/cancel", openapi_extra=body_schema(Reason), responses=COMMAND)
async def cancel_campaign(campaign_id: UUID, call: CommandDep) -> JSONResponse:
    """Call the campaign off, releasing the rest of its commitment (marketing, sales_manager)."""
    body = await call.read(CancelCampaign, Reason, Target(Campaign, campaign_id))
    return await call.answer(CancelCampaign(campaign_id, body.reason))


@router.get("", responses=list_of(answers.CampaignItem))
def list_campaigns(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    owner_id: str | None = None,
    budget_id: UUID | None = None,
    channel: str | None = None,
    q: Annotated[str | None, Query(description="text search on the name")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Campaigns in the order they were drafted, filtered."""
    return directory_answer(
        services,
        "campaigns",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        owner_id=owner_id,
        budget_id=str(budget_id) if budget_id else None,
        channel=channel,
        q=q,
    )


@router.get("/{campaign_id}", responses=read_of(answers.CampaignView))
def get_campaign(
    campaign_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A campaign now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, Campaign, campaign_id, version, as_of, represent)


@router.get("/{campaign_id}/history", responses=history_of())
def campaign_history(
    campaign_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a campaign, oldest first, with actor and both times."""
    return history_answer(services, Campaign, campaign_id, limit, cursor, wait_for)
