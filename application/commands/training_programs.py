"""TrainingProgram commands (DOMAIN.md, TrainingProgram): plan, approval, attendance, review.

Approval, completion and cancellation change the program's Budget too (completion also
every participant's Employee record): all are saved in one transaction, or none, and
the command takes the budget's in-process turn like every command on the budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from application.commands import Command, Find
from domain.training_program import TrainingProgram


class ProgramChanges(TypedDict, total=False):
    """The fields of a planned program an amendment names; None leaves a field as it is."""

    title: str | None
    kind: str | None
    objectives: str | None
    trainer: str | None
    # [{starts_at, hours, location?}]: replaces every session.
    sessions: Sequence[Mapping[str, Any]] | None
    target_departments: Sequence[str] | None
    planned_cost: Decimal | None
    budget_id: UUID | None
    period: str | None


@dataclass(frozen=True)
class PlanTrainingProgram(Command):
    """Plan a training program paid from a budget's personnel line."""

    permission = "training_program.plan"
    creates = True
    title: str
    kind: str
    objectives: str
    trainer: str
    # [{starts_at, hours, location?}]
    sessions: Sequence[Mapping[str, Any]]
    planned_cost: Decimal
    budget_id: UUID
    period: str
    target_departments: Sequence[str] | None = None


@dataclass(frozen=True)
class AmendTrainingProgram(Command):
    """Change fields of a planned program."""

    permission = "training_program.amend"
    program_id: UUID
    changes: ProgramChanges


@dataclass(frozen=True)
class ProgramBudgetCommand(Command):
    """A program command that changes the program's budget too: it takes the budget's turn."""

    program_id: UUID

    def turn(self, find: Find) -> UUID | None:
        """The turn of the program's budget; none for an id naming no program."""
        program = find(self.program_id)
        return program.budget_id if isinstance(program, TrainingProgram) else None


@dataclass(frozen=True)
class ApproveTrainingProgram(ProgramBudgetCommand):
    """Approve the program and commit its planned cost on the budget, in one transaction."""

    permission = "training_program.approve"


@dataclass(frozen=True)
class EnrollInTrainingProgram(Command):
    """Enrol an active employee in the program."""

    permission = "training_program.enroll"
    program_id: UUID
    employee_id: UUID


@dataclass(frozen=True)
class RecordTrainingAttendance(Command):
    """Record whether an enrolled employee attended a session."""

    permission = "training_program.attendance"
    program_id: UUID
    session_id: UUID
    employee_id: UUID
    attended: bool


@dataclass(frozen=True)
class RecordTrainingAssessment(Command):
    """Record an enrolled employee's scores and reaction."""

    permission = "training_program.assessment"
    program_id: UUID
    employee_id: UUID
    post_score: Decimal
    reaction: int
    pre_score: Decimal | None = None
    feedback: str | None = None


@dataclass(frozen=True)
class CompleteTrainingProgram(ProgramBudgetCommand):
    """Complete the program: book its cost and record the hours on every participant."""

    permission = "training_program.complete"
    completed_on: date
    actual_cost: Decimal


@dataclass(frozen=True)
class EvaluateTrainingProgram(Command):
    """Review the completed program's effectiveness; the answer carries the review."""

    permission = "training_program.evaluate"
    program_id: UUID


@dataclass(frozen=True)
class CancelTrainingProgram(ProgramBudgetCommand):
    """Call the program off and release what is open of its commitment."""

    permission = "training_program.cancel"
    reason: str
