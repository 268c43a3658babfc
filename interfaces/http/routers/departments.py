"""`/departments/{name}`: a department's roster now, at a version or as of a time, its history.

The roster answers `{department, positions: {position: [employee_id]}, version}` (API.md,
staffing-plans), with `id` and each member's `since` beside it. A department is named
as written anywhere (names compare trimmed, spaces collapsed, casefolded); one no move
ever touched is 404. Every authenticated role may read it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.department import Department, department_id
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc
from interfaces.http.openapi import history_of, read_of
from interfaces.http.reads import aggregate_answer, history_answer, refuse_nul
from interfaces.http.schemas.answers.staffing_plans import DepartmentView

router = APIRouter(prefix="/departments", tags=["departments"])


def represent(department: Department) -> dict[str, Any]:
    """A roster as `GET /departments/{name}` answers it."""
    return {
        "id": str(department.id),
        "department": department.name,
        "positions": department.positions,
        "members": {
            employee_id: {"position": m["position"], "since": m["since"].isoformat()}
            for employee_id, m in sorted(department.members.items())
        },
        "version": department.version,
        "created_at": iso_utc(department.created_on),
        "updated_at": iso_utc(department.modified_on),
    }


@router.get("/{name}", responses=read_of(DepartmentView))
def get_department(
    name: str,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A roster now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    refuse_nul(name=name)
    return aggregate_answer(services, Department, department_id(name), version, as_of, represent)


@router.get("/{name}/history", responses=history_of())
def department_history(
    name: str,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every move on a roster, oldest first, with actor and both times."""
    refuse_nul(name=name)
    return history_answer(services, Department, department_id(name), limit, cursor, wait_for)
