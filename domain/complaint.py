"""Complaint: a customer's complaint from receipt to closure, against its SLA.

Rulebook: 客戶投訴處理 (找出問題根源, 加以改進).

Decisions where DOMAIN.md is silent:

- The SLA deadlines (`respond_by`, `resolve_by`) are stamped into `Received` from the
  policy in force at receipt, counted from the received `occurred_at`; a later policy
  change never moves them. Reopening keeps them: a reopened complaint is measured
  against the deadlines it was received with.
- After a reopen, the latest resolution is the one that counts for the resolution time
  and its breach: a complaint that had to be reopened was not really resolved.
- The state machine is DOMAIN.md's exactly: `Assign` only while `received` (no
  reassignment), `Respond` only while `assigned`, `Resolve` only while `in_progress`,
  `Close` only while `resolved`, `Reopen` from `resolved` or `closed`.
  `RecordProgress` keeps the customer informed while the complaint is `in_progress`.
- `Escalate` is allowed in every open state (`received`, `assigned`, `in_progress`) and
  only upwards: its level is at least 1 and above the complaint's current level.
- Every step's `occurred_at` is on or after the `occurred_at` of every earlier step of
  the complaint (it may precede when the earlier step was recorded). Every step takes an
  optional `occurred_at`, over HTTP too: API.md gives assign, escalate, close and reopen
  none, but without it a response given before the assignment was logged could not be
  dated when it happened. The optional field extends those bodies; clients that leave
  it out get "now", as before.
- With the business SLA clock (DOMAIN.md, "SLA clock") the deadlines count working
  hours of the business calendar (domain/calendar.py) from receipt; they are stamped
  into `Received` all the same. Response and resolution hours in the reports stay
  elapsed hours between the instants, whichever clock set the deadlines.
- The reopen window is 30 days from the (latest) resolution's `occurred_at` to the
  reopen's `occurred_at`; 30 days exactly is still inside it.
- `Resolved` carries the assignee at the time of resolution (the person credited);
  `Closed` carries the satisfaction score, 1 to 5, or none when the customer gave none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from domain.base import MopsAggregate
from domain.budget import choice
from domain.calendar import BusinessCalendar, add_working_hours
from domain.errors import InvalidState, ReopenWindowClosed, ValidationFailed
from domain.values import Cause, count, required_text

REOPEN_WINDOW = timedelta(days=30)
HOUR = Decimal(3600)
HOURS = Decimal("0.01")


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {ComplaintStatus.RECEIVED, ComplaintStatus.ASSIGNED, ComplaintStatus.IN_PROGRESS}
)


class ComplaintChannel(StrEnum):
    HOTLINE = "hotline"
    ONLINE = "online"
    EMAIL = "email"
    VISIT = "visit"
    OTHER = "other"


class ComplaintCategory(StrEnum):
    PRODUCT_QUALITY = "product_quality"
    DELIVERY = "delivery"
    SERVICE = "service"
    BILLING = "billing"
    OTHER = "other"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class RootCause(StrEnum):
    PRODUCT = "product"
    PROCESS = "process"
    PEOPLE = "people"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    OTHER = "other"


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Exact hours from start to end (negative when end is earlier)."""
    delta = end - start
    seconds = Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / 10**6
    return seconds / HOUR


def round_hours(hours: Decimal) -> Decimal:
    """Hours as reports show them: two places, half up."""
    return hours.quantize(HOURS, rounding=ROUND_HALF_UP)


def sla_hours(table: Mapping[str, int], severity: str, field: str) -> int:
    """The SLA hours of a severity from a policy table."""
    hours = table.get(severity)
    if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
        raise ValidationFailed.of(field, f"the SLA policy has no hours for {severity!r}")
    return hours


def _deadline(received: datetime, hours: int, calendar: BusinessCalendar | None) -> datetime:
    """Hours after receipt, round the clock or in the calendar's working time."""
    if calendar is None:
        return received + timedelta(hours=hours)
    return add_working_hours(received, hours, calendar)


class Escalation(TypedDict):
    """One raise of a complaint's escalation level."""

    level: int
    reason: str
    occurred_at: datetime


class ProgressNote(TypedDict):
    """A note of progress on a complaint in progress."""

    note: str
    customer_informed: bool
    occurred_at: datetime


class Reopening(TypedDict):
    """A reopen, with the resolution time it undid."""

    reason: str
    occurred_at: datetime
    resolved_at: datetime | None


class Timings(TypedDict):
    """A complaint's response and resolution times (hours) and their SLA breaches."""

    response_hours: float | None
    resolution_hours: float | None
    response_breached: bool
    resolution_breached: bool


class Complaint(MopsAggregate):
    """A customer complaint: received, assigned, answered, resolved at its root, closed."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        customer_id: UUID
        contract_id: UUID | None
        channel: str
        category: str
        severity: str
        description: str
        respond_by: datetime
        resolve_by: datetime
        received_at: datetime
        last_step_at: datetime
        status: str
        assignee_id: str | None
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
        reopens: list[Reopening]

    class Received(MopsAggregate.Created):
        customer_id: UUID
        contract_id: UUID | None
        channel: str
        category: str
        severity: str
        description: str
        respond_by: datetime
        resolve_by: datetime

        def apply(self, complaint: Complaint) -> None:
            complaint.customer_id = self.customer_id
            complaint.contract_id = self.contract_id
            complaint.channel = self.channel
            complaint.category = self.category
            complaint.severity = self.severity
            complaint.description = self.description
            complaint.respond_by = self.respond_by
            complaint.resolve_by = self.resolve_by
            complaint.received_at = self.occurred_at
            complaint.last_step_at = self.occurred_at
            complaint.status = ComplaintStatus.RECEIVED.value
            complaint.assignee_id = None
            complaint.escalation_level = 0
            complaint.escalations = []
            complaint.responded_at = None
            complaint.response = None
            complaint.progress = []
            complaint.resolved_at = None
            complaint.resolution = None
            complaint.root_cause = None
            complaint.corrective_action = None
            complaint.closed_at = None
            complaint.satisfaction = None
            complaint.reopens = []

    class Assigned(MopsAggregate.Event):
        assignee_id: str

        def apply(self, complaint: Complaint) -> None:
            complaint.status = ComplaintStatus.ASSIGNED.value
            complaint.assignee_id = self.assignee_id
            complaint.last_step_at = self.occurred_at

    class Responded(MopsAggregate.Event):
        message: str

        def apply(self, complaint: Complaint) -> None:
            complaint.status = ComplaintStatus.IN_PROGRESS.value
            complaint.responded_at = self.occurred_at
            complaint.response = self.message
            complaint.last_step_at = self.occurred_at

    class ProgressRecorded(MopsAggregate.Event):
        note: str
        customer_informed: bool

        def apply(self, complaint: Complaint) -> None:
            complaint.progress = [
                *complaint.progress,
                {
                    "note": self.note,
                    "customer_informed": self.customer_informed,
                    "occurred_at": self.occurred_at,
                },
            ]
            complaint.last_step_at = self.occurred_at

    class Escalated(MopsAggregate.Event):
        level: int
        reason: str

        def apply(self, complaint: Complaint) -> None:
            complaint.escalation_level = self.level
            complaint.escalations = [
                *complaint.escalations,
                {"level": self.level, "reason": self.reason, "occurred_at": self.occurred_at},
            ]
            complaint.last_step_at = self.occurred_at

    class Resolved(MopsAggregate.Event):
        resolution: str
        root_cause: str
        corrective_action: str
        assignee_id: str | None

        def apply(self, complaint: Complaint) -> None:
            complaint.status = ComplaintStatus.RESOLVED.value
            complaint.resolved_at = self.occurred_at
            complaint.resolution = self.resolution
            complaint.root_cause = self.root_cause
            complaint.corrective_action = self.corrective_action
            complaint.last_step_at = self.occurred_at

    class Closed(MopsAggregate.Event):
        satisfaction: int | None

        def apply(self, complaint: Complaint) -> None:
            complaint.status = ComplaintStatus.CLOSED.value
            complaint.closed_at = self.occurred_at
            if self.satisfaction is not None:
                complaint.satisfaction = self.satisfaction
            complaint.last_step_at = self.occurred_at

    class Reopened(MopsAggregate.Event):
        reason: str

        def apply(self, complaint: Complaint) -> None:
            complaint.status = ComplaintStatus.IN_PROGRESS.value
            complaint.reopens = [
                *complaint.reopens,
                {
                    "reason": self.reason,
                    "occurred_at": self.occurred_at,
                    "resolved_at": complaint.resolved_at,
                },
            ]
            complaint.resolved_at = None
            complaint.closed_at = None
            complaint.last_step_at = self.occurred_at

    # Receiving.

    @classmethod
    def receive(
        cls,
        cause: Cause,
        *,
        id: UUID,
        customer_id: UUID,
        channel: str,
        category: str,
        severity: str,
        description: str,
        response_hours: Mapping[str, int],
        resolution_hours: Mapping[str, int],
        contract_id: UUID | None = None,
        occurred_at: datetime | None = None,
        calendar: BusinessCalendar | None = None,
    ) -> Complaint:
        """Receive a complaint; its deadlines are the SLA of its severity from receipt.

        Round the clock without a `calendar`; with one, in its working hours only.
        """
        fields = {
            "channel": choice(ComplaintChannel, channel, "channel"),
            "category": choice(ComplaintCategory, category, "category"),
            "severity": choice(Severity, severity, "severity"),
            "description": required_text(description, "description", 5000),
        }
        received = cause.occurred(occurred_at)
        respond_in = sla_hours(response_hours, fields["severity"], "severity")
        resolve_in = sla_hours(resolution_hours, fields["severity"], "severity")
        return cls._start(
            cls.Received,
            cause,
            id=id,
            occurred_at=received,
            customer_id=customer_id,
            contract_id=contract_id,
            respond_by=_deadline(received, respond_in, calendar),
            resolve_by=_deadline(received, resolve_in, calendar),
            **fields,
        )

    # Rules shared by the steps.

    @property
    def is_open(self) -> bool:
        """Whether the complaint is still being worked on: received, assigned or in progress."""
        return self.status in OPEN_STATUSES

    def _require(self, command: str, *statuses: ComplaintStatus) -> None:
        if self.status not in statuses:
            raise InvalidState(command, self.status)

    def _after_last_step(self, at: datetime, field: str = "occurred_at") -> datetime:
        if at < self.last_step_at:
            raise ValidationFailed.of(
                field,
                "may not lie before the previous step of the complaint "
                f"({self.last_step_at.isoformat()})",
            )
        return at

    def _step_at(
        self, cause: Cause, occurred_at: datetime | None, command: str, *statuses: ComplaintStatus
    ) -> datetime:
        """When a step allowed in `statuses` happens: not before the complaint's previous step."""
        at = cause.occurred(occurred_at)
        self._require(command, *statuses)
        return self._after_last_step(at)

    # Commands.

    def assign(self, cause: Cause, assignee_id: str, occurred_at: datetime | None = None) -> None:
        """Hand the received complaint to an (active) employee; the application checks who."""
        assignee = required_text(assignee_id, "assignee_id", 200)
        at = self._step_at(cause, occurred_at, "assign", ComplaintStatus.RECEIVED)
        self._record(self.Assigned, cause, occurred_at=at, assignee_id=assignee)

    def respond(self, cause: Cause, message: str, occurred_at: datetime | None = None) -> None:
        """Give the customer the first answer; the response time runs to its occurred_at."""
        message = required_text(message, "message", 5000)
        at = self._step_at(cause, occurred_at, "respond", ComplaintStatus.ASSIGNED)
        self._record(self.Responded, cause, occurred_at=at, message=message)

    def record_progress(
        self,
        cause: Cause,
        note: str,
        customer_informed: bool,
        occurred_at: datetime | None = None,
    ) -> None:
        """Note progress on the complaint, and whether the customer was told."""
        note = required_text(note, "note", 5000)
        if not isinstance(customer_informed, bool):
            raise ValidationFailed.of("customer_informed", "must be true or false")
        at = self._step_at(cause, occurred_at, "progress", ComplaintStatus.IN_PROGRESS)
        self._record(
            self.ProgressRecorded,
            cause,
            occurred_at=at,
            note=note,
            customer_informed=customer_informed,
        )

    def escalate(
        self, cause: Cause, level: int, reason: str, occurred_at: datetime | None = None
    ) -> None:
        """Raise the open complaint to a higher escalation level; its state stays."""
        reason = required_text(reason, "reason", 5000)
        level = count(level, "level", least=1)
        at = cause.occurred(occurred_at)
        if not self.is_open:
            raise InvalidState("escalate", self.status)
        if level <= self.escalation_level:
            raise ValidationFailed.of(
                "level", f"must be above the current escalation level {self.escalation_level}"
            )
        self._after_last_step(at)
        self._record(self.Escalated, cause, occurred_at=at, level=level, reason=reason)

    def resolve(
        self,
        cause: Cause,
        *,
        resolution: str,
        root_cause: str,
        corrective_action: str,
        occurred_at: datetime | None = None,
    ) -> None:
        """Resolve the complaint at its root: a root cause and a corrective action."""
        fields = {
            "resolution": required_text(resolution, "resolution", 5000),
            "root_cause": choice(RootCause, root_cause, "root_cause"),
            "corrective_action": required_text(corrective_action, "corrective_action", 5000),
        }
        at = self._step_at(cause, occurred_at, "resolve", ComplaintStatus.IN_PROGRESS)
        self._record(self.Resolved, cause, occurred_at=at, assignee_id=self.assignee_id, **fields)

    def close(
        self, cause: Cause, satisfaction: int | None = None, occurred_at: datetime | None = None
    ) -> None:
        """Close the resolved complaint, with the customer's satisfaction 1-5 if given."""
        if satisfaction is not None and (
            isinstance(satisfaction, bool)
            or not isinstance(satisfaction, int)
            or not 1 <= satisfaction <= 5
        ):
            raise ValidationFailed.of("satisfaction", "must be between 1 and 5")
        at = self._step_at(cause, occurred_at, "close", ComplaintStatus.RESOLVED)
        self._record(self.Closed, cause, occurred_at=at, satisfaction=satisfaction)

    def reopen(self, cause: Cause, reason: str, occurred_at: datetime | None = None) -> None:
        """Reopen a resolved or closed complaint, within 30 days of its resolution."""
        reason = required_text(reason, "reason", 5000)
        at = self._step_at(
            cause, occurred_at, "reopen", ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED
        )
        resolved_at = self.resolved_at
        # A resolved or closed complaint always has the time of its latest resolution.
        assert resolved_at is not None
        if at - resolved_at > REOPEN_WINDOW:
            raise ReopenWindowClosed(
                "a complaint may be reopened only within 30 days of its resolution",
                resolved_at=resolved_at.isoformat(),
                reopen_by=(resolved_at + REOPEN_WINDOW).isoformat(),
            )
        self._record(self.Reopened, cause, occurred_at=at, reason=reason)

    # Timings.

    def timings(self, at: datetime) -> Timings:
        """Response and resolution times and breaches, judged at a moment for open steps."""
        response = (
            None
            if self.responded_at is None
            else hours_between(self.received_at, self.responded_at)
        )
        resolution = (
            None if self.resolved_at is None else hours_between(self.received_at, self.resolved_at)
        )
        return {
            "response_hours": None if response is None else float(round_hours(response)),
            "resolution_hours": None if resolution is None else float(round_hours(resolution)),
            "response_breached": _breached(self.responded_at, self.respond_by, at),
            "resolution_breached": _breached(self.resolved_at, self.resolve_by, at),
        }


def _breached(done_at: datetime | None, deadline: datetime, at: datetime) -> bool:
    """Done after the deadline, or not done and the deadline passed at `at`."""
    if done_at is not None:
        return done_at > deadline
    return at > deadline
