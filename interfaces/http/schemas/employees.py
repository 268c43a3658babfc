"""Bodies of the employee commands (API.md, employees)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from domain.values import MAX_MONEY
from interfaces.http.schemas.common import Command, Money, ShortText, Text, example

Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
# `YYYY`, `YYYY-Qn` or `YYYY-MM`.
EmployeePeriod = Annotated[str, Field(pattern=r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
EmployeeId = Annotated[str, Field(min_length=1, max_length=200)]


class RegisterCandidate(Command):
    model_config = example(
        {
            "name": "Zhang Min",
            "position": "Sales representative",
            "department": "sales",
            "source": "referral",
        }
    )
    name: ShortText
    position: ShortText
    department: ShortText
    source: ShortText | None = None


class RecordInterview(Command):
    model_config = example(
        {
            "kind": "interview",
            "result": "pass",
            "score": "82.50",
            "notes": "Strong industrial sales background",
        }
    )
    kind: Literal["screening", "interview", "written_test", "background_check"]
    result: Literal["pass", "fail"]
    score: Score | None = None
    notes: Text | None = None
    occurred_at: AwareDatetime | None = None


class Hire(Command):
    model_config = example(
        {
            "hired_on": "2026-05-04",
            "position": "Sales representative",
            "department": "sales",
            "manager_id": "e-sales-manager-01",
            "grade": "P3",
        }
    )
    hired_on: date
    position: ShortText
    department: ShortText
    manager_id: EmployeeId | None = None
    grade: ShortText | None = None


class RejectCandidate(Command):
    model_config = example({"reason": "Salary expectations beyond the grade"})
    reason: Text


class Erase(Command):
    """Why the person's personal data is erased (kept in the `Erased` event)."""

    model_config = example({"reason": "The former employee's request of 2026-03-02"})

    reason: Text


class Transfer(Command):
    model_config = example({"department": "marketing", "position": "Campaign specialist"})
    department: ShortText
    position: ShortText | None = None
    manager_id: EmployeeId | None = None


class Promote(Command):
    model_config = example({"position": "Senior sales representative", "grade": "P4"})
    position: ShortText
    grade: ShortText | None = None


class Terminate(Command):
    model_config = example({"reason": "Resigned", "on": "2026-12-31"})
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
    model_config = example(
        {
            "period": "2026-Q3",
            "items": [
                {"metric": "revenue", "target": "1500000.00", "weight": "0.6"},
                {"metric": "new_customers", "target": "8", "weight": "0.4"},
            ],
        }
    )
    period: EmployeePeriod
    items: list[TargetItem] = Field(min_length=1, max_length=6)


class RecordTraining(Command):
    model_config = example(
        {
            "course": "Consultative selling",
            "kind": "skills",
            "hours": "16",
            "completed_on": "2026-06-12",
            "score": "88",
            "feedback": "Useful role plays",
        }
    )
    course: ShortText
    kind: Literal["onboarding", "skills", "management", "professional"]
    hours: Decimal = Field(gt=0, le=1000, decimal_places=2)
    completed_on: date
    score: Score | None = None
    feedback: Text | None = None


class OpenAppraisal(Command):
    model_config = example({"cycle": "quarterly", "period": "2026-Q2"})
    cycle: Literal["monthly", "quarterly", "annual"]
    period: EmployeePeriod


class SubmitEvaluation(Command):
    model_config = example(
        {
            "source": "superior",
            "kpi_score": "85",
            "goals_score": "80",
            "attitude_score": "90",
            "comments": "Exceeded the revenue target",
        }
    )
    source: Literal["superior", "peer", "self", "customer"]
    kpi_score: Score
    goals_score: Score
    attitude_score: Score
    comments: Text | None = None


class AwardBonus(Command):
    model_config = example({"amount": "8000.00", "reason": "Top seller of Q2"})
    amount: Money = Field(gt=0)
    reason: Text
    appraisal_id: UUID | None = None


class GrantHonor(Command):
    model_config = example({"title": "Salesperson of the year 2026"})
    title: ShortText


class StartImprovementPlan(Command):
    model_config = example(
        {"goals": "Three closed deals a month; a weekly pipeline review", "due_on": "2026-09-30"}
    )
    goals: Text
    due_on: date


class CloseImprovementPlan(Command):
    model_config = example({"outcome": "passed"})
    outcome: Literal["passed", "failed"]
