"""The training read model: `GET /training-programs` and `GET /reports/training`.

One row per program (`training_programs`), folded event by event from the program's
events alone: its sessions' hours, each participant's attended sessions and assessment,
the cost and the KPI change of its review. Every state of a row is kept too
(`training_program_states`, with the business time of the event that made it), so the
report `as_of` a time shows each program as its latest event dated by then left it.
Each participant's training hours of a completion are kept by employee and year
(`training_hours`).

Report figures (API.md, training): `participants` the enrolled, `attended` those who
attended at least one session, `completion_rate` = attended / participants, `hours` the
hours attended by all, costs per participant and per attended hour over the attended
(as the review counts them), `reaction_avg` and `learning_gain_avg` over the
assessments recorded, `kpi_change_avg` from the review. `from`/`to` select programs
by the day of their first session.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eventsourcing.persistence import Tracking

from domain.training_program import TrainingProgram
from projections.events import iso_utc
from projections.money import number
from projections.rows import (
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    created_stamps,
    directory_page,
    insert,
    row_fold,
    stamp_columns,
    upsert,
)

CENT = Decimal("0.01")
COLUMNS = (
    "id",
    "title",
    "kind",
    "status",
    "trainer",
    "budget_id",
    "period",
    "first_session_on",
    "target_departments",
    "planned_cost",
    "sessions",
    "participants",
    "enrolled",
    "completed_on",
    "actual_cost",
    "kpi_change",
    *stamp_columns("planned"),
)


def session_hours(sessions: list[Any]) -> str:
    """The sessions as the row keeps them: {session_id: hours}, as JSON."""
    return json.dumps({s["session_id"]: str(s["hours"]) for s in sessions}, sort_keys=True)


def participant_entry(attended: list[str], assessment: Any | None) -> dict[str, Any]:
    """A participant as the row keeps them: sessions attended (sorted), the scores."""
    return {
        "attended": sorted(attended),
        "reaction": None if assessment is None else assessment["reaction"],
        "pre": None
        if assessment is None or assessment["pre_score"] is None
        else str(assessment["pre_score"]),
        "post": None if assessment is None else str(assessment["post_score"]),
    }


def planned(event: TrainingProgram.Planned, position: int) -> Row:
    """The row of a program just planned."""
    return {
        "id": str(event.originator_id),
        "title": event.title,
        "kind": event.kind,
        "status": "planned",
        "trainer": event.trainer,
        "budget_id": str(event.budget_id),
        "period": event.period,
        "first_session_on": event.sessions[0]["starts_at"].date().isoformat(),
        "target_departments": json.dumps(event.target_departments),
        "planned_cost": str(event.planned_cost),
        "sessions": session_hours(event.sessions),
        "participants": "{}",
        "enrolled": 0,
        "completed_on": None,
        "actual_cost": None,
        "kpi_change": None,
        **created_stamps(event, position, "planned"),
    }


def _amended(row: Row, event: TrainingProgram.Amended) -> Row:
    changes = {n: getattr(event, n) for n in event.changed}
    new = dict(row)
    for name in ("title", "kind", "trainer", "period"):
        if name in changes:
            new[name] = changes[name]
    if "budget_id" in changes:
        new["budget_id"] = str(changes["budget_id"])
    if "planned_cost" in changes:
        new["planned_cost"] = str(changes["planned_cost"])
    if "target_departments" in changes:
        new["target_departments"] = json.dumps(changes["target_departments"])
    if "sessions" in changes:
        new["sessions"] = session_hours(changes["sessions"])
        new["first_session_on"] = changes["sessions"][0]["starts_at"].date().isoformat()
    return new


def _participant(row: Row, employee_id: str, **changes: Any) -> Row:
    participants = json.loads(row["participants"])
    entry = participants.get(employee_id, participant_entry([], None))
    participants[employee_id] = {**entry, **changes}
    return {**row, "participants": json.dumps(participants, sort_keys=True)}


def _attendance(row: Row, event: TrainingProgram.AttendanceRecorded) -> Row:
    attended = set(json.loads(row["participants"])[event.employee_id]["attended"])
    if event.attended:
        attended.add(event.session_id)
    else:
        attended.discard(event.session_id)
    return _participant(row, event.employee_id, attended=sorted(attended))


def _assessment(row: Row, event: TrainingProgram.AssessmentRecorded) -> Row:
    scores = {
        "reaction": event.reaction,
        "pre_score": event.pre_score,
        "post_score": event.post_score,
    }
    entry = participant_entry([], scores)
    entry.pop("attended")
    return _participant(row, event.employee_id, **entry)


@row_fold(TrainingProgram.Planned, planned)
def fold(row: Row, event: Any) -> Row:
    """The row of a program after one more of its events."""
    match event:
        case TrainingProgram.Amended():
            return _amended(row, event)
        case TrainingProgram.Approved():
            return {**row, "status": "approved"}
        case TrainingProgram.Enrolled():
            return {**_participant(row, event.employee_id), "enrolled": row["enrolled"] + 1}
        case TrainingProgram.AttendanceRecorded():
            return _attendance(row, event)
        case TrainingProgram.AssessmentRecorded():
            return _assessment(row, event)
        case TrainingProgram.Completed():
            return {
                **row,
                "status": "completed",
                "completed_on": event.completed_on.isoformat(),
                "actual_cost": str(event.actual_cost),
            }
        case TrainingProgram.Evaluated():
            change = event.review["kpi_change_avg"]
            return {**row, "status": "evaluated", "kpi_change": _text(change)}
        case TrainingProgram.Cancelled():
            return {**row, "status": "cancelled"}
    return row


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _mean(values: list[Decimal], places: Decimal) -> float | int | None:
    if not values:
        return None
    return number((sum(values, Decimal(0)) / len(values)).quantize(places, ROUND_HALF_UP))


def _per(amount: Decimal | None, divisor: Decimal) -> str | None:
    if amount is None or divisor == 0:
        return None
    return str((amount / divisor).quantize(CENT, ROUND_HALF_UP))


def report_item(row: Row) -> Row:
    """A program as the training report rows it (API.md, training)."""
    hours_of = {k: Decimal(v) for k, v in json.loads(row["sessions"]).items()}
    participants = json.loads(row["participants"])
    hours = {
        e: sum((hours_of.get(s, Decimal(0)) for s in p["attended"]), Decimal(0))
        for e, p in participants.items()
    }
    attended = [e for e, h in hours.items() if h > 0]
    total_hours = sum(hours.values(), Decimal(0))
    cost = None if row["actual_cost"] is None else Decimal(row["actual_cost"])
    reactions = [Decimal(p["reaction"]) for p in participants.values() if p["reaction"]]
    gains = [
        Decimal(p["post"]) - Decimal(p["pre"])
        for p in participants.values()
        if p["pre"] is not None and p["post"] is not None
    ]
    enrolled = len(participants)
    return {
        "program_id": row["id"],
        "title": row["title"],
        "status": row["status"],
        "participants": enrolled,
        "attended": len(attended),
        "completion_rate": None
        if not enrolled
        else number((Decimal(len(attended)) / enrolled).quantize(Decimal("0.0001"), ROUND_HALF_UP)),
        "hours": number(total_hours.quantize(CENT)),
        "planned_cost": row["planned_cost"],
        "actual_cost": row["actual_cost"],
        "cost_per_participant": _per(cost, Decimal(len(attended))),
        "cost_per_attended_hour": _per(cost, total_hours),
        "reaction_avg": _mean(reactions, CENT),
        "learning_gain_avg": _mean(gains, CENT),
        "kpi_change_avg": None if row["kpi_change"] is None else number(Decimal(row["kpi_change"])),
    }


class TrainingReport(RowPerAggregateView):
    """Training programs: the list, their states by business time, hours by employee."""

    name = "training"
    table_names = ("training_programs", "training_program_states", "training_hours")
    row_table = "training_programs"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}training_programs ("
        "id TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, "
        "trainer TEXT NOT NULL, budget_id TEXT NOT NULL, period TEXT NOT NULL, "
        "first_session_on TEXT NOT NULL, target_departments TEXT NOT NULL, "
        "planned_cost TEXT NOT NULL, sessions TEXT NOT NULL, participants TEXT NOT NULL, "
        "enrolled INTEGER NOT NULL, completed_on TEXT, actual_cost TEXT, kpi_change TEXT, "
        "version INTEGER NOT NULL, planned_at TEXT NOT NULL, planned_position BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}training_programs_position "
        "ON {p}training_programs (planned_position)",
        # A unique key comes first in every table: verify keys a table's rows by the first
        # column (one state per event: its position; one row per employee and program).
        "CREATE TABLE IF NOT EXISTS {p}training_program_states ("
        "position BIGINT NOT NULL, program_id TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "first_session_on TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (program_id, position))",
        "CREATE INDEX IF NOT EXISTS {n}training_program_states_time "
        "ON {p}training_program_states (occurred_at)",
        "CREATE TABLE IF NOT EXISTS {p}training_hours ("
        "hours_key TEXT PRIMARY KEY, employee_id TEXT NOT NULL, program_id TEXT NOT NULL, "
        "year INTEGER NOT NULL, hours TEXT NOT NULL)",
    )

    def put_state(
        self,
        row: Row,
        occurred_at: datetime,
        hours: dict[str, Decimal],
        year: int | None,
        tracking: Tracking,
    ) -> None:
        """Write the row, its state at the event's business time, and any hours recorded."""
        statements = [
            (upsert(self.table("training_programs"), COLUMNS), [row[c] for c in COLUMNS]),
            (
                insert(
                    self.table("training_program_states"),
                    ("program_id", "position", "occurred_at", "first_session_on", "state"),
                ),
                [
                    row["id"],
                    tracking.notification_id,
                    iso_utc(occurred_at),
                    row["first_session_on"],
                    json.dumps(row, sort_keys=True),
                ],
            ),
        ]
        statements += [
            (
                insert(
                    self.table("training_hours"),
                    ("hours_key", "employee_id", "program_id", "year", "hours"),
                ),
                [f"{employee_id}|{row['id']}", employee_id, row["id"], year, str(h)],
            )
            for employee_id, h in hours.items()
        ]
        self.write(statements, tracking)

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        kind: str | None = None,
        budget_id: str | None = None,
    ) -> list[Row]:
        """Programs matching every filter given, in the order they were planned."""
        return directory_page(
            self,
            "training_programs",
            "planned_position",
            limit=limit,
            after=after,
            conditions=(("status = ?", status), ("kind = ?", kind), ("budget_id = ?", budget_id)),
        )

    def report_rows(
        self,
        *,
        day_from: date | None,
        day_to: date | None,
        as_of: datetime | None,
        program_id: str | None,
    ) -> list[Row]:
        """The report's items, programs in the order planned, as of a business time."""
        if as_of is None:
            rows = self.query(
                f"SELECT * FROM {self.table('training_programs')} ORDER BY planned_position"
            )
        else:
            states = self.table("training_program_states")
            found = self.query(
                f"SELECT s.state FROM {states} s WHERE s.position = (SELECT MAX(t.position) "
                f"FROM {states} t WHERE t.program_id = s.program_id AND t.occurred_at <= ?)",
                [iso_utc(as_of)],
            )
            rows = sorted(
                (json.loads(r["state"]) for r in found), key=lambda r: r["planned_position"]
            )
        return [
            report_item(r)
            for r in rows
            if (program_id is None or r["id"] == program_id)
            and (day_from is None or r["first_session_on"] >= day_from.isoformat())
            and (day_to is None or r["first_session_on"] <= day_to.isoformat())
        ]

    def employee_hours(self, employee_id: str, year: int) -> Row:
        """An employee's training hours and programs of a year (completions)."""
        rows = self.query(
            f"SELECT program_id, hours FROM {self.table('training_hours')} "
            "WHERE employee_id = ? AND year = ? ORDER BY program_id",
            [employee_id, year],
        )
        total = sum((Decimal(r["hours"]) for r in rows), Decimal(0))
        return {
            "employee_id": employee_id,
            "year": year,
            "hours": number(total),
            "programs": [r["program_id"] for r in rows],
        }


class TrainingProjection(RowPerAggregateProjection[TrainingReport]):
    """Folds TrainingProgram events into the training read model; tracks every other event."""

    name = "training"
    events = TrainingProgram.Event
    creation = TrainingProgram.Planned
    fold = staticmethod(fold)

    def put(self, row: Row, event: Any, tracking: Tracking) -> None:
        hours: dict[str, Decimal] = {}
        year = None
        if isinstance(event, TrainingProgram.Completed):
            hours, year = event.recorded_hours, event.completed_on.year
        self.view.put_state(row, event.occurred_at, hours, year, tracking)
