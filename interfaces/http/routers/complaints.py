"""`/complaints`: commands, the complaint now and as of a time, its history, and the list.

`GET /complaints/{id}` shows the deadlines stamped at receipt and the timings: response
and resolution hours (the latest resolution after a reopen) and whether each deadline
was breached, judged at the moment asked (`?as_of=`), at the recording time of the
version asked (`?version=`), or now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.complaints import (
    AssignComplaint,
    CloseComplaint,
    EscalateComplaint,
    ReceiveComplaint,
    RecordComplaintProgress,
    ReopenComplaint,
    ResolveComplaint,
    RespondToComplaint,
)
from domain.complaint import Complaint
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, iso_utc_or_none
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import directory_answer, history_answer, moment
from interfaces.http.schemas import complaints as bodies
from interfaces.http.schemas.answers import complaints as answers

router = APIRouter(prefix="/complaints", tags=["complaints"])


def _dated(items: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]:
    return [
        {k: iso_utc_or_none(v) if isinstance(v, datetime) else v for k, v in i.items()}
        for i in items
    ]


def represent(complaint: Complaint, judged_at: datetime) -> dict[str, Any]:
    """A complaint as `GET /complaints/{id}` answers it, its timings judged at a moment."""
    return {
        "id": str(complaint.id),
        "version": complaint.version,
        "status": complaint.status,
        "customer_id": str(complaint.customer_id),
        "contract_id": None if complaint.contract_id is None else str(complaint.contract_id),
        "channel": complaint.channel,
        "category": complaint.category,
        "severity": complaint.severity,
        "description": complaint.description,
        "received_at": iso_utc_or_none(complaint.received_at),
        "respond_by": iso_utc_or_none(complaint.respond_by),
        "resolve_by": iso_utc_or_none(complaint.resolve_by),
        "assignee_id": complaint.assignee_id,
        "escalation_level": complaint.escalation_level,
        "escalations": _dated(complaint.escalations),
        "responded_at": iso_utc_or_none(complaint.responded_at),
        "response": complaint.response,
        "progress": _dated(complaint.progress),
        "resolved_at": iso_utc_or_none(complaint.resolved_at),
        "resolution": complaint.resolution,
        "root_cause": complaint.root_cause,
        "corrective_action": complaint.corrective_action,
        "closed_at": iso_utc_or_none(complaint.closed_at),
        "satisfaction": complaint.satisfaction,
        "reopens": _dated(complaint.reopens),
        "timings": {"judged_at": iso_utc(judged_at), **complaint.timings(judged_at)},
        "created_at": iso_utc(complaint.created_on),
        "updated_at": iso_utc(complaint.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "customer_id": row["customer_id"],
        "contract_id": row["contract_id"],
        "channel": row["channel"],
        "category": row["category"],
        "severity": row["severity"],
        "assignee_id": row["assignee_id"],
        "escalation_level": row["escalation_level"],
        "received_at": row["received_at"],
        "respond_by": row["respond_by"],
        "resolve_by": row["resolve_by"],
        "responded_at": row["responded_at"],
        "resolved_at": row["resolved_at"],
        "closed_at": row["closed_at"],
        "satisfaction": row["satisfaction"],
        "reopens": row["reopen_count"],
        "version": row["version"],
        "position": row["received_position"],
    }


@router.post(
    "", status_code=201, openapi_extra=body_schema(bodies.ReceiveComplaint), responses=CREATE
)
async def receive_complaint(call: CommandDep) -> JSONResponse:
    """Receive a customer's complaint; its SLA deadlines are stamped (service, sales_manager)."""
    body = await call.read(ReceiveComplaint, bodies.ReceiveComplaint)
    command = ReceiveComplaint(
        customer_id=body.customer_id,
        channel=body.channel,
        category=body.category,
        severity=body.severity,
        description=body.description,
        contract_id=body.contract_id,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{complaint_id}/assign", openapi_extra=body_schema(bodies.Assign), responses=COMMAND)
async def assign(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Hand the received complaint to an active employee (service, sales_manager)."""
    body = await call.read(AssignComplaint, bodies.Assign, Target(Complaint, complaint_id))
    return await call.answer(AssignComplaint(complaint_id, body.assignee_id, body.occurred_at))


@router.post(
    "/{complaint_id}/respond", openapi_extra=body_schema(bodies.Respond), responses=COMMAND
)
async def respond(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Give the customer the first answer (service, sales_manager)."""
    body = await call.read(RespondToComplaint, bodies.Respond, Target(Complaint, complaint_id))
    return await call.answer(RespondToComplaint(complaint_id, body.message, body.occurred_at))


@router.post(
    "/{complaint_id}/progress", openapi_extra=body_schema(bodies.Progress), responses=COMMAND
)
async def record_progress(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Note progress, and whether the customer was told (service, sales_manager)."""
    body = await call.read(
        RecordComplaintProgress, bodies.Progress, Target(Complaint, complaint_id)
    )
    command = RecordComplaintProgress(
        complaint_id, body.note, body.customer_informed, body.occurred_at
    )
    return await call.answer(command)


@router.post(
    "/{complaint_id}/escalate", openapi_extra=body_schema(bodies.Escalate), responses=COMMAND
)
async def escalate(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Raise the open complaint to a higher escalation level (service, sales_manager)."""
    body = await call.read(EscalateComplaint, bodies.Escalate, Target(Complaint, complaint_id))
    command = EscalateComplaint(complaint_id, body.level, body.reason, body.occurred_at)
    return await call.answer(command)


@router.post(
    "/{complaint_id}/resolve", openapi_extra=body_schema(bodies.Resolve), responses=COMMAND
)
async def resolve(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Resolve with a root cause and a corrective action (service, sales_manager)."""
    body = await call.read(ResolveComplaint, bodies.Resolve, Target(Complaint, complaint_id))
    command = ResolveComplaint(
        complaint_id,
        resolution=body.resolution,
        root_cause=body.root_cause,
        corrective_action=body.corrective_action,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{complaint_id}/close", openapi_extra=body_schema(bodies.Close), responses=COMMAND)
async def close(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Close the resolved complaint, with satisfaction 1-5 if given (service, sales_manager)."""
    body = await call.read(CloseComplaint, bodies.Close, Target(Complaint, complaint_id))
    return await call.answer(CloseComplaint(complaint_id, body.satisfaction, body.occurred_at))


@router.post("/{complaint_id}/reopen", openapi_extra=body_schema(bodies.Reopen), responses=COMMAND)
async def reopen(complaint_id: UUID, call: CommandDep) -> JSONResponse:
    """Reopen within 30 days of the resolution (service, sales_manager)."""
    body = await call.read(ReopenComplaint, bodies.Reopen, Target(Complaint, complaint_id))
    return await call.answer(ReopenComplaint(complaint_id, body.reason, body.occurred_at))


@router.get("", responses=list_of(answers.ComplaintItem))
def list_complaints(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    customer_id: UUID | None = None,
    assignee_id: str | None = None,
    severity: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Complaints in the order they were received, filtered."""
    return directory_answer(
        services,
        "complaints",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        customer_id=str(customer_id) if customer_id else None,
        assignee_id=assignee_id,
        severity=severity,
        category=category,
        channel=channel,
    )


@router.get("/{complaint_id}", responses=read_of(answers.ComplaintView))
def get_complaint(
    complaint_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A complaint now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    at = moment(as_of, "as_of")
    complaint = services.backoffice.get(complaint_id, Complaint, version=version, as_of=at)
    if at is not None:
        judged_at = at
    elif version is not None:
        judged_at = complaint.modified_on
    else:
        judged_at = services.backoffice.clock()
    return JSONResponse(represent(complaint, judged_at), headers={"ETag": f'"{complaint.version}"'})


@router.get("/{complaint_id}/history", responses=history_of())
def complaint_history(
    complaint_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a complaint, oldest first, with actor and both times."""
    return history_answer(services, Complaint, complaint_id, limit, cursor, wait_for)
