"""The employee directory behind `GET /employees`: one row per person, no people data.

The directory is what every role may see of a colleague (service staff must find an
assignee, sales a peer): name, position, department, status and manager. Grades,
interviews, targets, trainings, appraisals and incentives are people data and stay
out of it: they are read from the Employee itself, by those allowed to.
"""

from __future__ import annotations

from typing import Any

from domain.customer import ERASED
from domain.employee import Employee
from projections.rows import (
    NAME_LIKE,
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    created_stamps,
    directory_page,
    name_pattern,
    named,
    row_fold,
    stamp_columns,
)

COLUMNS = (
    "id",
    "name",
    "name_key",
    "position",
    "department",
    "status",
    "manager_id",
    "hired_on",
    *stamp_columns("registered"),
)


def candidate_registered(event: Employee.CandidateRegistered, position: int) -> Row:
    """The directory row of a candidate just registered."""
    return {
        "id": str(event.originator_id),
        **named(event.name),
        "position": event.position,
        "department": event.department,
        "status": "candidate",
        "manager_id": None,
        "hired_on": None,
        **created_stamps(event, position, "registered"),
    }


def hired(row: Row, event: Employee.Hired) -> Row:
    """The row of a candidate hired: active, in the position and department hired for."""
    return {
        **row,
        "status": "active",
        "position": event.position,
        "department": event.department,
        "manager_id": event.manager_id,
        "hired_on": event.hired_on.isoformat(),
    }


def transferred(row: Row, event: Employee.Transferred) -> Row:
    """The row of an employee moved to another department, position or manager."""
    return {
        **row,
        "department": event.department,
        "position": event.position,
        "manager_id": event.manager_id,
    }


@row_fold(Employee.CandidateRegistered, candidate_registered)
def fold(row: Row, event: Any) -> Row:
    """The directory row of an employee after one more of its events."""
    match event:
        case Employee.Hired():
            return hired(row, event)
        case Employee.CandidateRejected():
            return {**row, "status": "rejected"}
        case Employee.Transferred():
            return transferred(row, event)
        case Employee.Promoted():
            return {**row, "position": event.position}
        case Employee.Terminated():
            return {**row, "status": "terminated"}
        case Employee.Erased():
            return {**row, **named(ERASED)}
    return row


class EmployeeDirectory(RowPerAggregateView):
    """Employees with the fields every role may see and filter on."""

    name = "employee_directory"
    table_names = ("employee_directory",)
    row_table = "employee_directory"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}employee_directory ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, "
        "position TEXT NOT NULL, department TEXT NOT NULL, status TEXT NOT NULL, "
        "manager_id TEXT, hired_on TEXT, version INTEGER NOT NULL, "
        "registered_at TEXT NOT NULL, registered_position BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}employee_directory_position "
        "ON {p}employee_directory (registered_position)",
        "CREATE INDEX IF NOT EXISTS {n}employee_directory_department "
        "ON {p}employee_directory (department, registered_position)",
        "CREATE INDEX IF NOT EXISTS {n}employee_directory_manager "
        "ON {p}employee_directory (manager_id, registered_position)",
    )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        department: str | None = None,
        manager_id: str | None = None,
        q: str | None = None,
    ) -> list[Row]:
        """Employees matching every filter given, in order of registration."""
        return directory_page(
            self,
            "employee_directory",
            "registered_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("department = ?", department),
                ("manager_id = ?", manager_id),
                (NAME_LIKE, name_pattern(q)),
            ),
        )


class EmployeeDirectoryProjection(RowPerAggregateProjection[EmployeeDirectory]):
    """Folds Employee events into the directory; tracks every other event too."""

    name = "employee_directory"
    events = Employee.Event
    creation = Employee.CandidateRegistered
    fold = staticmethod(fold)
