"""The staffing-plan directory behind `GET /staffing-plans`: one row per plan.

A row shows the plan's department, fiscal year, status and working revision, and the
revision in force (the latest approved) with its approval time and approver;
`GET /staffing-plans` filters on `status`, `fiscal_year` and `department` (compared
normalised, as rosters compare names).
"""

from __future__ import annotations

from typing import Any

from domain.department import department_key
from domain.staffing_plan import StaffingPlan
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
    "department",
    "department_key",
    "fiscal_year",
    *REVISION_COLUMNS,
    *stamp_columns("created"),
)


def drafted(event: StaffingPlan.Drafted, position: int) -> Row:
    """The directory row of a plan just drafted: revision 1, in draft."""
    return {
        "id": str(event.originator_id),
        "department": event.department,
        "department_key": department_key(event.department),
        "fiscal_year": event.fiscal_year,
        **first_revision(),
        **created_stamps(event, position, "created"),
    }


@row_fold(StaffingPlan.Drafted, drafted)
def fold(row: Row, event: Any) -> Row:
    """The directory row of a plan after one more of its events."""
    return revision_step(StaffingPlan, row, event)


class StaffingPlanDirectory(RowPerAggregateView):
    """Staffing plans with the fields `GET /staffing-plans` filters and shows."""

    name = "staffing_plans"
    table_names = ("staffing_plans",)
    row_table = "staffing_plans"
    columns = COLUMNS
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}staffing_plans ("
        "id TEXT PRIMARY KEY, department TEXT NOT NULL, department_key TEXT NOT NULL, "
        "fiscal_year INTEGER NOT NULL, status TEXT NOT NULL, revision INTEGER NOT NULL, "
        "approved_revision INTEGER, approved_at TEXT, approved_by TEXT, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "created_position BIGINT NOT NULL, updated_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}staffing_plans_position "
        "ON {p}staffing_plans (created_position)",
    )

    def search(
        self,
        *,
        limit: int,
        after: int | None = None,
        status: str | None = None,
        fiscal_year: int | None = None,
        department_key: str | None = None,
    ) -> list[Row]:
        """Plans matching every filter given, in the order they were drafted."""
        return directory_page(
            self,
            "staffing_plans",
            "created_position",
            limit=limit,
            after=after,
            conditions=(
                ("status = ?", status),
                ("fiscal_year = ?", fiscal_year),
                ("department_key = ?", department_key),
            ),
        )


class StaffingPlanProjection(RowPerAggregateProjection[StaffingPlanDirectory]):
    """Folds StaffingPlan events into the directory; tracks every other event too."""

    name = "staffing_plans"
    events = StaffingPlan.Event
    creation = StaffingPlan.Drafted
    fold = staticmethod(fold)
