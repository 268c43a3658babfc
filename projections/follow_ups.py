"""Follow-ups (回訪): customers due for a follow-up, with their last contact.

DOMAIN.md, Read models, 10; `GET /reports/follow-ups`. One row per customer, folded
from its own events: name (kept current by profile changes), owner (by owner
changes), status, the next follow-up date and the last contact. Decisions:

- The latest follow-up, by business time (`occurred_at`) and then by log position,
  sets `next_follow_up_on` (a follow-up without one clears it) and `last_contact_at`
  (its `occurred_at`); a follow-up back-dated behind a later one changes neither.
  This is what the Customer aggregate itself keeps (`Customer.FollowUpRecorded`).
- A customer is due by a date when its `next_follow_up_on` is on or before it.
  Customers without a next date are not due.
- Lost customers are left out: nobody follows up a lost customer. The row keeps the
  date, so a reopened customer (a lead again) comes back with it. `status` rides along
  in each item, so the caller sees a lead from a customer.
- As of a business time (`as_of`): a second table keeps every follow-up with its
  `occurred_at` and next date; a customer's next date and last contact are then those of
  its latest follow-up (by `occurred_at`, then log position) dated by `as_of`. Name,
  owner and status are as they stand. A database folded before that table existed
  needs `mops projections rebuild follow_ups` once for its older follow-ups.
- Items are ordered by `next_follow_up_on`, then by name (normalised: trimmed, inner
  spaces collapsed, casefolded, compared as the database collates text; both test
  databases collate by code point), then by id, and paged by offset.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Tracking

from domain.customer import ERASED, Customer
from domain.values import CustomerKind
from projections.events import iso_utc
from projections.rows import (
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    insert,
    named,
    upsert,
)

COLUMNS = (
    "id",
    "name",
    "name_key",
    "owner_id",
    "status",
    "next_follow_up_on",
    "last_contact_at",
)
HISTORY = ("fact_id", "customer_id", "occurred_at", "next_follow_up_on")
STATUS_BY_EVENT = {
    Customer.Qualified: "prospect",
    Customer.Converted: "customer",
    Customer.MarkedLost: "lost",
    Customer.Reopened: "lead",
}


def registered(event: Customer.Registered) -> Row:
    """The follow-up row of a customer just registered: a lead with no contact yet."""
    return {
        "id": str(event.originator_id),
        **named(event.name),
        "owner_id": event.owner_id,
        "status": "lead",
        "next_follow_up_on": None,
        "last_contact_at": None,
    }


def followed_up(row: Row, event: Customer.FollowUpRecorded) -> Row | None:
    """The row after a follow-up, or None when a later follow-up is already recorded."""
    at = iso_utc(event.occurred_at)
    # Equal times: the one later in the log is the later follow-up.
    if row["last_contact_at"] is not None and at < row["last_contact_at"]:
        return None
    upcoming = event.next_follow_up_on
    return {
        **row,
        "next_follow_up_on": None if upcoming is None else upcoming.isoformat(),
        "last_contact_at": at,
    }


def fold(row: Row | None, event: Any, position: int) -> Row | None:
    """The follow-up row of a customer after one more of its events (None: unchanged)."""
    if isinstance(event, Customer.Registered):
        return registered(event)
    if row is None:
        return None
    match event:
        case Customer.ProfileUpdated() if "name" in event.changes:
            return {**row, **named(event.changes["name"])}
        case Customer.Erased() if event.kind == CustomerKind.PERSON:
            return {**row, **named(ERASED)}
        case Customer.OwnerAssigned():
            return {**row, "owner_id": event.owner_id}
        case Customer.FollowUpRecorded():
            return followed_up(row, event)
        case _ if type(event) in STATUS_BY_EVENT:
            return {**row, "status": STATUS_BY_EVENT[type(event)]}
    return None


def item(row: Row) -> Row:
    """A report item (API.md, Report rows, follow-ups) with the customer's status."""
    return {
        "customer_id": row["id"],
        "name": row["name"],
        "owner_id": row["owner_id"],
        "next_follow_up_on": row["next_follow_up_on"],
        "last_contact_at": row["last_contact_at"],
        "status": row["status"],
    }


class FollowUps(RowPerAggregateView):
    """Customers with their next follow-up date and last contact."""

    name = "follow_ups"
    table_names = ("follow_ups", "follow_up_history")
    row_table = "follow_ups"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}follow_ups ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, "
        "owner_id TEXT NOT NULL, status TEXT NOT NULL, next_follow_up_on TEXT, "
        "last_contact_at TEXT)",
        "CREATE INDEX IF NOT EXISTS {n}follow_ups_due ON {p}follow_ups (next_follow_up_on)",
        "CREATE INDEX IF NOT EXISTS {n}follow_ups_owner "
        "ON {p}follow_ups (owner_id, next_follow_up_on)",
        "CREATE TABLE IF NOT EXISTS {p}follow_up_history ("
        "fact_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "next_follow_up_on TEXT)",
        "CREATE INDEX IF NOT EXISTS {n}follow_up_history_customer "
        "ON {p}follow_up_history (customer_id, occurred_at)",
    )

    def followed_up(self, row: Row | None, fact: Row, tracking: Tracking) -> None:
        """Record a follow-up in the history, and the customer's row if it changed."""
        history = self.table("follow_up_history")
        statements = [(insert(history, HISTORY), [fact[c] for c in HISTORY])]
        if row is not None:
            statements.append(
                (upsert(self.table(self.row_table), COLUMNS), [row[c] for c in COLUMNS])
            )
        self.write(statements, tracking)

    def due_then(
        self, due_by: date, as_of: datetime, *, owner_id: str | None, limit: int, offset: int
    ) -> list[Row]:
        """Report items as of a business time: each customer's latest follow-up by then."""
        owner, params = ("", []) if owner_id is None else (" AND r.owner_id = ?", [owner_id])
        history = self.table("follow_up_history")
        rows = self.query(
            f"SELECT r.*, h.next_follow_up_on AS next_then, h.occurred_at AS last_then "
            f"FROM {self.table('follow_ups')} r JOIN {history} h ON h.customer_id = r.id "
            f"WHERE h.fact_id = (SELECT l.fact_id FROM {history} l WHERE l.customer_id = r.id "
            "AND l.occurred_at <= ? ORDER BY l.occurred_at DESC, l.fact_id DESC LIMIT 1) "
            "AND h.next_follow_up_on <= ? AND r.status <> 'lost'"
            f"{owner} ORDER BY h.next_follow_up_on, r.name_key, r.id LIMIT ? OFFSET ?",
            [iso_utc(as_of), due_by.isoformat(), *params, limit, offset],
        )
        return [
            item(
                {**row, "next_follow_up_on": row["next_then"], "last_contact_at": row["last_then"]}
            )
            for row in rows
        ]

    def due(
        self, due_by: date, *, owner_id: str | None = None, limit: int, offset: int = 0
    ) -> list[Row]:
        """Report items of the customers (not lost) due by a day, earliest date first."""
        owner, params = ("", []) if owner_id is None else (" AND owner_id = ?", [owner_id])
        rows = self.query(
            f"SELECT * FROM {self.table('follow_ups')} "
            "WHERE next_follow_up_on <= ? AND status <> 'lost'"
            f"{owner} ORDER BY next_follow_up_on, name_key, id LIMIT ? OFFSET ?",
            [due_by.isoformat(), *params, limit, offset],
        )
        return [item(row) for row in rows]


class FollowUpProjection(RowPerAggregateProjection[FollowUps]):
    """Folds Customer events into the follow-up rows; tracks every other event too."""

    name = "follow_ups"
    events = Customer.Event
    creation = Customer.Registered
    fold = staticmethod(fold)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, Customer.FollowUpRecorded):
            super().process_event(domain_event, tracking)
            return
        customer_id = str(domain_event.originator_id)
        row = self._rows.get(customer_id, self.view.row)
        folded = None if row is None else fold(row, domain_event, tracking.notification_id)
        fact = {
            "fact_id": f"{tracking.notification_id:012d}",
            "customer_id": customer_id,
            "occurred_at": iso_utc(domain_event.occurred_at),
            "next_follow_up_on": (
                None
                if domain_event.next_follow_up_on is None
                else domain_event.next_follow_up_on.isoformat()
            ),
        }
        self.view.followed_up(folded, fact, tracking)
        if folded is not None:
            # Kept only once written: a write that fails leaves the memory as the table is.
            self._rows.remember(customer_id, folded)
