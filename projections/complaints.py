"""Complaints and their SLA (客戶投訴處理): per complaint its timings, summaries by group.

One read model, two tables: a row per complaint (the list `GET /complaints`, and what
never changes: receipt time, category, severity, deadlines) and a dated row per step
that moves the SLA figures or the status (assigned, responded, resolved, closed,
reopened), so the figures can be computed as of any business time. Decisions:

- Only facts whose business time (`occurred_at`) is on or before `as_of` count: a
  complaint received later is not in the report, a response given later is not given.
- Response time = first response - receipt; resolution time = latest resolution -
  receipt. A reopen withdraws the resolution before it: after a reopen the complaint is
  open again, counts in `open`, and its resolution (time, breach, root cause) is the
  one that follows, if any, as of `as_of`. Deadlines stay those stamped at receipt.
- Breach of a deadline: met after it, or not met and `as_of` lies past it. `breached`
  counts complaints that breached either deadline.
- `responded_on_time` / `resolved_on_time`: the share met on time among the complaints
  whose outcome is known at `as_of` (met, or the deadline passed); `null` when none is.
- `mean_*_hours` over the complaints met as of `as_of`; `p90_*_hours` is the
  nearest-rank 90th percentile: the ceil(0.9 x n)-th smallest of the n values; both
  `null` when n is 0. Hours are exact until rounded to 2 places (half up) at the end.
- `reopen_rate` = complaints reopened at least once / complaints resolved at least once
  (both as of `as_of`); `null` when none was resolved.
- `root_causes` counts the root cause of the standing resolution of each complaint
  resolved (or closed) at `as_of`, sorted by cause.
- `satisfaction_avg` is the mean of the latest satisfaction score given for each
  complaint (a score given before a reopen still stands), 2 places; `null` when none.
- `period` is the `YYYY-MM` (UTC) of the receipt. Rows come in the order of their keys;
  without any key the report answers one row over every complaint (none when there is
  none).
- The per-complaint timings are answered by `GET /reports/complaints/{id}?as_of=` from
  these same rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.complaint import Complaint, hours_between, round_hours
from projections.events import iso_utc
from projections.money import CENT, ratio_float
from projections.rows import directory_page, touched, upsert
from projections.store import ReadModel, Statement

Row = dict[str, Any]

GROUP_KEYS = ("period", "category", "severity")
COLUMNS = (
    "id",
    "customer_id",
    "contract_id",
    "channel",
    "category",
    "severity",
    "status",
    "assignee_id",
    "escalation_level",
    "received_at",
    "respond_by",
    "resolve_by",
    "responded_at",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "reopen_count",
    "version",
    "received_position",
    "updated_at",
)
STEPS = ("step", "complaint_id", "kind", "occurred_at", "position", "root_cause", "satisfaction")
STEP_KINDS = {
    Complaint.Assigned: "assigned",
    Complaint.Responded: "responded",
    Complaint.Resolved: "resolved",
    Complaint.Closed: "closed",
    Complaint.Reopened: "reopened",
}


def received(event: Complaint.Received, position: int) -> Row:
    """The list row of a complaint just received, with the deadlines stamped on it."""
    return {
        "id": str(event.originator_id),
        "customer_id": str(event.customer_id),
        "contract_id": None if event.contract_id is None else str(event.contract_id),
        "channel": event.channel,
        "category": event.category,
        "severity": event.severity,
        "status": "received",
        "assignee_id": None,
        "escalation_level": 0,
        "received_at": iso_utc(event.occurred_at),
        "respond_by": iso_utc(event.respond_by),
        "resolve_by": iso_utc(event.resolve_by),
        "responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "satisfaction": None,
        "reopen_count": 0,
        "version": event.originator_version,
        "received_position": position,
        "updated_at": iso_utc(event.timestamp),
    }


def closed(row: Row, event: Complaint.Closed) -> Row:
    """The row of a complaint closed, with the satisfaction score if one was given."""
    score = row["satisfaction"] if event.satisfaction is None else event.satisfaction
    return {
        **row,
        "status": "closed",
        "closed_at": iso_utc(event.occurred_at),
        "satisfaction": score,
    }


def reopened(row: Row) -> Row:
    """The row of a complaint reopened: in progress again, its resolution withdrawn."""
    return {
        **row,
        "status": "in_progress",
        "resolved_at": None,
        "closed_at": None,
        "reopen_count": row["reopen_count"] + 1,
    }


def fold(row: Row | None, event: Any, position: int) -> Row | None:
    """The list row of a complaint after one more of its events."""
    if isinstance(event, Complaint.Received):
        return received(event, position)
    if row is None:
        return None
    row = touched(row, event)
    match event:
        case Complaint.Assigned():
            return {**row, "status": "assigned", "assignee_id": event.assignee_id}
        case Complaint.Responded():
            return {**row, "status": "in_progress", "responded_at": iso_utc(event.occurred_at)}
        case Complaint.Escalated():
            return {**row, "escalation_level": event.level}
        case Complaint.Resolved():
            return {**row, "status": "resolved", "resolved_at": iso_utc(event.occurred_at)}
        case Complaint.Closed():
            return closed(row, event)
        case Complaint.Reopened():
            return reopened(row)
    return row


def step_row(event: Any, position: int) -> Row | None:
    """The dated SLA step of an event, or None for events that move no SLA figure."""
    kind = STEP_KINDS.get(type(event))
    if kind is None:
        return None
    return {
        "step": f"{position:012d}",
        "complaint_id": str(event.originator_id),
        "kind": kind,
        "occurred_at": iso_utc(event.occurred_at),
        "position": position,
        "root_cause": getattr(event, "root_cause", None),
        "satisfaction": getattr(event, "satisfaction", None),
    }


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _hours(value: Decimal | None) -> float | None:
    return None if value is None else float(round_hours(value))


class Standing(NamedTuple):
    """What a complaint's steps up to a time leave standing."""

    responded_at: str | None = None
    resolved_at: str | None = None
    root_cause: str | None = None
    satisfaction: int | None = None
    resolved_once: bool = False
    assigned: bool = False
    reopens: int = 0
    closed: bool = False


def standing(steps: Iterable[Row], cutoff: str) -> Standing:
    """Fold one complaint's steps dated up to the cutoff (`iso_utc`), in log order."""
    folded = Standing()
    for step in sorted(steps, key=lambda s: s["position"]):
        if step["occurred_at"] <= cutoff:
            folded = after_step(folded, step)
    return folded


def after_step(folded: Standing, step: Row) -> Standing:
    """What stands after one more step: the first response, the latest resolution."""
    match step["kind"]:
        case "assigned":
            return folded._replace(assigned=True)
        case "responded" if folded.responded_at is None:
            return folded._replace(responded_at=step["occurred_at"])
        case "resolved":
            return folded._replace(
                resolved_at=step["occurred_at"],
                root_cause=step["root_cause"],
                resolved_once=True,
                closed=False,
            )
        case "closed":
            score = step["satisfaction"]
            return folded._replace(
                closed=True, satisfaction=folded.satisfaction if score is None else score
            )
        case "reopened":
            return folded._replace(
                resolved_at=None, root_cause=None, closed=False, reopens=folded.reopens + 1
            )
    return folded


def timing(complaint: Row, steps: Iterable[Row], as_of: datetime) -> Row:
    """One complaint's SLA figures from its row and its steps, counting steps up to as_of."""
    return figures(complaint, standing(steps, iso_utc(as_of)), as_of)


def figures(complaint: Row, folded: Standing, as_of: datetime) -> Row:
    """One complaint's SLA figures from its row and what its steps leave standing."""
    received = datetime.fromisoformat(complaint["received_at"])
    respond_by = datetime.fromisoformat(complaint["respond_by"])
    resolve_by = datetime.fromisoformat(complaint["resolve_by"])
    responded, resolved = _moment(folded.responded_at), _moment(folded.resolved_at)
    response = None if responded is None else hours_between(received, responded)
    resolution = None if resolved is None else hours_between(received, resolved)
    response_known = responded is not None or as_of > respond_by
    resolution_known = resolved is not None or as_of > resolve_by
    if resolved is None:
        status = "in_progress" if responded else "assigned" if folded.assigned else "received"
    else:
        status = "closed" if folded.closed else "resolved"
    return {
        "complaint_id": complaint["id"],
        "customer_id": complaint["customer_id"],
        "period": complaint["received_at"][:7],
        "channel": complaint["channel"],
        "category": complaint["category"],
        "severity": complaint["severity"],
        "status": status,
        "received_at": complaint["received_at"],
        "respond_by": complaint["respond_by"],
        "resolve_by": complaint["resolve_by"],
        "responded_at": folded.responded_at,
        "resolved_at": folded.resolved_at,
        "response_hours": _hours(response),
        "resolution_hours": _hours(resolution),
        "response_breached": response_known and (responded is None or responded > respond_by),
        "resolution_breached": resolution_known and (resolved is None or resolved > resolve_by),
        "open": resolved is None,
        "reopens": folded.reopens,
        "root_cause": folded.root_cause,
        "satisfaction": folded.satisfaction,
        # Exact figures for the summaries; not part of an answer.
        "_response": response,
        "_resolution": resolution,
        "_response_known": response_known,
        "_resolution_known": resolution_known,
        "_resolved_once": folded.resolved_once,
    }


def public(timing_row: Row) -> Row:
    """A complaint's timings as answered: without the exact working figures."""
    return {k: v for k, v in timing_row.items() if not k.startswith("_")}


def p90(values: Sequence[Decimal]) -> Decimal | None:
    """The nearest-rank 90th percentile: the ceil(0.9 n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(Decimal("0.9") * len(ordered)) - 1]


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, Decimal(0)) / len(values) if values else None


def summary(keys: dict[str, str], timings: Sequence[Row]) -> Row:
    """A report row over the timings of one group."""
    responses = [t["_response"] for t in timings if t["_response"] is not None]
    resolutions = [t["_resolution"] for t in timings if t["_resolution"] is not None]
    response_known = [t for t in timings if t["_response_known"]]
    resolution_known = [t for t in timings if t["_resolution_known"]]
    root_causes: dict[str, int] = {}
    for t in timings:
        if t["root_cause"] is not None:
            root_causes[t["root_cause"]] = root_causes.get(t["root_cause"], 0) + 1
    scores = [Decimal(t["satisfaction"]) for t in timings if t["satisfaction"] is not None]
    mean_score = _mean(scores)
    return {
        **keys,
        "count": len(timings),
        "open": sum(1 for t in timings if t["open"]),
        "breached": sum(1 for t in timings if t["response_breached"] or t["resolution_breached"]),
        "responded_on_time": ratio_float(
            sum(1 for t in response_known if not t["response_breached"]), len(response_known)
        ),
        "resolved_on_time": ratio_float(
            sum(1 for t in resolution_known if not t["resolution_breached"]),
            len(resolution_known),
        ),
        "mean_response_hours": _hours(_mean(responses)),
        "p90_response_hours": _hours(p90(responses)),
        "mean_resolution_hours": _hours(_mean(resolutions)),
        "p90_resolution_hours": _hours(p90(resolutions)),
        "reopen_rate": ratio_float(
            sum(1 for t in timings if t["reopens"]),
            sum(1 for t in timings if t["_resolved_once"]),
        ),
        "root_causes": dict(sorted(root_causes.items())),
        "satisfaction_avg": None
        if mean_score is None
        else float(mean_score.quantize(CENT, ROUND_HALF_UP)),
    }


def report(
    complaints: Iterable[Row], steps: Iterable[Row], keys: Sequence[str], as_of: datetime
) -> list[Row]:
    """The report rows by the keys asked, over the complaints received up to as_of."""
    by_complaint: dict[str, list[Row]] = {}
    for step in steps:
        by_complaint.setdefault(step["complaint_id"], []).append(step)
    cutoff = iso_utc(as_of)
    return summaries(
        (
            figures(complaint, standing(by_complaint.get(complaint["id"], ()), cutoff), as_of)
            for complaint in complaints
            if complaint["received_at"] <= cutoff
        ),
        keys,
    )


def summaries(timings: Iterable[Row], keys: Sequence[str]) -> list[Row]:
    """The timings grouped by the keys asked, a report row per group in key order."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for t in timings:
        groups.setdefault(tuple(t[k] for k in keys), []).append(t)
    return [
        summary(dict(zip(keys, group, strict=True)), timings)
        for group, timings in sorted(groups.items())
    ]


# Each complaint's steps up to a cutoff, folded in SQL to what `standing` answers. A
# step's key is its position, zero-padded to 12 digits, so the first or the latest step
# of a kind is the MIN or MAX of the key with what is wanted of the step appended.
STANDING_SQL = (
    "SELECT complaint_id, "
    "MIN(CASE WHEN kind = 'responded' THEN step || occurred_at END) AS responded, "
    "MAX(CASE WHEN kind IN ('resolved', 'reopened') THEN step "
    "|| CASE WHEN kind = 'resolved' THEN 'S' ELSE 'R' END || occurred_at || '|' "
    "|| COALESCE('=' || root_cause, '') END) AS settled, "
    "MAX(CASE WHEN kind = 'closed' THEN step END) AS closed, "
    "MAX(CASE WHEN kind = 'closed' AND satisfaction IS NOT NULL "
    "THEN step || CAST(satisfaction AS TEXT) END) AS satisfaction, "
    "SUM(CASE WHEN kind = 'resolved' THEN 1 ELSE 0 END) AS resolved, "
    "SUM(CASE WHEN kind = 'assigned' THEN 1 ELSE 0 END) AS assigned, "
    "SUM(CASE WHEN kind = 'reopened' THEN 1 ELSE 0 END) AS reopens "
    "FROM {steps} WHERE occurred_at <= ?{only} GROUP BY complaint_id"
)


def _standing_of(row: Row | None) -> Standing:
    """What `standing` answers, from a complaint's row of STANDING_SQL (None: no step)."""
    if row is None:
        return Standing()
    responded = row["responded"] and row["responded"][12:]
    resolved_at = root_cause = None
    closed = False
    settled = row["settled"]
    if settled is not None and settled[12] == "S":
        resolved_at, cause = settled[13:].split("|", 1)
        root_cause = cause[1:] if cause else None
        closed = row["closed"] is not None and row["closed"] > settled[:12]
    satisfaction = row["satisfaction"] and int(row["satisfaction"][12:])
    return Standing(
        responded,
        resolved_at,
        root_cause,
        satisfaction,
        bool(row["resolved"]),
        bool(row["assigned"]),
        int(row["reopens"]),
        closed,
    )


class ComplaintReport(ReadModel):
    """The complaints, and the dated steps their SLA figures are computed from."""

    name = "complaints"
    table_names = ("complaint_list", "complaint_steps")
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}complaint_list ("
        "id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, contract_id TEXT, "
        "channel TEXT NOT NULL, category TEXT NOT NULL, severity TEXT NOT NULL, "
        "status TEXT NOT NULL, assignee_id TEXT, escalation_level INTEGER NOT NULL, "
        "received_at TEXT NOT NULL, respond_by TEXT NOT NULL, resolve_by TEXT NOT NULL, "
        "responded_at TEXT, resolved_at TEXT, closed_at TEXT, satisfaction INTEGER, "
        "reopen_count INTEGER NOT NULL, version INTEGER NOT NULL, "
        "received_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}complaint_list_position "
        "ON {p}complaint_list (received_position)",
        "CREATE INDEX IF NOT EXISTS {n}complaint_list_received ON {p}complaint_list (received_at)",
        "CREATE TABLE IF NOT EXISTS {p}complaint_steps ("
        "step TEXT PRIMARY KEY, complaint_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "occurred_at TEXT NOT NULL, position BIGINT NOT NULL, root_cause TEXT, "
        "satisfaction INTEGER)",
        "CREATE INDEX IF NOT EXISTS {n}complaint_steps_complaint "
        "ON {p}complaint_steps (complaint_id)",
        "CREATE INDEX IF NOT EXISTS {n}complaint_steps_occurred "
        "ON {p}complaint_steps (occurred_at)",
    )

    def row(self, complaint_id: str) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('complaint_list')} WHERE id = ?", [complaint_id]
        )
        return rows[0] if rows else None

    def put(self, row: Row, step: Row | None, tracking: Tracking) -> None:
        statements: list[Statement] = [
            (upsert(self.table("complaint_list"), COLUMNS), [row[c] for c in COLUMNS])
        ]
        if step is not None:
            statements.append(
                (upsert(self.table("complaint_steps"), STEPS, key="step"), [step[c] for c in STEPS])
            )
        self.write(statements, tracking)

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        customer_id: str | None = None,
        assignee_id: str | None = None,
        severity: str | None = None,
        category: str | None = None,
        channel: str | None = None,
    ) -> list[Row]:
        """Complaints matching every filter given, in the order they were received."""
        return directory_page(
            self,
            "complaint_list",
            "received_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("customer_id = ?", customer_id),
                ("assignee_id = ?", assignee_id),
                ("severity = ?", severity),
                ("category = ?", category),
                ("channel = ?", channel),
            ),
        )

    def report(self, keys: Sequence[str], as_of: datetime) -> list[Row]:
        """The SLA summaries by the keys asked, counting facts dated up to as_of.

        The steps are folded per complaint in SQL (`STANDING_SQL`): reading every step
        row into Python and folding it there took most of the report's time
        (bench/service_reports.py, docs/PERFORMANCE.md).
        """
        return summaries(self._timings(as_of), keys)

    def _timings(self, as_of: datetime, received_after: datetime | None = None) -> list[Row]:
        """The SLA figures at as_of of the complaints received by then (and after a time)."""
        cutoff = iso_utc(as_of)
        received = [cutoff] if received_after is None else [cutoff, iso_utc(received_after)]
        since = "" if received_after is None else " AND received_at > ?"
        # Within a window only its complaints' steps are folded, not every complaint's.
        only = (
            ""
            if received_after is None
            else f" AND complaint_id IN (SELECT id FROM {self.table('complaint_list')} "
            f"WHERE received_at <= ?{since})"
        )
        steps = STANDING_SQL.format(steps=self.table("complaint_steps"), only=only)
        folded = {
            row["complaint_id"]: row
            for row in self.query(
                steps, [cutoff] if received_after is None else [cutoff, *received]
            )
        }
        complaints = self.query(
            "SELECT id, customer_id, channel, category, severity, received_at, respond_by, "
            f"resolve_by FROM {self.table('complaint_list')} WHERE received_at <= ?{since}",
            received,
        )
        return [figures(c, _standing_of(folded.get(c["id"])), as_of) for c in complaints]

    def timing(self, complaint_id: str, as_of: datetime) -> Row | None:
        """One complaint's SLA figures as of a business time; None if not received by then."""
        complaint = self.row(complaint_id)
        if complaint is None or complaint["received_at"] > iso_utc(as_of):
            return None
        steps = self.query(
            f"SELECT * FROM {self.table('complaint_steps')} WHERE complaint_id = ?",
            [complaint_id],
        )
        return public(timing(complaint, steps, as_of))

    def breaches(self, received_after: datetime, as_of: datetime) -> tuple[int, int]:
        """(received, breached) of the complaints received after a time and by as_of.

        Breached as the report counts it at as_of: a deadline met late, or not met and
        passed.
        """
        row = summary({}, self._timings(as_of, received_after))
        return row["count"], row["breached"]


class ComplaintProjection(Projection[ComplaintReport]):
    """Folds Complaint events into their rows and dated steps; tracks every event."""

    name = "complaints"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Complaint.Event,)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Complaint.Event):
            self.view.insert_tracking(tracking)
            return
        position = tracking.notification_id
        created = isinstance(domain_event, Complaint.Received)
        row = None if created else self.view.row(str(domain_event.originator_id))
        folded = fold(row, domain_event, position)
        if folded is None:
            self.view.insert_tracking(tracking)
            return
        self.view.put(folded, step_row(domain_event, position), tracking)
