"""`/employees`: commands, the employee now and as of a time, its history, and the list.

An employee's record, its history and its past states are people data (DOMAIN.md,
Roles): readable by hr, executive, auditor and admin, by the employee (token `sub` ==
employee id) and by their current manager; anyone else is answered 403 `forbidden`.
An unknown id answers 404 first (the directory shows every id to every role anyway).
The list, `GET /employees`, is the directory every role may read: name, position,
department, status and manager, never grades, targets or appraisals.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from application.commands.employees import (
    AwardBonus,
    CloseImprovementPlan,
    EraseEmployee,
    FinalizeAppraisal,
    GrantHonor,
    HireEmployee,
    OpenAppraisal,
    PromoteEmployee,
    RecordInterview,
    RecordTraining,
    RegisterCandidate,
    RejectCandidate,
    SetEmployeeTargets,
    StartImprovementPlan,
    SubmitEvaluation,
    TerminateEmployee,
    TransferEmployee,
)
from application.permissions import Caller
from domain.employee import Employee
from domain.employee import Target as KpiTarget
from domain.errors import Forbidden
from interfaces.bootstrap import Services
from interfaces.erasure import compact_after_erasure
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import COMMAND, CREATE, command_of, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import employees as bodies
from interfaces.http.schemas.answers import employees as answers
from interfaces.http.schemas.common import Empty
from interfaces.personal_data import destroy_key

router = APIRouter(prefix="/employees", tags=["employees"])


def represent(employee: Employee) -> dict[str, Any]:
    """An employee as `GET /employees/{id}` answers it (people data)."""
    return {
        "id": str(employee.id),
        "version": employee.version,
        "status": employee.status,
        "name": employee.name,
        "position": employee.position,
        "department": employee.department,
        "grade": employee.grade,
        "manager_id": employee.manager_id,
        "source": employee.source,
        "hired_on": plain(employee.hired_on),
        "terminated_on": plain(employee.terminated_on),
        "termination_reason": employee.termination_reason,
        "rejection_reason": employee.rejection_reason,
        "interviews": plain(employee.interviews),
        "targets": [
            {"period": period, "items": plain(items)}
            for period, items in sorted(employee.targets.items())
        ],
        "trainings": plain(employee.trainings),
        "training_hours": str(employee.training_hours),
        "appraisals": [
            {
                **plain({k: v for k, v in a.items() if k != "evaluations"}),
                "evaluations": plain(a["evaluations"]),
            }
            for a in employee.appraisals.values()
        ],
        "latest_rating": employee.latest_rating,
        "bonuses": plain(employee.bonuses),
        "honors": plain(employee.honors),
        "improvement_plans": plain(list(employee.improvement_plans.values())),
        "created_at": iso_utc(employee.created_on),
        "updated_at": iso_utc(employee.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "position": row["position"],
        "department": row["department"],
        "status": row["status"],
        "manager_id": row["manager_id"],
        "hired_on": row["hired_on"],
        "version": row["version"],
        "registered_position": row["registered_position"],
    }


def _readable(services: Services, caller: Caller, employee_id: UUID) -> Employee:
    """The employee now, if the caller may read their people data; else 404 or 403."""
    employee = services.backoffice.get(employee_id, Employee)
    if not caller.may_read_people_data(str(employee.id), employee.manager_id):
        raise Forbidden(
            "an employee's record is readable by hr, executive, auditor, admin,"
            " the employee and their manager"
        )
    return employee


@router.post(
    "", status_code=201, openapi_extra=body_schema(bodies.RegisterCandidate), responses=CREATE
)
async def register_candidate(call: CommandDep) -> JSONResponse:
    """Register a candidate (hr); the id is the person's employee id for good."""
    body = await call.read(RegisterCandidate, bodies.RegisterCandidate)
    command = RegisterCandidate(
        name=body.name, position=body.position, department=body.department, source=body.source
    )
    return await call.answer(command)


@router.post("/{employee_id}/erase", openapi_extra=body_schema(bodies.Erase), responses=COMMAND)
async def erase_employee(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Erase a candidate's or employee's personal data for good (legal, hr)."""
    body = await call.read(EraseEmployee, bodies.Erase, Target(Employee, employee_id))
    answer = await call.answer(EraseEmployee(employee_id, body.reason))
    # Once the erasure is saved; a crash before this is repaired by the key store.
    await run_in_threadpool(destroy_key, call.services.backoffice.mapper, employee_id)
    # And the old values out of the PostgreSQL tables that held them (interfaces/erasure.py).
    position = json.loads(bytes(answer.body))["position"]
    await run_in_threadpool(compact_after_erasure, call.services, position)
    return answer


@router.post(
    "/{employee_id}/interviews",
    openapi_extra=body_schema(bodies.RecordInterview),
    responses=COMMAND,
)
async def record_interview(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Record a screening, interview, written test or background check of a candidate (hr)."""
    body = await call.read(RecordInterview, bodies.RecordInterview, Target(Employee, employee_id))
    command = RecordInterview(
        employee_id,
        kind=body.kind,
        result=body.result,
        score=body.score,
        notes=body.notes,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{employee_id}/hire", openapi_extra=body_schema(bodies.Hire), responses=COMMAND)
async def hire(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Hire a candidate who passed an interview and a background check (hr)."""
    body = await call.read(HireEmployee, bodies.Hire, Target(Employee, employee_id))
    command = HireEmployee(
        employee_id,
        hired_on=body.hired_on,
        position=body.position,
        department=body.department,
        manager_id=body.manager_id,
        grade=body.grade,
    )
    return await call.answer(command)


@router.post(
    "/{employee_id}/reject", openapi_extra=body_schema(bodies.RejectCandidate), responses=COMMAND
)
async def reject_candidate(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Turn a candidate down, with the reason (hr)."""
    body = await call.read(RejectCandidate, bodies.RejectCandidate, Target(Employee, employee_id))
    return await call.answer(RejectCandidate(employee_id, body.reason))


@router.post(
    "/{employee_id}/transfer", openapi_extra=body_schema(bodies.Transfer), responses=COMMAND
)
async def transfer(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Move an employee to a department, with a new position or manager if named (hr)."""
    body = await call.read(TransferEmployee, bodies.Transfer, Target(Employee, employee_id))
    command = TransferEmployee(
        employee_id, department=body.department, position=body.position, manager_id=body.manager_id
    )
    return await call.answer(command)


@router.post("/{employee_id}/promote", openapi_extra=body_schema(bodies.Promote), responses=COMMAND)
async def promote(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Give an employee a new position, and a new grade if named (hr)."""
    body = await call.read(PromoteEmployee, bodies.Promote, Target(Employee, employee_id))
    return await call.answer(PromoteEmployee(employee_id, position=body.position, grade=body.grade))


@router.post(
    "/{employee_id}/terminate", openapi_extra=body_schema(bodies.Terminate), responses=COMMAND
)
async def terminate(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """End an employment on a day, with the reason (hr)."""
    body = await call.read(TerminateEmployee, bodies.Terminate, Target(Employee, employee_id))
    return await call.answer(TerminateEmployee(employee_id, reason=body.reason, on=body.on))


@router.post(
    "/{employee_id}/targets", openapi_extra=body_schema(bodies.SetTargets), responses=COMMAND
)
async def set_targets(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Set the KPI targets of a period, replacing earlier ones for it (sales_manager, hr)."""
    body = await call.read(SetEmployeeTargets, bodies.SetTargets, Target(Employee, employee_id))
    items = [KpiTarget(metric=i.metric, target=i.target, weight=i.weight) for i in body.items]
    return await call.answer(SetEmployeeTargets(employee_id, period=body.period, items=items))


@router.post(
    "/{employee_id}/trainings", openapi_extra=body_schema(bodies.RecordTraining), responses=COMMAND
)
async def record_training(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Record a completed training (hr, or the employee's manager in any working role)."""
    body = await call.read(RecordTraining, bodies.RecordTraining, Target(Employee, employee_id))
    command = RecordTraining(
        employee_id,
        course=body.course,
        kind=body.kind,
        hours=body.hours,
        completed_on=body.completed_on,
        score=body.score,
        feedback=body.feedback,
    )
    return await call.answer(command)


@router.post(
    "/{employee_id}/appraisals",
    status_code=201,
    openapi_extra=body_schema(bodies.OpenAppraisal),
    responses=CREATE,
)
async def open_appraisal(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Open the appraisal of a cycle and period; answers the appraisal's id (hr)."""
    body = await call.read(OpenAppraisal, bodies.OpenAppraisal, Target(Employee, employee_id))
    command = OpenAppraisal(employee_id, cycle=body.cycle, period=body.period)
    return await call.answer(command, created_id="appraisal_id")


@router.post(
    "/{employee_id}/appraisals/{appraisal_id}/evaluations",
    openapi_extra=body_schema(bodies.SubmitEvaluation),
    responses=COMMAND,
)
async def submit_evaluation(
    employee_id: UUID, appraisal_id: UUID, call: CommandDep
) -> JSONResponse:
    """Evaluate as superior, peer, self or customer; any working role, checked by identity."""
    target = Target(Employee, employee_id, "appraisals", appraisal_id)
    body = await call.read(SubmitEvaluation, bodies.SubmitEvaluation, target)
    command = SubmitEvaluation(
        employee_id,
        appraisal_id,
        source=body.source,
        kpi_score=body.kpi_score,
        goals_score=body.goals_score,
        attitude_score=body.attitude_score,
        comments=body.comments,
    )
    return await call.answer(command)


@router.post(
    "/{employee_id}/appraisals/{appraisal_id}/finalize",
    openapi_extra=body_schema(Empty),
    responses=command_of(answers.AppraisalFinalized),
)
async def finalize_appraisal(
    employee_id: UUID, appraisal_id: UUID, call: CommandDep
) -> JSONResponse:
    """Score and rate an appraisal; answers its score and rating (hr)."""
    target = Target(Employee, employee_id, "appraisals", appraisal_id)
    await call.read(FinalizeAppraisal, Empty, target)
    return await call.answer(FinalizeAppraisal(employee_id, appraisal_id))


@router.post(
    "/{employee_id}/bonuses", openapi_extra=body_schema(bodies.AwardBonus), responses=COMMAND
)
async def award_bonus(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Award a bonus, citing the finalised appraisal it rewards if any (hr, executive)."""
    body = await call.read(AwardBonus, bodies.AwardBonus, Target(Employee, employee_id))
    command = AwardBonus(
        employee_id, amount=body.amount, reason=body.reason, appraisal_id=body.appraisal_id
    )
    return await call.answer(command)


@router.post(
    "/{employee_id}/honors", openapi_extra=body_schema(bodies.GrantHonor), responses=COMMAND
)
async def grant_honor(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Grant an honour title (hr, executive)."""
    body = await call.read(GrantHonor, bodies.GrantHonor, Target(Employee, employee_id))
    return await call.answer(GrantHonor(employee_id, body.title))


@router.post(
    "/{employee_id}/improvement-plans",
    status_code=201,
    openapi_extra=body_schema(bodies.StartImprovementPlan),
    responses=CREATE,
)
async def start_improvement_plan(employee_id: UUID, call: CommandDep) -> JSONResponse:
    """Start an improvement plan after a rating of C or D; answers its id (hr, executive)."""
    body = await call.read(
        StartImprovementPlan, bodies.StartImprovementPlan, Target(Employee, employee_id)
    )
    command = StartImprovementPlan(employee_id, goals=body.goals, due_on=body.due_on)
    return await call.answer(command, created_id="plan_id")


@router.post(
    "/{employee_id}/improvement-plans/{plan_id}/close",
    openapi_extra=body_schema(bodies.CloseImprovementPlan),
    responses=COMMAND,
)
async def close_improvement_plan(
    employee_id: UUID, plan_id: UUID, call: CommandDep
) -> JSONResponse:
    """Close an improvement plan as passed or failed (hr, executive)."""
    target = Target(Employee, employee_id, "improvement_plans", plan_id)
    body = await call.read(CloseImprovementPlan, bodies.CloseImprovementPlan, target)
    return await call.answer(CloseImprovementPlan(employee_id, plan_id, body.outcome))


@router.get("", responses=list_of(answers.EmployeeItem))
def list_employees(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    department: str | None = None,
    manager_id: str | None = None,
    q: Annotated[str | None, Query(description="text search on the name")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """The directory, in order of registration: every role may read it; no people data.

    Its items carry the job `position`, so the cursor follows `registered_position`.
    """
    return directory_answer(
        services,
        "employee_directory",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        key="registered_position",
        status=status,
        department=department,
        manager_id=manager_id,
        q=q,
    )


@router.get("/{employee_id}", responses=read_of(answers.EmployeeView))
def get_employee(
    employee_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """An employee now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    _readable(services, caller, employee_id)
    return aggregate_answer(services, Employee, employee_id, version, as_of, represent)


@router.get("/{employee_id}/history", responses=history_of())
def employee_history(
    employee_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of an employee, oldest first, with actor and both times (people data)."""
    _readable(services, caller, employee_id)
    return history_answer(services, Employee, employee_id, limit, cursor, wait_for)
