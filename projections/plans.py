"""What the directories of marketing and staffing plans share: a plan is worked on in
revisions, each drafted, submitted, returned or approved, and the one in force is the
latest approved. Both aggregates record the same events with the same statuses."""

from __future__ import annotations

from typing import Any

from domain.approval import PlanStatus
from projections.events import iso_utc
from projections.rows import Row

REVISION_COLUMNS = ("status", "revision", "approved_revision", "approved_at", "approved_by")

DRAFT = PlanStatus.DRAFT.value
PENDING_APPROVAL = PlanStatus.PENDING_APPROVAL.value
APPROVED = PlanStatus.APPROVED.value


def first_revision() -> Row:
    """The revision columns of a plan just drafted: revision 1, in draft, none in force."""
    return {
        "status": DRAFT,
        "revision": 1,
        "approved_revision": None,
        "approved_at": None,
        "approved_by": None,
    }


def approved(row: Row, event: Any) -> Row:
    """The row of a plan whose revision was approved: the revision in force, by whom, when."""
    return {
        **row,
        "status": APPROVED,
        "approved_revision": event.revision,
        "approved_at": iso_utc(event.occurred_at),
        "approved_by": event.actor,
    }


def revision_step(plan: Any, row: Row, event: Any) -> Row:
    """The row after an event of a plan's revisions (`plan` is the aggregate class);
    any other event leaves it as it is."""
    match event:
        case plan.Submitted():
            return {**row, "status": PENDING_APPROVAL}
        case plan.Returned():
            return {**row, "status": DRAFT}
        case plan.Approved():
            return approved(row, event)
        case plan.Revised():
            return {**row, "status": DRAFT, "revision": event.revision}
    return row
