"""`/campaigns`: commands, the campaign now and as of a time, its history, and the list."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.campaign import Campaign
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import (
    directory_answer,
)
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import budgets as budget_bodies
from interfaces.http.schemas import campaigns as bodies
from interfaces.http.schemas.common import Empty
from interfaces.http.schemas.customers import Reason
from projections.events import iso_utc, plain

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


def _fields(body: Any) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude={"targets"})
    if body.targets is not None:
        fields["targets"] = body.targets.model_dump(exclude_none=True)
    return fields


create_route(
    router,
    Campaign,
    "campaign.draft",
    bodies.DraftCampaign,
    lambda app, cmd, body: app.draft_campaign(cmd, **_fields(body)),
)


for path, permission, model, call in (
    (
        "/{id}/amend",
        "campaign.amend",
        bodies.AmendCampaign,
        lambda a, c, i, b: a.amend_campaign(c, i, **_fields(b)),
    ),
    ("/{id}/submit", "campaign.submit", Empty, lambda a, c, i, b: a.submit_campaign(c, i)),
    ("/{id}/approve", "campaign.approve", Empty, lambda a, c, i, b: a.approve_campaign(c, i)),
    (
        "/{id}/reject",
        "campaign.reject",
        budget_bodies.Reasons,
        lambda a, c, i, b: a.reject_campaign(c, i, b.reasons),
    ),
    ("/{id}/launch", "campaign.launch", Empty, lambda a, c, i, b: a.launch_campaign(c, i)),
    (
        "/{id}/results",
        "campaign.result",
        bodies.RecordResult,
        lambda a, c, i, b: a.record_campaign_result(c, i, **b.model_dump()),
    ),
    ("/{id}/complete", "campaign.complete", Empty, lambda a, c, i, b: a.complete_campaign(c, i)),
    (
        "/{id}/evaluate",
        "campaign.evaluate",
        bodies.Evaluate,
        lambda a, c, i, b: a.evaluate_campaign(c, i, b.summary, b.rating),
    ),
    (
        "/{id}/cancel",
        "campaign.cancel",
        Reason,
        lambda a, c, i, b: a.cancel_campaign(c, i, b.reason),
    ),
):
    command_route(router, Campaign, path, permission, model, call)


@router.get("")
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


aggregate_reads(router, Campaign, represent)
