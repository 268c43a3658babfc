"""`/customers`: commands, the customer, its history, and the directory."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.customer import Customer
from domain.errors import NotFound
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import (
    directory_answer,
)
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import customers as bodies
from interfaces.http.schemas.common import Command, Empty
from projections.events import iso_utc, plain

router = APIRouter(prefix="/customers", tags=["customers"])


def represent(customer: Customer) -> dict[str, Any]:
    """A customer as `GET /customers/{id}` answers it."""
    credit = None
    if customer.credit is not None:
        credit = {**plain(customer.credit), "assessed_at": iso_utc(customer.credit["assessed_at"])}
    count = customer.satisfaction_count
    return {
        "id": str(customer.id),
        "version": customer.version,
        "status": customer.status,
        "name": customer.name,
        "kind": customer.kind,
        "industry": customer.industry,
        "region": customer.region,
        "source": customer.source,
        "campaign_id": plain(customer.campaign_id),
        "contacts": customer.contacts,
        "owner_id": customer.owner_id,
        "tags": customer.tags,
        "lost_reason": customer.lost_reason,
        "credit": credit,
        "on_hold": customer.on_hold,
        "hold_reason": customer.hold_reason,
        "guarantees": [plain(g) for g in customer.guarantees.values()],
        "tier": customer.tier,
        "points": customer.points,
        "satisfaction": {
            "count": count,
            "average": round(customer.satisfaction_total / count, 2) if count else None,
            "last": customer.last_satisfaction,
        },
        "signed_contracts": [str(c) for c in customer.signed_contracts],
        "follow_ups": customer.follow_ups,
        "last_contact_at": iso_utc(customer.last_contact_at) if customer.last_contact_at else None,
        "next_follow_up_on": plain(customer.next_follow_up_on),
        "created_at": iso_utc(customer.created_on),
        "updated_at": iso_utc(customer.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "status": row["status"],
        "owner_id": row["owner_id"],
        "region": row["region"],
        "industry": row["industry"],
        "source": row["source"],
        "campaign_id": row["campaign_id"],
        "tags": json.loads(row["tags"]),
        "rating": row["rating"],
        "on_hold": bool(row["on_hold"]),
        "tier": row["tier"],
        "points": row["points"],
        "version": row["version"],
        "registered_at": row["registered_at"],
        "position": row["registered_position"],
    }


def _command(
    path: str,
    permission: str,
    model: type[Command],
    call: Any,
    *,
    answer_with: str | None = None,
) -> None:
    """Register a route running one customer command on the customer in the path."""
    command_route(
        router,
        Customer,
        path.replace("{customer_id}", "{id}"),
        permission,
        model,
        call,
        answer_with=answer_with,
    )


create_route(
    router,
    Customer,
    "customer.register",
    bodies.RegisterLead,
    lambda app, cmd, body: app.register_lead(
        cmd,
        **body.model_dump(exclude={"contacts"}),
        contacts=[c.model_dump() for c in body.contacts],
    ),
)


_command(
    "/{customer_id}/profile",
    "customer.profile",
    bodies.UpdateProfile,
    lambda app, cmd, cid, body: app.update_customer_profile(
        cmd,
        cid,
        **body.model_dump(exclude_unset=True, exclude={"contacts"}),
        **(
            {"contacts": [c.model_dump() for c in body.contacts]}
            if body.contacts is not None
            else {}
        ),
    ),
)
_command(
    "/{customer_id}/owner",
    "customer.owner",
    bodies.AssignOwner,
    lambda app, cmd, cid, body: app.assign_customer_owner(cmd, cid, body.owner_id),
)
_command(
    "/{customer_id}/qualify",
    "customer.qualify",
    Empty,
    lambda app, cmd, cid, body: app.qualify_customer(cmd, cid),
)
_command(
    "/{customer_id}/lost",
    "customer.lost",
    bodies.Reason,
    lambda app, cmd, cid, body: app.mark_customer_lost(cmd, cid, body.reason),
)
_command(
    "/{customer_id}/reopen",
    "customer.reopen",
    Empty,
    lambda app, cmd, cid, body: app.reopen_customer(cmd, cid),
)
_command(
    "/{customer_id}/follow-ups",
    "customer.follow_up",
    bodies.RecordFollowUp,
    lambda app, cmd, cid, body: app.record_follow_up(cmd, cid, **body.model_dump()),
)
_command(
    "/{customer_id}/credit-assessments",
    "customer.credit_assessment",
    bodies.AssessCredit,
    lambda app, cmd, cid, body: app.assess_credit(cmd, cid, **body.model_dump()),
)
_command(
    "/{customer_id}/credit-hold",
    "customer.credit_hold",
    bodies.Reason,
    lambda app, cmd, cid, body: app.place_credit_hold(cmd, cid, body.reason),
)
_command(
    "/{customer_id}/credit-hold/release",
    "customer.credit_hold_release",
    Empty,
    lambda app, cmd, cid, body: app.release_credit_hold(cmd, cid),
)
_command(
    "/{customer_id}/guarantees",
    "customer.guarantee",
    bodies.RegisterGuarantee,
    lambda app, cmd, cid, body: app.register_guarantee(cmd, cid, **body.model_dump()),
    answer_with="guarantee_id",
)
_command(
    "/{customer_id}/membership",
    "customer.membership",
    bodies.EnrollMembership,
    lambda app, cmd, cid, body: app.enroll_membership(cmd, cid, body.tier),
)
_command(
    "/{customer_id}/points/award",
    "customer.points_award",
    bodies.AwardPoints,
    lambda app, cmd, cid, body: app.award_points(cmd, cid, body.points, body.reason),
)
_command(
    "/{customer_id}/points/redeem",
    "customer.points_redeem",
    bodies.RedeemPoints,
    lambda app, cmd, cid, body: app.redeem_points(cmd, cid, body.points, body.reward),
)
_command(
    "/{customer_id}/satisfaction",
    "customer.satisfaction",
    bodies.RecordSatisfaction,
    lambda app, cmd, cid, body: app.record_satisfaction(cmd, cid, body.score, body.source),
)


command_route(
    router,
    Customer,
    "/{id}/guarantees/{sub}/release",
    "customer.guarantee_release",
    Empty,
    lambda app, cmd, cid, gid, body: app.release_guarantee(cmd, cid, gid),
    sub=UUID,
)


@router.get("")
def list_customers(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    owner_id: str | None = None,
    region: str | None = None,
    rating: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    q: Annotated[str | None, Query(description="text search on the name")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """The customer directory, in order of registration, filtered."""
    return directory_answer(
        services,
        "customer_directory",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        owner_id=owner_id,
        region=region,
        rating=rating,
        kind=kind,
        source=source,
        q=q,
    )


@router.get("/{customer_id}/guarantees/{guarantee_id}")
def get_guarantee(
    customer_id: UUID, guarantee_id: UUID, caller: CurrentCaller, services: ServicesDep
) -> JSONResponse:
    """One guarantee of a customer."""
    customer = services.backoffice.get(customer_id, Customer)
    guarantee = customer.guarantees.get(str(guarantee_id))
    if guarantee is None:
        raise NotFound(f"guarantee {guarantee_id} not found on this customer")
    return JSONResponse(plain(guarantee))


aggregate_reads(router, Customer, represent)
