"""`/staffing-plans`: commands, the plan now and as of a time, its history, and the list.

`GET /staffing-plans/{id}` shows the working revision (`revision`, `status`, `lines`),
the revision in force (`approved`: its lines, approval time and approver; null before
the first approval) and every approved revision (`revisions`, each with the plan
`version` it reached, for `?version=`). Money as decimal strings, headcounts integers.
A plan's id derives from its department and fiscal year (domain/staffing_plan.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.staffing import (
    AmendStaffingPlan,
    ApproveStaffingPlan,
    DraftStaffingPlan,
    ReturnStaffingPlan,
    ReviseStaffingPlan,
    SubmitStaffingPlan,
)
from domain.department import department_key
from domain.staffing_plan import StaffingLine, StaffingPlan
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, iso_utc_or_none
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import (
    aggregate_answer,
    directory_answer,
    fiscal_year_filter,
    history_answer,
)
from interfaces.http.routers.plan_revisions import (
    approved_revision,
    approved_revisions,
    returned_revision,
)
from interfaces.http.schemas import staffing_plans as bodies
from interfaces.http.schemas.answers import staffing_plans as answers
from interfaces.http.schemas.common import Empty

router = APIRouter(prefix="/staffing-plans", tags=["staffing plans"])


def _lines(lines: Sequence[StaffingLine]) -> list[dict[str, Any]]:
    return [
        {
            "position": line["position"],
            "quarter": line["quarter"],
            "headcount": line["headcount"],
            "monthly_cost_per_head": str(line["monthly_cost_per_head"]),
        }
        for line in lines
    ]


def represent(plan: StaffingPlan) -> dict[str, Any]:
    """A plan as `GET /staffing-plans/{id}` answers it."""
    approved = plan.approved
    return {
        "id": str(plan.id),
        "version": plan.version,
        "status": plan.status,
        "department": plan.department,
        "fiscal_year": plan.fiscal_year,
        "revision": plan.revision,
        "lines": _lines(plan.lines),
        "submitted_by": plan.submitted_by,
        "submitted_at": iso_utc_or_none(plan.submitted_at),
        "returned": returned_revision(plan.returned),
        "approved": None
        if approved is None
        else approved_revision(approved, lines=_lines(approved["lines"])),
        "revisions": approved_revisions(plan.revisions),
        "created_at": iso_utc(plan.created_on),
        "updated_at": iso_utc(plan.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "department": row["department"],
        "fiscal_year": row["fiscal_year"],
        "status": row["status"],
        "revision": row["revision"],
        "approved_revision": row["approved_revision"],
        "approved_at": row["approved_at"],
        "approved_by": row["approved_by"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "position": row["created_position"],
    }


def _lines_given(lines: list[bodies.StaffingLine]) -> list[dict[str, Any]]:
    return [line.model_dump() for line in lines]


@router.post(
    "", status_code=201, openapi_extra=body_schema(bodies.DraftStaffingPlan), responses=CREATE
)
async def draft_staffing_plan(call: CommandDep) -> JSONResponse:
    """Draft a department's plan for a fiscal year (hr); one plan a department a year."""
    body = await call.read(DraftStaffingPlan, bodies.DraftStaffingPlan)
    command = DraftStaffingPlan(
        department=body.department, fiscal_year=body.fiscal_year, lines=_lines_given(body.lines)
    )
    return await call.answer(command)


@router.post(
    "/{plan_id}/amend", openapi_extra=body_schema(bodies.AmendStaffingPlan), responses=COMMAND
)
async def amend_staffing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Replace the lines of a draft (hr)."""
    body = await call.read(
        AmendStaffingPlan, bodies.AmendStaffingPlan, Target(StaffingPlan, plan_id)
    )
    return await call.answer(AmendStaffingPlan(plan_id, lines=_lines_given(body.lines)))


@router.post("/{plan_id}/submit", openapi_extra=body_schema(Empty), responses=COMMAND)
async def submit_staffing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the draft revision before an executive (hr)."""
    await call.read(SubmitStaffingPlan, Empty, Target(StaffingPlan, plan_id))
    return await call.answer(SubmitStaffingPlan(plan_id))


@router.post("/{plan_id}/approve", openapi_extra=body_schema(Empty), responses=COMMAND)
async def approve_staffing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the revision in force (an executive other than the submitter)."""
    await call.read(ApproveStaffingPlan, Empty, Target(StaffingPlan, plan_id))
    return await call.answer(ApproveStaffingPlan(plan_id))


@router.post("/{plan_id}/return", openapi_extra=body_schema(bodies.Return), responses=COMMAND)
async def return_staffing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Send the revision back to draft with comments (an executive other than the submitter)."""
    body = await call.read(ReturnStaffingPlan, bodies.Return, Target(StaffingPlan, plan_id))
    return await call.answer(ReturnStaffingPlan(plan_id, body.comments))


@router.post("/{plan_id}/revise", openapi_extra=body_schema(Empty), responses=COMMAND)
async def revise_staffing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Start a new revision of the approved plan (hr); the approved one stays in force."""
    await call.read(ReviseStaffingPlan, Empty, Target(StaffingPlan, plan_id))
    return await call.answer(ReviseStaffingPlan(plan_id))


@router.get("", responses=list_of(answers.StaffingPlanItem))
def list_staffing_plans(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    fiscal_year: int | None = None,
    department: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Staffing plans in the order they were drafted, by status, fiscal year, department."""
    return directory_answer(
        services,
        "staffing_plans",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        fiscal_year=fiscal_year_filter(fiscal_year),
        department_key=None if department is None else department_key(department),
    )


@router.get("/{plan_id}", responses=read_of(answers.StaffingPlanView))
def get_staffing_plan(
    plan_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A plan now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, StaffingPlan, plan_id, version, as_of, represent)


@router.get("/{plan_id}/history", responses=history_of())
def staffing_plan_history(
    plan_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a plan, oldest first, with actor and both times."""
    return history_answer(services, StaffingPlan, plan_id, limit, cursor, wait_for)
