"""Handlers of the Employee commands: `(command, context) -> Decision` each.

Who may act in a capacity is decided by identity (DOMAIN.md, Employee): a handler tells
the aggregate what it cannot know itself, namely whether the caller holds hr (or
admin), sales or service, and whether the caller is an active employee (a peer; the
caller's subject is their employee id). A manager named on hire or transfer must be an
active employee.

Finalising an appraisal reads the employee's KPI attainment through the
`kpi_attainment` port: it is an input of the command, stored in the finalised event,
so the score replays without the read model.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from application.commands.employees import (
    AwardBonus,
    CloseImprovementPlan,
    EraseEmployee,
    FinalizeAppraisal,
    GrantHonor,
    HireEmployee,
    OpenAppraisal,
    PromoteEmployee,
    RecordInterview,
    RecordTraining,
    RegisterCandidate,
    RejectCandidate,
    SetEmployeeTargets,
    StartImprovementPlan,
    SubmitEvaluation,
    TerminateEmployee,
    TransferEmployee,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from application.permissions import CUSTOMER_SIDE_ROLES, HR_ROLES
from domain.employee import Employee, EmployeeStatus
from domain.errors import ValidationFailed


def employee_uuid(value: str | None) -> UUID | None:
    """The UUID an employee id (a token subject) spells, or None."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def active_employee(ctx: Context, employee_id: str | None) -> Employee | None:
    """The active employee an id (a token subject or a body field) names, or None."""
    key = employee_uuid(employee_id)
    found = ctx.find(key) if key is not None else None
    if isinstance(found, Employee) and found.status == EmployeeStatus.ACTIVE:
        return found
    return None


def named_active_employee(ctx: Context, employee_id: str | None, field: str) -> Employee:
    """The active employee a command's body names in `field`; `validation_error` if none."""
    employee = active_employee(ctx, employee_id)
    if employee is None:
        raise ValidationFailed.of(field, "names no active employee")
    return employee


def _as_hr(ctx: Context) -> bool:
    return ctx.caller.holds(HR_ROLES)


def _manager_of_body(ctx: Context, manager_id: str | None) -> None:
    if manager_id:
        named_active_employee(ctx, manager_id, "manager_id")


# Recruiting.


def register_candidate(cmd: RegisterCandidate, ctx: Context) -> Decision:
    employee = Employee.register_candidate(
        ctx.cause,
        id=uuid4(),
        name=cmd.name,
        position=cmd.position,
        department=cmd.department,
        source=cmd.source,
    )
    return Decision(employee)


def erase_employee(cmd: EraseEmployee, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.erase(ctx.cause, cmd.reason)
    return Decision(employee)


def record_interview(cmd: RecordInterview, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.record_interview(
        ctx.cause,
        kind=cmd.kind,
        result=cmd.result,
        score=cmd.score,
        notes=cmd.notes,
        occurred_at=cmd.occurred_at,
    )
    return Decision(employee)


def hire_employee(cmd: HireEmployee, ctx: Context) -> Decision:
    """A manager named must be an active employee."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    _manager_of_body(ctx, cmd.manager_id)
    employee.hire(
        ctx.cause,
        hired_on=cmd.hired_on,
        position=cmd.position,
        department=cmd.department,
        manager_id=cmd.manager_id,
        grade=cmd.grade,
    )
    return Decision(employee)


def reject_candidate(cmd: RejectCandidate, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.reject_candidate(ctx.cause, cmd.reason)
    return Decision(employee)


# Career.


def transfer_employee(cmd: TransferEmployee, ctx: Context) -> Decision:
    """A manager named must be an active employee."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    _manager_of_body(ctx, cmd.manager_id)
    employee.transfer(
        ctx.cause, department=cmd.department, position=cmd.position, manager_id=cmd.manager_id
    )
    return Decision(employee)


def promote_employee(cmd: PromoteEmployee, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.promote(ctx.cause, position=cmd.position, grade=cmd.grade)
    return Decision(employee)


def terminate_employee(cmd: TerminateEmployee, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.terminate(ctx.cause, reason=cmd.reason, on=cmd.on)
    return Decision(employee)


# Targets and trainings.


def set_employee_targets(cmd: SetEmployeeTargets, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.set_targets(ctx.cause, period=cmd.period, items=cmd.items)
    return Decision(employee)


def record_training(cmd: RecordTraining, ctx: Context) -> Decision:
    """Hr records any employee's training; otherwise only the employee's manager."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.record_training(
        ctx.cause,
        course=cmd.course,
        kind=cmd.kind,
        hours=cmd.hours,
        completed_on=cmd.completed_on,
        score=cmd.score,
        feedback=cmd.feedback,
        as_hr=_as_hr(ctx),
    )
    return Decision(employee)


# Appraisals.


def open_appraisal(cmd: OpenAppraisal, ctx: Context) -> Decision:
    """The answer names the new appraisal (`appraisal_id`)."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    appraisal_id = uuid4()
    employee.open_appraisal(
        ctx.cause, appraisal_id=appraisal_id, cycle=cmd.cycle, period=cmd.period
    )
    return Decision(employee, extra={"appraisal_id": str(appraisal_id)})


def submit_evaluation(cmd: SubmitEvaluation, ctx: Context) -> Decision:
    """The caller's capacity (hr, customer side, active peer) is told to the aggregate."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    peer = cmd.source == "peer" and active_employee(ctx, ctx.caller.actor) is not None
    employee.submit_evaluation(
        ctx.cause,
        appraisal_id=cmd.appraisal_id,
        source=cmd.source,
        kpi_score=cmd.kpi_score,
        goals_score=cmd.goals_score,
        attitude_score=cmd.attitude_score,
        comments=cmd.comments,
        as_hr=_as_hr(ctx),
        customer_side=ctx.caller.holds(CUSTOMER_SIDE_ROLES),
        active_peer=peer,
    )
    return Decision(employee)


def finalize_appraisal(cmd: FinalizeAppraisal, ctx: Context) -> Decision:
    """The answer carries `score` and `rating`.

    The KPI attainment is read only when the employee has targets for the period, as
    of the log's head: a read model behind it answers None, and finalising is refused.
    """
    employee = ctx.addressed(cmd.employee_id, Employee)
    period = employee.appraisal(cmd.appraisal_id)["period"]
    attainment = None
    if employee.targets_for(period) is not None:
        attainment = ctx.ports.kpi_attainment(str(employee.id), period, ctx.head())
    result = employee.finalize_appraisal(
        ctx.cause,
        appraisal_id=cmd.appraisal_id,
        source_weights=ctx.policy.appraisal_source_weights,
        component_weights=ctx.policy.appraisal_component_weights,
        attainment=attainment,
    )
    return Decision(employee, extra=result)


# Incentives.


def award_bonus(cmd: AwardBonus, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.award_bonus(
        ctx.cause, amount=cmd.amount, reason=cmd.reason, appraisal_id=cmd.appraisal_id
    )
    return Decision(employee)


def grant_honor(cmd: GrantHonor, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.grant_honor(ctx.cause, title=cmd.title)
    return Decision(employee)


def start_improvement_plan(cmd: StartImprovementPlan, ctx: Context) -> Decision:
    """The answer names the new plan (`plan_id`)."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    plan_id = uuid4()
    employee.start_improvement_plan(ctx.cause, plan_id=plan_id, goals=cmd.goals, due_on=cmd.due_on)
    return Decision(employee, extra={"plan_id": str(plan_id)})


def close_improvement_plan(cmd: CloseImprovementPlan, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.close_improvement_plan(ctx.cause, plan_id=cmd.plan_id, outcome=cmd.outcome)
    return Decision(employee)


HANDLERS: Handlers = {
    RegisterCandidate: register_candidate,
    EraseEmployee: erase_employee,
    RecordInterview: record_interview,
    HireEmployee: hire_employee,
    RejectCandidate: reject_candidate,
    TransferEmployee: transfer_employee,
    PromoteEmployee: promote_employee,
    TerminateEmployee: terminate_employee,
    SetEmployeeTargets: set_employee_targets,
    RecordTraining: record_training,
    OpenAppraisal: open_appraisal,
    SubmitEvaluation: submit_evaluation,
    FinalizeAppraisal: finalize_appraisal,
    AwardBonus: award_bonus,
    GrantHonor: grant_honor,
    StartImprovementPlan: start_improvement_plan,
    CloseImprovementPlan: close_improvement_plan,
}
