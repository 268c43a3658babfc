"""TrainingProgram: a planned training, its approval, attendance, completion and review.

Rulebook: 培訓計劃, 培訓實施, 培訓效果評估. DOMAIN.md, TrainingProgram.

Decisions where DOMAIN.md is silent:

- The program draws on its budget's `personnel` line of `period` (a quarter of the
  budget's year). Approval commits `planned_cost` there with the program's id as
  reference; cancelling releases what is open of it.
- Sessions get their ids when planned (an amendment naming sessions replaces them all,
  with new ids). Every session lasts more than 0 and at most 24 hours.
- Enrolment is open while the program is planned or approved; attendance is recorded
  on an approved program only (sessions are held after approval), for an enrolled
  employee and a session of the program; recording it again corrects it (the latest
  counts). Assessments are recorded for an enrolled employee on an approved or
  completed program; a second one replaces the first.
- Enrolling is done by hr, or by the employee's manager (the application tells the
  aggregate which); the employee must be active (`validation_error` on `employee_id`).
- `Complete`: `actual_cost` may be 0 (nothing is booked, the whole commitment is
  released). Training hours go to every participant who attended at least one session
  and is still active: an employee who left since has no record to carry them (the
  event lists whom it recorded). Its business time is the start of `completed_on`.
- `Evaluate`: the participants are those who attended at least one session. The
  reaction and learning means are kept to 2 places, the KPI change (a change of a
  ratio) to 4, the costs to the cent; a mean over nobody is null. The later quarter
  has ended when today (UTC) lies after its last day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from domain.base import MopsAggregate
from domain.budget import ZERO, Budget, choice, positive
from domain.employee import Employee, EmployeeStatus, TrainingKind, score_0_100
from domain.errors import (
    AlreadyEnrolled,
    EvaluationTooEarly,
    FieldError,
    Forbidden,
    InvalidState,
    SegregationOfDuties,
    ValidationFailed,
    run_checks,
)
from domain.values import CENT, Cause, Quarter, money, required_text, same_subject

CATEGORY = "personnel"
EXPENSE_TYPE = "training"
RATIO = Decimal("0.0001")
MAX_SESSION_HOURS = Decimal("24")


class ProgramStatus:
    """The states of a program (DOMAIN.md's machine)."""

    PLANNED = "planned"
    APPROVED = "approved"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"


class Session(TypedDict):
    """One session of a program."""

    session_id: str
    starts_at: datetime
    hours: Decimal
    location: str | None


class Assessment(TypedDict):
    """What a participant scored and how they liked it."""

    pre_score: Decimal | None
    post_score: Decimal
    reaction: int
    feedback: str | None


class Participant(TypedDict):
    """An enrolled employee: the sessions attended (by session id) and the assessment."""

    attendance: dict[str, bool]
    assessment: Assessment | None


class Review(TypedDict):
    """The effectiveness review (培訓效果評估) and every input it used."""

    reaction_avg: Decimal | None
    learning_gain_avg: Decimal | None
    kpi_change_avg: Decimal | None
    cost_per_participant: Decimal | None
    cost_per_attended_hour: Decimal | None
    participants: int
    attended_hours: Decimal
    actual_cost: Decimal
    before_period: str
    after_period: str
    reactions: dict[str, int]
    learning_gains: dict[str, Decimal]
    attainments: dict[str, dict[str, Decimal]]


def quarter_of(day: date) -> str:
    """The quarter `YYYY-Qn` a day lies in."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def shift_quarter(period: str, by: int) -> str:
    """The quarter `by` quarters after (or before) a quarter `YYYY-Qn`."""
    year, quarter = int(period[:4]), int(period[-1])
    index = year * 4 + quarter - 1 + by
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_end(period: str) -> date:
    """The last day of a quarter `YYYY-Qn`."""
    following = shift_quarter(period, 1)
    year, quarter = int(following[:4]), int(following[-1])
    return date(year, 3 * quarter - 2, 1) - timedelta(days=1)


def _hours(value: Any, field: str) -> Decimal:
    try:
        hours = Decimal(str(value)) if not isinstance(value, bool | float) else Decimal("NaN")
    except ArithmeticError:
        hours = Decimal("NaN")
    if not hours.is_finite() or not 0 < hours <= MAX_SESSION_HOURS or hours != hours.quantize(CENT):
        raise ValidationFailed.of(field, "must be above 0, at most 24, 2 decimals")
    return hours


def plan_sessions(sessions: Iterable[Mapping[str, Any]], ids: Sequence[UUID]) -> list[Session]:
    """Validated sessions, oldest first, each given the next of `ids`."""
    cleaned: list[Session] = []
    items = list(sessions)
    if not items:
        raise ValidationFailed.of("sessions", "a program has at least one session")
    if len(items) > len(ids):
        raise ValidationFailed.of("sessions", f"at most {len(ids)} sessions")
    for index, (item, session_id) in enumerate(zip(items, ids, strict=False)):
        starts_at = item.get("starts_at")
        if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
            raise ValidationFailed.of(f"sessions.{index}.starts_at", "a timestamp with offset")
        location = (item.get("location") or "").strip() or None
        cleaned.append(
            {
                "session_id": str(session_id),
                "starts_at": starts_at.astimezone(UTC),
                "hours": _hours(item.get("hours"), f"sessions.{index}.hours"),
                "location": location,
            }
        )
    return sorted(cleaned, key=lambda s: s["starts_at"])


def _departments(departments: Iterable[str] | None) -> list[str]:
    cleaned: list[str] = []
    for index, name in enumerate(departments or []):
        text = required_text(name, f"target_departments.{index}", 200)
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def _cost(value: Any, field: str) -> Decimal:
    return positive(value, field)


def _mean(values: Sequence[Decimal], places: Decimal) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(places, rounding=ROUND_HALF_UP)


def _per(amount: Decimal, divisor: Decimal) -> Decimal | None:
    return None if divisor == 0 else (amount / divisor).quantize(CENT, rounding=ROUND_HALF_UP)


class TrainingProgram(MopsAggregate):
    """A training program: plan, approval on the budget, attendance, completion, review."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        title: str
        kind: str
        objectives: str
        trainer: str
        sessions: list[Session]
        target_departments: list[str]
        planned_cost: Decimal
        budget_id: UUID
        period: str
        status: str
        planned_by: str
        approved_by: str | None
        committed: Decimal
        participants: dict[str, Participant]
        completed_on: date | None
        actual_cost: Decimal | None
        released: Decimal
        recorded_hours: dict[str, Decimal]
        review: Review | None
        cancel_reason: str | None

    class Planned(MopsAggregate.Created):
        title: str
        kind: str
        objectives: str
        trainer: str
        sessions: list[Session]
        target_departments: list[str]
        planned_cost: Decimal
        budget_id: UUID
        period: str

        def apply(self, program: TrainingProgram) -> None:
            program.title = self.title
            program.kind = self.kind
            program.objectives = self.objectives
            program.trainer = self.trainer
            program.sessions = self.sessions
            program.target_departments = self.target_departments
            program.planned_cost = self.planned_cost
            program.budget_id = self.budget_id
            program.period = self.period
            program.status = ProgramStatus.PLANNED
            program.planned_by = self.actor
            program.approved_by = None
            program.committed = ZERO
            program.participants = {}
            program.completed_on = None
            program.actual_cost = None
            program.released = ZERO
            program.recorded_hours = {}
            program.review = None
            program.cancel_reason = None

    class Amended(MopsAggregate.Event):
        """Fields of a planned program changed: `changed` names them; the others are None."""

        changed: list[str]
        title: str | None = None
        kind: str | None = None
        objectives: str | None = None
        trainer: str | None = None
        sessions: list[Session] | None = None
        target_departments: list[str] | None = None
        planned_cost: Decimal | None = None
        budget_id: UUID | None = None
        period: str | None = None

        def apply(self, program: TrainingProgram) -> None:
            for name in self.changed:
                setattr(program, name, getattr(self, name))

    class Approved(MopsAggregate.Event):
        committed: Decimal

        def apply(self, program: TrainingProgram) -> None:
            program.status = ProgramStatus.APPROVED
            program.approved_by = self.actor
            program.committed = self.committed

    class Enrolled(MopsAggregate.Event):
        employee_id: str

        def apply(self, program: TrainingProgram) -> None:
            program.participants = {
                **program.participants,
                self.employee_id: {"attendance": {}, "assessment": None},
            }

    class AttendanceRecorded(MopsAggregate.Event):
        session_id: str
        employee_id: str
        attended: bool

        def apply(self, program: TrainingProgram) -> None:
            old = program.participants[self.employee_id]
            attendance = {**old["attendance"], self.session_id: self.attended}
            program.participants = {
                **program.participants,
                self.employee_id: {**old, "attendance": attendance},
            }

    class AssessmentRecorded(MopsAggregate.Event):
        employee_id: str
        pre_score: Decimal | None
        post_score: Decimal
        reaction: int
        feedback: str | None

        def apply(self, program: TrainingProgram) -> None:
            old = program.participants[self.employee_id]
            assessment: Assessment = {
                "pre_score": self.pre_score,
                "post_score": self.post_score,
                "reaction": self.reaction,
                "feedback": self.feedback,
            }
            program.participants = {
                **program.participants,
                self.employee_id: {**old, "assessment": assessment},
            }

    class Completed(MopsAggregate.Event):
        completed_on: date
        actual_cost: Decimal
        # What was released of the commitment, and the hours recorded on each employee.
        released: Decimal
        recorded_hours: dict[str, Decimal]

        def apply(self, program: TrainingProgram) -> None:
            program.status = ProgramStatus.COMPLETED
            program.completed_on = self.completed_on
            program.actual_cost = self.actual_cost
            program.released = self.released
            program.recorded_hours = self.recorded_hours

    class Evaluated(MopsAggregate.Event):
        review: Review

        def apply(self, program: TrainingProgram) -> None:
            program.status = ProgramStatus.EVALUATED
            program.review = self.review

    class Cancelled(MopsAggregate.Event):
        reason: str
        released: Decimal

        def apply(self, program: TrainingProgram) -> None:
            program.status = ProgramStatus.CANCELLED
            program.cancel_reason = self.reason
            program.released = self.released

    # Reading the state.

    def attended_hours(self, employee_id: str) -> Decimal:
        """Hours of the sessions an employee attended."""
        attendance = self.participants[employee_id]["attendance"]
        return sum(
            (s["hours"] for s in self.sessions if attendance.get(s["session_id"])), Decimal(0)
        )

    def attendees(self) -> list[str]:
        """The enrolled employees who attended at least one session, in enrolment order."""
        return [e for e in self.participants if self.attended_hours(e) > 0]

    def before_and_after(self) -> tuple[str, str]:
        """The quarter before the first session and the one after the quarter of completion."""
        first = self.sessions[0]["starts_at"].date()
        completed = self.completed_on or first
        return shift_quarter(quarter_of(first), -1), shift_quarter(quarter_of(completed), 1)

    # Planning.

    @classmethod
    def plan(
        cls,
        cause: Cause,
        *,
        id: UUID,
        session_ids: Sequence[UUID],
        title: str,
        kind: str,
        objectives: str,
        trainer: str,
        sessions: Iterable[Mapping[str, Any]],
        planned_cost: Decimal,
        budget_id: UUID,
        period: str,
        target_departments: Iterable[str] | None = None,
    ) -> TrainingProgram:
        """Plan a program paid from a budget's personnel line (培訓計劃)."""
        fields: dict[str, Any] = {
            "title": required_text(title, "title", 200),
            "kind": choice(TrainingKind, kind, "kind"),
            "objectives": required_text(objectives, "objectives", 5000),
            "trainer": required_text(trainer, "trainer", 200),
            "sessions": plan_sessions(sessions, session_ids),
            "target_departments": _departments(target_departments),
            "planned_cost": _cost(planned_cost, "planned_cost"),
            "budget_id": budget_id,
            "period": choice(Quarter, period, "period"),
        }
        return cls._start(cls.Planned, cause, id=id, **fields)

    def amend(self, cause: Cause, *, session_ids: Sequence[UUID] = (), **changes: Any) -> list[str]:
        """Change fields of a planned program; answers the names changed."""
        checks = {
            "title": lambda v: required_text(v, "title", 200),
            "kind": lambda v: choice(TrainingKind, v, "kind"),
            "objectives": lambda v: required_text(v, "objectives", 5000),
            "trainer": lambda v: required_text(v, "trainer", 200),
            "sessions": lambda v: plan_sessions(v, session_ids),
            "target_departments": _departments,
            "planned_cost": lambda v: _cost(v, "planned_cost"),
            "budget_id": lambda v: v,
            "period": lambda v: choice(Quarter, v, "period"),
        }
        cleaned: dict[str, Any] = {}
        for field, value in changes.items():
            if field not in checks:
                raise ValidationFailed.of(field, "is not a field of a training program")
            if value is not None:
                cleaned[field] = checks[field](value)
        if not cleaned:
            raise ValidationFailed.of("body", "names no field to change")
        if self.status != ProgramStatus.PLANNED:
            raise InvalidState("amend", self.status)
        self._record(self.Amended, cause, changed=list(cleaned), **cleaned)
        return list(cleaned)

    def approve(self, cause: Cause, budget: Budget) -> None:
        """Approve the program and commit its planned cost on the budget, in one save."""
        if self.status != ProgramStatus.PLANNED:
            raise InvalidState("approve", self.status)
        if same_subject(cause.actor, self.planned_by):
            raise SegregationOfDuties(
                "whoever planned the program may not approve it", planned_by=self.planned_by
            )
        budget.commit(
            cause,
            category=CATEGORY,
            period=self.period,
            amount=self.planned_cost,
            reference=str(self.id),
        )
        self._record(self.Approved, cause, committed=self.planned_cost)

    def _release_rest(self, cause: Cause, budget: Budget) -> Decimal:
        rest = budget.open_commitment(str(self.id))
        if rest > 0:
            budget.release_commitment(cause, str(self.id))
        return rest

    def cancel(self, cause: Cause, budget: Budget, reason: str) -> None:
        """Call the program off; what is open of its commitment is released."""
        reason = required_text(reason, "reason", 5000)
        if self.status not in (ProgramStatus.PLANNED, ProgramStatus.APPROVED):
            raise InvalidState("cancel", self.status)
        released = self._release_rest(cause, budget)
        self._record(self.Cancelled, cause, reason=reason, released=released)

    # Running it.

    def enroll(self, cause: Cause, employee: Employee, *, as_hr: bool) -> None:
        """Enrol an active employee; by hr or by the employee's manager."""
        if employee.status != EmployeeStatus.ACTIVE:
            raise ValidationFailed.of("employee_id", "is not an active employee")
        if self.status not in (ProgramStatus.PLANNED, ProgramStatus.APPROVED):
            raise InvalidState("enrollments", self.status)
        if not as_hr and not same_subject(cause.actor, employee.manager_id):
            raise Forbidden(
                "an employee is enrolled by hr or by their manager",
                manager_id=employee.manager_id,
            )
        employee_id = str(employee.id)
        if employee_id in self.participants:
            raise AlreadyEnrolled(
                "the employee is enrolled in this program already", employee_id=employee_id
            )
        self._record(self.Enrolled, cause, employee_id=employee_id)

    def _enrolled(self, employee_id: UUID) -> str:
        key = str(employee_id)
        if key not in self.participants:
            raise ValidationFailed.of("employee_id", "is not enrolled in this program")
        return key

    def record_attendance(
        self, cause: Cause, *, session_id: UUID, employee_id: UUID, attended: bool
    ) -> None:
        """Record whether an enrolled employee attended a session (培訓實施)."""
        if not isinstance(attended, bool):
            raise ValidationFailed.of("attended", "must be true or false")
        if str(session_id) not in {s["session_id"] for s in self.sessions}:
            raise ValidationFailed.of("session_id", "names no session of this program")
        key = self._enrolled(employee_id)
        if self.status != ProgramStatus.APPROVED:
            raise InvalidState("attendance", self.status)
        self._record(
            self.AttendanceRecorded,
            cause,
            session_id=str(session_id),
            employee_id=key,
            attended=attended,
        )

    def record_assessment(
        self,
        cause: Cause,
        *,
        employee_id: UUID,
        post_score: Any,
        reaction: int,
        pre_score: Any = None,
        feedback: str | None = None,
    ) -> None:
        """Record an enrolled employee's scores before and after, and their reaction."""
        errors: list[FieldError] = []
        checked = run_checks(
            errors,
            (
                (
                    "pre_score",
                    lambda: None if pre_score is None else score_0_100(pre_score, "pre_score"),
                ),
                ("post_score", lambda: score_0_100(post_score, "post_score")),
                ("employee_id", lambda: self._enrolled(employee_id)),
            ),
        )
        if isinstance(reaction, bool) or not isinstance(reaction, int) or not 1 <= reaction <= 5:
            errors.append(FieldError("reaction", "must be a whole number from 1 to 5"))
        if errors:
            raise ValidationFailed(errors)
        if self.status not in (ProgramStatus.APPROVED, ProgramStatus.COMPLETED):
            raise InvalidState("assessments", self.status)
        feedback = (feedback or "").strip() or None
        self._record(
            self.AssessmentRecorded, cause, reaction=reaction, feedback=feedback, **checked
        )

    def complete(
        self,
        cause: Cause,
        budget: Budget,
        employees: Mapping[str, Employee],
        standards: Mapping[str, Decimal],
        *,
        completed_on: date,
        actual_cost: Any,
    ) -> None:
        """Complete the program: book its cost, record the hours on every participant.

        `employees` are the participants who attended (by id); the budget and they are
        changed too, and saved with the program in one transaction.
        """
        cost = money(actual_cost, "actual_cost")
        if cost < 0:
            raise ValidationFailed.of("actual_cost", "may not be negative")
        completed_on = cause.business_date(completed_on, "completed_on")
        if self.status != ProgramStatus.APPROVED:
            raise InvalidState("complete", self.status)
        # The start of the day of completion, or the window's edge when that lies beyond.
        occurred = max(
            datetime.combine(completed_on, time.min, tzinfo=UTC), cause.now - cause.backdating
        )
        if cost > 0:
            budget.record_expense(
                cause,
                standards,
                category=CATEGORY,
                period=self.period,
                amount=cost,
                expense_type=EXPENSE_TYPE,
                reference=str(self.id),
                description=f"training {self.title}",
                occurred_at=occurred,
            )
        released = self._release_rest(cause, budget)
        recorded = self._record_hours(cause, employees, completed_on)
        self._record(
            self.Completed,
            cause,
            occurred_at=occurred,
            completed_on=completed_on,
            actual_cost=cost,
            released=released,
            recorded_hours=recorded,
        )

    def _record_hours(
        self, cause: Cause, employees: Mapping[str, Employee], completed_on: date
    ) -> dict[str, Decimal]:
        recorded: dict[str, Decimal] = {}
        for employee_id in self.attendees():
            employee = employees.get(employee_id)
            if employee is None or employee.status != EmployeeStatus.ACTIVE:
                continue
            assessment = self.participants[employee_id]["assessment"]
            hours = self.attended_hours(employee_id)
            employee.record_training(
                cause,
                course=self.title,
                kind=self.kind,
                hours=hours,
                completed_on=completed_on,
                score=assessment["post_score"] if assessment else None,
                as_hr=True,
            )
            recorded[employee_id] = hours
        return recorded

    def evaluable(self, cause: Cause) -> tuple[str, str]:
        """The quarters the review compares, once it may be made (else refused)."""
        if self.status != ProgramStatus.COMPLETED:
            raise InvalidState("evaluate", self.status)
        before, after = self.before_and_after()
        if cause.now.astimezone(UTC).date() <= quarter_end(after):
            raise EvaluationTooEarly(
                f"the effect is measured over {after}, which has not ended",
                after_period=after,
                evaluable_from=(quarter_end(after) + timedelta(days=1)).isoformat(),
            )
        return before, after

    def evaluate(self, cause: Cause, attainments: Mapping[str, Mapping[str, Decimal]]) -> Review:
        """Review the program's effectiveness (培訓效果評估); answers the review.

        `attainments` holds, by participant with targets in both quarters, the weighted
        KPI attainment of the quarter before the first session and the one after the
        quarter of completion (by period), read from the KPI read model.
        """
        before, after = self.evaluable(cause)
        review = self.review_of(attainments, before, after)
        self._record(self.Evaluated, cause, review=review)
        return review

    def review_of(
        self, attainments: Mapping[str, Mapping[str, Decimal]], before: str, after: str
    ) -> Review:
        """The review's figures from the program's facts and the attainments read."""
        attendees = self.attendees()
        assessments = {
            e: a for e, p in self.participants.items() if (a := p["assessment"]) is not None
        }
        reactions = {e: a["reaction"] for e, a in assessments.items()}
        gains = {
            e: a["post_score"] - a["pre_score"]
            for e, a in assessments.items()
            if a["pre_score"] is not None
        }
        used = {
            e: {before: Decimal(r[before]), after: Decimal(r[after])}
            for e, r in attainments.items()
            if e in attendees and r.get(before) is not None and r.get(after) is not None
        }
        hours = sum((self.attended_hours(e) for e in attendees), Decimal(0))
        cost = self.actual_cost or ZERO
        return {
            "reaction_avg": _mean([Decimal(r) for r in reactions.values()], CENT),
            "learning_gain_avg": _mean(list(gains.values()), CENT),
            "kpi_change_avg": _mean([r[after] - r[before] for r in used.values()], RATIO),
            "cost_per_participant": _per(cost, Decimal(len(attendees))),
            "cost_per_attended_hour": _per(cost, hours),
            "participants": len(attendees),
            "attended_hours": hours,
            "actual_cost": cost,
            "before_period": before,
            "after_period": after,
            "reactions": reactions,
            "learning_gains": gains,
            "attainments": used,
        }
