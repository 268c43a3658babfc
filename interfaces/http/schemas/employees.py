"""Bodies of the employee commands (API.md, employees)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from domain.values import MAX_MONEY
from interfaces.http.schemas.common import Command, Money, ShortText, Text

Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
# `YYYY`, `YYYY-Qn` or `YYYY-MM`.
EmployeePeriod = Annotated[str, Field(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
EmployeeId = Annotated[str, Field(min_length=1, max_length=200)]


class RegisterCandidate(Command):
    name: ShortText
    position: ShortText
    department: ShortText
    source: ShortText | None = None


class RecordInterview(Command):
    kind: Literal["screening", "interview", "written_test", "background_check"]
    result: Literal["pass", "fail"]
    score: Score | None = None
    notes: Text | None = None
    occurred_at: AwareDatetime | None = None


class Hire(Command):
    hired_on: date
    position: ShortText
    department: ShortText
    manager_id: EmployeeId | None = None
    grade: ShortText | None = None


class RejectCandidate(Command):
    reason: Text


class Erase(Command):
    """Why the person's personal data is erased (kept in the `Erased` event)."""

    reason: Text


class Transfer(Command):
    department: ShortText
    position: ShortText | None = None
    manager_id: EmployeeId | None = None


class Promote(Command):
    position: ShortText
    grade: ShortText | None = None


class Terminate(Command):
    reason: Text
    on: date


class TargetItem(Command):
    metric: Literal[
        "revenue",
        "new_customers",
        "contracts_signed",
        "collections",
        "complaints_resolved",
        "training_hours",
    ]
    # Money (revenue, collections), a count or hours: two places cover each of them.
    target: Decimal = Field(gt=0, le=MAX_MONEY, decimal_places=2, allow_inf_nan=False)
    weight: Decimal = Field(gt=0, le=1, decimal_places=4, allow_inf_nan=False)


class SetTargets(Command):
    period: EmployeePeriod
    items: list[TargetItem] = Field(min_length=1, max_length=6)


class RecordTraining(Command):
    course: ShortText
    kind: Literal["onboarding", "skills", "management", "professional"]
    hours: Decimal = Field(gt=0, le=1000, decimal_places=2)
    completed_on: date
    score: Score | None = None
    feedback: Text | None = None


class OpenAppraisal(Command):
    cycle: Literal["monthly", "quarterly", "annual"]
    period: EmployeePeriod


class SubmitEvaluation(Command):
    source: Literal["superior", "peer", "self", "customer"]
    kpi_score: Score
    goals_score: Score
    attitude_score: Score
    comments: Text | None = None


class AwardBonus(Command):
    amount: Money = Field(gt=0)
    reason: Text
    appraisal_id: UUID | None = None


class GrantHonor(Command):
    title: ShortText


class StartImprovementPlan(Command):
    goals: Text
    due_on: date


class CloseImprovementPlan(Command):
    outcome: Literal["passed", "failed"]
