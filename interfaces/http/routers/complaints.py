"""`/complaints`: commands, the complaint now and as of a time, its history, and the list.

`GET /complaints/{id}` shows the deadlines stamped at receipt and the timings: response
and resolution hours (the latest resolution after a reopen) and whether each deadline
was breached, judged at the moment asked (`?as_of=`), at the recording time of the
version asked (`?version=`), or now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.complaint import Complaint
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer, history_answer, moment
from interfaces.http.routes import command_route, create_route
from interfaces.http.schemas import complaints as bodies
from projections.events import iso_utc

router = APIRouter(prefix="/complaints", tags=["complaints"])


def _at(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def _dated(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _at(v) if isinstance(v, datetime) else v for k, v in i.items()} for i in items]


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
        "received_at": _at(complaint.received_at),
        "respond_by": _at(complaint.respond_by),
        "resolve_by": _at(complaint.resolve_by),
        "assignee_id": complaint.assignee_id,
        "escalation_level": complaint.escalation_level,
        "escalations": _dated(complaint.escalations),
        "responded_at": _at(complaint.responded_at),
        "response": complaint.response,
        "progress": _dated(complaint.progress),
        "resolved_at": _at(complaint.resolved_at),
        "resolution": complaint.resolution,
        "root_cause": complaint.root_cause,
        "corrective_action": complaint.corrective_action,
        "closed_at": _at(complaint.closed_at),
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


create_route(
    router,
    Complaint,
    "complaint.receive",
    bodies.ReceiveComplaint,
    lambda app, cmd, body: app.receive_complaint(cmd, **body.model_dump()),
)

for path, permission, model, call in (
    (
        "/{id}/assign",
        "complaint.assign",
        bodies.Assign,
        lambda a, c, i, b: a.assign_complaint(c, i, b.assignee_id, b.occurred_at),
    ),
    (
        "/{id}/respond",
        "complaint.respond",
        bodies.Respond,
        lambda a, c, i, b: a.respond_to_complaint(c, i, b.message, b.occurred_at),
    ),
    (
        "/{id}/progress",
        "complaint.progress",
        bodies.Progress,
        lambda a, c, i, b: a.record_complaint_progress(
            c, i, b.note, b.customer_informed, b.occurred_at
        ),
    ),
    (
        "/{id}/escalate",
        "complaint.escalate",
        bodies.Escalate,
        lambda a, c, i, b: a.escalate_complaint(c, i, b.level, b.reason, b.occurred_at),
    ),
    (
        "/{id}/resolve",
        "complaint.resolve",
        bodies.Resolve,
        lambda a, c, i, b: a.resolve_complaint(c, i, **b.model_dump()),
    ),
    (
        "/{id}/close",
        "complaint.close",
        bodies.Close,
        lambda a, c, i, b: a.close_complaint(c, i, b.satisfaction, b.occurred_at),
    ),
    (
        "/{id}/reopen",
        "complaint.reopen",
        bodies.Reopen,
        lambda a, c, i, b: a.reopen_complaint(c, i, b.reason, b.occurred_at),
    ),
):
    command_route(router, Complaint, path, permission, model, call)


@router.get("")
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


@router.get("/{id}", name="complaint.get")
def get_complaint(
    id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A complaint now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    at = moment(as_of, "as_of")
    complaint = services.backoffice.get(id, Complaint, version=version, as_of=at)
    if at is not None:
        judged_at = at
    elif version is not None:
        judged_at = complaint.modified_on
    else:
        judged_at = services.backoffice.clock()
    return JSONResponse(represent(complaint, judged_at), headers={"ETag": f'"{complaint.version}"'})


@router.get("/{id}/history", name="complaint.history")
def complaint_history(
    id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a complaint, oldest first, with actor and both times."""
    return history_answer(services, Complaint, id, limit, cursor, wait_for)
