"""Handlers of the Employee commands: `(command, context) -> Decision` each.

Who may act in a capacity is decided by identity (DOMAIN.md, Employee): a handler tells
the aggregate what it cannot know itself, namely whether the caller holds hr (or
admin), sales or service, and whether the caller is an active employee (a peer; the
caller's subject is their employee id). A manager named on hire or transfer must be an
active employee.

Every Hire, Transfer, Promote and Terminate also records the move on the rosters of the
departments it touches (`domain/department.py`), in the same `save()`: the roster a
move joins is checked against the department's approved staffing plan for the year and
quarter of the move (the hire gate, `headcount_exceeded`), and two moves racing for
the last place conflict on the roster's version, so the loser is decided again and refused.

Finalising an appraisal reads the employee's KPI attainment through the
`kpi_attainment` port: it is an input of the command, stored in the finalised event,
so the score replays without the read model.
"""

from __future__ import annotations

from datetime import UTC, date
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

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
from domain.department import (
    Department,
    MoveReason,
    department_id,
    department_key,
    position_key,
    quarter_of,
)
from domain.employee import Employee, EmployeeStatus
from domain.errors import ValidationFailed
from domain.staffing_plan import StaffingPlan, staffing_plan_id


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


# Rosters: the department step of every move.


def roster(ctx: Context, department: str, *, open_it: bool) -> Department | None:
    """A department's roster; a new empty one when asked to open it, else None."""
    found = ctx.find(department_id(department))
    if isinstance(found, Department):
        return found
    return Department.open(ctx.cause, department) if open_it else None


def join_roster(
    ctx: Context, employee: Employee, effective_on: date, reason: MoveReason
) -> Department:
    """Take the employee into their department's roster, through the hire gate."""
    department = roster(ctx, employee.department, open_it=True)
    assert department is not None
    plan = ctx.find(staffing_plan_id(employee.department, effective_on.year))
    places = (
        plan.places(employee.position, quarter_of(effective_on))
        if isinstance(plan, StaffingPlan)
        else None
    )
    department.admit(
        ctx.cause,
        employee_id=str(employee.id),
        position=employee.position,
        effective_on=effective_on,
        reason=reason,
        places=places,
    )
    return department


def leave_roster(
    ctx: Context, employee_id: str, department: str, effective_on: date, reason: MoveReason
) -> tuple[Aggregate, ...]:
    """Take the employee off a department's roster (none to change when not on it)."""
    found = roster(ctx, department, open_it=False)
    if found is None or employee_id not in found.members:
        return ()
    found.release(ctx.cause, employee_id=employee_id, effective_on=effective_on, reason=reason)
    return (found,)


def moved(
    ctx: Context, employee: Employee, before: tuple[str, str], reason: MoveReason
) -> tuple[Aggregate, ...]:
    """The rosters after a transfer or promotion: left, joined, or nothing that changed."""
    department, position = before
    today = ctx.cause.now.astimezone(UTC).date()
    same_department = department_key(department) == department_key(employee.department)
    if same_department and position_key(position) == position_key(employee.position):
        return ()
    left = () if same_department else leave_roster(ctx, str(employee.id), department, today, reason)
    return (*left, join_roster(ctx, employee, today, reason))


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
    assert employee.hired_on is not None  # set by the hire just recorded
    return Decision(employee, (join_roster(ctx, employee, employee.hired_on, MoveReason.HIRE),))


def reject_candidate(cmd: RejectCandidate, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.reject_candidate(ctx.cause, cmd.reason)
    return Decision(employee)


# Career.


def transfer_employee(cmd: TransferEmployee, ctx: Context) -> Decision:
    """A manager named must be an active employee."""
    employee = ctx.addressed(cmd.employee_id, Employee)
    _manager_of_body(ctx, cmd.manager_id)
    before = (employee.department, employee.position)
    employee.transfer(
        ctx.cause, department=cmd.department, position=cmd.position, manager_id=cmd.manager_id
    )
    return Decision(employee, moved(ctx, employee, before, MoveReason.TRANSFER))


def promote_employee(cmd: PromoteEmployee, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    before = (employee.department, employee.position)
    employee.promote(ctx.cause, position=cmd.position, grade=cmd.grade)
    return Decision(employee, moved(ctx, employee, before, MoveReason.PROMOTION))


def terminate_employee(cmd: TerminateEmployee, ctx: Context) -> Decision:
    employee = ctx.addressed(cmd.employee_id, Employee)
    employee.terminate(ctx.cause, reason=cmd.reason, on=cmd.on)
    assert employee.terminated_on is not None  # set by the termination just recorded
    on = employee.terminated_on
    left = leave_roster(ctx, str(employee.id), employee.department, on, MoveReason.TERMINATION)
    return Decision(employee, left)


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
