"""The staffing-plan directory behind `GET /staffing-plans`: one row per plan.

A row shows the plan's department, fiscal year, status and working revision, and the
revision in force (the latest approved) with its approval time and approver;
`GET /staffing-plans` filters on `status`, `fiscal_year` and `department` (compared
normalised, as rosters compare names).
"""

from __future__ import annotations

from typing import Any

from domain.department import department_key
from domain.staffing_plan import PlanStatus, StaffingPlan
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
    "department",
    "department_key",
    "fiscal_year",
    "status",
    "revision",
    "approved_revision",
    "approved_at",
    "approved_by",
    "version",
    "created_at",
    "created_position",
    "updated_at",
)


def drafted(event: StaffingPlan.Drafted, position: int) -> Row:
    """The directory row of a plan just drafted: revision 1, in draft."""
    return {
        "id": str(event.originator_id),
        "department": event.department,
        "department_key": department_key(event.department),
        "fiscal_year": event.fiscal_year,
        "status": PlanStatus.DRAFT.value,
        "revision": 1,
        "approved_revision": None,
        "approved_at": None,
        "approved_by": None,
        "version": event.originator_version,
        "created_at": iso_utc(event.timestamp),
        "created_position": position,
        "updated_at": iso_utc(event.timestamp),
    }


def fold(row: Row | None, event: Any, position: int) -> Row | None:
    """The directory row of a plan after one more of its events."""
    if isinstance(event, StaffingPlan.Drafted):
        return drafted(event, position)
    if row is None:
        return None
    row = touched(row, event)
    match event:
        case StaffingPlan.Submitted():
            return {**row, "status": PlanStatus.PENDING_APPROVAL.value}
        case StaffingPlan.Returned():
            return {**row, "status": PlanStatus.DRAFT.value}
        case StaffingPlan.Approved():
            return {
                **row,
                "status": PlanStatus.APPROVED.value,
                "approved_revision": event.revision,
                "approved_at": iso_utc(event.occurred_at),
                "approved_by": event.actor,
            }
        case StaffingPlan.Revised():
            return {**row, "status": PlanStatus.DRAFT.value, "revision": event.revision}
    return row


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
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (StaffingPlan.Event,)
    events = StaffingPlan.Event
    creation = StaffingPlan.Drafted
    fold = staticmethod(fold)


def staffing_plan_row(plan: StaffingPlan, position: int) -> Row:
    """What `GET /staffing-plans` must show of a plan (projections/crosscheck.py)."""
    approved = plan.approved
    return {
        "id": str(plan.id),
        "version": plan.version,
        "created_at": iso_utc(plan.created_on),
        "created_position": position,
        "updated_at": iso_utc(plan.modified_on),
        "department": plan.department,
        "department_key": department_key(plan.department),
        "fiscal_year": plan.fiscal_year,
        "status": plan.status,
        "revision": plan.revision,
        "approved_revision": approved["revision"] if approved else None,
        "approved_at": iso_utc(approved["approved_at"]) if approved else None,
        "approved_by": approved["approved_by"] if approved else None,
    }
