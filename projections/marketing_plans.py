"""The marketing-plan directory behind `GET /marketing-plans`: one row per plan.

A row shows the plan's fiscal year, status and working revision, the revision in force
(the latest approved) with its approval time and approver, and how many measurements
were recorded; `GET /marketing-plans` filters on `status` and `fiscal_year`.
"""

from __future__ import annotations

from typing import Any

from domain.marketing_plan import MarketingPlan
from projections.plans import REVISION_COLUMNS, first_revision, revision_step
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
    "fiscal_year",
    *REVISION_COLUMNS,
    "measurement_count",
    *stamp_columns("created"),
)


def drafted(event: MarketingPlan.Drafted, position: int) -> Row:
    """The directory row of a plan just drafted: revision 1, in draft."""
    return {
        "id": str(event.originator_id),
        "fiscal_year": event.fiscal_year,
        **first_revision(),
        "measurement_count": 0,
        **created_stamps(event, position, "created"),
    }


@row_fold(MarketingPlan.Drafted, drafted)
def fold(row: Row, event: Any) -> Row:
    """The directory row of a plan after one more of its events."""
    match event:
        case MarketingPlan.MeasurementRecorded():
            return {**row, "measurement_count": row["measurement_count"] + 1}
    return revision_step(MarketingPlan, row, event)


class MarketingPlanDirectory(RowPerAggregateView):
    """Marketing plans with the fields `GET /marketing-plans` filters and shows."""

    name = "marketing_plans"
    table_names = ("marketing_plans",)
    row_table = "marketing_plans"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}marketing_plans ("
        "id TEXT PRIMARY KEY, fiscal_year INTEGER NOT NULL, status TEXT NOT NULL, "
        "revision INTEGER NOT NULL, approved_revision INTEGER, approved_at TEXT, "
        "approved_by TEXT, measurement_count INTEGER NOT NULL, version INTEGER NOT NULL, "
        "created_at TEXT NOT NULL, created_position BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}marketing_plans_position "
        "ON {p}marketing_plans (created_position)",
    )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        fiscal_year: int | None = None,
    ) -> list[Row]:
        """Plans matching every filter given, in the order they were drafted."""
        return directory_page(
            self,
            "marketing_plans",
            "created_position",
            limit=limit,
            after=after,
            conditions=(("status = ?", status), ("fiscal_year = ?", fiscal_year)),
        )


class MarketingPlanProjection(RowPerAggregateProjection[MarketingPlanDirectory]):
    """Folds MarketingPlan events into the directory; tracks every other event too."""

    name = "marketing_plans"
    events = MarketingPlan.Event
    creation = MarketingPlan.Drafted
    fold = staticmethod(fold)
