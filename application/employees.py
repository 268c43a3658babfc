"""Employee (candidate to appraisal) commands of the back office.

Who may act in a capacity is decided by identity (DOMAIN.md, Employee): the
application tells the aggregate what it cannot know itself, namely whether the caller
holds hr (or admin), sales or service, and whether the caller is an active employee
(a peer; the caller's subject is their employee id). A manager named on hire or
transfer must be an active employee.

Finalising an appraisal reads the employee's KPI attainment through `kpi_attainment`,
a callable the composition root sets (`None` until it does): it is an input of the
command, stored in the finalised event, so the score replays without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.employee import Employee, EmployeeStatus
from domain.errors import ValidationFailed
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request

HR_ROLES = frozenset({"hr", "admin"})
CUSTOMER_SIDE_ROLES = frozenset({"sales", "service", "admin"})


def _as_hr(request: Request) -> bool:
    return bool(request.caller.roles & HR_ROLES)


def employee_uuid(value: str | None) -> UUID | None:
    """The UUID an employee id (a token subject) spells, or None."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


class EmployeeCommands:
    """The Employee commands; a part of `Backoffice`, whose machinery they use."""

    # (employee_id, period) -> {"weighted_attainment", "metrics"} or None; set on the
    # instance by the composition root (a function set on the class would be bound).
    kpi_attainment: Callable[[str, str], dict | None] | None = None

    def _active_employee(self: Backoffice, employee_id: str | None) -> Employee | None:
        key = employee_uuid(employee_id)
        found = self._find(key) if key is not None else None
        if isinstance(found, Employee) and found.status == EmployeeStatus.ACTIVE:
            return found
        return None

    def _named_active_employee(self: Backoffice, employee_id: str | None, field: str) -> Employee:
        """The active employee a command's body names in `field`; `validation_error` if none."""
        employee = self._active_employee(employee_id)
        if employee is None:
            raise ValidationFailed.of(field, "names no active employee")
        return employee

    def _manager_of_body(self: Backoffice, manager_id: str | None) -> None:
        if manager_id:
            self._named_active_employee(manager_id, "manager_id")

    def _change_employee(
        self: Backoffice,
        request: Request,
        command: str,
        employee_id: UUID,
        act: Callable[[Any, Cause], Any],
    ) -> Outcome:
        return self._change(request, command, employee_id, Employee, act)

    # Recruiting.

    def register_candidate(
        self: Backoffice,
        request: Request,
        *,
        name: str,
        position: str,
        department: str,
        source: str | None = None,
    ) -> Outcome:
        """Register a candidate; the id is the person's employee id for good."""

        def decide(cause: Cause) -> Decision:
            employee = Employee.register_candidate(
                cause,
                id=uuid4(),
                name=name,
                position=position,
                department=department,
                source=source,
            )
            return employee, (), {}

        return self._run(request, "employee.register_candidate", decide, created=True)

    def record_interview(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        *,
        kind: str,
        result: str,
        score: Decimal | int | None = None,
        notes: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.interview",
            employee_id,
            lambda e, cause: e.record_interview(
                cause, kind=kind, result=result, score=score, notes=notes, occurred_at=occurred_at
            ),
        )

    def hire_employee(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        *,
        hired_on: date,
        position: str,
        department: str,
        manager_id: str | None = None,
        grade: str | None = None,
    ) -> Outcome:
        """Hire a candidate; a manager named must be an active employee."""

        def act(employee: Employee, cause: Cause) -> None:
            self._manager_of_body(manager_id)
            employee.hire(
                cause,
                hired_on=hired_on,
                position=position,
                department=department,
                manager_id=manager_id,
                grade=grade,
            )

        return self._change_employee(request, "employee.hire", employee_id, act)

    def reject_candidate(
        self: Backoffice, request: Request, employee_id: UUID, reason: str
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.reject_candidate",
            employee_id,
            lambda e, cause: e.reject_candidate(cause, reason),
        )

    # Career.

    def transfer_employee(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        *,
        department: str,
        position: str | None = None,
        manager_id: str | None = None,
    ) -> Outcome:
        def act(employee: Employee, cause: Cause) -> None:
            self._manager_of_body(manager_id)
            employee.transfer(
                cause, department=department, position=position, manager_id=manager_id
            )

        return self._change_employee(request, "employee.transfer", employee_id, act)

    def promote_employee(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        *,
        position: str,
        grade: str | None = None,
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.promote",
            employee_id,
            lambda e, cause: e.promote(cause, position=position, grade=grade),
        )

    def terminate_employee(
        self: Backoffice, request: Request, employee_id: UUID, *, reason: str, on: date
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.terminate",
            employee_id,
            lambda e, cause: e.terminate(cause, reason=reason, on=on),
        )

    # Targets and trainings.

    def set_employee_targets(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        *,
        period: str,
        items: list[Mapping[str, Any]],
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.targets",
            employee_id,
            lambda e, cause: e.set_targets(cause, period=period, items=items),
        )

    def record_training(
        self: Backoffice, request: Request, employee_id: UUID, **training: Any
    ) -> Outcome:
        """Record a training; by hr or the employee's manager (by identity)."""
        return self._change_employee(
            request,
            "employee.training",
            employee_id,
            lambda e, cause: e.record_training(cause, as_hr=_as_hr(request), **training),
        )

    # Appraisals.

    def open_appraisal(
        self: Backoffice, request: Request, employee_id: UUID, *, cycle: str, period: str
    ) -> Outcome:
        """Open an appraisal; the answer's extra `appraisal_id` names it."""
        appraisal_id = uuid4()

        def act(employee: Employee, cause: Cause) -> tuple[list, dict]:
            employee.open_appraisal(cause, appraisal_id=appraisal_id, cycle=cycle, period=period)
            return [], {"appraisal_id": str(appraisal_id)}

        return self._change_employee(request, "employee.appraisal_open", employee_id, act)

    def submit_evaluation(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        appraisal_id: UUID,
        *,
        source: str,
        kpi_score: Any,
        goals_score: Any,
        attitude_score: Any,
        comments: str | None = None,
    ) -> Outcome:
        """Evaluate as superior, peer, self or customer: the capacity is checked by identity."""
        caller = request.caller

        def act(employee: Employee, cause: Cause) -> None:
            peer = source == "peer" and self._active_employee(caller.actor) is not None
            employee.submit_evaluation(
                cause,
                appraisal_id=appraisal_id,
                source=source,
                kpi_score=kpi_score,
                goals_score=goals_score,
                attitude_score=attitude_score,
                comments=comments,
                as_hr=_as_hr(request),
                customer_side=bool(caller.roles & CUSTOMER_SIDE_ROLES),
                active_peer=peer,
            )

        return self._change_employee(request, "employee.evaluation", employee_id, act)

    def finalize_appraisal(
        self: Backoffice, request: Request, employee_id: UUID, appraisal_id: UUID
    ) -> Outcome:
        """Score and rate an appraisal; the answer carries `score` and `rating`.

        The KPI attainment is read only when the employee has targets for the period.
        """

        def act(employee: Employee, cause: Cause) -> tuple[list, dict]:
            period = employee.appraisal(appraisal_id)["period"]
            attainment = None
            if employee.targets_for(period) is not None and self.kpi_attainment is not None:
                attainment = self.kpi_attainment(str(employee.id), period)
            result = employee.finalize_appraisal(
                cause,
                appraisal_id=appraisal_id,
                source_weights=self.policy.appraisal_source_weights,
                component_weights=self.policy.appraisal_component_weights,
                attainment=attainment,
            )
            return [], result

        return self._change_employee(request, "employee.appraisal_finalize", employee_id, act)

    # Incentives.

    def award_bonus(
        self: Backoffice,
        request: Request,
        employee_id: UUID,
        *,
        amount: Decimal,
        reason: str,
        appraisal_id: UUID | None = None,
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.bonus",
            employee_id,
            lambda e, cause: e.award_bonus(
                cause, amount=amount, reason=reason, appraisal_id=appraisal_id
            ),
        )

    def grant_honor(self: Backoffice, request: Request, employee_id: UUID, title: str) -> Outcome:
        return self._change_employee(
            request,
            "employee.honor",
            employee_id,
            lambda e, cause: e.grant_honor(cause, title=title),
        )

    def start_improvement_plan(
        self: Backoffice, request: Request, employee_id: UUID, *, goals: str, due_on: date
    ) -> Outcome:
        """Start an improvement plan; the answer's extra `plan_id` names it."""
        plan_id = uuid4()

        def act(employee: Employee, cause: Cause) -> tuple[list, dict]:
            employee.start_improvement_plan(cause, plan_id=plan_id, goals=goals, due_on=due_on)
            return [], {"plan_id": str(plan_id)}

        return self._change_employee(request, "employee.improvement_plan", employee_id, act)

    def close_improvement_plan(
        self: Backoffice, request: Request, employee_id: UUID, plan_id: UUID, outcome: str
    ) -> Outcome:
        return self._change_employee(
            request,
            "employee.improvement_plan_close",
            employee_id,
            lambda e, cause: e.close_improvement_plan(cause, plan_id=plan_id, outcome=outcome),
        )
