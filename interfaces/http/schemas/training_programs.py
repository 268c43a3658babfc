"""Bodies of the training-program commands (API.md, training-programs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StrictBool

from interfaces.http.schemas.budgets import Period
from interfaces.http.schemas.common import Command, Money, Score1to5, ShortText, Text

Kind = Literal["onboarding", "skills", "management", "professional"]
Hours = Annotated[Decimal, Field(gt=0, le=24, decimal_places=2)]
Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class Session(Command):
    starts_at: AwareDatetime
    hours: Hours
    location: ShortText | None = None


class PlanProgram(Command):
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
    employee_id: UUID


class Attendance(Command):
    session_id: UUID
    employee_id: UUID
    attended: StrictBool


class Assessment(Command):
    employee_id: UUID
    pre_score: Score | None = None
    post_score: Score
    reaction: Score1to5
    feedback: Text | None = None


class Complete(Command):
    completed_on: date
    actual_cost: Money = Field(ge=0)
