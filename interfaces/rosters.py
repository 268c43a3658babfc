"""`mops upgrade`'s roster step: write every Department roster as the employees stand.

A log written before rosters existed has hires, transfers and terminations but no
`Department` aggregate. This finds every employee in the log, groups them by the
department they are in (normalised), and asks the application to rebuild each roster
(`RebuildRoster`, as admin): who is active there and missing joins, who is on a roster
but no longer there leaves. A roster already right records nothing: running it twice
writes nothing the second time.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.utils import get_topic

from application.backoffice import Backoffice, Request
from application.commands.staffing import RebuildRoster
from application.permissions import Caller
from domain.department import Department, department_key
from domain.employee import Employee

UPGRADE = Request(Caller("mops upgrade", frozenset({"admin"})))
PAGE = 1000


def _originators(app: Backoffice, event_class: type) -> list[UUID]:
    found: list[UUID] = []
    start = 1
    while True:
        page = app.recorder.select_notifications(start, PAGE, topics=[get_topic(event_class)])
        if not page:
            return found
        found.extend(UUID(str(n.originator_id)) for n in page)
        start = page[-1].id + 1


def write_rosters(app: Backoffice) -> int:
    """Rebuild every department's roster from the employees; the number of rosters changed."""
    by_department: dict[str, tuple[str, list[UUID]]] = {}
    for employee_id in _originators(app, Employee.CandidateRegistered):
        employee = app.get(employee_id, Employee)
        if employee.hired_on is None:
            continue
        name, ids = by_department.setdefault(
            department_key(employee.department), (employee.department, [])
        )
        ids.append(employee_id)
    for roster_id in _originators(app, Department.Opened):
        roster = app.get(roster_id, Department)
        by_department.setdefault(department_key(roster.name), (roster.name, []))
    changed = 0
    for name, ids in by_department.values():
        outcome = app.handle(UPGRADE, RebuildRoster(name, tuple(ids)))
        changed += outcome.position is not None
    return changed
