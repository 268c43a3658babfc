"""Employee commands (DOMAIN.md, Employee): recruiting, career, appraisals, incentives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from application.commands import Command
from domain.employee import Target


@dataclass(frozen=True)
class RegisterCandidate(Command):
    """Register a candidate; the id is the person's employee id for good."""

    permission = "employee.register_candidate"
    creates = True
    name: str
    position: str
    department: str
    source: str | None = None


@dataclass(frozen=True)
class EraseEmployee(Command):
    """Erase a candidate's or employee's personal data: the key is destroyed for good."""

    permission = "employee.erase"
    employee_id: UUID
    reason: str


@dataclass(frozen=True)
class RecordInterview(Command):
    """Record a step of a candidate's selection: screening, interview, test or check."""

    permission = "employee.interview"
    employee_id: UUID
    kind: str
    result: str
    score: Decimal | int | None = None
    notes: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class HireEmployee(Command):
    """Hire a candidate who passed an interview and a background check."""

    permission = "employee.hire"
    employee_id: UUID
    hired_on: date
    position: str
    department: str
    manager_id: str | None = None
    grade: str | None = None


@dataclass(frozen=True)
class RejectCandidate(Command):
    """Turn a candidate down."""

    permission = "employee.reject_candidate"
    employee_id: UUID
    reason: str


@dataclass(frozen=True)
class TransferEmployee(Command):
    """Move an employee to a department; position and manager kept unless named."""

    permission = "employee.transfer"
    employee_id: UUID
    department: str
    position: str | None = None
    manager_id: str | None = None


@dataclass(frozen=True)
class PromoteEmployee(Command):
    """Give an employee a new position, and a new grade if named."""

    permission = "employee.promote"
    employee_id: UUID
    position: str
    grade: str | None = None


@dataclass(frozen=True)
class TerminateEmployee(Command):
    """End an employment on a day."""

    permission = "employee.terminate"
    employee_id: UUID
    reason: str
    on: date


@dataclass(frozen=True)
class SetEmployeeTargets(Command):
    """Set an employee's KPI targets of a period, replacing any set before for it."""

    permission = "employee.targets"
    employee_id: UUID
    period: str
    items: Sequence[Target]


@dataclass(frozen=True)
class RecordTraining(Command):
    """Record a completed training; by hr or the employee's manager (by identity)."""

    permission = "employee.training"
    employee_id: UUID
    course: str
    kind: str
    hours: Decimal
    completed_on: date
    score: Decimal | int | None = None
    feedback: str | None = None


@dataclass(frozen=True)
class OpenAppraisal(Command):
    """Open the appraisal of a cycle and period; answers its id."""

    permission = "employee.appraisal_open"
    employee_id: UUID
    cycle: str
    period: str


@dataclass(frozen=True)
class SubmitEvaluation(Command):
    """Evaluate as superior, peer, self or customer: the capacity is checked by identity."""

    permission = "employee.evaluation"
    employee_id: UUID
    appraisal_id: UUID
    source: str
    kpi_score: Decimal | int
    goals_score: Decimal | int
    attitude_score: Decimal | int
    comments: str | None = None


@dataclass(frozen=True)
class FinalizeAppraisal(Command):
    """Score and rate an appraisal, from its evaluations and the measured KPI attainment."""

    permission = "employee.appraisal_finalize"
    employee_id: UUID
    appraisal_id: UUID


@dataclass(frozen=True)
class AwardBonus(Command):
    """Award a bonus, citing the finalised appraisal it rewards if any."""

    permission = "employee.bonus"
    employee_id: UUID
    amount: Decimal
    reason: str
    appraisal_id: UUID | None = None


@dataclass(frozen=True)
class GrantHonor(Command):
    """Grant an employee an honour title."""

    permission = "employee.honor"
    employee_id: UUID
    title: str


@dataclass(frozen=True)
class StartImprovementPlan(Command):
    """Start an improvement plan after a latest rating of C or D; answers its id."""

    permission = "employee.improvement_plan"
    employee_id: UUID
    goals: str
    due_on: date


@dataclass(frozen=True)
class CloseImprovementPlan(Command):
    """Close an improvement plan as passed or failed."""

    permission = "employee.improvement_plan_close"
    employee_id: UUID
    plan_id: UUID
    outcome: str
