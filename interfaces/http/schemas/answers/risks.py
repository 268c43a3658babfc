"""Answers of `/risks`: a risk and the register's directory."""

from __future__ import annotations

from datetime import date, datetime

from interfaces.http.schemas.answers.common import Aggregate, Answer, Id, Listed, Subject


class Assessment(Answer):
    """An assessment of likelihood and impact (1 to 5 each) and the level they give."""

    likelihood: int
    impact: int
    level: str
    rationale: str
    assessed_at: datetime
    assessed_by: Subject


class RiskAction(Answer):
    """An action planned on the risk, and its outcome once done."""

    id: Id
    description: str
    owner_id: Subject
    due_on: date
    added_at: datetime
    completed_at: datetime | None
    outcome: str | None


class RiskReopening(Answer):
    """A reopening of a closed risk, and why."""

    reason: str
    occurred_at: datetime


class RiskView(Aggregate):
    """A risk: its assessments (the latest gives the level), actions and closing."""

    status: str
    category: str
    title: str
    description: str
    owner_id: Subject
    likelihood: int | None
    impact: int | None
    level: str | None
    assessments: list[Assessment]
    actions: list[RiskAction]
    identified_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    reopens: list[RiskReopening]


class RiskItem(Listed):
    """A risk in the register's directory."""

    status: str
    category: str
    title: str
    owner_id: Subject
    likelihood: int | None
    impact: int | None
    level: str | None
    open_actions: int
    identified_at: datetime
