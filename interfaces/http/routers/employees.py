"""`/employees`: commands, the employee now and as of a time, its history, and the list.

An employee's record, its history and its past states are people data (DOMAIN.md,
Roles): readable by hr, executive, auditor and admin, by the employee (token `sub` ==
employee id) and by their current manager; anyone else is answered 403 `forbidden`.
An unknown id answers 404 first (the directory shows every id to every role anyway).
The list, `GET /employees`, is the directory every role may read: name, position,
department, status and manager, never grades, targets or appraisals.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from application.permissions import Caller
from domain.employee import Employee
from domain.errors import Forbidden
from interfaces.bootstrap import Services
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer, history_answer, moment
from interfaces.http.routes import command_route, create_route
from interfaces.http.schemas import employees as bodies
from interfaces.http.schemas.common import Empty
from projections.events import iso_utc, plain

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


create_route(
    router,
    Employee,
    "employee.register_candidate",
    bodies.RegisterCandidate,
    lambda app, cmd, body: app.register_candidate(cmd, **body.model_dump()),
)


def _dump(body: Any) -> dict[str, Any]:
    return body.model_dump()


for path, permission, model, call, answer_with in (
    (
        "/{id}/interviews",
        "employee.interview",
        bodies.RecordInterview,
        lambda a, c, i, b: a.record_interview(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/hire",
        "employee.hire",
        bodies.Hire,
        lambda a, c, i, b: a.hire_employee(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/reject",
        "employee.reject_candidate",
        bodies.RejectCandidate,
        lambda a, c, i, b: a.reject_candidate(c, i, b.reason),
        None,
    ),
    (
        "/{id}/transfer",
        "employee.transfer",
        bodies.Transfer,
        lambda a, c, i, b: a.transfer_employee(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/promote",
        "employee.promote",
        bodies.Promote,
        lambda a, c, i, b: a.promote_employee(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/terminate",
        "employee.terminate",
        bodies.Terminate,
        lambda a, c, i, b: a.terminate_employee(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/targets",
        "employee.targets",
        bodies.SetTargets,
        lambda a, c, i, b: a.set_employee_targets(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/trainings",
        "employee.training",
        bodies.RecordTraining,
        lambda a, c, i, b: a.record_training(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/appraisals",
        "employee.appraisal_open",
        bodies.OpenAppraisal,
        lambda a, c, i, b: a.open_appraisal(c, i, **_dump(b)),
        "appraisal_id",
    ),
    (
        "/{id}/bonuses",
        "employee.bonus",
        bodies.AwardBonus,
        lambda a, c, i, b: a.award_bonus(c, i, **_dump(b)),
        None,
    ),
    (
        "/{id}/honors",
        "employee.honor",
        bodies.GrantHonor,
        lambda a, c, i, b: a.grant_honor(c, i, b.title),
        None,
    ),
    (
        "/{id}/improvement-plans",
        "employee.improvement_plan",
        bodies.StartImprovementPlan,
        lambda a, c, i, b: a.start_improvement_plan(c, i, **_dump(b)),
        "plan_id",
    ),
):
    command_route(router, Employee, path, permission, model, call, answer_with=answer_with)


for path, permission, model, call in (
    (
        "/{id}/appraisals/{sub}/evaluations",
        "employee.evaluation",
        bodies.SubmitEvaluation,
        lambda app, cmd, eid, aid, body: app.submit_evaluation(cmd, eid, aid, **_dump(body)),
    ),
    (
        "/{id}/appraisals/{sub}/finalize",
        "employee.appraisal_finalize",
        Empty,
        lambda app, cmd, eid, aid, body: app.finalize_appraisal(cmd, eid, aid),
    ),
    (
        "/{id}/improvement-plans/{sub}/close",
        "employee.improvement_plan_close",
        bodies.CloseImprovementPlan,
        lambda app, cmd, eid, pid, body: app.close_improvement_plan(cmd, eid, pid, body.outcome),
    ),
):
    command_route(
        router,
        Employee,
        path,
        permission,
        model,
        call,
        sub=UUID,
        sub_in=(
            (lambda e: e.appraisals) if "/appraisals/" in path else (lambda e: e.improvement_plans)
        ),
    )


@router.get("")
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


@router.get("/{id}", name="employee.get")
def get_employee(
    id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """An employee now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    _readable(services, caller, id)
    employee = services.backoffice.get(id, Employee, version=version, as_of=moment(as_of, "as_of"))
    return JSONResponse(represent(employee), headers={"ETag": f'"{employee.version}"'})


@router.get("/{id}/history", name="employee.history")
def employee_history(
    id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of an employee, oldest first, with actor and both times (people data)."""
    _readable(services, caller, id)
    return history_answer(services, Employee, id, limit, cursor, wait_for)
