"""`/training-programs`: commands, the program now and as of a time, its history, the list."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.training_programs import (
    AmendTrainingProgram,
    ApproveTrainingProgram,
    CancelTrainingProgram,
    CompleteTrainingProgram,
    EnrollInTrainingProgram,
    EvaluateTrainingProgram,
    PlanTrainingProgram,
    ProgramChanges,
    RecordTrainingAssessment,
    RecordTrainingAttendance,
)
from domain.training_program import TrainingProgram
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import (
    COMMAND,
    CREATE,
    command_of,
    history_of,
    list_of,
    read_of,
)
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import training_programs as bodies
from interfaces.http.schemas.answers import training_programs as answers
from interfaces.http.schemas.common import Empty
from interfaces.http.schemas.customers import Reason

router = APIRouter(prefix="/training-programs", tags=["training-programs"])


def represent(program: TrainingProgram) -> dict[str, Any]:
    """A program as `GET /training-programs/{id}` answers it."""
    return {
        "id": str(program.id),
        "version": program.version,
        "status": program.status,
        "title": program.title,
        "kind": program.kind,
        "objectives": program.objectives,
        "trainer": program.trainer,
        "sessions": plain(program.sessions),
        "target_departments": program.target_departments,
        "planned_cost": str(program.planned_cost),
        "budget_id": str(program.budget_id),
        "budget_category": "personnel",
        "period": program.period,
        "planned_by": program.planned_by,
        "approved_by": program.approved_by,
        "committed": str(program.committed),
        "participants": [
            {"employee_id": employee_id, **plain(p)}
            for employee_id, p in program.participants.items()
        ],
        "completed_on": plain(program.completed_on),
        "actual_cost": plain(program.actual_cost),
        "released": str(program.released),
        "recorded_hours": plain(program.recorded_hours),
        "review": plain(program.review),
        "cancel_reason": program.cancel_reason,
        "created_at": iso_utc(program.created_on),
        "updated_at": iso_utc(program.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    """A program as `GET /training-programs` lists it."""
    return {
        "id": row["id"],
        "title": row["title"],
        "kind": row["kind"],
        "status": row["status"],
        "trainer": row["trainer"],
        "budget_id": row["budget_id"],
        "period": row["period"],
        "first_session_on": row["first_session_on"],
        "target_departments": json.loads(row["target_departments"]),
        "planned_cost": row["planned_cost"],
        "participants": row["enrolled"],
        "version": row["version"],
        "planned_at": row["planned_at"],
        "position": row["planned_position"],
    }


def _sessions(sessions: list[bodies.Session] | None) -> list[dict[str, Any]] | None:
    return None if sessions is None else [s.model_dump() for s in sessions]


def _changes(body: bodies.AmendProgram) -> ProgramChanges:
    """The fields the body names, in the order the body model declares them."""
    changes = ProgramChanges()
    named = [n for n in bodies.AmendProgram.model_fields if n in body.model_fields_set]
    for name in named:
        value = getattr(body, name)
        changes[name] = _sessions(value) if name == "sessions" else value  # type: ignore[literal-required]
    return changes


@router.post("", status_code=201, openapi_extra=body_schema(bodies.PlanProgram), responses=CREATE)
async def plan_training_program(call: CommandDep) -> JSONResponse:
    """Plan a program paid from a budget's personnel line (hr)."""
    body = await call.read(PlanTrainingProgram, bodies.PlanProgram)
    command = PlanTrainingProgram(
        title=body.title,
        kind=body.kind,
        objectives=body.objectives,
        trainer=body.trainer,
        sessions=_sessions(body.sessions) or [],
        planned_cost=body.planned_cost,
        budget_id=body.budget_id,
        period=body.period,
        target_departments=body.target_departments,
    )
    return await call.answer(command)


@router.post(
    "/{program_id}/amend", openapi_extra=body_schema(bodies.AmendProgram), responses=COMMAND
)
async def amend_training_program(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Change fields of a planned program (hr)."""
    target = Target(TrainingProgram, program_id)
    body = await call.read(AmendTrainingProgram, bodies.AmendProgram, target)
    return await call.answer(AmendTrainingProgram(program_id, _changes(body)))


@router.post("/{program_id}/approve", openapi_extra=body_schema(Empty), responses=COMMAND)
async def approve_training_program(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Approve and commit the planned cost on the budget (executive; not the planner)."""
    await call.read(ApproveTrainingProgram, Empty, Target(TrainingProgram, program_id))
    return await call.answer(ApproveTrainingProgram(program_id))


@router.post(
    "/{program_id}/enrollments", openapi_extra=body_schema(bodies.Enrollment), responses=COMMAND
)
async def enroll_in_training_program(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Enrol an active employee (hr, or the employee's manager)."""
    target = Target(TrainingProgram, program_id)
    body = await call.read(EnrollInTrainingProgram, bodies.Enrollment, target)
    return await call.answer(EnrollInTrainingProgram(program_id, body.employee_id))


@router.post(
    "/{program_id}/attendance", openapi_extra=body_schema(bodies.Attendance), responses=COMMAND
)
async def record_training_attendance(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Record whether an enrolled employee attended a session (hr)."""
    target = Target(TrainingProgram, program_id)
    body = await call.read(RecordTrainingAttendance, bodies.Attendance, target)
    command = RecordTrainingAttendance(program_id, body.session_id, body.employee_id, body.attended)
    return await call.answer(command)


@router.post(
    "/{program_id}/assessments", openapi_extra=body_schema(bodies.Assessment), responses=COMMAND
)
async def record_training_assessment(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Record an enrolled employee's scores and reaction (hr)."""
    target = Target(TrainingProgram, program_id)
    body = await call.read(RecordTrainingAssessment, bodies.Assessment, target)
    command = RecordTrainingAssessment(
        program_id,
        body.employee_id,
        post_score=body.post_score,
        reaction=body.reaction,
        pre_score=body.pre_score,
        feedback=body.feedback,
    )
    return await call.answer(command)


@router.post(
    "/{program_id}/complete",
    openapi_extra=body_schema(bodies.Complete),
    responses=COMMAND,
    summary="Complete the program, booking its cost and every participant's hours",
)
async def complete_training_program(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Complete: book the cost, record the hours on every participant (hr)."""
    target = Target(TrainingProgram, program_id)
    body = await call.read(CompleteTrainingProgram, bodies.Complete, target)
    command = CompleteTrainingProgram(program_id, body.completed_on, body.actual_cost)
    return await call.answer(command)


@router.post(
    "/{program_id}/evaluate",
    openapi_extra=body_schema(Empty),
    responses=command_of(answers.TrainingEvaluation),
)
async def evaluate_training_program(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Review the completed program's effectiveness; answers the review (hr)."""
    await call.read(EvaluateTrainingProgram, Empty, Target(TrainingProgram, program_id))
    return await call.answer(EvaluateTrainingProgram(program_id))


@router.post("/{program_id}/cancel", openapi_extra=body_schema(Reason), responses=COMMAND)
async def cancel_training_program(program_id: UUID, call: CommandDep) -> JSONResponse:
    """Call the program off, releasing its commitment (hr, executive)."""
    body = await call.read(CancelTrainingProgram, Reason, Target(TrainingProgram, program_id))
    return await call.answer(CancelTrainingProgram(program_id, body.reason))


@router.get("", responses=list_of(answers.TrainingProgramItem))
def list_training_programs(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    kind: str | None = None,
    budget_id: UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Programs in the order they were planned, filtered."""
    return directory_answer(
        services,
        "training",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        kind=kind,
        budget_id=str(budget_id) if budget_id else None,
    )


@router.get("/{program_id}", responses=read_of(answers.TrainingProgramView))
def get_training_program(
    program_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A program now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, TrainingProgram, program_id, version, as_of, represent)


@router.get("/{program_id}/history", responses=history_of())
def training_program_history(
    program_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a program, oldest first, with actor and both times."""
    return history_answer(services, TrainingProgram, program_id, limit, cursor, wait_for)
