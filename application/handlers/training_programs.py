"""Handlers of the TrainingProgram commands: `(command, context) -> Decision` each.

Approval and cancellation change the program's Budget too; completion changes the
budget and the Employee record of every participant who attended: the handler answers
with the program and saves the others with it, in one transaction. The review reads
the KPI attainments through the back office's `kpi_attainment` port and stores them in
its event, so the review replays without the read model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from application.commands.training_programs import (
    AmendTrainingProgram,
    ApproveTrainingProgram,
    CancelTrainingProgram,
    CompleteTrainingProgram,
    EnrollInTrainingProgram,
    EvaluateTrainingProgram,
    PlanTrainingProgram,
    RecordTrainingAssessment,
    RecordTrainingAttendance,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from application.permissions import HR_ROLES
from domain.budget import Budget
from domain.employee import Employee, KpiAttainmentUnavailable
from domain.errors import ValidationFailed
from domain.training_program import Review, TrainingProgram

# The most sessions a program may have: ids are made for this many.
MAX_SESSIONS = 200


def _session_ids() -> list[UUID]:
    return [uuid4() for _ in range(MAX_SESSIONS)]


def _require_budget(ctx: Context, budget_id: UUID) -> None:
    """The budget a body names exists; `validation_error` on `budget_id` if not."""
    if not isinstance(ctx.find(budget_id), Budget):
        raise ValidationFailed.of("budget_id", "names no budget")


def plan_training_program(cmd: PlanTrainingProgram, ctx: Context) -> Decision:
    program = TrainingProgram.plan(
        ctx.cause,
        id=uuid4(),
        session_ids=_session_ids(),
        title=cmd.title,
        kind=cmd.kind,
        objectives=cmd.objectives,
        trainer=cmd.trainer,
        sessions=cmd.sessions,
        planned_cost=cmd.planned_cost,
        budget_id=cmd.budget_id,
        period=cmd.period,
        target_departments=cmd.target_departments,
    )
    _require_budget(ctx, cmd.budget_id)
    return Decision(program)


def amend_training_program(cmd: AmendTrainingProgram, ctx: Context) -> Decision:
    """A new budget named must exist."""
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    program.amend(ctx.cause, session_ids=_session_ids(), **cmd.changes)
    budget_id = cmd.changes.get("budget_id")
    if budget_id is not None:
        _require_budget(ctx, budget_id)
    return Decision(program)


def approve_training_program(cmd: ApproveTrainingProgram, ctx: Context) -> Decision:
    """The planned cost is committed on the budget in the same transaction."""
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    budget = ctx.load(program.budget_id, Budget)
    program.approve(ctx.cause, budget)
    return Decision(program, (budget,))


def _employee(ctx: Context, employee_id: UUID) -> Employee:
    found = ctx.find(employee_id)
    if not isinstance(found, Employee):
        raise ValidationFailed.of("employee_id", "names no employee")
    return found


def enroll_in_training_program(cmd: EnrollInTrainingProgram, ctx: Context) -> Decision:
    """By hr, or by the employee's manager."""
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    employee = _employee(ctx, cmd.employee_id)
    program.enroll(ctx.cause, employee, as_hr=ctx.caller.holds(HR_ROLES))
    return Decision(program)


def record_training_attendance(cmd: RecordTrainingAttendance, ctx: Context) -> Decision:
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    program.record_attendance(
        ctx.cause, session_id=cmd.session_id, employee_id=cmd.employee_id, attended=cmd.attended
    )
    return Decision(program)


def record_training_assessment(cmd: RecordTrainingAssessment, ctx: Context) -> Decision:
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    program.record_assessment(
        ctx.cause,
        employee_id=cmd.employee_id,
        pre_score=cmd.pre_score,
        post_score=cmd.post_score,
        reaction=cmd.reaction,
        feedback=cmd.feedback,
    )
    return Decision(program)


def complete_training_program(cmd: CompleteTrainingProgram, ctx: Context) -> Decision:
    """The cost is booked on the budget and the hours on each participant who attended."""
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    budget = ctx.load(program.budget_id, Budget)
    employees = {e: _participant(ctx, e) for e in program.attendees()}
    program.complete(
        ctx.cause,
        budget,
        {e: employee for e, employee in employees.items() if employee is not None},
        ctx.policy.expense_standards,
        completed_on=cmd.completed_on,
        actual_cost=cmd.actual_cost,
    )
    changed = [employees[e] for e in program.recorded_hours]
    return Decision(program, (budget, *[e for e in changed if e is not None]))


def _participant(ctx: Context, employee_id: str) -> Employee | None:
    found = ctx.find(UUID(employee_id))
    return found if isinstance(found, Employee) else None


def _attainments(
    ctx: Context, program: TrainingProgram, periods: tuple[str, str]
) -> dict[str, dict[str, Decimal]]:
    """The weighted KPI attainment of each participant with targets in both quarters."""
    readings: dict[str, dict[str, Decimal]] = {}
    head = ctx.head()
    for employee_id in program.attendees():
        employee = _participant(ctx, employee_id)
        if employee is None or any(employee.targets_for(p) is None for p in periods):
            continue
        reading: dict[str, Decimal] = {}
        for period in periods:
            found = ctx.ports.kpi_attainment(employee_id, period, head)
            if found is None:
                raise KpiAttainmentUnavailable(
                    "the KPI read model could not be read", employee_id=employee_id, period=period
                )
            reading[period] = Decimal(found["weighted_attainment"])
        readings[employee_id] = reading
    return readings


def review_answer(review: Review) -> dict[str, Any]:
    """The review as the command answers it: ratios and scores as numbers, money as text."""

    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "reaction_avg": number(review["reaction_avg"]),
        "learning_gain_avg": number(review["learning_gain_avg"]),
        "kpi_change_avg": number(review["kpi_change_avg"]),
        "cost_per_participant": text(review["cost_per_participant"]),
        "cost_per_attended_hour": text(review["cost_per_attended_hour"]),
        "participants": review["participants"],
        "attended_hours": float(review["attended_hours"]),
        "actual_cost": str(review["actual_cost"]),
        "before_period": review["before_period"],
        "after_period": review["after_period"],
    }


def evaluate_training_program(cmd: EvaluateTrainingProgram, ctx: Context) -> Decision:
    """The answer carries the review (`review`)."""
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    periods = program.evaluable(ctx.cause)
    review = program.evaluate(ctx.cause, _attainments(ctx, program, periods))
    return Decision(program, extra={"review": review_answer(review)})


def cancel_training_program(cmd: CancelTrainingProgram, ctx: Context) -> Decision:
    """What is open of the commitment, if any, is released on the budget."""
    program = ctx.addressed(cmd.program_id, TrainingProgram)
    budget = ctx.load(program.budget_id, Budget)
    program.cancel(ctx.cause, budget, cmd.reason)
    return Decision(program, (budget,))


HANDLERS: Handlers = {
    PlanTrainingProgram: plan_training_program,
    AmendTrainingProgram: amend_training_program,
    ApproveTrainingProgram: approve_training_program,
    EnrollInTrainingProgram: enroll_in_training_program,
    RecordTrainingAttendance: record_training_attendance,
    RecordTrainingAssessment: record_training_assessment,
    CompleteTrainingProgram: complete_training_program,
    EvaluateTrainingProgram: evaluate_training_program,
    CancelTrainingProgram: cancel_training_program,
}
