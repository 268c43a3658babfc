"""Complaint commands (DOMAIN.md, Complaint): receipt, handling, resolution and reopening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.commands import Command


@dataclass(frozen=True)
class ReceiveComplaint(Command):
    """Receive a complaint of an existing customer, about one of its contracts if named."""

    permission = "complaint.receive"
    creates = True
    customer_id: UUID
    channel: str
    category: str
    severity: str
    description: str
    contract_id: UUID | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AssignComplaint(Command):
    """Hand the received complaint to an active employee."""

    permission = "complaint.assign"
    complaint_id: UUID
    assignee_id: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RespondToComplaint(Command):
    """Give the customer the first answer; the response time runs to it."""

    permission = "complaint.respond"
    complaint_id: UUID
    message: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RecordComplaintProgress(Command):
    """Note progress on the complaint, and whether the customer was told."""

    permission = "complaint.progress"
    complaint_id: UUID
    note: str
    customer_informed: bool
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class EscalateComplaint(Command):
    """Raise the open complaint to a higher escalation level."""

    permission = "complaint.escalate"
    complaint_id: UUID
    level: int
    reason: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ResolveComplaint(Command):
    """Resolve the complaint at its root: a root cause and a corrective action."""

    permission = "complaint.resolve"
    complaint_id: UUID
    resolution: str
    root_cause: str
    corrective_action: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class CloseComplaint(Command):
    """Close the resolved complaint, with the customer's satisfaction 1-5 if given."""

    permission = "complaint.close"
    complaint_id: UUID
    satisfaction: int | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ReopenComplaint(Command):
    """Reopen a resolved or closed complaint, within 30 days of its resolution."""

    permission = "complaint.reopen"
    complaint_id: UUID
    reason: str
    occurred_at: datetime | None = None
