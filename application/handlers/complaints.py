"""Handlers of the Complaint commands: `(command, context) -> Decision` each.

The application tells the complaint what it cannot know itself: the SLA hours of the
policy in force (stamped into `Received` as deadlines), that the customer exists, that
a contract named belongs to that customer, and that an assignee is an active employee
(`validation_error` on the field otherwise).
"""

from __future__ import annotations

from uuid import uuid4

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
from application.context import Context
from application.handlers import Handlers
from application.handlers.customers import customer_named
from application.handlers.employees import named_active_employee
from application.messages import Decision
from domain.complaint import Complaint
from domain.contract import Contract
from domain.errors import ValidationFailed


def receive_complaint(cmd: ReceiveComplaint, ctx: Context) -> Decision:
    """A complaint names an existing customer, and a contract only of that customer."""
    customer_named(ctx, cmd.customer_id)
    if cmd.contract_id is not None:
        contract = ctx.find(cmd.contract_id)
        if not isinstance(contract, Contract):
            raise ValidationFailed.of("contract_id", f"no contract {cmd.contract_id}")
        if contract.customer_id != cmd.customer_id:
            raise ValidationFailed.of("contract_id", "is a contract of another customer")
    complaint = Complaint.receive(
        ctx.cause,
        id=uuid4(),
        customer_id=cmd.customer_id,
        contract_id=cmd.contract_id,
        channel=cmd.channel,
        category=cmd.category,
        severity=cmd.severity,
        description=cmd.description,
        response_hours=ctx.policy.sla_response_hours,
        resolution_hours=ctx.policy.sla_resolution_hours,
        occurred_at=cmd.occurred_at,
        calendar=ctx.policy.business_calendar if ctx.policy.sla_clock == "business" else None,
    )
    return Decision(complaint)


def assign_complaint(cmd: AssignComplaint, ctx: Context) -> Decision:
    """The assignee must be an active employee."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    named_active_employee(ctx, cmd.assignee_id, "assignee_id")
    complaint.assign(ctx.cause, cmd.assignee_id, cmd.occurred_at)
    return Decision(complaint)


def respond_to_complaint(cmd: RespondToComplaint, ctx: Context) -> Decision:
    """Record the first answer to the customer."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    complaint.respond(ctx.cause, cmd.message, cmd.occurred_at)
    return Decision(complaint)


def record_complaint_progress(cmd: RecordComplaintProgress, ctx: Context) -> Decision:
    """Note progress on the complaint."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    complaint.record_progress(ctx.cause, cmd.note, cmd.customer_informed, cmd.occurred_at)
    return Decision(complaint)


def escalate_complaint(cmd: EscalateComplaint, ctx: Context) -> Decision:
    """Raise the complaint's escalation level."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    complaint.escalate(ctx.cause, cmd.level, cmd.reason, cmd.occurred_at)
    return Decision(complaint)


def resolve_complaint(cmd: ResolveComplaint, ctx: Context) -> Decision:
    """Resolve the complaint with its root cause and corrective action."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    complaint.resolve(
        ctx.cause,
        resolution=cmd.resolution,
        root_cause=cmd.root_cause,
        corrective_action=cmd.corrective_action,
        occurred_at=cmd.occurred_at,
    )
    return Decision(complaint)


def close_complaint(cmd: CloseComplaint, ctx: Context) -> Decision:
    """Close the resolved complaint."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    complaint.close(ctx.cause, cmd.satisfaction, cmd.occurred_at)
    return Decision(complaint)


def reopen_complaint(cmd: ReopenComplaint, ctx: Context) -> Decision:
    """Reopen a resolved or closed complaint."""
    complaint = ctx.addressed(cmd.complaint_id, Complaint)
    complaint.reopen(ctx.cause, cmd.reason, cmd.occurred_at)
    return Decision(complaint)


HANDLERS: Handlers = {
    ReceiveComplaint: receive_complaint,
    AssignComplaint: assign_complaint,
    RespondToComplaint: respond_to_complaint,
    RecordComplaintProgress: record_complaint_progress,
    EscalateComplaint: escalate_complaint,
    ResolveComplaint: resolve_complaint,
    CloseComplaint: close_complaint,
    ReopenComplaint: reopen_complaint,
}
