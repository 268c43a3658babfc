"""`/risks`: commands, the risk now and as of a time, its history, and the list.

`POST /risks/{id}/actions` answers 201 with the new action's id;
`POST /risks/{id}/actions/{aid}/complete` answers 404 for an action the risk does not
have. `GET /risks` filters by `status`, `category`, `owner_id` and current `level`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.risk import Risk
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import risks as bodies
from projections.events import iso_utc

router = APIRouter(prefix="/risks", tags=["risks"])


def _at(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def represent(risk: Risk) -> dict[str, Any]:
    """A risk as `GET /risks/{id}` answers it: its current level and every assessment."""
    current = risk.current_assessment or {}
    return {
        "id": str(risk.id),
        "version": risk.version,
        "status": risk.status,
        "category": risk.category,
        "title": risk.title,
        "description": risk.description,
        "owner_id": risk.owner_id,
        "likelihood": current.get("likelihood"),
        "impact": current.get("impact"),
        "level": current.get("level"),
        "assessments": [
            {
                "likelihood": a["likelihood"],
                "impact": a["impact"],
                "level": a["level"],
                "rationale": a["rationale"],
                "assessed_at": _at(a["assessed_at"]),
                "assessed_by": a["assessed_by"],
            }
            for a in risk.assessments
        ],
        "actions": [
            {
                "id": str(a["action_id"]),
                "description": a["description"],
                "owner_id": a["owner_id"],
                "due_on": a["due_on"].isoformat(),
                "added_at": _at(a["added_at"]),
                "completed_at": _at(a["completed_at"]),
                "outcome": a["outcome"],
            }
            for a in risk.actions.values()
        ],
        "identified_at": _at(risk.identified_at),
        "closed_at": _at(risk.closed_at),
        "close_reason": risk.close_reason,
        "reopens": [
            {"reason": r["reason"], "occurred_at": _at(r["occurred_at"])} for r in risk.reopens
        ],
        "created_at": iso_utc(risk.created_on),
        "updated_at": iso_utc(risk.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "category": row["category"],
        "title": row["title"],
        "owner_id": row["owner_id"],
        "likelihood": row["likelihood"],
        "impact": row["impact"],
        "level": row["level"],
        "open_actions": row["open_actions"],
        "identified_at": row["identified_at"],
        "version": row["version"],
        "position": row["created_position"],
    }


create_route(
    router,
    Risk,
    "risk.identify",
    bodies.IdentifyRisk,
    lambda app, cmd, body: app.identify_risk(cmd, **body.model_dump()),
)

for path, permission, model, call, answer_with in (
    (
        "/{id}/assess",
        "risk.assess",
        bodies.Assess,
        lambda a, c, i, b: a.assess_risk(c, i, **b.model_dump()),
        None,
    ),
    (
        "/{id}/actions",
        "risk.add_action",
        bodies.AddAction,
        lambda a, c, i, b: a.add_risk_action(c, i, **b.model_dump()),
        "action_id",
    ),
    (
        "/{id}/close",
        "risk.close",
        bodies.Close,
        lambda a, c, i, b: a.close_risk(c, i, b.reason, b.occurred_at),
        None,
    ),
    (
        "/{id}/reopen",
        "risk.reopen",
        bodies.Reopen,
        lambda a, c, i, b: a.reopen_risk(c, i, b.reason, b.occurred_at),
        None,
    ),
):
    command_route(router, Risk, path, permission, model, call, answer_with=answer_with)

command_route(
    router,
    Risk,
    "/{id}/actions/{sub}/complete",
    "risk.complete_action",
    bodies.CompleteAction,
    lambda a, c, i, aid, b: a.complete_risk_action(c, i, aid, **b.model_dump()),
    sub=UUID,
    sub_in=lambda risk: risk.actions,
)


@router.get("")
def list_risks(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    category: str | None = None,
    owner_id: str | None = None,
    level: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Risks in the order they were identified, filtered (level: the current one)."""
    return directory_answer(
        services,
        "risks",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        category=category,
        owner_id=owner_id,
        level=level,
    )


aggregate_reads(router, Risk, represent)
