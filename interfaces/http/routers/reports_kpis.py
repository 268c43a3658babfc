"""`/reports/kpis`: company and employee KPIs (the `kpis` read model).

`GET /reports/kpis/company?period=` answers `{"items": [row]}` for one period
(`YYYY`, `YYYY-Qn`, `YYYY-MM`); every role may read it. It also takes an optional
`as_of` (a date, the end of that day, or a timestamp; default now), which only the SLA
compliance depends on, and echoes it when passed.

`GET /reports/kpis/employees/{id}?period=` answers `{"items": [row]}` likewise, as
every report does. It is people data, readable by hr, executive, auditor, admin, the
employee and their manager. Checks: an unknown employee is 404, a bad period 422, then
anyone else 403. It takes `as_of` too (echoed when passed): the actuals count only the
facts of the period whose business day is on or before its UTC day.

Both take `known_at`: the answer as the service gave it then, echoed as passed
(interfaces/http/reads.py, `report_side`); without `as_of`, the company figures are
computed for that moment.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.employee import Employee
from domain.errors import Forbidden
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, READ, answer_of
from interfaces.http.reads import moment, must_exist, report_side
from interfaces.http.routers.report_answers import echo_as_of
from interfaces.http.schemas.answers import reports as answers
from projections.kpis import period_days
from projections.money import utc_day

router = APIRouter(prefix="/reports/kpis", tags=["reports"])


@router.get("/company", responses=answer_of(answers.CompanyKpisReport, LIST))
def company_kpis(
    caller: CurrentCaller,
    services: ServicesDep,
    period: str | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Revenue against target, customers won, collections, service, marketing and budget."""
    period_days(period)
    at = moment(as_of, "as_of")
    side = report_side(services, ["kpis"], known_at, wait_for)
    row = side.view("kpis").company(period, at or side.now)
    return side.answer(echo_as_of(as_of, {"items": [row]}))


@router.get("/employees/{employee_id}", responses=answer_of(answers.EmployeeKpisReport, READ))
def employee_kpis(
    employee_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    period: str | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Each targeted metric against its target, weighted attainment, training, rating."""
    must_exist(services, Employee, employee_id)
    period_days(period)
    at = moment(as_of, "as_of")
    moment(known_at, "known_at")  # refused before the caller's rights are looked at
    employee = services.backoffice.get(employee_id, Employee)
    if not caller.may_read_people_data(str(employee.id), employee.manager_id):
        raise Forbidden(
            "an employee's KPIs are readable by hr, executive, auditor, admin,"
            " the employee and their manager"
        )
    side = report_side(services, ["kpis"], known_at, wait_for)
    day = None if at is None else utc_day(at)
    row = side.view("kpis").employee(str(employee_id), period, as_of=day)
    return side.answer(echo_as_of(as_of, {"items": [row]}))
