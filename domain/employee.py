"""Employee: recruiting, training, appraisal and incentives, from candidate to appraisal.

Rulebook: 招聘, 培訓, 績效考核, 激勵.

Decisions where DOMAIN.md is silent:

- Hiring needs a passed `interview` and a passed `background_check`: the kinds
  `screening` and `written_test` are steps of their own and do not count as the
  interview. The latest result of each of the two kinds decides (a failed first round
  followed by a passed second round is a pass; a pass followed by a fail is not).
- Interviews are recorded only for a candidate. A hired employee's manager must be
  another active employee (the application checks it exists and is active).
- `Transfer` without `position` or `manager_id` keeps the current one; `Promote`
  without `grade` keeps the grade.
- Targets, trainings, appraisals, bonuses, honors and improvement plans need an active
  employee. Targets name each metric at most once, every target is above 0 and every
  weight above 0; the weights sum to exactly 1.
- A training is recorded by hr (or admin) or by the employee's manager.
- One appraisal per cycle and period; opening a second one is `invalid_state`. Its
  period matches the cycle: `YYYY-MM` monthly, `YYYY-Qn` quarterly, `YYYY` annual.
- Evaluations: nobody evaluates their own appraisal in any capacity but `self` (an hr
  user may not be their own superior, a sales user not their own customer). A peer is
  any other active employee; the application tells the aggregate whether the evaluator
  is one. One evaluation per evaluator per appraisal, whatever the source.
- Scoring: several evaluators of one source (peers, customers) count as their mean, so
  a source weighs what the policy says however many people spoke for it. Each
  component is the weighted mean over the sources present (weights renormalised over
  them); the score is the component weights' mean of the components. Intermediate
  figures are exact; the score is rounded half-up to 2 decimals once, at the end, and
  the rating is read from the rounded score.
- When the employee has targets for exactly the appraisal's period, the KPI component
  of every source is min(100 x weighted attainment, 120). Finalising then needs the
  attainment reading; without one the command is refused `kpi_attainment_unavailable`
  (422) rather than scored on guesses.
- An improvement plan needs the latest finalised appraisal rated C or D; one plan is
  open at a time (starting another is `invalid_state`); `due_on` may not lie before
  the day it is started.
- A bonus citing an appraisal must cite a finalised appraisal of this employee.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict
from uuid import UUID

from domain.base import MopsAggregate
from domain.budget import choice, positive
from domain.customer import ERASED
from domain.errors import (
    BusinessRuleBroken,
    DuplicateEvaluation,
    EvaluationIncomplete,
    FieldError,
    Forbidden,
    HiringIncomplete,
    ImprovementPlanNotAllowed,
    InvalidState,
    NotFound,
    ValidationFailed,
)
from domain.values import MAX_MONEY, Cause, required_text, same_subject


class KpiAttainmentUnavailable(BusinessRuleBroken):
    """The employee has targets for the period but no KPI attainment could be read."""

    code = "kpi_attainment_unavailable"
    title = "KPI attainment unavailable"


class EmployeeStatus(StrEnum):
    CANDIDATE = "candidate"
    ACTIVE = "active"
    TERMINATED = "terminated"
    REJECTED = "rejected"


class InterviewKind(StrEnum):
    SCREENING = "screening"
    INTERVIEW = "interview"
    WRITTEN_TEST = "written_test"
    BACKGROUND_CHECK = "background_check"


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class Metric(StrEnum):
    REVENUE = "revenue"
    NEW_CUSTOMERS = "new_customers"
    CONTRACTS_SIGNED = "contracts_signed"
    COLLECTIONS = "collections"
    COMPLAINTS_RESOLVED = "complaints_resolved"
    TRAINING_HOURS = "training_hours"


class TrainingKind(StrEnum):
    ONBOARDING = "onboarding"
    SKILLS = "skills"
    MANAGEMENT = "management"
    PROFESSIONAL = "professional"


class Cycle(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class Source(StrEnum):
    SUPERIOR = "superior"
    PEER = "peer"
    SELF = "self"
    CUSTOMER = "customer"


class PlanOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


# Hiring needs the latest result of each of these kinds to be a pass.
REQUIRED_FOR_HIRE = (InterviewKind.INTERVIEW.value, InterviewKind.BACKGROUND_CHECK.value)
Component = Literal["kpi", "goals", "attitude"]
COMPONENTS: tuple[Component, ...] = ("kpi", "goals", "attitude")
# The field of an evaluation that scores each component.
SCORE_FIELD: dict[Component, Literal["kpi_score", "goals_score", "attitude_score"]] = {
    "kpi": "kpi_score",
    "goals": "goals_score",
    "attitude": "attitude_score",
}
KPI_CAP = Decimal("120")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
# A KPI weight is a share of the whole kept to four places, as ratios are.
WEIGHT_PLACES = Decimal("0.0001")
RATINGS = ((Decimal("90"), "S"), (Decimal("80"), "A"), (Decimal("70"), "B"), (Decimal("60"), "C"))
PLAN_RATINGS = frozenset({"C", "D"})

_PERIODS = {
    Cycle.ANNUAL.value: re.compile(r"^\d{4}$"),
    Cycle.QUARTERLY.value: re.compile(r"^\d{4}-Q[1-4]$"),
    Cycle.MONTHLY.value: re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
}


class Interview(TypedDict):
    """A step of a candidate's selection and its result."""

    kind: str
    result: str
    score: Decimal | None
    notes: str | None
    occurred_at: datetime
    recorded_by: str


class Target(TypedDict):
    """The target and weight of one KPI metric in a period."""

    metric: str
    target: Decimal
    weight: Decimal


class Training(TypedDict):
    """A completed training."""

    course: str
    kind: str
    hours: Decimal
    completed_on: date
    score: Decimal | None
    feedback: str | None
    recorded_by: str


class EvaluationScores(TypedDict):
    """What scoring reads of an evaluation: who spoke, as which source, and the scores."""

    source: str
    evaluator: str
    kpi_score: Decimal
    goals_score: Decimal
    attitude_score: Decimal


class Evaluation(EvaluationScores):
    """An evaluation of an appraisal, as submitted."""

    comments: str | None
    submitted_at: datetime


class SourceFigures(TypedDict):
    """The evaluators of one source and their mean score of each component."""

    evaluators: list[str]
    kpi: Decimal
    goals: Decimal
    attitude: Decimal


class KpiReading(TypedDict):
    """The KPI attainment an appraisal's KPI component was computed from."""

    weighted_attainment: Decimal
    # The read model's per-metric figures, kept as it gave them.
    metrics: list[dict[str, Any]]
    kpi_score: Decimal
    targets: list[Target]


class ScoreInputs(TypedDict):
    """Every figure an appraisal's score was computed from."""

    source_weights: dict[str, Decimal]
    component_weights: dict[str, Decimal]
    sources: dict[str, SourceFigures]
    applied_source_weights: dict[str, Decimal]
    components: dict[str, Decimal]
    exact_score: Decimal
    # Added by finalising: the attainment reading, or None when no targets apply.
    kpi_attainment: NotRequired[KpiReading | None]


class AppraisalScore(TypedDict):
    """The score of an appraisal, its rating, and the figures it was computed from."""

    score: Decimal
    rating: str
    inputs: ScoreInputs


class Appraisal(TypedDict):
    """An appraisal of a cycle and period, open for evaluations until finalised."""

    appraisal_id: UUID
    cycle: str
    period: str
    status: str
    opened_on: date
    evaluations: list[Evaluation]
    score: Decimal | None
    rating: str | None
    inputs: ScoreInputs | None
    finalized_at: datetime | None


class Bonus(TypedDict):
    """A bonus awarded, citing the appraisal it rewards if any."""

    amount: Decimal
    reason: str
    appraisal_id: UUID | None
    awarded_on: date
    awarded_by: str


class Honor(TypedDict):
    """An honour title granted."""

    title: str
    granted_on: date
    granted_by: str


class ImprovementPlan(TypedDict):
    """An improvement plan, open until closed as passed or failed."""

    plan_id: UUID
    goals: str
    due_on: date
    status: str
    outcome: str | None
    started_on: date
    closed_on: date | None


def period_cycle(period: Any, field: str = "period") -> str:
    """The cycle a period belongs to: `YYYY` annual, `YYYY-Qn` quarterly, `YYYY-MM` monthly."""
    if isinstance(period, str):
        for cycle, pattern in _PERIODS.items():
            if pattern.match(period):
                return cycle
    raise ValidationFailed.of(field, "must be a period YYYY, YYYY-Qn or YYYY-MM")


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValidationFailed.of(field, "must be a number")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed.of(field, "must be a number") from None
    if not number.is_finite():
        raise ValidationFailed.of(field, "must be a finite number")
    return number


def score_0_100(value: Any, field: str) -> Decimal:
    """A score between 0 and 100 with at most 2 decimals."""
    number = _decimal(value, field)
    if not 0 <= number <= 100:
        raise ValidationFailed.of(field, "must be between 0 and 100")
    if number != number.quantize(CENT):
        raise ValidationFailed.of(field, "has at most two decimal places")
    return number


def target_items(items: Iterable[Mapping[str, Any]]) -> list[Target]:
    """Validated targets: known metrics, each once, targets and weights above 0, weights sum 1."""
    cleaned: list[Target] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        try:
            metric = choice(Metric, item.get("metric"), f"items.{index}.metric")
            target = _decimal(item.get("target"), f"items.{index}.target")
            weight = _decimal(item.get("weight"), f"items.{index}.weight")
        except ValidationFailed as error:
            errors.extend(error.errors)
            continue
        if target <= 0:
            errors.append(FieldError(f"items.{index}.target", "must be greater than zero"))
        elif target > MAX_MONEY or target != target.quantize(CENT):
            errors.append(
                FieldError(f"items.{index}.target", f"must be at most {MAX_MONEY}, 2 decimals")
            )
        if not 0 < weight <= 1:
            errors.append(FieldError(f"items.{index}.weight", "must be above 0 and at most 1"))
        elif weight != weight.quantize(WEIGHT_PLACES):
            errors.append(FieldError(f"items.{index}.weight", "has at most four decimal places"))
        if metric in seen:
            errors.append(FieldError(f"items.{index}.metric", f"{metric} is targeted twice"))
        seen.add(metric)
        cleaned.append({"metric": metric, "target": target, "weight": weight})
    if not cleaned and not errors:
        errors.append(FieldError("items", "names no target"))
    if not errors and sum((i["weight"] for i in cleaned), Decimal(0)) != 1:
        errors.append(FieldError("items", "weights must sum to exactly 1"))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def rating_of(score: Decimal) -> str:
    """S >= 90, A >= 80, B >= 70, C >= 60, else D."""
    for floor, rating in RATINGS:
        if score >= floor:
            return rating
    return "D"


def appraisal_score(
    evaluations: Iterable[EvaluationScores],
    source_weights: Mapping[str, Decimal],
    component_weights: Mapping[str, Decimal],
    kpi_from_attainment: Decimal | None = None,
) -> AppraisalScore:
    """The score of an appraisal and every figure it was computed from.

    Several evaluators of one source count as their mean; each component is the
    weighted mean over the sources present; with `kpi_from_attainment`, that figure is
    every source's KPI component. Only the final score is rounded (half-up, 2 places).
    """
    by_source: dict[str, list[EvaluationScores]] = {}
    for evaluation in evaluations:
        by_source.setdefault(evaluation["source"], []).append(evaluation)
    sources: dict[str, SourceFigures] = {}
    for source in (s.value for s in Source):
        given = by_source.get(source)
        if not given:
            continue
        means = {
            c: sum((Decimal(e[SCORE_FIELD[c]]) for e in given), Decimal(0)) / len(given)
            for c in COMPONENTS
        }
        if kpi_from_attainment is not None:
            means["kpi"] = kpi_from_attainment
        sources[source] = {
            "evaluators": [e["evaluator"] for e in given],
            "kpi": means["kpi"],
            "goals": means["goals"],
            "attitude": means["attitude"],
        }
    present = sum((Decimal(source_weights[s]) for s in sources), Decimal(0))
    applied = {s: Decimal(source_weights[s]) / present for s in sources}
    components: dict[str, Decimal] = {
        c: sum((applied[s] * sources[s][c] for s in sources), Decimal(0)) for c in COMPONENTS
    }
    total_weight = sum((Decimal(component_weights[c]) for c in COMPONENTS), Decimal(0))
    exact = sum((Decimal(component_weights[c]) * components[c] for c in COMPONENTS), Decimal(0))
    score = (exact / total_weight).quantize(CENT, rounding=ROUND_HALF_UP)
    return {
        "score": score,
        "rating": rating_of(score),
        "inputs": {
            "source_weights": {s: Decimal(w) for s, w in source_weights.items()},
            "component_weights": {c: Decimal(component_weights[c]) for c in COMPONENTS},
            "sources": sources,
            "applied_source_weights": applied,
            "components": components,
            "exact_score": exact / total_weight,
        },
    }


def _appraisal_from(event: Employee.AppraisalOpened) -> Appraisal:
    return {
        "appraisal_id": event.appraisal_id,
        "cycle": event.cycle,
        "period": event.period,
        "status": "open",
        "opened_on": event.occurred_at.astimezone(UTC).date(),
        "evaluations": [],
        "score": None,
        "rating": None,
        "inputs": None,
        "finalized_at": None,
    }


class Employee(MopsAggregate):
    """A person of the company: candidate, hire, targets, trainings, appraisals, incentives."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        status: str
        name: str
        position: str
        department: str
        source: str | None
        grade: str | None
        manager_id: str | None
        hired_on: date | None
        terminated_on: date | None
        termination_reason: str | None
        rejection_reason: str | None
        interviews: list[Interview]
        # The targets of each period, by period.
        targets: dict[str, list[Target]]
        trainings: list[Training]
        appraisals: dict[str, Appraisal]
        bonuses: list[Bonus]
        honors: list[Honor]
        improvement_plans: dict[str, ImprovementPlan]
        latest_rating: str | None
        erased: bool

    # Personal fields (DOMAIN.md, Principles) of the state a snapshot would store, and of
    # the events below that carry them: the person's name (no phone, email or address is
    # kept). The data subject is the employee or candidate: its id names the key.
    personal_fields = ("name",)
    # Whether the personal data was erased; a class default so older states still load.
    erased = False

    class CandidateRegistered(MopsAggregate.Created):
        personal_fields = ("name",)

        name: str
        position: str
        department: str
        source: str | None

        def apply(self, employee: Employee) -> None:
            employee.status = EmployeeStatus.CANDIDATE.value
            employee.name = self.name
            employee.position = self.position
            employee.department = self.department
            employee.source = self.source
            employee.grade = None
            employee.manager_id = None
            employee.hired_on = None
            employee.terminated_on = None
            employee.termination_reason = None
            employee.rejection_reason = None
            employee.interviews = []
            employee.targets = {}
            employee.trainings = []
            employee.appraisals = {}
            employee.bonuses = []
            employee.honors = []
            employee.improvement_plans = {}
            employee.latest_rating = None

    class Erased(MopsAggregate.Event):
        """The person's personal data was erased (its key destroyed); it cannot be undone."""

        reason: str

        def apply(self, employee: Employee) -> None:
            employee.erased = True
            employee.name = ERASED

    class InterviewRecorded(MopsAggregate.Event):
        kind: str
        result: str
        score: Decimal | None
        notes: str | None

        def apply(self, employee: Employee) -> None:
            employee.interviews = [
                *employee.interviews,
                {
                    "kind": self.kind,
                    "result": self.result,
                    "score": self.score,
                    "notes": self.notes,
                    "occurred_at": self.occurred_at,
                    "recorded_by": self.actor,
                },
            ]

    class Hired(MopsAggregate.Event):
        hired_on: date
        position: str
        department: str
        manager_id: str | None
        grade: str | None

        def apply(self, employee: Employee) -> None:
            employee.status = EmployeeStatus.ACTIVE.value
            employee.hired_on = self.hired_on
            employee.position = self.position
            employee.department = self.department
            employee.manager_id = self.manager_id
            employee.grade = self.grade

    class CandidateRejected(MopsAggregate.Event):
        reason: str

        def apply(self, employee: Employee) -> None:
            employee.status = EmployeeStatus.REJECTED.value
            employee.rejection_reason = self.reason

    class Transferred(MopsAggregate.Event):
        department: str
        position: str
        manager_id: str | None

        def apply(self, employee: Employee) -> None:
            employee.department = self.department
            employee.position = self.position
            employee.manager_id = self.manager_id

    class Promoted(MopsAggregate.Event):
        position: str
        grade: str | None

        def apply(self, employee: Employee) -> None:
            employee.position = self.position
            employee.grade = self.grade

    class Terminated(MopsAggregate.Event):
        reason: str
        on: date

        def apply(self, employee: Employee) -> None:
            employee.status = EmployeeStatus.TERMINATED.value
            employee.termination_reason = self.reason
            employee.terminated_on = self.on

    class TargetsSet(MopsAggregate.Event):
        period: str
        items: list[Target]

        def apply(self, employee: Employee) -> None:
            # A later TargetsSet for the same period replaces the earlier one.
            employee.targets = {**employee.targets, self.period: [i.copy() for i in self.items]}

    class TrainingRecorded(MopsAggregate.Event):
        course: str
        kind: str
        hours: Decimal
        completed_on: date
        score: Decimal | None
        feedback: str | None

        def apply(self, employee: Employee) -> None:
            employee.trainings = [
                *employee.trainings,
                {
                    "course": self.course,
                    "kind": self.kind,
                    "hours": self.hours,
                    "completed_on": self.completed_on,
                    "score": self.score,
                    "feedback": self.feedback,
                    "recorded_by": self.actor,
                },
            ]

    class AppraisalOpened(MopsAggregate.Event):
        appraisal_id: UUID
        cycle: str
        period: str

        def apply(self, employee: Employee) -> None:
            employee.appraisals = {
                **employee.appraisals,
                str(self.appraisal_id): _appraisal_from(self),
            }

    class EvaluationSubmitted(MopsAggregate.Event):
        appraisal_id: UUID
        source: str
        evaluator: str
        kpi_score: Decimal
        goals_score: Decimal
        attitude_score: Decimal
        comments: str | None

        def apply(self, employee: Employee) -> None:
            key = str(self.appraisal_id)
            appraisal = employee.appraisals[key]
            evaluation: Evaluation = {
                "source": self.source,
                "evaluator": self.evaluator,
                "kpi_score": self.kpi_score,
                "goals_score": self.goals_score,
                "attitude_score": self.attitude_score,
                "comments": self.comments,
                "submitted_at": self.occurred_at,
            }
            changed: Appraisal = {
                **appraisal,
                "evaluations": [*appraisal["evaluations"], evaluation],
            }
            employee.appraisals = {**employee.appraisals, key: changed}

    class AppraisalFinalized(MopsAggregate.Event):
        appraisal_id: UUID
        cycle: str
        period: str
        score: Decimal
        rating: str
        # Every figure the score was computed from: it replays without the read model.
        inputs: ScoreInputs

        def apply(self, employee: Employee) -> None:
            key = str(self.appraisal_id)
            changed: Appraisal = {
                **employee.appraisals[key],
                "status": "finalized",
                "score": self.score,
                "rating": self.rating,
                "inputs": self.inputs,
                "finalized_at": self.occurred_at,
            }
            employee.appraisals = {**employee.appraisals, key: changed}
            # The rating of the appraisal finalised last, in the order of the log.
            employee.latest_rating = self.rating

    class BonusAwarded(MopsAggregate.Event):
        amount: Decimal
        reason: str
        appraisal_id: UUID | None

        def apply(self, employee: Employee) -> None:
            employee.bonuses = [
                *employee.bonuses,
                {
                    "amount": self.amount,
                    "reason": self.reason,
                    "appraisal_id": self.appraisal_id,
                    "awarded_on": self.occurred_at.astimezone(UTC).date(),
                    "awarded_by": self.actor,
                },
            ]

    class HonorGranted(MopsAggregate.Event):
        title: str

        def apply(self, employee: Employee) -> None:
            employee.honors = [
                *employee.honors,
                {
                    "title": self.title,
                    "granted_on": self.occurred_at.astimezone(UTC).date(),
                    "granted_by": self.actor,
                },
            ]

    class ImprovementPlanStarted(MopsAggregate.Event):
        plan_id: UUID
        goals: str
        due_on: date

        def apply(self, employee: Employee) -> None:
            plan: ImprovementPlan = {
                "plan_id": self.plan_id,
                "goals": self.goals,
                "due_on": self.due_on,
                "status": "open",
                "outcome": None,
                "started_on": self.occurred_at.astimezone(UTC).date(),
                "closed_on": None,
            }
            employee.improvement_plans = {**employee.improvement_plans, str(self.plan_id): plan}

    class ImprovementPlanClosed(MopsAggregate.Event):
        plan_id: UUID
        outcome: str

        def apply(self, employee: Employee) -> None:
            key = str(self.plan_id)
            changed: ImprovementPlan = {
                **employee.improvement_plans[key],
                "status": "closed",
                "outcome": self.outcome,
                "closed_on": self.occurred_at.astimezone(UTC).date(),
            }
            employee.improvement_plans = {**employee.improvement_plans, key: changed}

    # Reading the state.

    @property
    def training_hours(self) -> Decimal:
        """Hours of every training completed."""
        return sum((t["hours"] for t in self.trainings), Decimal(0))

    def targets_for(self, period: str) -> list[Target] | None:
        """The targets set for exactly that period, or None."""
        return self.targets.get(period)

    def appraisal(self, appraisal_id: UUID) -> Appraisal:
        """One appraisal of this employee, or `not_found`."""
        appraisal = self.appraisals.get(str(appraisal_id))
        if appraisal is None:
            raise NotFound(f"appraisal {appraisal_id} not found for this employee")
        return appraisal

    def _require(self, command: str, *statuses: EmployeeStatus) -> None:
        if self.status not in statuses:
            raise InvalidState(command, self.status)

    # Recruiting.

    @classmethod
    def register_candidate(
        cls,
        cause: Cause,
        *,
        id: UUID,
        name: str,
        position: str,
        department: str,
        source: str | None = None,
    ) -> Employee:
        """Register a candidate for a position (招聘)."""
        return cls._start(
            cls.CandidateRegistered,
            cause,
            id=id,
            name=required_text(name, "name", 200),
            position=required_text(position, "position", 200),
            department=required_text(department, "department", 200),
            source=(source or "").strip() or None,
        )

    def erase(self, cause: Cause, reason: str) -> None:
        """Erase the person's personal data (PIPL, GDPR): its key is destroyed for good."""
        reason = required_text(reason, "reason")
        if self.erased:
            raise InvalidState("erase", "erased", "the person's personal data was erased already")
        self._record(self.Erased, cause, reason=reason)

    def record_interview(
        self,
        cause: Cause,
        *,
        kind: str,
        result: str,
        score: Decimal | int | None = None,
        notes: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Record a step of the selection: screening, interview, written test or check."""
        kind = choice(InterviewKind, kind, "kind")
        result = choice(Result, result, "result")
        score = None if score is None else score_0_100(score, "score")
        notes = (notes or "").strip() or None
        occurred = cause.occurred(occurred_at)
        self._require("interviews", EmployeeStatus.CANDIDATE)
        self._record(
            self.InterviewRecorded,
            cause,
            occurred_at=occurred,
            kind=kind,
            result=result,
            score=score,
            notes=notes,
        )

    def missing_for_hire(self) -> list[str]:
        """The kinds whose latest result is not a pass (interview, background check)."""
        latest = {i["kind"]: i["result"] for i in self.interviews}
        return [k for k in REQUIRED_FOR_HIRE if latest.get(k) != Result.PASS]

    def hire(
        self,
        cause: Cause,
        *,
        hired_on: date,
        position: str,
        department: str,
        manager_id: str | None = None,
        grade: str | None = None,
    ) -> None:
        """Hire the candidate: needs a passed interview and a passed background check."""
        position = required_text(position, "position", 200)
        department = required_text(department, "department", 200)
        manager_id = (manager_id or "").strip() or None
        grade = (grade or "").strip() or None
        hired_on = cause.business_date(hired_on, "hired_on")
        if same_subject(manager_id, str(self.id)):
            raise ValidationFailed.of("manager_id", "an employee is not their own manager")
        self._require("hire", EmployeeStatus.CANDIDATE)
        missing = self.missing_for_hire()
        if missing:
            raise HiringIncomplete(
                f"hiring needs a passed {' and a passed '.join(missing)}", missing=missing
            )
        self._record(
            self.Hired,
            cause,
            hired_on=hired_on,
            position=position,
            department=department,
            manager_id=manager_id,
            grade=grade,
        )

    def reject_candidate(self, cause: Cause, reason: str) -> None:
        """Turn the candidate down."""
        reason = required_text(reason, "reason", 5000)
        self._require("reject", EmployeeStatus.CANDIDATE)
        self._record(self.CandidateRejected, cause, reason=reason)

    # Career.

    def transfer(
        self,
        cause: Cause,
        *,
        department: str,
        position: str | None = None,
        manager_id: str | None = None,
    ) -> None:
        """Move the employee to a department; position and manager kept unless named."""
        department = required_text(department, "department", 200)
        position = required_text(position, "position", 200) if position else self.position
        manager = (manager_id or "").strip() or self.manager_id
        if manager == str(self.id):
            raise ValidationFailed.of("manager_id", "an employee is not their own manager")
        self._require("transfer", EmployeeStatus.ACTIVE)
        self._record(
            self.Transferred, cause, department=department, position=position, manager_id=manager
        )

    def promote(self, cause: Cause, *, position: str, grade: str | None = None) -> None:
        """Give the employee a new position, and a new grade if named."""
        position = required_text(position, "position", 200)
        grade = (grade or "").strip() or self.grade
        self._require("promote", EmployeeStatus.ACTIVE)
        self._record(self.Promoted, cause, position=position, grade=grade)

    def terminate(self, cause: Cause, *, reason: str, on: date) -> None:
        """End the employment on a day."""
        reason = required_text(reason, "reason", 5000)
        on = cause.business_date(on, "on")
        self._require("terminate", EmployeeStatus.ACTIVE)
        hired_on = self.hired_on
        # An active employee always has a hiring date.
        assert hired_on is not None
        if on < hired_on:
            raise ValidationFailed.of("on", "may not lie before the hiring date")
        self._record(self.Terminated, cause, reason=reason, on=on)

    # Targets and trainings.

    def set_targets(self, cause: Cause, *, period: str, items: Iterable[Mapping[str, Any]]) -> None:
        """Set the KPI targets of a period; a later setting for the period replaces it."""
        period_cycle(period)
        items = target_items(items)
        self._require("targets", EmployeeStatus.ACTIVE)
        self._record(self.TargetsSet, cause, period=period, items=items)

    def record_training(
        self,
        cause: Cause,
        *,
        course: str,
        kind: str,
        hours: Decimal,
        completed_on: date,
        score: Decimal | int | None = None,
        feedback: str | None = None,
        as_hr: bool = False,
    ) -> None:
        """Record a completed training (培訓); by hr or the employee's manager."""
        course = required_text(course, "course", 200)
        kind = choice(TrainingKind, kind, "kind")
        hours = _decimal(hours, "hours")
        if not 0 < hours <= 1000 or hours != hours.quantize(CENT):
            raise ValidationFailed.of("hours", "must be above 0, at most 1000, 2 decimals")
        score = None if score is None else score_0_100(score, "score")
        feedback = (feedback or "").strip() or None
        completed_on = cause.business_date(completed_on, "completed_on")
        self._require("trainings", EmployeeStatus.ACTIVE)
        if not as_hr and not same_subject(cause.actor, self.manager_id):
            raise Forbidden(
                "a training is recorded by hr or by the employee's manager",
                manager_id=self.manager_id,
            )
        self._record(
            self.TrainingRecorded,
            cause,
            course=course,
            kind=kind,
            hours=hours,
            completed_on=completed_on,
            score=score,
            feedback=feedback,
        )

    # Appraisals.

    def open_appraisal(self, cause: Cause, *, appraisal_id: UUID, cycle: str, period: str) -> None:
        """Open the appraisal of a cycle and period (績效考核)."""
        cycle = choice(Cycle, cycle, "cycle")
        if period_cycle(period) != cycle:
            raise ValidationFailed.of("period", f"is not a period of a {cycle} appraisal")
        self._require("appraisals", EmployeeStatus.ACTIVE)
        for existing in self.appraisals.values():
            if (existing["cycle"], existing["period"]) == (cycle, period):
                raise InvalidState(
                    "appraisals",
                    existing["status"],
                    f"a {cycle} appraisal for {period} exists already",
                )
        self._record(
            self.AppraisalOpened, cause, appraisal_id=appraisal_id, cycle=cycle, period=period
        )

    def _open(self, appraisal_id: UUID, command: str) -> Appraisal:
        appraisal = self.appraisal(appraisal_id)
        if appraisal["status"] != "open":
            raise InvalidState(command, appraisal["status"], "the appraisal is finalized")
        return appraisal

    def may_evaluate_as(
        self, source: str, evaluator: str, *, as_hr: bool, customer_side: bool, active_peer: bool
    ) -> bool:
        """Whether an evaluator may speak as a source: decided by identity, not role."""
        me = str(self.id)
        if source == Source.SELF:
            return same_subject(evaluator, me)
        if same_subject(evaluator, me):
            return False
        if source == Source.SUPERIOR:
            return as_hr or same_subject(evaluator, self.manager_id)
        if source == Source.PEER:
            return active_peer
        return customer_side

    def submit_evaluation(
        self,
        cause: Cause,
        *,
        appraisal_id: UUID,
        source: str,
        kpi_score: Any,
        goals_score: Any,
        attitude_score: Any,
        comments: str | None = None,
        as_hr: bool = False,
        customer_side: bool = False,
        active_peer: bool = False,
    ) -> None:
        """Evaluate the employee as their superior, a peer, themself or for a customer."""
        source = choice(Source, source, "source")
        kpi = score_0_100(kpi_score, "kpi_score")
        goals = score_0_100(goals_score, "goals_score")
        attitude = score_0_100(attitude_score, "attitude_score")
        comments = (comments or "").strip() or None
        appraisal = self._open(appraisal_id, "evaluations")
        if not self.may_evaluate_as(
            source, cause.actor, as_hr=as_hr, customer_side=customer_side, active_peer=active_peer
        ):
            raise Forbidden(f"{cause.actor} may not evaluate this employee as {source}")
        if any(same_subject(e["evaluator"], cause.actor) for e in appraisal["evaluations"]):
            raise DuplicateEvaluation(
                f"{cause.actor} has evaluated this appraisal already", evaluator=cause.actor
            )
        self._record(
            self.EvaluationSubmitted,
            cause,
            appraisal_id=appraisal_id,
            source=source,
            evaluator=cause.actor,
            comments=comments,
            kpi_score=kpi,
            goals_score=goals,
            attitude_score=attitude,
        )

    def finalize_appraisal(
        self,
        cause: Cause,
        *,
        appraisal_id: UUID,
        source_weights: Mapping[str, Decimal],
        component_weights: Mapping[str, Decimal],
        attainment: Mapping[str, Any] | None = None,
    ) -> dict[str, str]:
        """Score the appraisal and rate it; answers `{score, rating}`.

        `attainment` is the KPI reading of the employee for the appraisal's period; it is
        needed when the employee has targets for that period.
        """
        appraisal = self._open(appraisal_id, "finalize")
        evaluations = appraisal["evaluations"]
        if not any(e["source"] == Source.SUPERIOR for e in evaluations):
            raise EvaluationIncomplete("finalising needs a superior evaluation")
        targets = self.targets_for(appraisal["period"])
        kpi = None
        reading: KpiReading | None = None
        if targets is not None:
            if attainment is None or attainment.get("weighted_attainment") is None:
                raise KpiAttainmentUnavailable(
                    f"the employee has targets for {appraisal['period']} but no KPI attainment"
                    " could be read; try again once the KPI read model has caught up",
                    period=appraisal["period"],
                )
            weighted = _decimal(attainment["weighted_attainment"], "weighted_attainment")
            kpi = min(HUNDRED * weighted, KPI_CAP)
            reading = {
                "weighted_attainment": weighted,
                "metrics": [dict(m) for m in attainment.get("metrics") or ()],
                "kpi_score": kpi,
                "targets": targets,
            }
        scored = appraisal_score(evaluations, source_weights, component_weights, kpi)
        inputs: ScoreInputs = {**scored["inputs"], "kpi_attainment": reading}
        self._record(
            self.AppraisalFinalized,
            cause,
            appraisal_id=appraisal_id,
            cycle=appraisal["cycle"],
            period=appraisal["period"],
            score=scored["score"],
            rating=scored["rating"],
            inputs=inputs,
        )
        return {"score": str(scored["score"]), "rating": scored["rating"]}

    # Incentives.

    def award_bonus(
        self, cause: Cause, *, amount: Any, reason: str, appraisal_id: UUID | None = None
    ) -> None:
        """Award a bonus (激勵), citing a finalised appraisal if it rewards one."""
        amount = positive(amount)
        reason = required_text(reason, "reason", 5000)
        if appraisal_id is not None:
            cited = self.appraisals.get(str(appraisal_id))
            if cited is None or cited["status"] != "finalized":
                raise ValidationFailed.of(
                    "appraisal_id", "names no finalised appraisal of this employee"
                )
        self._require("bonuses", EmployeeStatus.ACTIVE)
        self._record(
            self.BonusAwarded, cause, amount=amount, reason=reason, appraisal_id=appraisal_id
        )

    def grant_honor(self, cause: Cause, *, title: str) -> None:
        """Grant an honour title."""
        title = required_text(title, "title", 200)
        self._require("honors", EmployeeStatus.ACTIVE)
        self._record(self.HonorGranted, cause, title=title)

    def start_improvement_plan(
        self, cause: Cause, *, plan_id: UUID, goals: str, due_on: date
    ) -> None:
        """Start an improvement plan: only after a latest finalised rating of C or D."""
        goals = required_text(goals, "goals", 5000)
        if due_on < cause.now.astimezone(UTC).date():
            raise ValidationFailed.of("due_on", "may not lie in the past")
        self._require("improvement-plans", EmployeeStatus.ACTIVE)
        if any(p["status"] == "open" for p in self.improvement_plans.values()):
            raise InvalidState("improvement-plans", "open", "an improvement plan is open already")
        rating = self.latest_rating
        if rating not in PLAN_RATINGS:
            raise ImprovementPlanNotAllowed(
                "an improvement plan follows a latest finalised rating of C or D",
                latest_rating=rating,
            )
        self._record(
            self.ImprovementPlanStarted, cause, plan_id=plan_id, goals=goals, due_on=due_on
        )

    def close_improvement_plan(self, cause: Cause, *, plan_id: UUID, outcome: str) -> None:
        """Close an improvement plan as passed or failed."""
        plan = self.improvement_plans.get(str(plan_id))
        if plan is None:
            raise NotFound(f"improvement plan {plan_id} not found for this employee")
        outcome = choice(PlanOutcome, outcome, "outcome")
        if plan["status"] != "open":
            raise InvalidState("improvement-plans/close", plan["status"], "the plan is closed")
        self._record(self.ImprovementPlanClosed, cause, plan_id=plan_id, outcome=outcome)
