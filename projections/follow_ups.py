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
- Items are ordered by `next_follow_up_on`, then by name (normalised: trimmed, inner
  spaces collapsed, casefolded, compared as the database collates text; both test
  databases collate by code point), then by id, and paged by offset.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.customer import Customer
from domain.values import normalise_name
from projections.events import iso_utc
from projections.rows import Row, RowPerAggregateProjection, RowPerAggregateView

COLUMNS = (
    "id",
    "name",
    "name_key",
    "owner_id",
    "status",
    "next_follow_up_on",
    "last_contact_at",
)
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
        "name": event.name,
        "name_key": normalise_name(event.name),
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
            name = event.changes["name"]
            return {**row, "name": name, "name_key": normalise_name(name)}
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
    table_names = ("follow_ups",)
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
    )

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
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (Customer.Event,)
    events = Customer.Event
    creation = Customer.Registered
    fold = staticmethod(fold)
