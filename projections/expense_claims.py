"""The expense-claim directory behind `GET /expense-claims`: one row per claim.

Filters: `status`, `claimant_id`, `budget_id`, `category`, `period`, `expense_type`;
claims come in the order they were submitted. A row shows what the list needs: the
claim's line, amount and dates, who decided in which capacity, the budget version
that holds its booked expense, and the day it was paid. The money itself is counted
by budget execution, from the budget's `ExpenseRecorded` (the claim is its reference).
"""

from __future__ import annotations

from typing import Any

from domain.expense_claim import ExpenseClaim
from projections.events import iso_utc
from projections.rows import (
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    directory_page,
    row_fold,
)

COLUMNS = (
    "id",
    "claimant_id",
    "status",
    "expense_type",
    "amount",
    "spent_on",
    "receipt_ref",
    "budget_id",
    "category",
    "period",
    "submitted_at",
    "decided_at",
    "decided_by",
    "approver_capacity",
    "budget_version",
    "paid_on",
    "version",
    "submitted_position",
    "updated_at",
)


def submitted(event: ExpenseClaim.Submitted, position: int) -> Row:
    """The directory row of a claim just submitted."""
    return {
        "id": str(event.originator_id),
        "claimant_id": event.claimant_id,
        "status": "submitted",
        "expense_type": event.expense_type,
        "amount": str(event.amount),
        "spent_on": event.spent_on.isoformat(),
        "receipt_ref": event.receipt_ref,
        "budget_id": str(event.budget_id),
        "category": event.category,
        "period": event.period,
        "submitted_at": iso_utc(event.occurred_at),
        "decided_at": None,
        "decided_by": None,
        "approver_capacity": None,
        "budget_version": None,
        "paid_on": None,
        "version": event.originator_version,
        "submitted_position": position,
        "updated_at": iso_utc(event.timestamp),
    }


def decided(row: Row, event: ExpenseClaim.Approved | ExpenseClaim.Rejected, status: str) -> Row:
    """The row of a claim approved or rejected: who decided, when, in which capacity."""
    return {
        **row,
        "status": status,
        "decided_at": iso_utc(event.occurred_at),
        "decided_by": event.actor,
        "approver_capacity": event.capacity,
        "budget_version": getattr(event, "budget_version", None),
    }


@row_fold(ExpenseClaim.Submitted, submitted)
def fold(row: Row, event: Any) -> Row:
    """The directory row of a claim after one more of its events."""
    match event:
        case ExpenseClaim.Approved():
            return decided(row, event, "approved")
        case ExpenseClaim.Rejected():
            return decided(row, event, "rejected")
        case ExpenseClaim.Paid():
            return {**row, "status": "paid", "paid_on": event.paid_on.isoformat()}
    return row


class ExpenseClaimDirectory(RowPerAggregateView):
    """Expense claims with the fields `GET /expense-claims` filters and shows."""

    name = "expense_claims"
    table_names = ("expense_claims",)
    row_table = "expense_claims"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}expense_claims ("
        "id TEXT PRIMARY KEY, claimant_id TEXT NOT NULL, status TEXT NOT NULL, "
        "expense_type TEXT NOT NULL, amount TEXT NOT NULL, spent_on TEXT NOT NULL, "
        "receipt_ref TEXT NOT NULL, budget_id TEXT NOT NULL, category TEXT NOT NULL, "
        "period TEXT NOT NULL, submitted_at TEXT NOT NULL, decided_at TEXT, decided_by TEXT, "
        "approver_capacity TEXT, budget_version INTEGER, paid_on TEXT, "
        "version INTEGER NOT NULL, submitted_position BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}expense_claims_position "
        "ON {p}expense_claims (submitted_position)",
        "CREATE INDEX IF NOT EXISTS {n}expense_claims_claimant "
        "ON {p}expense_claims (claimant_id, submitted_position)",
        "CREATE INDEX IF NOT EXISTS {n}expense_claims_budget "
        "ON {p}expense_claims (budget_id, submitted_position)",
    )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        claimant_id: str | None = None,
        budget_id: str | None = None,
        category: str | None = None,
        period: str | None = None,
        expense_type: str | None = None,
    ) -> list[Row]:
        """Claims matching every filter given, in the order they were submitted."""
        return directory_page(
            self,
            "expense_claims",
            "submitted_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("claimant_id = ?", claimant_id),
                ("budget_id = ?", budget_id),
                ("category = ?", category),
                ("period = ?", period),
                ("expense_type = ?", expense_type),
            ),
        )


class ExpenseClaimProjection(RowPerAggregateProjection[ExpenseClaimDirectory]):
    """Folds ExpenseClaim events into the directory; tracks every other event too."""

    name = "expense_claims"
    events = ExpenseClaim.Event
    creation = ExpenseClaim.Submitted
    fold = staticmethod(fold)
