"""Recruitment (招聘計劃): per department x quarter x position, plan against roster and hiring.

DOMAIN.md, Read models, 11; `GET /reports/recruitment`. Folded from the rosters'
moves (`Department.Joined`, `Department.Left`), the candidates' way (`Employee`
registration, interviews, rejection, hire) and the approved staffing plans
(`StaffingPlan.Approved`, which carries its department, year and lines). Decisions:

- Every figure counts facts by business date, on or before `as_of` (default: now):
  a move by its effective date, a registration, interview or rejection by its
  `occurred_at` day (UTC), a hire by `hired_on`; a plan counts from its approval.
- `planned` is the headcount of the revision in force at `as_of` (the latest approved by
  then), 0 for a position it does not list, `null` when the department has no approved
  plan for the year. `filled` is the roster's count at the quarter's end (or at `as_of`,
  when earlier). `open` = planned - filled, never below 0 (`null` without a plan).
- `hires_planned` / `hires_unplanned`: roster joins by a hire in the quarter, with or
  without an approved plan in force when the hire was recorded (what the gate read,
  carried by `Department.Joined`). A roster written by `mops upgrade` is no hire.
- `candidates`, `interviewed`, `rejected` count candidates under the department and
  position they applied for: registered in the quarter, first interviewed (any kind of
  step) in the quarter, turned down in the quarter. `hired`, `mean_days_to_hire` (from
  registration to `hired_on`, 2 places) and `hires_by_source` (`unknown` for a
  candidate registered without one) count hires in the quarter under the department and
  position they were hired into.
- A department and a position are matched normalised (trimmed, spaces collapsed,
  casefolded) and shown as first written. A row stands for every position with a plan
  line, someone on the roster at a quarter's end, or any fact in the year; each has
  the four quarters. Items are ordered by department, quarter and position.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.department import Department, department_key, position_key, quarter_of
from domain.employee import Employee
from domain.staffing_plan import StaffingPlan
from projections.events import iso_utc
from projections.rows import Row, inserts, upsert
from projections.store import ReadModel, Statement

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
QUARTER_ENDS = ("03-31", "06-30", "09-30", "12-31")
CANDIDATE_COLUMNS = (
    "employee_id",
    "department_key",
    "department",
    "position_key",
    "position",
    "source",
    "registered_on",
    "interviewed",
)
FACT_COLUMNS = (
    "fact_id",
    "department_key",
    "department",
    "position_key",
    "position",
    "day",
    "kind",
    "delta",
    "source",
    "days",
)
PLAN_COLUMNS = (
    "fact_id",
    "plan_id",
    "department_key",
    "department",
    "fiscal_year",
    "revision",
    "approved_at",
    "quarter",
    "position_key",
    "position",
    "headcount",
)
# The kinds of fact counted per quarter, and the report field each adds to.
FLOW_FIELDS = {
    "candidate": "candidates",
    "interviewed": "interviewed",
    "rejected": "rejected",
    "hired": "hired",
    "hire_planned": "hires_planned",
    "hire_unplanned": "hires_unplanned",
}


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def fact(
    position: int,
    n: int,
    *,
    department: str,
    job: str,
    day: date | str,
    kind: str,
    delta: int = 1,
    source: str | None = None,
    days: int | None = None,
) -> Row:
    """One dated fact of a department's position; `n` tells apart the facts of one event."""
    return {
        "fact_id": f"{position:012d}-{n}",
        "department_key": department_key(department),
        "department": department,
        "position_key": position_key(job),
        "position": job,
        "day": day if isinstance(day, str) else day.isoformat(),
        "kind": kind,
        "delta": delta,
        "source": source,
        "days": days,
    }


def candidate_row(event: Employee.CandidateRegistered) -> Row:
    """What the report keeps of a candidate: where they applied, their source, when."""
    return {
        "employee_id": str(event.originator_id),
        "department_key": department_key(event.department),
        "department": event.department,
        "position_key": position_key(event.position),
        "position": event.position,
        "source": event.source,
        "registered_on": _day(event.occurred_at),
        "interviewed": 0,
    }


def roster_facts(event: Any, position: int) -> list[Row]:
    """The facts of a roster move: +1 or -1 at its date, and a hire's plannedness."""
    joined = isinstance(event, Department.Joined)
    where = {"department": event.department, "job": event.position, "day": event.effective_on}
    facts = [fact(position, 0, kind="roster", delta=1 if joined else -1, **where)]
    if joined and event.reason == "hire":
        kind = "hire_unplanned" if event.planned is None else "hire_planned"
        facts.append(fact(position, 1, kind=kind, **where))
    return facts


def plan_rows(event: StaffingPlan.Approved, position: int) -> list[Row]:
    """The lines of an approved revision, each dated by the approval."""
    return [
        {
            "fact_id": f"{position:012d}-{n}",
            "plan_id": str(event.originator_id),
            "department_key": department_key(event.department),
            "department": event.department,
            "fiscal_year": event.fiscal_year,
            "revision": event.revision,
            "approved_at": iso_utc(event.occurred_at),
            "quarter": line["quarter"],
            "position_key": position_key(line["position"]),
            "position": line["position"],
            "headcount": line["headcount"],
        }
        for n, line in enumerate(event.lines)
    ]


def _mean_days(days: Sequence[int]) -> float | None:
    if not days:
        return None
    mean = Decimal(sum(days)) / len(days)
    return float(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class RecruitmentReport(ReadModel):
    """Rosters' moves, candidates' steps and approved plan lines, dated; the report."""

    name = "recruitment"
    table_names = ("recruitment_candidates", "recruitment_facts", "recruitment_plans")
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}recruitment_candidates ("
        "employee_id TEXT PRIMARY KEY, department_key TEXT NOT NULL, department TEXT NOT NULL, "
        "position_key TEXT NOT NULL, position TEXT NOT NULL, source TEXT, "
        "registered_on TEXT NOT NULL, interviewed INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}recruitment_facts ("
        "fact_id TEXT PRIMARY KEY, department_key TEXT NOT NULL, department TEXT NOT NULL, "
        "position_key TEXT NOT NULL, position TEXT NOT NULL, day TEXT NOT NULL, "
        "kind TEXT NOT NULL, delta INTEGER NOT NULL, source TEXT, days INTEGER)",
        "CREATE INDEX IF NOT EXISTS {n}recruitment_facts_day "
        "ON {p}recruitment_facts (department_key, day)",
        "CREATE TABLE IF NOT EXISTS {p}recruitment_plans ("
        "fact_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, department_key TEXT NOT NULL, "
        "department TEXT NOT NULL, fiscal_year INTEGER NOT NULL, revision INTEGER NOT NULL, "
        "approved_at TEXT NOT NULL, quarter TEXT NOT NULL, position_key TEXT NOT NULL, "
        "position TEXT NOT NULL, headcount INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}recruitment_plans_year "
        "ON {p}recruitment_plans (fiscal_year, department_key)",
    )

    # Writing.

    def candidate(self, employee_id: str) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('recruitment_candidates')} WHERE employee_id = ?",
            [employee_id],
        )
        return rows[0] if rows else None

    def put(
        self,
        candidate: Row | None,
        facts: Sequence[Row],
        plans: Sequence[Row],
        tracking: Tracking,
    ) -> None:
        """Write a candidate's row, facts and plan lines with the tracking position."""
        statements: list[Statement] = []
        if candidate is not None:
            statements.append(
                (
                    upsert(self.table("recruitment_candidates"), CANDIDATE_COLUMNS, "employee_id"),
                    [candidate[c] for c in CANDIDATE_COLUMNS],
                )
            )
        statements += inserts(self.table("recruitment_facts"), FACT_COLUMNS, facts)
        statements += inserts(self.table("recruitment_plans"), PLAN_COLUMNS, plans)
        self.write(statements, tracking)

    # Reading.

    def report(self, fiscal_year: int, as_of: datetime, department: str | None = None) -> list[Row]:
        """The report's items for a fiscal year as of a business time."""
        cut = _day(as_of)
        ends = [min(f"{fiscal_year}-{end}", cut) for end in QUARTER_ENDS]
        dept = "" if department is None else " AND department_key = ?"
        params = [] if department is None else [department_key(department)]
        filled = self._filled(ends, dept, params)
        flows = self.query(
            f"SELECT * FROM {self.table('recruitment_facts')} WHERE kind <> 'roster' "
            f"AND day >= ? AND day <= ?{dept}",
            [f"{fiscal_year}-01-01", ends[-1], *params],
        )
        plans = self._plans_in_force(fiscal_year, iso_utc(as_of), dept, params)
        names = self._names(dept, params)
        keys = {k for k, counts in filled.items() if any(counts)}
        keys |= {(f["department_key"], f["position_key"]) for f in flows}
        keys |= set(plans["lines"])
        for (dk, pk), line in plans["lines"].items():
            names.setdefault(dk, line["department"])
            names.setdefault((dk, pk), line["position"])
        counted = _flows(flows)
        items = [
            _item(fiscal_year, key, q, filled, plans, counted, names)
            for key in keys
            for q in range(4)
        ]
        return sorted(items, key=lambda i: (i["_d"], i["quarter"], i["_p"]))

    def _filled(self, ends: list[str], dept: str, params: list[Any]) -> dict[tuple, list[int]]:
        sums = ", ".join(f"SUM(CASE WHEN day <= ? THEN delta ELSE 0 END) AS q{n}" for n in range(4))
        rows = self.query(
            f"SELECT department_key, position_key, {sums} "
            f"FROM {self.table('recruitment_facts')} WHERE kind = 'roster' AND day <= ?{dept} "
            "GROUP BY department_key, position_key",
            [*ends, ends[-1], *params],
        )
        return {
            (r["department_key"], r["position_key"]): [int(r[f"q{n}"]) for n in range(4)]
            for r in rows
        }

    def _plans_in_force(
        self, fiscal_year: int, at: str, dept: str, params: list[Any]
    ) -> dict[str, Any]:
        """The lines of each department's revision in force at a time, and who has one."""
        rows = self.query(
            f"SELECT * FROM {self.table('recruitment_plans')} "
            f"WHERE fiscal_year = ? AND approved_at <= ?{dept} ORDER BY fact_id",
            [fiscal_year, at, *params],
        )
        latest: dict[str, str] = {}
        for row in rows:
            latest[row["department_key"]] = row["fact_id"][:12]
        lines: dict[tuple[str, str, str], Row] = {}
        for row in rows:
            if row["fact_id"][:12] == latest[row["department_key"]]:
                lines[(row["department_key"], row["position_key"], row["quarter"])] = row
        by_key: dict[tuple[str, str], Row] = {}
        for (dk, pk, _), row in lines.items():
            by_key.setdefault((dk, pk), row)
        return {"departments": set(latest), "quarters": lines, "lines": by_key}

    def _names(self, dept: str, params: list[Any]) -> dict[Any, str]:
        """Departments and positions as first written, by their keys."""
        facts = self.table("recruitment_facts")
        rows = self.query(
            f"SELECT department_key, position_key, department, position FROM {facts} "
            f"WHERE fact_id IN (SELECT MIN(fact_id) FROM {facts} WHERE 1 = 1{dept} "
            "GROUP BY department_key, position_key) ORDER BY fact_id",
            params,
        )
        names: dict[Any, str] = {}
        for row in rows:
            names.setdefault(row["department_key"], row["department"])
            names[(row["department_key"], row["position_key"])] = row["position"]
        return names


def _flows(flows: Sequence[Row]) -> dict[tuple, dict[str, Any]]:
    """Counts of each kind of fact by department, position and quarter."""
    counted: dict[tuple, dict[str, Any]] = defaultdict(
        lambda: {"days": [], "sources": defaultdict(int), **dict.fromkeys(FLOW_FIELDS.values(), 0)}
    )
    for row in flows:
        quarter = quarter_of(date.fromisoformat(row["day"]))
        bucket = counted[(row["department_key"], row["position_key"], quarter)]
        bucket[FLOW_FIELDS[row["kind"]]] += 1
        if row["kind"] == "hired":
            if row["days"] is not None:
                bucket["days"].append(row["days"])
            bucket["sources"][row["source"] or "unknown"] += 1
    return counted


def _item(
    fiscal_year: int,
    key: tuple[str, str],
    q: int,
    filled: dict[tuple, list[int]],
    plans: dict[str, Any],
    counted: dict[tuple, dict[str, Any]],
    names: dict[Any, str],
) -> Row:
    dk, pk = key
    quarter = QUARTERS[q]
    has_plan = dk in plans["departments"]
    line = plans["quarters"].get((dk, pk, quarter))
    planned = (line["headcount"] if line else 0) if has_plan else None
    now_filled = filled.get(key, [0, 0, 0, 0])[q]
    flows = counted.get((dk, pk, quarter)) or {"days": [], "sources": {}}
    return {
        "_d": dk,
        "_p": pk,
        "department": names.get(dk, dk),
        "fiscal_year": fiscal_year,
        "quarter": quarter,
        "position": names.get(key, pk),
        "planned": planned,
        "filled": now_filled,
        "open": None if planned is None else max(planned - now_filled, 0),
        **{name: flows.get(name, 0) for name in FLOW_ORDER},
        "mean_days_to_hire": _mean_days(flows["days"]),
        "hires_by_source": dict(sorted(flows["sources"].items())),
    }


FLOW_ORDER = ("hires_planned", "hires_unplanned", "candidates", "interviewed", "rejected", "hired")


def public(item: Row) -> Row:
    """A report item without its sort keys."""
    return {k: v for k, v in item.items() if not k.startswith("_")}


class RecruitmentProjection(Projection[RecruitmentReport]):
    """Folds candidates' steps, rosters' moves and approved plans; tracks every event."""

    name = "recruitment"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (
        Employee.CandidateRegistered,
        Employee.InterviewRecorded,
        Employee.CandidateRejected,
        Employee.Hired,
        Department.Joined,
        Department.Left,
        StaffingPlan.Approved,
    )

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        position = tracking.notification_id
        match domain_event:
            case Department.Joined() | Department.Left():
                self.view.put(None, roster_facts(domain_event, position), (), tracking)
            case StaffingPlan.Approved():
                self.view.put(None, (), plan_rows(domain_event, position), tracking)
            case Employee.CandidateRegistered():
                row = candidate_row(domain_event)
                where = {"department": row["department"], "job": row["position"]}
                first = fact(position, 0, day=row["registered_on"], kind="candidate", **where)
                self.view.put(row, [first], (), tracking)
            case Employee.InterviewRecorded() | Employee.CandidateRejected() | Employee.Hired():
                self._candidate_step(domain_event, position, tracking)
            case _:
                self.view.insert_tracking(tracking)

    def _candidate_step(self, event: Any, position: int, tracking: Tracking) -> None:
        row = self.view.candidate(str(event.originator_id))
        if row is None:
            self.view.insert_tracking(tracking)
            return
        where = {"department": row["department"], "job": row["position"]}
        day = _day(event.occurred_at)
        if isinstance(event, Employee.Hired):
            registered = date.fromisoformat(row["registered_on"])
            hired = fact(
                position,
                0,
                department=event.department,
                job=event.position,
                day=event.hired_on,
                kind="hired",
                source=row["source"],
                days=(event.hired_on - registered).days,
            )
            self.view.put(None, [hired], (), tracking)
        elif isinstance(event, Employee.CandidateRejected):
            self.view.put(
                None, [fact(position, 0, day=day, kind="rejected", **where)], (), tracking
            )
        elif not row["interviewed"]:
            first = fact(position, 0, day=day, kind="interviewed", **where)
            self.view.put({**row, "interviewed": 1}, [first], (), tracking)
        else:
            self.view.insert_tracking(tracking)
