"""Answers of `/employees`: an employee's record and the directory."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from interfaces.http.openapi import CommandAnswer
from interfaces.http.schemas.answers.common import (
    Aggregate,
    Answer,
    Decimal,
    Id,
    Money,
    Subject,
)


class Interview(Answer):
    """A screening, interview, written test or background check of a candidate."""

    kind: str
    result: str
    score: Decimal | None
    notes: str | None
    occurred_at: datetime
    recorded_by: Subject


class TargetItem(Answer):
    """A KPI target and its weight."""

    metric: str
    target: Decimal
    weight: Decimal


class PeriodTargets(Answer):
    """The KPI targets of a period."""

    period: str
    items: list[TargetItem]


class Training(Answer):
    """A completed training."""

    course: str
    kind: str
    hours: Decimal
    completed_on: date
    score: Decimal | None
    feedback: str | None
    recorded_by: Subject


class AppraisalEvaluation(Answer):
    """An evaluation of an appraisal, by source."""

    source: str
    evaluator: Subject
    kpi_score: Decimal
    goals_score: Decimal
    attitude_score: Decimal
    comments: str | None
    submitted_at: datetime


class Appraisal(Answer):
    """An appraisal of a cycle and period: its evaluations, and its score once finalised."""

    appraisal_id: Id
    cycle: str
    period: str
    status: str
    opened_on: date
    evaluations: list[AppraisalEvaluation]
    score: Decimal | None
    rating: str | None
    inputs: dict[str, Any] | None = Field(
        description="what the score was computed from (weights, sources, KPI attainment)"
    )
    finalized_at: datetime | None


class Bonus(Answer):
    """A bonus, and the appraisal it rewards if any."""

    amount: Money
    reason: str
    appraisal_id: Id | None
    awarded_on: date
    awarded_by: Subject


class Honor(Answer):
    """An honour title."""

    title: str
    granted_on: date
    granted_by: Subject


class ImprovementPlan(Answer):
    """An improvement plan after a rating of C or D."""

    plan_id: Id
    goals: str
    due_on: date
    status: str
    outcome: str | None
    started_on: date
    closed_on: date | None


class EmployeeView(Aggregate):
    """A candidate's or employee's record: hiring, moves, targets, training, appraisals."""

    status: str
    name: str
    position: str
    department: str
    grade: str | None
    manager_id: Subject | None
    source: str | None
    hired_on: date | None
    terminated_on: date | None
    termination_reason: str | None
    rejection_reason: str | None
    interviews: list[Interview]
    targets: list[PeriodTargets]
    trainings: list[Training]
    training_hours: Decimal
    appraisals: list[Appraisal]
    latest_rating: str | None
    bonuses: list[Bonus]
    honors: list[Honor]
    improvement_plans: list[ImprovementPlan]


class EmployeeItem(Answer):
    """A person in the directory (`position` is the job; `registered_position` the order)."""

    id: Subject
    name: str
    position: str
    department: str
    status: str
    manager_id: Subject | None
    hired_on: date | None
    version: int = Field(ge=1)
    registered_position: int


class AppraisalFinalized(CommandAnswer):
    """`finalize`'s answer: the employee's id and version, the score and the rating."""

    score: Decimal | SkipJsonSchema[None] = Field(
        default=None, description="the weighted score, 0 to 100"
    )
    rating: str | SkipJsonSchema[None] = Field(default=None, description="the rating it gives")
