"""Bodies of the training-program commands (API.md, training-programs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictBool

from interfaces.http.schemas.budgets import Period
from interfaces.http.schemas.common import Command, Money, Score1to5, ShortText, Text, example

Kind = Literal["onboarding", "skills", "management", "professional"]
Hours = Annotated[Decimal, Field(gt=0, le=24, decimal_places=2)]
Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class Session(Command):
    starts_at: AwareDatetime
    hours: Hours
    location: ShortText | None = None


class PlanProgram(Command):
    model_config = example(
        {
            "title": "Solution selling workshop",
            "kind": "skills",
            "objectives": "Qualify needs, build the business case, negotiate on value",
            "trainer": "Qin Wei (external trainer)",
            "sessions": [
                {"starts_at": "2026-05-06T09:00:00Z", "hours": "6", "location": "Head office"},
                {"starts_at": "2026-05-13T09:00:00Z", "hours": "4.5"},
            ],
            "target_departments": ["sales"],
            "planned_cost": "4800.00",
            "budget_id": "a11c07fb-ed67-4175-ab06-2348621b0422",
            "period": "Q2",
        }
    )
    title: ShortText
    kind: Kind
    objectives: Text
    trainer: ShortText
    sessions: list[Session] = Field(min_length=1, max_length=200)
    target_departments: list[ShortText] | None = Field(default=None, max_length=100)
    planned_cost: Money = Field(gt=0)
    budget_id: UUID
    period: Period


class AmendProgram(Command):
    model_config = example({"trainer": "Feng Lan", "planned_cost": "5200.00"})
    title: ShortText | None = None
    kind: Kind | None = None
    objectives: Text | None = None
    trainer: ShortText | None = None
    sessions: list[Session] | None = Field(default=None, min_length=1, max_length=200)
    target_departments: list[ShortText] | None = Field(default=None, max_length=100)
    planned_cost: Money | None = Field(default=None, gt=0)
    budget_id: UUID | None = None
    period: Period | None = None


class Enrollment(Command):
    model_config = example({"employee_id": "5ce52dcc-6f16-4a33-a228-f3ad9b51d451"})
    employee_id: UUID


class Attendance(Command):
    model_config = example(
        {
            "session_id": "502efd87-122c-451a-a88a-df36cd1c84c5",
            "employee_id": "5ce52dcc-6f16-4a33-a228-f3ad9b51d451",
            "attended": True,
        }
    )
    session_id: UUID
    employee_id: UUID
    attended: StrictBool


class Assessment(Command):
    model_config = example(
        {
            "employee_id": "5ce52dcc-6f16-4a33-a228-f3ad9b51d451",
            "pre_score": "52",
            "post_score": "66",
            "reaction": 5,
            "feedback": "Useful cases",
        }
    )
    employee_id: UUID
    pre_score: Score | None = None
    post_score: Score
    reaction: Score1to5
    feedback: Text | None = None


class Complete(Command):
    model_config = example({"completed_on": "2026-05-27", "actual_cost": "4560.00"})
    completed_on: date
    actual_cost: Money = Field(ge=0)
