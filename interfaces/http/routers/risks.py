"""`/risks`: commands, the risk now and as of a time, its history, and the list.

`POST /risks/{id}/actions` answers 201 with the new action's id;
`POST /risks/{id}/actions/{aid}/complete` answers 404 for an action the risk does not
have. `GET /risks` filters by `status`, `category`, `owner_id` and current `level`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.risks import (
    AddRiskAction,
    AssessRisk,
    CloseRisk,
    CompleteRiskAction,
    IdentifyRisk,
    ReopenRisk,
)
from domain.risk import Risk
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, iso_utc_or_none
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import risks as bodies
from interfaces.http.schemas.answers import risks as answers

router = APIRouter(prefix="/risks", tags=["risks"])


def represent(risk: Risk) -> dict[str, Any]:
    """A risk as `GET /risks/{id}` answers it: its current level and every assessment."""
    current: Mapping[str, Any] = risk.current_assessment or {}
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
                "assessed_at": iso_utc_or_none(a["assessed_at"]),
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
                "added_at": iso_utc_or_none(a["added_at"]),
                "completed_at": iso_utc_or_none(a["completed_at"]),
                "outcome": a["outcome"],
            }
            for a in risk.actions.values()
        ],
        "identified_at": iso_utc_or_none(risk.identified_at),
        "closed_at": iso_utc_or_none(risk.closed_at),
        "close_reason": risk.close_reason,
        "reopens": [
            {"reason": r["reason"], "occurred_at": iso_utc_or_none(r["occurred_at"])}
            for r in risk.reopens
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


@router.post("", status_code=201, openapi_extra=body_schema(bodies.IdentifyRisk), responses=CREATE)
async def identify_risk(call: CommandDep) -> JSONResponse:
    """Enter a risk in the register (any role but the auditor)."""
    body = await call.read(IdentifyRisk, bodies.IdentifyRisk)
    command = IdentifyRisk(
        category=body.category,
        title=body.title,
        description=body.description,
        owner_id=body.owner_id,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{risk_id}/assess", openapi_extra=body_schema(bodies.Assess), responses=COMMAND)
async def assess(risk_id: UUID, call: CommandDep) -> JSONResponse:
    """Assess or reassess the risk's likelihood and impact (any role but the auditor)."""
    body = await call.read(AssessRisk, bodies.Assess, Target(Risk, risk_id))
    command = AssessRisk(
        risk_id,
        likelihood=body.likelihood,
        impact=body.impact,
        rationale=body.rationale,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post(
    "/{risk_id}/actions",
    status_code=201,
    openapi_extra=body_schema(bodies.AddAction),
    responses=CREATE,
)
async def add_action(risk_id: UUID, call: CommandDep) -> JSONResponse:
    """Plan an action on the risk; answers the action's id (any role but the auditor)."""
    body = await call.read(AddRiskAction, bodies.AddAction, Target(Risk, risk_id))
    command = AddRiskAction(
        risk_id,
        description=body.description,
        due_on=body.due_on,
        owner_id=body.owner_id,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command, created_id="action_id")


@router.post(
    "/{risk_id}/actions/{action_id}/complete",
    openapi_extra=body_schema(bodies.CompleteAction),
    responses=COMMAND,
)
async def complete_action(risk_id: UUID, action_id: UUID, call: CommandDep) -> JSONResponse:
    """Record an action as done, with its outcome (any role but the auditor)."""
    target = Target(Risk, risk_id, "actions", action_id)
    body = await call.read(CompleteRiskAction, bodies.CompleteAction, target)
    command = CompleteRiskAction(
        risk_id, action_id, outcome=body.outcome, occurred_at=body.occurred_at
    )
    return await call.answer(command)


@router.post("/{risk_id}/close", openapi_extra=body_schema(bodies.Close), responses=COMMAND)
async def close(risk_id: UUID, call: CommandDep) -> JSONResponse:
    """Close the risk being mitigated, saying why (any role but the auditor)."""
    body = await call.read(CloseRisk, bodies.Close, Target(Risk, risk_id))
    return await call.answer(CloseRisk(risk_id, body.reason, body.occurred_at))


@router.post("/{risk_id}/reopen", openapi_extra=body_schema(bodies.Reopen), responses=COMMAND)
async def reopen(risk_id: UUID, call: CommandDep) -> JSONResponse:
    """Reopen a closed risk, saying why (any role but the auditor)."""
    body = await call.read(ReopenRisk, bodies.Reopen, Target(Risk, risk_id))
    return await call.answer(ReopenRisk(risk_id, body.reason, body.occurred_at))


@router.get("", responses=list_of(answers.RiskItem))
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


@router.get("/{risk_id}", responses=read_of(answers.RiskView))
def get_risk(
    risk_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A risk now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, Risk, risk_id, version, as_of, represent)


@router.get("/{risk_id}/history", responses=history_of())
def risk_history(
    risk_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a risk, oldest first, with actor and both times."""
    return history_answer(services, Risk, risk_id, limit, cursor, wait_for)
