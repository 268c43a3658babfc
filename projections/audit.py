"""The audit log: every business event, who caused it and when, in log order."""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.customer import ERASED, Customer
from domain.employee import Employee
from domain.values import CustomerKind
from projections.events import event_data, event_names, iso_utc
from projections.rows import filters, inserts, update
from projections.store import ReadModel

# Bookkeeping aggregates (uniqueness and idempotency keys) are not business facts.
NOT_AUDITED = frozenset(
    {
        "CustomerIdentity",
        "IdempotencyRecord",
        "BudgetYear",
        "SkuPriceWindows",
        "MarketingPlanYear",
        "ClaimReceipt",
    }
)

COLUMNS = (
    "position",
    "aggregate_type",
    "aggregate_id",
    "version",
    "type",
    "recorded_at",
    "occurred_at",
    "actor",
    "data",
)


def audit_row(event: Any, position: int) -> dict[str, Any] | None:
    """The log row of an event, or None for bookkeeping events."""
    aggregate_type, event_type = event_names(event)
    if aggregate_type in NOT_AUDITED:
        return None
    return {
        "position": position,
        "aggregate_type": aggregate_type,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "type": event_type,
        "recorded_at": iso_utc(event.timestamp),
        "occurred_at": iso_utc(event.occurred_at),
        "actor": event.actor,
        "data": json.dumps(event_data(event), sort_keys=True, ensure_ascii=False),
    }


# The aggregates whose events carry personal fields, by the audit log's aggregate type.
ERASABLE = {"Customer": Customer, "Employee": Employee}


def _erased_at(value: Any, parts: list[str]) -> Any:
    """A copy of `value` with ERASED at the path (`*` each list item); None stays None."""
    if not parts:
        return None if value is None else ERASED
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [_erased_at(item, rest) for item in value] if isinstance(value, list) else value
    if isinstance(value, dict) and head in value:
        return {**value, head: _erased_at(value[head], rest)}
    return value


def scrubbed(aggregate_type: str, event_type: str, data: Any, person: bool) -> Any:
    """An audit row's data with its personal fields shown as ERASED.

    The fields are those the event class declares (`personal_fields`, and `person_fields`
    when the data subject is a person); a profile change shows them under `changes`.
    """
    event_class = getattr(ERASABLE.get(aggregate_type), event_type, None)
    paths: tuple[str, ...] = getattr(event_class, "personal_fields", ())
    if person:
        paths += getattr(event_class, "person_fields", ())
    for path in paths:
        data = _erased_at(data, path.split("."))
        if isinstance(data, dict) and isinstance(data.get("changes"), dict):
            data = {**data, "changes": _erased_at(data["changes"], path.split("."))}
    return data


def is_person(event: Any) -> bool:
    """Whether an erasure's data subject is a person (a customer may be a company)."""
    return not isinstance(event, Customer.Erased) or event.kind == CustomerKind.PERSON


class AuditLog(ReadModel):
    """The global ordered log, queryable by aggregate, actor, type and time."""

    name = "audit_log"
    table_names = ("audit_log",)
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}audit_log ("
        "position BIGINT PRIMARY KEY, aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, "
        "version INTEGER NOT NULL, type TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "occurred_at TEXT NOT NULL, actor TEXT NOT NULL, data TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}audit_log_aggregate ON {p}audit_log (aggregate_id, version)",
        "CREATE INDEX IF NOT EXISTS {n}audit_log_actor ON {p}audit_log (actor, position)",
        "CREATE INDEX IF NOT EXISTS {n}audit_log_type ON {p}audit_log (type, position)",
        "CREATE INDEX IF NOT EXISTS {n}audit_log_recorded ON {p}audit_log (recorded_at)",
    )

    def append(self, row: dict[str, Any], tracking: Tracking) -> None:
        """Add an event's row to the log, with the tracking position."""
        self.write(inserts(self.table("audit_log"), COLUMNS, [row]), tracking)

    def scrub(self, row: dict[str, Any], person: bool, tracking: Tracking) -> None:
        """Append an erasure's row, and show the subject's personal fields as ERASED."""
        table = self.table("audit_log")
        rows = self.query(
            f"SELECT position, aggregate_type, type, data FROM {table} WHERE aggregate_id = ?",
            [row["aggregate_id"]],
        )
        statements = inserts(table, COLUMNS, [row])
        for old in rows:
            data = json.loads(old["data"])
            clean = scrubbed(old["aggregate_type"], old["type"], data, person)
            if clean != data:
                text = json.dumps(clean, sort_keys=True, ensure_ascii=False)
                statements.append(update(table, "position", old["position"], {"data": text}))
        self.write(statements, tracking)

    def search(
        self,
        *,
        limit: int,
        after_position: int | None = None,
        aggregate_type: str | None = None,
        aggregate_id: str | None = None,
        actor: str | None = None,
        event_type: str | None = None,
        recorded_from: str | None = None,
        recorded_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """Log entries matching every filter, oldest first.

        `event_type` matches the short name (`CreditAssessed`) or the qualified one
        (`Customer.CreditAssessed`). Times compare as ISO 8601 strings in UTC.
        """
        qualifier, short = (None, None)
        if event_type is not None:
            qualifier, _, short = event_type.rpartition(".")
        where, params = filters(
            (
                ("aggregate_type = ?", aggregate_type),
                ("aggregate_id = ?", aggregate_id),
                ("actor = ?", actor),
                ("type = ?", short),
                ("aggregate_type = ?", qualifier or None),
                ("recorded_at >= ?", recorded_from),
                ("recorded_at <= ?", recorded_to),
                ("position > ?", after_position),
            )
        )
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        params.append(limit)
        rows = self.query(
            f"SELECT * FROM {self.table('audit_log')} {clause} ORDER BY position LIMIT ?", params
        )
        for row in rows:
            row["data"] = json.loads(row["data"])
        return rows


class AuditProjection(Projection[AuditLog]):
    """Appends every business event to the audit log."""

    name = "audit_log"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        row = audit_row(domain_event, tracking.notification_id)
        if row is None:
            self.view.insert_tracking(tracking)
        elif isinstance(domain_event, Customer.Erased | Employee.Erased):
            self.view.scrub(row, is_person(domain_event), tracking)
        else:
            self.view.append(row, tracking)
