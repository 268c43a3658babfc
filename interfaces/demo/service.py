"""Demo complaints: a few dozen over the demo's months, handled by the service team.

Each complaint is written start to finish before the next one, in the order received,
with business times that follow one another (received, assigned, answered, worked on,
resolved, closed) and nothing later than now: whatever would fall after now is left
undone, so recent complaints are still open. Most are answered and resolved within
their SLA; some are answered or resolved late, a few stay stuck past their deadlines, a
few are reopened after closing and resolved again, and most closures carry the
customer's satisfaction (lower after a breach). Half of those about a customer with
signed contracts name one of them. The service lead receives and assigns; the
assignees are the service team's active employees; a sales manager escalates the
critical and the late ones.

The SLA clock is round the clock unless the demo is asked for the business one
(`mops demo --sla-clock business`): then the deadlines count working hours of the
business calendar, and each complaint's handling is timed against the deadlines its
receipt stamped (the same instants as its severity's hours round the clock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any, Literal
from uuid import UUID

from rich.progress import track

from application.backoffice import Request
from application.commands.complaints import (
    AssignComplaint,
    CloseComplaint,
    EscalateComplaint,
    ReceiveComplaint,
    RecordComplaintProgress,
    ReopenComplaint,
    ResolveComplaint,
    RespondToComplaint,
)
from domain.complaint import Complaint, ComplaintCategory, ComplaintChannel, RootCause
from domain.customer import Customer
from interfaces.demo.company import DemoCompany

PER_MONTH = 3
MIN_COMPLAINTS = 12
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_WEIGHTS = (30, 40, 20, 10)
REOPENED_FOR_SURE = 3


def _nth_or(number: int, values: Sequence[str]) -> str | None:
    """The value at that position, or None past the end."""
    return values[number] if number < len(values) else None


DESCRIPTIONS = {
    "product_quality": "the printed brochures came out with the wrong colours",
    "delivery": "the exhibition booth was delivered a day late",
    "service": "nobody called back about the campaign report",
    "billing": "the invoice charged the monthly fee twice",
    "other": "unhappy with how the account was handed over",
}
CORRECTIVE = {
    "product": "proof every print run against the approved colour sample",
    "process": "a second check of invoices before they are issued",
    "people": "call-back rule retrained with the account team",
    "supplier": "a second logistics supplier on standby for events",
    "customer": "clearer briefing form agreed with the customer",
    "other": "handover checklist for accounts changing owner",
}


@dataclass(frozen=True)
class Case:
    """One complaint being written: its id, its deadlines, who handles it, how it goes."""

    kid: UUID
    received_at: datetime
    respond_in: timedelta
    resolve_in: timedelta
    stuck: bool
    late_answer: bool
    late_resolution: bool
    critical: bool
    assignee: str
    agent: Request


def write_complaints(company: DemoCompany, sla_clock: Literal["24x7", "business"] = "24x7") -> None:
    """Write the demo's complaints under the SLA clock the demo's policy runs (the caller
    sets it); adds a line to the summary."""
    if company.app.policy.sla_clock != sla_clock:
        raise ValueError(f"the demo's policy runs the {company.app.policy.sla_clock} SLA clock")
    ComplaintWriter(company).write()


class ComplaintWriter:
    """Plans the complaints, then writes each through the application."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app = company.app
        # Dice of its own, seeded from the company's without drawing from them, so the
        # parts written after this one see the same sequence with or without it.
        self.rng = Random(hash(company.rng.getstate()) ^ 0x5EED)
        self.now = company.now
        self.start = company.now - company.reach + timedelta(days=7)
        self.lead = company.as_(company.person("service"), "service")
        self.team = list(company.staff.get("service", []))
        self.manager = company.as_(company.person("sales_manager"), "sales_manager")
        self.written: list[UUID] = []

    def write(self) -> None:
        if not self.company.customers or not self.team or self.start >= self.now:
            self.company.summary.append("0 complaints")
            return
        months = max(1, round(self.company.reach.days / 31))
        count = max(MIN_COMPLAINTS, PER_MONTH * months)
        span = (self.now - timedelta(hours=2) - self.start).total_seconds()
        moments = sorted(
            self.start + timedelta(seconds=self.rng.uniform(0, span)) for _ in range(count)
        )
        for number, received_at in enumerate(
            track(moments, description="demo complaints", console=self.company.console)
        ):
            self.write_one(number, received_at)
        self.write_at_risk()
        count += 1
        tally: Counter[str] = Counter()
        for kid in self.written:
            complaint = self.app.get(kid, Complaint)
            timings = complaint.timings(self.now)
            tally["breached"] += timings["response_breached"] or timings["resolution_breached"]
            tally["reopened"] += bool(complaint.reopens)
            tally["open"] += complaint.is_open
        business = self.app.policy.sla_clock == "business"
        clock = " under the business SLA clock" if business else ""
        self.company.summary.append(
            f"{count} complaints{clock} ({tally['breached']} breached, "
            f"{tally['reopened']} reopened, {tally['open']} open)"
        )

    def write_at_risk(self) -> None:
        """The newest complaint: assigned, unanswered, 85 % of its response window gone by
        now, so that the notifications show a complaint at risk (drawing no dice)."""
        respond_in = timedelta(hours=self.app.policy.sla_response_hours["low"])
        received_at = self.now - respond_in * 0.85
        kid = self.app.handle(
            self.lead,
            ReceiveComplaint(
                customer_id=self.company.customers[-1],
                channel="email",
                category="service",
                severity="low",
                description=DESCRIPTIONS["service"],
                occurred_at=received_at,
            ),
        ).id
        self.written.append(kid)
        at = received_at + timedelta(minutes=20)
        self.app.handle(self.lead, AssignComplaint(kid, self.team[0], at))

    # One complaint.

    def _contract_of(self, customer_id: UUID) -> UUID | None:
        customer = self.app.get(customer_id, Customer)
        contracts = list(customer.signed_contracts)
        if contracts and self.rng.random() < 0.5:
            return self.rng.choice(contracts)
        return None

    def _agent(self, assignee: str) -> Request:
        return self.company.as_(assignee, "service")

    def write_one(self, number: int, received_at: datetime) -> None:
        """Receive a complaint and handle it as far as now allows."""
        case = self._receive(number, received_at)
        answered = self._answer(case)
        if answered is None:
            return
        at, answer = answered
        if case.stuck or self.rng.random() < 0.5:
            at += case.resolve_in * self.rng.uniform(0.05, 0.25)
            if not self._due(at):
                return
            self.app.handle(
                case.agent,
                RecordComplaintProgress(
                    case.kid, "cause being checked with the team", self.rng.random() < 0.8, at
                ),
            )
        if case.stuck:
            return
        self._resolve_and_close(number, case, at, answer)

    def _receive(self, number: int, received_at: datetime) -> Case:
        """Receive a complaint from a customer; draw how its handling goes."""
        rng, app = self.rng, self.app
        customer_id = rng.choice(self.company.customers)
        # The oldest complaints take every severity, category and channel in turn, so
        # even a small demo shows each of them; the rest are drawn.
        severity = _nth_or(number, SEVERITIES) or rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
        categories = [c.value for c in ComplaintCategory]
        category = _nth_or(number, categories) or rng.choice(categories)
        channels = [c.value for c in ComplaintChannel]
        channel = _nth_or(number, channels) or rng.choice(channels)
        kid = app.handle(
            self.lead,
            ReceiveComplaint(
                customer_id=customer_id,
                contract_id=self._contract_of(customer_id),
                channel=channel,
                category=category,
                severity=severity,
                description=DESCRIPTIONS[category],
                occurred_at=received_at,
            ),
        ).id
        self.written.append(kid)
        # Its windows as its receipt stamped them: the severity's hours round the clock, or
        # in working hours of the business calendar.
        complaint = app.get(kid, Complaint)
        # Every fifteenth complaint gets stuck after its answer; some are answered or
        # resolved late.
        stuck = number % 15 == 7
        late_answer = rng.random() < 0.08
        late_resolution = rng.random() < 0.07
        assignee = self.team[number % len(self.team)]
        return Case(
            kid=kid,
            received_at=received_at,
            respond_in=complaint.respond_by - received_at,
            resolve_in=complaint.resolve_by - received_at,
            stuck=stuck,
            late_answer=late_answer,
            late_resolution=late_resolution,
            critical=severity == "critical",
            assignee=assignee,
            agent=self._agent(assignee),
        )

    def _answer(self, case: Case) -> tuple[datetime, datetime] | None:
        """Assign, answer, escalate if need be; the last step's time and the answer's, or None."""
        rng, app = self.rng, self.app
        at = case.received_at + case.respond_in * rng.uniform(0.05, 0.3)
        if not self._due(at):
            return None
        app.handle(self.lead, AssignComplaint(case.kid, case.assignee, at))
        answer = case.received_at + case.respond_in * (
            rng.uniform(1.1, 3.0) if case.late_answer else rng.uniform(0.35, 0.95)
        )
        at = max(answer, at + timedelta(minutes=5))
        if not self._due(at):
            return None
        app.handle(
            case.agent,
            RespondToComplaint(case.kid, "we are looking into it and will call back", at),
        )
        if case.critical or case.late_answer:
            at += timedelta(minutes=rng.randint(10, 90))
            if not self._due(at):
                return None
            app.handle(
                self.manager,
                EscalateComplaint(case.kid, 1, "customer waiting; management aware", at),
            )
        return at, answer

    def _resolve_and_close(self, number: int, case: Case, at: datetime, answer: datetime) -> None:
        """Resolve and close; reopen some, then resolve and close them again."""
        rng = self.rng
        resolve_by = case.received_at + case.resolve_in
        resolved = case.received_at + case.resolve_in * (
            rng.uniform(1.05, 2.0) if case.late_resolution else rng.uniform(0.4, 0.95)
        )
        at = max(resolved, at + timedelta(minutes=30))
        if not self._resolve(case.kid, case.agent, at):
            return
        breached = at > resolve_by or answer > case.received_at + case.respond_in
        closed_at = self._close(case.kid, at, breached)
        # One of the oldest ten is reopened for sure, some others by chance.
        if closed_at is None or (number != REOPENED_FOR_SURE and rng.random() >= 0.12):
            return
        # Reopened within the window, then resolved again, some days later.
        at = closed_at + timedelta(days=rng.uniform(1, 20))
        if not self._due(at):
            return
        self.app.handle(self.lead, ReopenComplaint(case.kid, "the problem came back", at))
        at += timedelta(days=rng.uniform(0.5, 3))
        if self._resolve(case.kid, case.agent, at):
            self._close(case.kid, at, breached or at > resolve_by)

    def _due(self, at: datetime) -> bool:
        """Whether a step at that moment has happened by now (else it is left undone)."""
        return at <= self.now - timedelta(minutes=1)

    def _resolve(self, kid: UUID, agent: Request, at: datetime) -> bool:
        if not self._due(at):
            return False
        cause = self.rng.choice([c.value for c in RootCause])
        self.app.handle(
            agent,
            ResolveComplaint(
                kid,
                resolution="put right with the customer",
                root_cause=cause,
                corrective_action=CORRECTIVE[cause],
                occurred_at=at,
            ),
        )
        return True

    def _close(self, kid: UUID, resolved_at: datetime, breached: bool) -> datetime | None:
        at = resolved_at + timedelta(hours=self.rng.uniform(1, 72))
        if at > self.now - timedelta(minutes=1):
            return None  # resolved, awaiting the customer's confirmation
        scores: Any = (1, 2, 3, 3) if breached else (3, 4, 4, 5, 5)
        satisfaction = None if self.rng.random() < 0.15 else self.rng.choice(scores)
        self.app.handle(self.lead, CloseComplaint(kid, satisfaction, at))
        return at
