"""The stored-text formats the crosscheck's expected rows are written in, from an
aggregate's state (see projections/crosscheck.py): never from events."""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.events import iso_utc

Row = dict[str, Any]


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def stamps(aggregate: Any, position: int, created: str) -> Row:
    """Version, creation (recording time, position in the log) and last recording time."""
    return {
        "id": str(aggregate.id),
        "version": aggregate.version,
        f"{created}_at": iso_utc(aggregate.created_on),
        f"{created}_position": position,
        "updated_at": iso_utc(aggregate.modified_on),
    }


def revisions(plan: Any) -> Row:
    """A plan's status and working revision, and the revision in force (its latest
    approved) with its approval time and approver."""
    approved = plan.approved
    return {
        "status": plan.status,
        "revision": plan.revision,
        "approved_revision": approved["revision"] if approved else None,
        "approved_at": iso_utc(approved["approved_at"]) if approved else None,
        "approved_by": approved["approved_by"] if approved else None,
    }
