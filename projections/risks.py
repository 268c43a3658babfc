"""The risk register read model (DOMAIN.md, Read models, 9): risks, levels, actions.

Four tables, folded from Risk events only:

- `risks`: a row per risk as it stands now (the list `GET /risks`).
- `risk_states`: a dated row per change of a risk's status, at the event's business
  time (`occurred_at`), so the register can be read as it stood at any moment.
- `risk_assessments`: a dated row per assessment (likelihood, impact, level).
- `risk_actions`: a row per action: owner, due date, when it was added and completed.

The report as of a moment (`report(as_of)`; a date means the end of that day, UTC):

- `register`: every risk identified by `as_of`, in the order identified, with its state
  then: status, and the likelihood, impact and level of its latest assessment by then
  (`null` before any); `past_levels` lists every assessment by then, oldest first (the
  last is the current level).
- `heat_map`: the 25 cells `"<likelihood>-<impact>"` of the 5 x 5 grid, zeros
  included, counting the risks open at `as_of` (identified, assessed, mitigating) by
  their latest assessment then; open risks not yet assessed are in no cell.
- `overdue_actions`: actions of risks open at `as_of`, added by then and not completed
  by then, whose `due_on` lies before the day of `as_of` (an action due today is not
  overdue yet); ordered by due date.
- `open_by_category(register)`: the ids of the open risks of each category, sorted,
  which `with_risk_ids` adds to each early-warning indicator of that category.

Steps of a risk never go back in business time (domain/risk.py), so the latest dated
row by `as_of` is the state then; ties fall to the later version. A register is small
(a few hundred entries), so the rows up to `as_of` are read and combined in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.risk import OPEN_STATUSES, SCALE, Risk
from projections.events import iso_utc
from projections.money import day_text
from projections.rows import directory_page, upsert
from projections.store import ReadModel, Statement

Row = dict[str, Any]

COLUMNS = (
    "id",
    "category",
    "title",
    "owner_id",
    "status",
    "likelihood",
    "impact",
    "level",
    "open_actions",
    "identified_at",
    "version",
    "created_at",
    "created_position",
    "updated_at",
)
STATE_COLUMNS = ("state_key", "risk_id", "version", "at", "status")
ASSESSMENT_COLUMNS = ("assessment_key", "risk_id", "version", "at", "likelihood", "impact", "level")
ACTION_COLUMNS = (
    "action_id",
    "risk_id",
    "description",
    "owner_id",
    "due_on",
    "added_at",
    "completed_at",
    "outcome",
)
OPEN = tuple(sorted(OPEN_STATUSES))


def heat_cells() -> dict[str, int]:
    """The 5 x 5 grid, every cell at zero, likelihood first."""
    return {f"{likelihood}-{impact}": 0 for likelihood in SCALE for impact in SCALE}


class RiskRegister(ReadModel):
    """Risks now, their dated states and assessments, their actions; the register as of."""

    name = "risks"
    table_names = ("risks", "risk_states", "risk_assessments", "risk_actions")
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}risks ("
        "id TEXT PRIMARY KEY, category TEXT NOT NULL, title TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, status TEXT NOT NULL, likelihood INTEGER, impact INTEGER, "
        "level TEXT, open_actions INTEGER NOT NULL, identified_at TEXT NOT NULL, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "created_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}risks_position ON {p}risks (created_position)",
        "CREATE TABLE IF NOT EXISTS {p}risk_states ("
        "state_key TEXT PRIMARY KEY, risk_id TEXT NOT NULL, version INTEGER NOT NULL, "
        "at TEXT NOT NULL, status TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}risk_states_at ON {p}risk_states (at)",
        "CREATE TABLE IF NOT EXISTS {p}risk_assessments ("
        "assessment_key TEXT PRIMARY KEY, risk_id TEXT NOT NULL, version INTEGER NOT NULL, "
        "at TEXT NOT NULL, likelihood INTEGER NOT NULL, impact INTEGER NOT NULL, "
        "level TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}risk_assessments_at ON {p}risk_assessments (at)",
        "CREATE TABLE IF NOT EXISTS {p}risk_actions ("
        "action_id TEXT PRIMARY KEY, risk_id TEXT NOT NULL, description TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, due_on TEXT NOT NULL, added_at TEXT NOT NULL, "
        "completed_at TEXT, outcome TEXT)",
        "CREATE INDEX IF NOT EXISTS {n}risk_actions_risk ON {p}risk_actions (risk_id)",
    )

    # Writing.

    def row(self, risk_id: str) -> Row | None:
        rows = self.query(f"SELECT * FROM {self.table('risks')} WHERE id = ?", [risk_id])
        return rows[0] if rows else None

    def put(
        self,
        row: Row,
        *,
        state: Row | None,
        assessment: Row | None,
        action: Row | None,
        tracking: Tracking,
    ) -> None:
        """Write the risk's row and what the event added, with the tracking position."""
        statements: list[Statement] = [
            (upsert(self.table("risks"), COLUMNS), [row[c] for c in COLUMNS])
        ]
        for table, columns, key, values in (
            ("risk_states", STATE_COLUMNS, "state_key", state),
            ("risk_assessments", ASSESSMENT_COLUMNS, "assessment_key", assessment),
            ("risk_actions", ACTION_COLUMNS, "action_id", action),
        ):
            if values is not None:
                statements.append(
                    (upsert(self.table(table), columns, key=key), [values[c] for c in columns])
                )
        self.write(statements, tracking)

    def action(self, action_id: str) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('risk_actions')} WHERE action_id = ?", [action_id]
        )
        return rows[0] if rows else None

    # Reading.

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        category: str | None = None,
        owner_id: str | None = None,
        level: str | None = None,
    ) -> list[Row]:
        """Risks matching every filter given (level: the current one), in identification order."""
        return directory_page(
            self,
            "risks",
            "created_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("category = ?", category),
                ("owner_id = ?", owner_id),
                ("level = ?", level),
            ),
        )

    def _dated(self, table: str, at: str) -> list[Row]:
        return self.query(
            f"SELECT * FROM {self.table(table)} WHERE at <= ? ORDER BY at, version", [at]
        )

    def _register_rows(self, as_of: datetime) -> list[Row]:
        at = iso_utc(as_of)
        risks = self.query(
            f"SELECT id, category, title, owner_id FROM {self.table('risks')} "
            "WHERE identified_at <= ? ORDER BY identified_at, created_position",
            [at],
        )
        status: dict[str, str] = {}
        for state in self._dated("risk_states", at):
            status[state["risk_id"]] = state["status"]
        levels: dict[str, list[Row]] = {}
        for assessment in self._dated("risk_assessments", at):
            levels.setdefault(assessment["risk_id"], []).append(
                {
                    "likelihood": assessment["likelihood"],
                    "impact": assessment["impact"],
                    "level": assessment["level"],
                    "assessed_at": assessment["at"],
                }
            )
        register = []
        for risk in risks:
            past = levels.get(risk["id"], [])
            current = past[-1] if past else {}
            register.append(
                {
                    "risk_id": risk["id"],
                    "category": risk["category"],
                    "title": risk["title"],
                    "likelihood": current.get("likelihood"),
                    "impact": current.get("impact"),
                    "level": current.get("level"),
                    "status": status[risk["id"]],
                    "owner_id": risk["owner_id"],
                    "past_levels": past,
                }
            )
        return register

    def report(self, as_of: datetime) -> Row:
        """The register, heat map and overdue actions as they stood at `as_of`."""
        register = self._register_rows(as_of)
        open_ids = {r["risk_id"] for r in register if r["status"] in OPEN}
        heat_map = heat_cells()
        for risk in register:
            if risk["risk_id"] in open_ids and risk["likelihood"] is not None:
                heat_map[f"{risk['likelihood']}-{risk['impact']}"] += 1
        at = iso_utc(as_of)
        day = day_text(as_of)
        overdue = [
            {
                "risk_id": action["risk_id"],
                "action_id": action["action_id"],
                "description": action["description"],
                "owner_id": action["owner_id"],
                "due_on": action["due_on"],
            }
            for action in self.query(
                f"SELECT * FROM {self.table('risk_actions')} WHERE added_at <= ? AND due_on < ? "
                "AND (completed_at IS NULL OR completed_at > ?) "
                "ORDER BY due_on, added_at, action_id",
                [at, day, at],
            )
            if action["risk_id"] in open_ids
        ]
        return {"register": register, "heat_map": heat_map, "overdue_actions": overdue}


def open_by_category(register: Sequence[Row]) -> dict[str, list[str]]:
    """The ids of the register's open risks, sorted, by category."""
    found: dict[str, list[str]] = {}
    for risk in register:
        if risk["status"] in OPEN:
            found.setdefault(risk["category"], []).append(risk["risk_id"])
    return {category: sorted(ids) for category, ids in found.items()}


def with_risk_ids(
    indicators: Sequence[Mapping[str, Any]], open_risks: Mapping[str, Sequence[str]]
) -> list[Row]:
    """Each early-warning indicator with the open risks of its category (`risk_ids`)."""
    return [{**i, "risk_ids": list(open_risks.get(i["category"], []))} for i in indicators]


# Folding.


class RiskStep(NamedTuple):
    """What one event does to a risk: its row, and the assessment and action rows it writes."""

    row: Row
    assessment: Row | None = None
    action: Row | None = None


def fold(
    row: Row | None, event: Any, position: int, action_row: Row | None = None
) -> tuple[Row, Row | None, Row | None]:
    """The risk's row after the event, the assessment it adds, the action row it writes.

    Completing an action needs that action's row as it stands (`action_row`).
    """
    match event:
        case Risk.Identified():
            step = RiskStep(identified(event, position))
        case _ if row is None:
            raise ValueError(f"no row for the risk of {event!r}")
        case Risk.Assessed():
            step = assessed(row, event)
        case Risk.ActionAdded():
            step = action_added(row, event)
        case Risk.ActionCompleted():
            step = action_completed(row, event, action_row)
        case Risk.Closed():
            step = RiskStep({**row, "status": "closed"})
        case Risk.Reopened():
            step = RiskStep({**row, "status": event.status})
        case _:
            step = RiskStep(dict(row))
    new = {
        **step.row,
        "version": event.originator_version,
        "updated_at": iso_utc(event.timestamp),
    }
    return new, step.assessment, step.action


def identified(event: Risk.Identified, position: int) -> Row:
    """The row of a risk just identified, not yet assessed."""
    return {
        "id": str(event.originator_id),
        "category": event.category,
        "title": event.title,
        "owner_id": event.owner_id,
        "status": "identified",
        "likelihood": None,
        "impact": None,
        "level": None,
        "open_actions": 0,
        "identified_at": iso_utc(event.occurred_at),
        "created_at": iso_utc(event.timestamp),
        "created_position": position,
    }


def assessed(row: Row, event: Risk.Assessed) -> RiskStep:
    """The risk at its new level (assessed, if it was only identified), and the assessment."""
    status = "assessed" if row["status"] == "identified" else row["status"]
    levels = {"likelihood": event.likelihood, "impact": event.impact, "level": event.level}
    assessment = {
        "assessment_key": f"{row['id']}:{event.originator_version}",
        "risk_id": row["id"],
        "version": event.originator_version,
        "at": iso_utc(event.occurred_at),
        **levels,
    }
    return RiskStep({**row, "status": status, **levels}, assessment=assessment)


def action_added(row: Row, event: Risk.ActionAdded) -> RiskStep:
    """The risk being mitigated, with one more open action, and that action."""
    action = {
        "action_id": str(event.action_id),
        "risk_id": row["id"],
        "description": event.description,
        "owner_id": event.owner_id,
        "due_on": event.due_on.isoformat(),
        "added_at": iso_utc(event.occurred_at),
        "completed_at": None,
        "outcome": None,
    }
    new = {**row, "status": "mitigating", "open_actions": row["open_actions"] + 1}
    return RiskStep(new, action=action)


def action_completed(row: Row, event: Risk.ActionCompleted, action_row: Row | None) -> RiskStep:
    """The risk with one open action fewer, and that action completed."""
    if action_row is None:
        raise ValueError(f"no row for the action of {event!r}")
    action = {**action_row, "completed_at": iso_utc(event.occurred_at), "outcome": event.outcome}
    return RiskStep({**row, "open_actions": row["open_actions"] - 1}, action=action)


def state_row(row: Row, event: Any) -> Row:
    """The dated status a risk's event leaves it in."""
    return {
        "state_key": f"{row['id']}:{event.originator_version}",
        "risk_id": row["id"],
        "version": event.originator_version,
        "at": iso_utc(event.occurred_at),
        "status": row["status"],
    }


class RiskRegisterProjection(Projection[RiskRegister]):
    """Folds Risk events into the register; tracks every other event too."""

    name = "risks"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Risk.Event,)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Risk.Event):
            self.view.insert_tracking(tracking)
            return
        created = isinstance(domain_event, Risk.Identified)
        row = None if created else self.view.row(str(domain_event.originator_id))
        if row is None and not created:
            self.view.insert_tracking(tracking)
            return
        action_row = (
            self.view.action(str(domain_event.action_id))
            if isinstance(domain_event, Risk.ActionCompleted)
            else None
        )
        new, assessment, action = fold(row, domain_event, tracking.notification_id, action_row)
        changed = row is None or new["status"] != row["status"]
        state = state_row(new, domain_event) if changed else None
        self.view.put(new, state=state, assessment=assessment, action=action, tracking=tracking)
