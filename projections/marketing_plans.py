"""The marketing-plan directory behind `GET /marketing-plans`: one row per plan.

A row shows the plan's fiscal year, status and working revision, the revision in force
(the latest approved) with its approval time and approver, and how many measurements
were recorded; `GET /marketing-plans` filters on `status` and `fiscal_year`.
"""

from __future__ import annotations

from typing import Any

from domain.marketing_plan import MarketingPlan, PlanStatus
from projections.events import iso_utc
from projections.rows import (
    Row,
    RowPerAggregateProjection,
    RowPerAggregateView,
    directory_page,
    touched,
)

COLUMNS = (
    "id",
    "fiscal_year",
    "status",
    "revision",
    "approved_revision",
    "approved_at",
    "approved_by",
    "measurement_count",
    "version",
    "created_at",
    "created_position",
    "updated_at",
)


def drafted(event: MarketingPlan.Drafted, position: int) -> Row:
    """The directory row of a plan just drafted: revision 1, in draft."""
    return {
        "id": str(event.originator_id),
        "fiscal_year": event.fiscal_year,
        "status": PlanStatus.DRAFT.value,
        "revision": 1,
        "approved_revision": None,
        "approved_at": None,
        "approved_by": None,
        "measurement_count": 0,
        "version": event.originator_version,
        "created_at": iso_utc(event.timestamp),
        "created_position": position,
        "updated_at": iso_utc(event.timestamp),
    }


def approved(row: Row, event: MarketingPlan.Approved) -> Row:
    """The row of a plan whose revision was approved: the revision in force, by whom, when."""
    return {
        **row,
        "status": PlanStatus.APPROVED.value,
        "approved_revision": event.revision,
        "approved_at": iso_utc(event.occurred_at),
        "approved_by": event.actor,
    }


def fold(row: Row | None, event: Any, position: int) -> Row | None:
    """The directory row of a plan after one more of its events."""
    if isinstance(event, MarketingPlan.Drafted):
        return drafted(event, position)
    if row is None:
        return None
    row = touched(row, event)
    match event:
        case MarketingPlan.Submitted():
            return {**row, "status": PlanStatus.PENDING_APPROVAL.value}
        case MarketingPlan.Returned():
            return {**row, "status": PlanStatus.DRAFT.value}
        case MarketingPlan.Approved():
            return approved(row, event)
        case MarketingPlan.Revised():
            return {**row, "status": PlanStatus.DRAFT.value, "revision": event.revision}
        case MarketingPlan.MeasurementRecorded():
            return {**row, "measurement_count": row["measurement_count"] + 1}
    return row


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
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (MarketingPlan.Event,)
    events = MarketingPlan.Event
    creation = MarketingPlan.Drafted
    fold = staticmethod(fold)
