"""The contract directory behind `GET /contracts`: one row per contract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from domain.contract import Contract, line_total
from projections.rows import (
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    created_stamps,
    directory_page,
    row_fold,
    stamp_columns,
)

COLUMNS = (
    "id",
    "customer_id",
    "owner_id",
    "status",
    "channel",
    "region",
    "total",
    "signed_on",
    *stamp_columns("drafted"),
)

STATUS_BY_EVENT = {
    Contract.Submitted: "in_review",
    Contract.Approved: "approved",
    Contract.ReviewRejected: "draft",
    Contract.Cancelled: "cancelled",
    Contract.Terminated: "terminated",
    Contract.Completed: "completed",
}


def _total(lines: Iterable[Mapping[str, Any]]) -> str:
    """The sum of the lines' totals, to the cent at least."""
    return str(sum((line_total(line) for line in lines), Decimal("0.00")))


def drafted(event: Contract.Drafted, position: int) -> Row:
    """The directory row of a contract just drafted."""
    return {
        "id": str(event.originator_id),
        "customer_id": str(event.customer_id),
        "owner_id": event.owner_id,
        "status": "draft",
        "channel": event.channel,
        "region": event.region,
        "total": _total(event.lines),
        "signed_on": None,
        **created_stamps(event, position, "drafted"),
    }


def amended(row: Row, changes: dict[str, Any]) -> Row:
    """The row with the parties, channel, region and total an amendment changed."""
    row = {**row, **{f: changes[f] for f in ("owner_id", "channel", "region") if f in changes}}
    if "lines" in changes:
        row["total"] = _total(changes["lines"])
    return row


@row_fold(Contract.Drafted, drafted)
def fold(row: Row, event: Any) -> Row:
    """The directory row of a contract after one more of its events."""
    match event:
        case Contract.Amended():
            return amended(row, event.changes)
        case Contract.Signed():
            return {**row, "status": "active", "signed_on": event.signed_on.isoformat()}
    status = STATUS_BY_EVENT.get(type(event))
    return row if status is None else {**row, "status": status}


class ContractDirectory(RowPerAggregateView):
    """Contracts with the fields `GET /contracts` filters and shows."""

    name = "contract_directory"
    table_names = ("contract_directory",)
    row_table = "contract_directory"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}contract_directory ("
        "id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, owner_id TEXT NOT NULL, "
        "status TEXT NOT NULL, channel TEXT NOT NULL, region TEXT, total TEXT NOT NULL, "
        "signed_on TEXT, version INTEGER NOT NULL, drafted_at TEXT NOT NULL, "
        "drafted_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}contract_directory_position "
        "ON {p}contract_directory (drafted_position)",
        "CREATE INDEX IF NOT EXISTS {n}contract_directory_customer "
        "ON {p}contract_directory (customer_id, drafted_position)",
        "CREATE INDEX IF NOT EXISTS {n}contract_directory_owner "
        "ON {p}contract_directory (owner_id, drafted_position)",
        "CREATE INDEX IF NOT EXISTS {n}contract_directory_status "
        "ON {p}contract_directory (status, drafted_position)",
    )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        customer_id: str | None = None,
        owner_id: str | None = None,
        region: str | None = None,
        channel: str | None = None,
        signed_from: str | None = None,
        signed_to: str | None = None,
    ) -> list[Row]:
        """Contracts matching every filter given, in the order they were drafted."""
        return directory_page(
            self,
            "contract_directory",
            "drafted_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("customer_id = ?", customer_id),
                ("owner_id = ?", owner_id),
                ("region = ?", region),
                ("channel = ?", channel),
                ("signed_on >= ?", signed_from),
                ("signed_on <= ?", signed_to),
            ),
        )


class ContractDirectoryProjection(RowPerAggregateProjection[ContractDirectory]):
    """Folds Contract events into the directory; tracks every other event too."""

    name = "contract_directory"
    events = Contract.Event
    creation = Contract.Drafted
    fold = staticmethod(fold)
