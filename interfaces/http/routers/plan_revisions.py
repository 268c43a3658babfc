"""How a plan approved revision by revision (the marketing plan, the staffing plan) shows
its workflow: the revision last returned, the one in force and every approved one.

The marketing and the staffing plan answer these parts alike (API.md); only what a
revision holds differs, which each router passes in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from interfaces.http.json import iso_utc_or_none


def returned_revision(returned: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The revision last sent back to draft, with the comments; null if none was."""
    if returned is None:
        return None
    return {
        "revision": returned["revision"],
        "comments": returned["comments"],
        "returned_by": returned["returned_by"],
        "returned_at": iso_utc_or_none(returned["returned_at"]),
    }


def approved_revision(approved: Mapping[str, Any], **content: Any) -> dict[str, Any]:
    """The revision in force: its number, what it holds (`content`), when and by whom."""
    return {
        "revision": approved["revision"],
        **content,
        "approved_at": iso_utc_or_none(approved["approved_at"]),
        "approved_by": approved["approved_by"],
    }


def approved_revisions(revisions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every approved revision, with the plan version it reached."""
    return [
        {
            "revision": r["revision"],
            "version": r["version"],
            "submitted_by": r["submitted_by"],
            "approved_at": iso_utc_or_none(r["approved_at"]),
            "approved_by": r["approved_by"],
        }
        for r in revisions
    ]
