"""Answers of `/training-programs` and `/reports/training`: a program, the directory, the
report's rows and the review `evaluate` answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from interfaces.http.openapi import CommandAnswer
from interfaces.http.schemas.answers.common import (
    Aggregate,
    Answer,
    Decimal,
    Hours,
    Id,
    Listed,
    Money,
    Ratio,
    Subject,
)
from interfaces.http.schemas.answers.reports import PagedReport


class TrainingSession(Answer):
    """A session of the program: its id (as attendance names it), start and length."""

    session_id: Id
    starts_at: datetime
    hours: Decimal
    location: str | None


class TrainingAssessment(Answer):
    """A participant's scores (0 to 100) and reaction (1 to 5)."""

    pre_score: Decimal | None
    post_score: Decimal
    reaction: int
    feedback: str | None


class TrainingParticipant(Answer):
    """An enrolled employee: attendance by session id, and the assessment once recorded."""

    employee_id: Subject
    attendance: dict[str, bool]
    assessment: TrainingAssessment | None


class TrainingReview(Answer):
    """The effectiveness review as the program stores it, decimals as strings, with the
    inputs it used (reactions, learning gains and KPI attainments by employee)."""

    reaction_avg: Decimal | None
    learning_gain_avg: Decimal | None
    kpi_change_avg: Decimal | None
    cost_per_participant: Money | None
    cost_per_attended_hour: Money | None
    participants: int
    attended_hours: Decimal
    actual_cost: Money
    before_period: str
    after_period: str
    reactions: dict[str, int]
    learning_gains: dict[str, Decimal]
    attainments: dict[str, dict[str, Decimal]] = Field(
        description="by employee, the KPI attainment of each period compared"
    )


class TrainingProgramView(Aggregate):
    """A training program: its sessions, budget line, participants, completion and review."""

    status: str
    title: str
    kind: str
    objectives: str
    trainer: str
    sessions: list[TrainingSession]
    target_departments: list[str]
    planned_cost: Money
    budget_id: Id
    budget_category: str = Field(description="always `personnel`")
    period: str = Field(description="the budget quarter, `Q1` to `Q4`")
    planned_by: Subject
    approved_by: Subject | None
    committed: Money
    participants: list[TrainingParticipant]
    completed_on: date | None
    actual_cost: Money | None
    released: Money
    recorded_hours: dict[str, Decimal] = Field(description="hours written on each employee")
    review: TrainingReview | None
    cancel_reason: str | None


class TrainingProgramItem(Listed):
    """A program in the directory."""

    title: str
    kind: str
    status: str
    trainer: str
    budget_id: Id
    period: str
    first_session_on: date
    target_departments: list[str]
    planned_cost: Money
    participants: int = Field(description="how many are enrolled")
    planned_at: datetime


class TrainingRow(Answer):
    """A program's participants, attendance, hours, costs, reaction, learning and KPI change."""

    program_id: Id
    title: str
    status: str
    participants: int
    attended: int
    completion_rate: Ratio | None
    hours: Hours
    planned_cost: Money
    actual_cost: Money | None
    cost_per_participant: Money | None
    cost_per_attended_hour: Money | None
    reaction_avg: float | None
    learning_gain_avg: float | None
    kpi_change_avg: float | None


class TrainingReport(PagedReport):
    """`/reports/training`: a row per program, in the order planned."""

    items: list[TrainingRow]


class ReviewAnswer(Answer):
    """The review as `evaluate` answers it: ratios and scores as numbers, money as text."""

    reaction_avg: float | None
    learning_gain_avg: float | None
    kpi_change_avg: float | None
    cost_per_participant: Money | None
    cost_per_attended_hour: Money | None
    participants: int
    attended_hours: float
    actual_cost: Money
    before_period: str
    after_period: str


class TrainingEvaluation(CommandAnswer):
    """`evaluate`'s answer: the program's id and version, and the review."""

    review: ReviewAnswer | SkipJsonSchema[None] = Field(
        default=None, description="the review just made"
    )
