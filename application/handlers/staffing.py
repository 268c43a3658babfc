"""Handlers of the StaffingPlan and Department commands: `(command, context) -> Decision`.

A plan's id derives from its department and year (domain/staffing_plan.py): the draft
looks for it first, so of two racing drafts one wins and the other, decided again, is
refused `duplicate_plan`. The hire gate lives with the moves, in
application/handlers/employees.py (`department_moves`).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from application.commands.staffing import (
    AmendStaffingPlan,
    ApproveStaffingPlan,
    DraftStaffingPlan,
    RebuildRoster,
    ReturnStaffingPlan,
    ReviseStaffingPlan,
    SubmitStaffingPlan,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.department import Department, department_id, department_key
from domain.employee import Employee, EmployeeStatus
from domain.errors import DuplicatePlan
from domain.staffing_plan import StaffingPlan


def draft_staffing_plan(cmd: DraftStaffingPlan, ctx: Context) -> Decision:
    """A department's second plan for a year is refused with the first one's id."""
    plan = StaffingPlan.draft(
        ctx.cause, department=cmd.department, fiscal_year=cmd.fiscal_year, lines=cmd.lines
    )
    if ctx.find(plan.id) is not None:
        raise DuplicatePlan(
            f"a staffing plan of {plan.department} for {plan.fiscal_year} exists",
            existing_id=str(plan.id),
            department=plan.department,
            fiscal_year=plan.fiscal_year,
        )
    return Decision(plan)


def amend_staffing_plan(cmd: AmendStaffingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, StaffingPlan)
    plan.amend(ctx.cause, cmd.lines)
    return Decision(plan)


def submit_staffing_plan(cmd: SubmitStaffingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, StaffingPlan)
    plan.submit(ctx.cause)
    return Decision(plan)


def approve_staffing_plan(cmd: ApproveStaffingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, StaffingPlan)
    plan.approve(ctx.cause)
    return Decision(plan)


def return_staffing_plan(cmd: ReturnStaffingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, StaffingPlan)
    plan.return_(ctx.cause, cmd.comments)
    return Decision(plan)


def revise_staffing_plan(cmd: ReviseStaffingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, StaffingPlan)
    plan.revise(ctx.cause)
    return Decision(plan)


def rebuild_roster(cmd: RebuildRoster, ctx: Context) -> Decision:
    """The roster made what the Employee aggregates say: active members of the department."""
    found = ctx.find(department_id(cmd.department))
    roster = found if isinstance(found, Department) else Department.open(ctx.cause, cmd.department)
    key = department_key(roster.name)
    staff: dict[str, tuple[str, date]] = {}
    for employee_id in {*map(str, cmd.employee_ids), *roster.members}:
        employee = ctx.find(UUID(employee_id))
        if (
            isinstance(employee, Employee)
            and employee.status == EmployeeStatus.ACTIVE
            and department_key(employee.department) == key
            and employee.hired_on is not None
        ):
            staff[employee_id] = (employee.position, employee.hired_on)
    roster.reconcile(ctx.cause, staff)
    return Decision(roster)


HANDLERS: Handlers = {
    DraftStaffingPlan: draft_staffing_plan,
    AmendStaffingPlan: amend_staffing_plan,
    SubmitStaffingPlan: submit_staffing_plan,
    ApproveStaffingPlan: approve_staffing_plan,
    ReturnStaffingPlan: return_staffing_plan,
    ReviseStaffingPlan: revise_staffing_plan,
    RebuildRoster: rebuild_roster,
}
