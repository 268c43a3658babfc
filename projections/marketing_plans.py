"""The marketing-plan directory behind `GET /marketing-plans`: one row per plan.

A row shows the plan's fiscal year, status and working revision, the revision in force
(the latest approved) with its approval time and approver, and how many measurements
were recorded; `GET /marketing-plans` filters on `status` and `fiscal_year`.
"""

from __future__ import annotations

from typing import Any

from domain.marketing_plan import MarketingPlan, PlanStatus
from projections.events import iso_utc
from projections.rows import Row, RowPerAggregateProjection, RowPerAggregateView, directory_page

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


def fold(row: Row | None, event: Any, position: int) -> Row | None:
    """The directory row of a plan after one more of its events."""
    if isinstance(event, MarketingPlan.Drafted):
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
    if row is None:
        return None
    row = {**row, "version": event.originator_version, "updated_at": iso_utc(event.timestamp)}
    if isinstance(event, MarketingPlan.Submitted):
        row["status"] = PlanStatus.PENDING_APPROVAL.value
    elif isinstance(event, MarketingPlan.Returned):
        row["status"] = PlanStatus.DRAFT.value
    elif isinstance(event, MarketingPlan.Approved):
        row.update(
            status=PlanStatus.APPROVED.value,
            approved_revision=event.revision,
            approved_at=iso_utc(event.occurred_at),
            approved_by=event.actor,
        )
    elif isinstance(event, MarketingPlan.Revised):
        row.update(status=PlanStatus.DRAFT.value, revision=event.revision)
    elif isinstance(event, MarketingPlan.MeasurementRecorded):
        row["measurement_count"] = row["measurement_count"] + 1
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


class MarketingPlanProjection(RowPerAggregateProjection):
    """Folds MarketingPlan events into the directory; tracks every other event too."""

    name = "marketing_plans"
    events = MarketingPlan.Event
    creation = MarketingPlan.Drafted
    fold = staticmethod(fold)
