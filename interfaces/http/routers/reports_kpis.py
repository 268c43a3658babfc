"""`/reports/kpis`: company and employee KPIs (the `kpis` read model).

`GET /reports/kpis/company?period=` answers `{"items": [row]}` for one period
(`YYYY`, `YYYY-Qn`, `YYYY-MM`); every role may read it. It also takes an optional
`as_of` (a date, the end of that day, or a timestamp; default now), which only the SLA
compliance depends on, and echoes it when passed.

`GET /reports/kpis/employees/{id}?period=` answers `{"items": [row]}` likewise, as
every report does. It is people data, readable by hr, executive, auditor, admin, the
employee and their manager. Checks: an unknown employee is 404, a bad period 422, then
anyone else 403.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.employee import Employee
from domain.errors import Forbidden, NotFound
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, READ
from interfaces.http.reads import caught_up, moment, read_answer
from projections.kpis import period_days

router = APIRouter(prefix="/reports/kpis", tags=["reports"])


@router.get("/company", responses=LIST)
def company_kpis(
    caller: CurrentCaller,
    services: ServicesDep,
    period: str | None = None,
    as_of: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Revenue against target, customers won, collections, service, marketing and budget."""
    period_days(period)
    at = moment(as_of, "as_of") or services.backoffice.clock()
    fresh = caught_up(services, "kpis", wait_for)
    row = services.read_side.view("kpis").company(period, at)
    content = {"as_of": as_of, "items": [row]} if as_of is not None else {"items": [row]}
    return read_answer(content, fresh)


@router.get("/employees/{employee_id}", responses=READ)
def employee_kpis(
    employee_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    period: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Each targeted metric against its target, weighted attainment, training, rating."""
    if not services.backoffice.exists(employee_id, Employee):
        raise NotFound(f"employee {employee_id} not found")
    period_days(period)
    employee = services.backoffice.get(employee_id, Employee)
    if not caller.may_read_people_data(str(employee.id), employee.manager_id):
        raise Forbidden(
            "an employee's KPIs are readable by hr, executive, auditor, admin,"
            " the employee and their manager"
        )
    fresh = caught_up(services, "kpis", wait_for)
    row = services.read_side.view("kpis").employee(str(employee_id), period)
    return read_answer({"items": [row]}, fresh)
