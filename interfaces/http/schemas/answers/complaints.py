"""Answers of `/complaints`: a complaint and the directory."""

from __future__ import annotations

from datetime import datetime

from interfaces.http.schemas.answers.common import Aggregate, Answer, Hours, Id, Listed, Subject


class Escalation(Answer):
    """A raise of the escalation level, and why."""

    level: int
    reason: str
    occurred_at: datetime


class ProgressNote(Answer):
    """A note of progress, and whether the customer was told."""

    note: str
    customer_informed: bool
    occurred_at: datetime


class ComplaintReopening(Answer):
    """A reopening after a resolution, and when it was resolved again."""

    reason: str
    occurred_at: datetime
    resolved_at: datetime | None


class Timings(Answer):
    """Response and resolution hours and breaches, judged at `judged_at` for open steps."""

    judged_at: datetime
    response_hours: Hours | None
    resolution_hours: Hours | None
    response_breached: bool
    resolution_breached: bool


class ComplaintView(Aggregate):
    """A complaint: its SLA deadlines, handling steps, resolution and timings."""

    status: str
    customer_id: Id
    contract_id: Id | None
    channel: str
    category: str
    severity: str
    description: str
    received_at: datetime
    respond_by: datetime
    resolve_by: datetime
    assignee_id: Subject | None
    escalation_level: int
    escalations: list[Escalation]
    responded_at: datetime | None
    response: str | None
    progress: list[ProgressNote]
    resolved_at: datetime | None
    resolution: str | None
    root_cause: str | None
    corrective_action: str | None
    closed_at: datetime | None
    satisfaction: int | None
    reopens: list[ComplaintReopening]
    timings: Timings


class ComplaintItem(Listed):
    """A complaint in the directory."""

    status: str
    customer_id: Id
    contract_id: Id | None
    channel: str
    category: str
    severity: str
    assignee_id: Subject | None
    escalation_level: int
    received_at: datetime
    respond_by: datetime
    resolve_by: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    satisfaction: int | None
    reopens: int
