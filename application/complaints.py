"""Complaint commands of the back office.

The application tells the complaint what it cannot know itself: the SLA hours of the
policy in force (stamped into `Received` as deadlines), that the customer exists, that
a contract named belongs to that customer, and that an assignee is an active employee
(`validation_error` on the field otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain.complaint import Complaint
from domain.contract import Contract
from domain.errors import ValidationFailed
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request


class ComplaintCommands:
    """The Complaint commands; a part of `Backoffice`, whose machinery they use."""

    def receive_complaint(
        self: Backoffice,
        request: Request,
        *,
        customer_id: UUID,
        channel: str,
        category: str,
        severity: str,
        description: str,
        contract_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Receive a complaint of an existing customer, about one of its contracts if named."""

        def decide(cause: Cause) -> Decision:
            self._customer_of(customer_id)
            if contract_id is not None:
                contract = self._find(contract_id)
                if not isinstance(contract, Contract):
                    raise ValidationFailed.of("contract_id", f"no contract {contract_id}")
                if contract.customer_id != customer_id:
                    raise ValidationFailed.of("contract_id", "is a contract of another customer")
            complaint = Complaint.receive(
                cause,
                id=uuid4(),
                customer_id=customer_id,
                contract_id=contract_id,
                channel=channel,
                category=category,
                severity=severity,
                description=description,
                response_hours=self.policy.sla_response_hours,
                resolution_hours=self.policy.sla_resolution_hours,
                occurred_at=occurred_at,
            )
            return complaint, (), {}

        return self._run(request, "complaint.receive", decide, created=True)

    def assign_complaint(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        assignee_id: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Assign the complaint to an active employee."""

        def act(complaint: Complaint, cause: Cause) -> None:
            self._named_active_employee(assignee_id, "assignee_id")
            complaint.assign(cause, assignee_id, occurred_at)

        return self._change(request, "complaint.assign", complaint_id, Complaint, act)

    def respond_to_complaint(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        message: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "complaint.respond",
            complaint_id,
            Complaint,
            lambda c, cause: c.respond(cause, message, occurred_at),
        )

    def record_complaint_progress(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        note: str,
        customer_informed: bool,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "complaint.progress",
            complaint_id,
            Complaint,
            lambda c, cause: c.record_progress(cause, note, customer_informed, occurred_at),
        )

    def escalate_complaint(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        level: int,
        reason: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "complaint.escalate",
            complaint_id,
            Complaint,
            lambda c, cause: c.escalate(cause, level, reason, occurred_at),
        )

    def resolve_complaint(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        *,
        resolution: str,
        root_cause: str,
        corrective_action: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "complaint.resolve",
            complaint_id,
            Complaint,
            lambda c, cause: c.resolve(
                cause,
                resolution=resolution,
                root_cause=root_cause,
                corrective_action=corrective_action,
                occurred_at=occurred_at,
            ),
        )

    def close_complaint(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        satisfaction: int | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "complaint.close",
            complaint_id,
            Complaint,
            lambda c, cause: c.close(cause, satisfaction, occurred_at),
        )

    def reopen_complaint(
        self: Backoffice,
        request: Request,
        complaint_id: UUID,
        reason: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "complaint.reopen",
            complaint_id,
            Complaint,
            lambda c, cause: c.reopen(cause, reason, occurred_at),
        )
