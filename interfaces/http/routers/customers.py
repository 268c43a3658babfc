"""`/customers`: commands, the customer, its history, and the directory."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.commands.customers import (
    AssessCredit,
    AssignCustomerOwner,
    AwardPoints,
    EnrollMembership,
    EraseCustomer,
    MarkCustomerLost,
    PlaceCreditHold,
    ProfileChanges,
    QualifyCustomer,
    RecordFollowUp,
    RecordSatisfaction,
    RedeemPoints,
    RegisterGuarantee,
    RegisterLead,
    ReleaseCreditHold,
    ReleaseGuarantee,
    ReopenCustomer,
    UpdateProfile,
)
from domain.customer import Contact, Customer
from interfaces.erasure import compact_after_erasure
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import COMMAND, CREATE, answer_of, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer, part_of
from interfaces.http.schemas import customers as bodies
from interfaces.http.schemas.answers import customers as answers
from interfaces.http.schemas.common import Empty
from interfaces.personal_data import destroy_key

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


def _contacts(contacts: list[bodies.ContactBody]) -> list[Contact]:
    return [contact.model_dump() for contact in contacts]


def _profile_changes(body: bodies.UpdateProfile) -> ProfileChanges:
    """The fields the body names (a null contacts list names none)."""
    named = body.model_fields_set
    changes = ProfileChanges()
    if "name" in named:
        changes["name"] = body.name
    if "industry" in named:
        changes["industry"] = body.industry
    if "region" in named:
        changes["region"] = body.region
    if "tags" in named:
        changes["tags"] = body.tags
    if body.contacts is not None:
        changes["contacts"] = _contacts(body.contacts)
    return changes


@router.post("", status_code=201, openapi_extra=body_schema(bodies.RegisterLead), responses=CREATE)
async def register_lead(call: CommandDep) -> JSONResponse:
    """Register a lead (sales, sales_manager, marketing); a duplicate identity is refused."""
    body = await call.read(RegisterLead, bodies.RegisterLead)
    command = RegisterLead(
        name=body.name,
        kind=body.kind,
        source=body.source,
        contacts=_contacts(body.contacts),
        industry=body.industry,
        region=body.region,
        campaign_id=body.campaign_id,
        owner_id=body.owner_id,
        tags=body.tags or (),
    )
    return await call.answer(command)


@router.post(
    "/{customer_id}/profile", openapi_extra=body_schema(bodies.UpdateProfile), responses=COMMAND
)
async def update_profile(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Change name, industry, region, contacts or tags (sales, sales_manager, marketing)."""
    body = await call.read(UpdateProfile, bodies.UpdateProfile, Target(Customer, customer_id))
    return await call.answer(UpdateProfile(customer_id, _profile_changes(body)))


@router.post("/{customer_id}/erase", openapi_extra=body_schema(bodies.Erase), responses=COMMAND)
async def erase_customer(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Erase the customer's personal data for good; its key is destroyed (legal)."""
    body = await call.read(EraseCustomer, bodies.Erase, Target(Customer, customer_id))
    answer = await call.answer(EraseCustomer(customer_id, body.reason))
    # Once the erasure is saved; a crash before this is repaired by the key store.
    await run_in_threadpool(destroy_key, call.services.backoffice.mapper, customer_id)
    # And the old values out of the PostgreSQL tables that held them (interfaces/erasure.py).
    position = json.loads(bytes(answer.body))["position"]
    await run_in_threadpool(compact_after_erasure, call.services, position)
    return answer


@router.post(
    "/{customer_id}/owner", openapi_extra=body_schema(bodies.AssignOwner), responses=COMMAND
)
async def assign_owner(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Hand the customer to another employee (sales_manager)."""
    body = await call.read(AssignCustomerOwner, bodies.AssignOwner, Target(Customer, customer_id))
    return await call.answer(AssignCustomerOwner(customer_id, body.owner_id))


@router.post("/{customer_id}/qualify", openapi_extra=body_schema(Empty), responses=COMMAND)
async def qualify(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """A lead becomes a prospect (sales, sales_manager)."""
    await call.read(QualifyCustomer, Empty, Target(Customer, customer_id))
    return await call.answer(QualifyCustomer(customer_id))


@router.post("/{customer_id}/lost", openapi_extra=body_schema(bodies.Reason), responses=COMMAND)
async def mark_lost(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Give up on a lead or prospect, with the reason (sales, sales_manager)."""
    body = await call.read(MarkCustomerLost, bodies.Reason, Target(Customer, customer_id))
    return await call.answer(MarkCustomerLost(customer_id, body.reason))


@router.post("/{customer_id}/reopen", openapi_extra=body_schema(Empty), responses=COMMAND)
async def reopen(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Bring a lost customer back as a lead (sales, sales_manager)."""
    await call.read(ReopenCustomer, Empty, Target(Customer, customer_id))
    return await call.answer(ReopenCustomer(customer_id))


@router.post(
    "/{customer_id}/follow-ups", openapi_extra=body_schema(bodies.RecordFollowUp), responses=COMMAND
)
async def record_follow_up(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Log a call, visit, email or meeting and the next follow-up date (sales, service)."""
    body = await call.read(RecordFollowUp, bodies.RecordFollowUp, Target(Customer, customer_id))
    command = RecordFollowUp(
        customer_id,
        kind=body.kind,
        notes=body.notes,
        occurred_at=body.occurred_at,
        next_follow_up_on=body.next_follow_up_on,
    )
    return await call.answer(command)


@router.post(
    "/{customer_id}/credit-assessments",
    openapi_extra=body_schema(bodies.AssessCredit),
    responses=COMMAND,
)
async def assess_credit(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Replace the credit assessment; history keeps every earlier one (finance)."""
    body = await call.read(AssessCredit, bodies.AssessCredit, Target(Customer, customer_id))
    command = AssessCredit(
        customer_id,
        rating=body.rating,
        score=body.score,
        credit_limit=body.credit_limit,
        max_payment_term_days=body.max_payment_term_days,
        guarantee_required=body.guarantee_required,
        valid_until=body.valid_until,
        basis=body.basis,
    )
    return await call.answer(command)


@router.post(
    "/{customer_id}/credit-hold", openapi_extra=body_schema(bodies.Reason), responses=COMMAND
)
async def place_credit_hold(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Stop new credit for the customer (finance)."""
    body = await call.read(PlaceCreditHold, bodies.Reason, Target(Customer, customer_id))
    return await call.answer(PlaceCreditHold(customer_id, body.reason))


@router.post(
    "/{customer_id}/credit-hold/release", openapi_extra=body_schema(Empty), responses=COMMAND
)
async def release_credit_hold(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Lift the credit hold (finance)."""
    await call.read(ReleaseCreditHold, Empty, Target(Customer, customer_id))
    return await call.answer(ReleaseCreditHold(customer_id))


@router.post(
    "/{customer_id}/guarantees",
    status_code=201,
    openapi_extra=body_schema(bodies.RegisterGuarantee),
    responses=CREATE,
)
async def register_guarantee(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Record a guarantee that extends the credit limit; answers the guarantee's id (finance)."""
    body = await call.read(
        RegisterGuarantee, bodies.RegisterGuarantee, Target(Customer, customer_id)
    )
    command = RegisterGuarantee(
        customer_id, amount=body.amount, kind=body.kind, expires_on=body.expires_on
    )
    return await call.answer(command, created_id="guarantee_id")


@router.post(
    "/{customer_id}/guarantees/{guarantee_id}/release",
    openapi_extra=body_schema(Empty),
    responses=COMMAND,
)
async def release_guarantee(
    customer_id: UUID, guarantee_id: UUID, call: CommandDep
) -> JSONResponse:
    """Give a guarantee back; it no longer counts towards the limit (finance)."""
    target = Target(Customer, customer_id, "guarantees", guarantee_id)
    await call.read(ReleaseGuarantee, Empty, target)
    return await call.answer(ReleaseGuarantee(customer_id, guarantee_id))


@router.post(
    "/{customer_id}/membership",
    openapi_extra=body_schema(bodies.EnrollMembership),
    responses=COMMAND,
)
async def enroll_membership(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Enrol the customer as a member, or move it to another tier (service, sales)."""
    body = await call.read(EnrollMembership, bodies.EnrollMembership, Target(Customer, customer_id))
    return await call.answer(EnrollMembership(customer_id, body.tier))


@router.post(
    "/{customer_id}/points/award", openapi_extra=body_schema(bodies.AwardPoints), responses=COMMAND
)
async def award_points(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Credit loyalty points to a member (service, sales)."""
    body = await call.read(AwardPoints, bodies.AwardPoints, Target(Customer, customer_id))
    return await call.answer(AwardPoints(customer_id, body.points, body.reason))


@router.post(
    "/{customer_id}/points/redeem",
    openapi_extra=body_schema(bodies.RedeemPoints),
    responses=COMMAND,
)
async def redeem_points(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Exchange points for a reward; never more than the balance (service, sales)."""
    body = await call.read(RedeemPoints, bodies.RedeemPoints, Target(Customer, customer_id))
    return await call.answer(RedeemPoints(customer_id, body.points, body.reward))


@router.post(
    "/{customer_id}/satisfaction",
    openapi_extra=body_schema(bodies.RecordSatisfaction),
    responses=COMMAND,
)
async def record_satisfaction(customer_id: UUID, call: CommandDep) -> JSONResponse:
    """Record a satisfaction score from 1 to 5 (service)."""
    body = await call.read(
        RecordSatisfaction, bodies.RecordSatisfaction, Target(Customer, customer_id)
    )
    return await call.answer(RecordSatisfaction(customer_id, body.score, body.source))


@router.get("", responses=list_of(answers.CustomerItem))
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


@router.get("/{customer_id}/guarantees/{guarantee_id}", responses=answer_of(answers.Guarantee))
def get_guarantee(
    customer_id: UUID, guarantee_id: UUID, caller: CurrentCaller, services: ServicesDep
) -> JSONResponse:
    """One guarantee of a customer."""
    customer = services.backoffice.get(customer_id, Customer)
    guarantee = part_of(customer.guarantees, guarantee_id, "guarantee", "customer")
    return JSONResponse(plain(guarantee))


@router.get("/{customer_id}", responses=read_of(answers.CustomerView))
def get_customer(
    customer_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A customer now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, Customer, customer_id, version, as_of, represent)


@router.get("/{customer_id}/history", responses=history_of())
def customer_history(
    customer_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a customer, oldest first, with actor and both times."""
    return history_answer(services, Customer, customer_id, limit, cursor, wait_for)
