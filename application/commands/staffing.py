"""StaffingPlan and Department commands (DOMAIN.md, Department and StaffingPlan).

One staffing plan per department and fiscal year: hr drafts, amends, submits and revises
it; an executive other than the submitter approves or returns each revision. The rosters
are written by the moves of employees (application/handlers/employees.py); `mops upgrade`
writes a roster as the Employee aggregates stand (`RebuildRoster`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.commands import Command, Find
from domain.department import department_id


@dataclass(frozen=True)
class DraftStaffingPlan(Command):
    """Draft a department's plan for a fiscal year; a second one is refused."""

    permission = "staffing_plan.draft"
    creates = True
    department: str
    fiscal_year: int
    # Each {position, quarter, headcount, monthly_cost_per_head}.
    lines: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class AmendStaffingPlan(Command):
    """Replace the lines of a draft."""

    permission = "staffing_plan.amend"
    plan_id: UUID
    lines: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class SubmitStaffingPlan(Command):
    """Put the draft revision before an executive."""

    permission = "staffing_plan.submit"
    plan_id: UUID


@dataclass(frozen=True)
class ApproveStaffingPlan(Command):
    """An executive other than the submitter puts the revision in force."""

    permission = "staffing_plan.approve"
    plan_id: UUID


@dataclass(frozen=True)
class ReturnStaffingPlan(Command):
    """An executive other than the submitter sends the revision back, with comments."""

    permission = "staffing_plan.return"
    plan_id: UUID
    comments: str


@dataclass(frozen=True)
class ReviseStaffingPlan(Command):
    """Start a new revision of the approved plan; the approved one stays in force."""

    permission = "staffing_plan.revise"
    plan_id: UUID


@dataclass(frozen=True)
class RebuildRoster(Command):
    """Write a department's roster as its employees stand (`mops upgrade`); idempotent.

    `employee_ids` names every employee who may belong: those whose department is this
    one; members of the roster now are looked at too.
    """

    permission = "department.rebuild_roster"
    department: str
    employee_ids: Sequence[UUID] = ()

    def turn(self, find: Find) -> UUID:
        """The roster's own turn, as the moves into it take."""
        return department_id(self.department)
