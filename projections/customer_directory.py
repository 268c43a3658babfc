"""The customer directory behind `GET /customers`: one row per customer."""

from __future__ import annotations

import json
from typing import Any

from domain.customer import ERASED, Customer
from domain.values import CustomerKind
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
    "kind",
    "status",
    "owner_id",
    "region",
    "industry",
    "source",
    "campaign_id",
    "tags",
    "rating",
    "on_hold",
    "tier",
    "points",
    *stamp_columns("registered"),
)


def registered(event: Customer.Registered, position: int) -> Row:
    """The directory row of a customer just registered: a lead."""
    return {
        "id": str(event.originator_id),
        **named(event.name),
        "kind": event.kind,
        "status": "lead",
        "owner_id": event.owner_id,
        "region": event.region,
        "industry": event.industry,
        "source": event.source,
        "campaign_id": str(event.campaign_id) if event.campaign_id else None,
        "tags": json.dumps(event.tags),
        "rating": None,
        "on_hold": 0,
        "tier": None,
        "points": 0,
        **created_stamps(event, position, "registered"),
    }


def profile_updated(row: Row, changes: dict[str, Any]) -> Row:
    """The row with the profile fields an update changed."""
    row = {**row, **{f: changes[f] for f in ("industry", "region") if f in changes}}
    if "name" in changes:
        row.update(named(changes["name"]))
    if "tags" in changes:
        row["tags"] = json.dumps(changes["tags"])
    return row


@row_fold(Customer.Registered, registered)
def fold(row: Row, event: Any) -> Row:
    """The directory row of a customer after one more of its events."""
    match event:
        case Customer.ProfileUpdated():
            return profile_updated(row, event.changes)
        case Customer.OwnerAssigned():
            return {**row, "owner_id": event.owner_id}
        case Customer.Qualified():
            return {**row, "status": "prospect"}
        case Customer.MarkedLost():
            return {**row, "status": "lost"}
        case Customer.Reopened():
            return {**row, "status": "lead"}
        case Customer.Converted():
            return {**row, "status": "customer"}
        case Customer.Erased() if event.kind == CustomerKind.PERSON:
            # A person's name is personal data (the directory keeps no contacts).
            return {**row, **named(ERASED)}
        case Customer.CreditAssessed():
            return {**row, "rating": event.rating}
        case Customer.CreditHoldPlaced():
            return {**row, "on_hold": 1}
        case Customer.CreditHoldReleased():
            return {**row, "on_hold": 0}
        case Customer.MembershipEnrolled():
            return {**row, "tier": event.tier}
        case Customer.PointsAwarded():
            return {**row, "points": row["points"] + event.points}
        case Customer.PointsRedeemed():
            return {**row, "points": row["points"] - event.points}
    return row


class CustomerDirectory(RowPerAggregateView):
    """Customers with the fields the directory filters and shows."""

    name = "customer_directory"
    table_names = ("customer_directory",)
    row_table = "customer_directory"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}customer_directory ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, kind TEXT NOT NULL, "
        "status TEXT NOT NULL, owner_id TEXT NOT NULL, region TEXT, industry TEXT, "
        "source TEXT NOT NULL, campaign_id TEXT, tags TEXT NOT NULL, rating TEXT, "
        "on_hold INTEGER NOT NULL, tier TEXT, points INTEGER NOT NULL, "
        "version INTEGER NOT NULL, registered_at TEXT NOT NULL, "
        "registered_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}customer_directory_position "
        "ON {p}customer_directory (registered_position)",
        "CREATE INDEX IF NOT EXISTS {n}customer_directory_owner "
        "ON {p}customer_directory (owner_id, registered_position)",
        "CREATE INDEX IF NOT EXISTS {n}customer_directory_status "
        "ON {p}customer_directory (status, registered_position)",
    )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        owner_id: str | None = None,
        region: str | None = None,
        rating: str | None = None,
        kind: str | None = None,
        source: str | None = None,
        q: str | None = None,
    ) -> list[Row]:
        """Customers matching every filter given, in order of registration."""
        return directory_page(
            self,
            "customer_directory",
            "registered_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("owner_id = ?", owner_id),
                ("region = ?", region),
                ("rating = ?", rating),
                ("kind = ?", kind),
                ("source = ?", source),
                (NAME_LIKE, name_pattern(q)),
            ),
        )


class CustomerDirectoryProjection(RowPerAggregateProjection[CustomerDirectory]):
    """Folds Customer events into the directory; tracks every other event too."""

    name = "customer_directory"
    events = Customer.Event
    creation = Customer.Registered
    fold = staticmethod(fold)
