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
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.risk import OPEN_STATUSES, SCALE, Risk
from projections.events import iso_utc
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
        day = as_of.astimezone(UTC).date().isoformat()
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


def fold(
    row: Row | None, event: Any, position: int, action_row: Row | None = None
) -> tuple[Row, Row | None, Row | None]:
    """The risk's row after the event, the assessment it adds, the action row it writes.

    Completing an action needs that action's row as it stands (`action_row`).
    """
    assessment = None
    action = None
    if isinstance(event, Risk.Identified):
        new: Row = {
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
    else:
        assert row is not None
        new = dict(row)
        if isinstance(event, Risk.Assessed):
            if new["status"] == "identified":
                new["status"] = "assessed"
            new.update(likelihood=event.likelihood, impact=event.impact, level=event.level)
            assessment = {
                "assessment_key": f"{new['id']}:{event.originator_version}",
                "risk_id": new["id"],
                "version": event.originator_version,
                "at": iso_utc(event.occurred_at),
                "likelihood": event.likelihood,
                "impact": event.impact,
                "level": event.level,
            }
        elif isinstance(event, Risk.ActionAdded):
            new.update(status="mitigating", open_actions=row["open_actions"] + 1)
            action = {
                "action_id": str(event.action_id),
                "risk_id": new["id"],
                "description": event.description,
                "owner_id": event.owner_id,
                "due_on": event.due_on.isoformat(),
                "added_at": iso_utc(event.occurred_at),
                "completed_at": None,
                "outcome": None,
            }
        elif isinstance(event, Risk.ActionCompleted):
            new["open_actions"] = row["open_actions"] - 1
            assert action_row is not None
            action = {
                **action_row,
                "completed_at": iso_utc(event.occurred_at),
                "outcome": event.outcome,
            }
        elif isinstance(event, Risk.Closed):
            new["status"] = "closed"
        elif isinstance(event, Risk.Reopened):
            new["status"] = event.status
    new["version"] = event.originator_version
    new["updated_at"] = iso_utc(event.timestamp)
    return new, assessment, action


class RiskRegisterProjection(Projection[RiskRegister]):
    """Folds Risk events into the register; tracks every other event too."""

    name = "risks"

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
        changed = created or row is None or new["status"] != row["status"]
        state = (
            {
                "state_key": f"{new['id']}:{domain_event.originator_version}",
                "risk_id": new["id"],
                "version": domain_event.originator_version,
                "at": iso_utc(domain_event.occurred_at),
                "status": new["status"],
            }
            if changed
            else None
        )
        self.view.put(new, state=state, assessment=assessment, action=action, tracking=tracking)
