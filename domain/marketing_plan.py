"""MarketingPlan: the strategies and market targets of a fiscal year, approved and revised.

Rulebook: 營銷策略制定, 目標設定, 方案審批. DOMAIN.md, MarketingPlan.

Decisions where DOMAIN.md is silent:

- One plan per fiscal year (the calendar year, 1900..9998). A key aggregate,
  `MarketingPlanYear`, whose id derives from the year (uuid5), is saved in the same
  `save()` as the draft: of two simultaneous drafts for one year one wins, the other is
  decided again and refused `duplicate_plan` (carrying `existing_id`).
- Strategies are texts per kind (`product`, `price`, `channel`, `promotion`), each
  optional; another kind is a `validation_error`. Targets are per quarter of the plan's
  year: `market_share` and `brand_awareness` are percentages from 0 to 100 kept as given
  (12.5 means 12.5 %, not a ratio; at most four decimal places), `customer_count` a
  whole number >= 0. A quarter named twice, or a target naming no figure, is a
  `validation_error`.
- `amend` changes a draft only; the strategies or targets it gives replace the earlier
  ones as a whole (as budget lines and targets do). The fiscal year never changes.
- A plan may be drafted with no strategy and no target, but is submitted only with at
  least one strategy and one target figure (`validation_error`).
- States: `draft --submit--> pending_approval --approve--> approved`;
  `pending_approval --return(comments)--> draft`; `approved --revise--> draft` with the
  revision number raised by one (the first revision is 1). The new draft starts from the
  approved content. Approve and return are refused to whoever submitted that revision
  (`segregation_of_duties`).
- The approved revision in force stays in force while a newer one is drafted, submitted
  or returned, until the newer one is approved. `Approved` carries the strategies and
  targets approved, so the record of what was approved (and the KPI read model) needs no
  other event; every approved revision is listed with its approval time, approver and
  the plan version it reached, and stays readable by `?version=` / `?as_of=`.
- `RecordMeasurement` needs an approved revision (status `approved`, or a later revision
  in draft or pending approval) -> `invalid_state` before the first approval. It takes
  an optional `occurred_at` (when the research was done; defaults to now; the
  back-dating window applies), which may not lie before the quarter measured begins
  (`validation_error`): a share of a quarter cannot be measured before it starts.
  Measurements are kept in order; the KPIs read the latest of a quarter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.approval import PlanStatus, PlanWorkflow
from domain.base import FiscalYearKey, MopsAggregate
from domain.budget import QUARTERS, choice, quarter_bounds
from domain.errors import DuplicatePlan, FieldError, InvalidState, ValidationFailed, run_checks
from domain.values import MAX_COUNT, Cause, Quarter, required_text

STRATEGY_KINDS = ("product", "price", "channel", "promotion")
PERCENT_FIGURES = ("market_share", "brand_awareness")
TARGET_FIGURES = (*PERCENT_FIGURES, "customer_count")
# More places than a survey or an industry report gives would only be noise.
PERCENT_PLACES = 4
HUNDRED = Decimal(100)


class Metric(StrEnum):
    MARKET_SHARE = "market_share"
    BRAND_AWARENESS = "brand_awareness"


class Target(TypedDict):
    """The targets of one quarter: percentages as given, a count; a figure not set is None."""

    period: str
    market_share: Decimal | None
    brand_awareness: Decimal | None
    customer_count: int | None


class ApprovedRevision(TypedDict):
    """The revision in force: what was approved, when and by whom."""

    revision: int
    strategies: dict[str, str]
    targets: list[Target]
    approved_at: datetime
    approved_by: str


class Measurement(TypedDict):
    """A measured market share or brand awareness of a quarter, from research."""

    metric: str
    period: str
    value: Decimal
    source: str
    method: str | None
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str


def percent(value: Any, field: str) -> Decimal:
    """A percentage from 0 to 100, kept as given (not a ratio), at most four places."""
    if isinstance(value, bool | float):
        raise ValidationFailed.of(field, "must be a decimal percentage")
    try:
        figure = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed.of(field, "must be a decimal percentage") from None
    if not figure.is_finite():
        raise ValidationFailed.of(field, "must be a finite percentage")
    if not 0 <= figure <= HUNDRED:
        raise ValidationFailed.of(field, "must be a percentage from 0 to 100")
    # A finite decimal's exponent is a number (only NaN and infinities have a letter).
    exponent = figure.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PERCENT_PLACES:
        raise ValidationFailed.of(field, f"has more than {PERCENT_PLACES} decimal places")
    return figure


def plan_strategies(strategies: Mapping[str, Any] | None) -> dict[str, str]:
    """Validated strategy texts by kind; kinds not given are left out."""
    if strategies is None:
        return {}
    if not isinstance(strategies, Mapping):
        raise ValidationFailed.of("strategies", "must be an object of texts by kind")
    cleaned: dict[str, str] = {}
    errors: list[FieldError] = []
    for kind, text in strategies.items():
        if kind not in STRATEGY_KINDS:
            errors.append(
                FieldError(f"strategies.{kind}", f"is not one of {', '.join(STRATEGY_KINDS)}")
            )
            continue
        if text is None:
            continue
        try:
            cleaned[kind] = required_text(text, f"strategies.{kind}", 5000)
        except ValidationFailed as error:
            errors.extend(error.errors)
    if errors:
        raise ValidationFailed(errors)
    return {kind: cleaned[kind] for kind in STRATEGY_KINDS if kind in cleaned}


def plan_targets(targets: Iterable[Mapping[str, Any]] | None) -> list[Target]:
    """Validated targets, one per quarter named, in quarter order."""
    cleaned: dict[str, Target] = {}
    errors: list[FieldError] = []
    for index, target in enumerate(targets or ()):
        where = f"targets.{index}"
        if not isinstance(target, Mapping):
            errors.append(FieldError(where, "must be an object"))
            continue
        unknown = sorted(set(target) - {"period", *TARGET_FIGURES})
        errors.extend(FieldError(f"{where}.{name}", "is not a target figure") for name in unknown)
        try:
            period = choice(Quarter, target.get("period"), f"{where}.period")
        except ValidationFailed as error:
            errors.extend(error.errors)
            period = None
        shares: dict[str, Decimal | None] = {}
        for name in PERCENT_FIGURES:
            value = target.get(name)
            try:
                shares[name] = None if value is None else percent(value, f"{where}.{name}")
            except ValidationFailed as error:
                errors.extend(error.errors)
        count = target.get("customer_count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            errors.append(FieldError(f"{where}.customer_count", "must be a whole number"))
        elif count is not None and count < 0:
            errors.append(FieldError(f"{where}.customer_count", "may not be negative"))
        elif count is not None and count > MAX_COUNT:
            errors.append(FieldError(f"{where}.customer_count", f"may not exceed {MAX_COUNT}"))
        if all(target.get(name) is None for name in TARGET_FIGURES):
            errors.append(FieldError(where, "sets no figure"))
        if period is None:
            continue
        if period in cleaned:
            errors.append(FieldError(f"{where}.period", f"{period} is targeted twice"))
        cleaned[period] = Target(
            period=period,
            market_share=shares.get("market_share"),
            brand_awareness=shares.get("brand_awareness"),
            customer_count=count,
        )
    if errors:
        raise ValidationFailed(errors)
    return [cleaned[q] for q in QUARTERS if q in cleaned]


def targets_for(targets: Mapping[str, Mapping[str, Any]], period: str) -> dict[str, Any]:
    """The targets of a KPI period from targets by quarter: `YYYY`, `YYYY-Qn` or `YYYY-MM`.

    A quarter has its own; a month its quarter's (a share or a count is a level, not a
    flow, so it is not divided); a year Q4's, the level set for the year's end. A figure
    the quarter does not set is None.
    """
    _, _, part = period.partition("-")
    if not part:
        quarter = QUARTERS[-1]
    elif part.startswith("Q"):
        quarter = part
    else:
        quarter = QUARTERS[(int(part) - 1) // 3]
    target = targets.get(quarter) or {}
    return {name: target.get(name) for name in TARGET_FIGURES}


FISCAL_YEAR_NAMESPACE = uuid5(NAMESPACE_URL, "mops:marketing-plan-fiscal-year")


class MarketingPlanYear(FiscalYearKey):
    """The fiscal year a marketing plan holds: one plan a year (`duplicate_plan`)."""

    namespace = FISCAL_YEAR_NAMESPACE
    holder = "plan_id"
    what = "marketing plan"
    duplicate = DuplicatePlan

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        fiscal_year: int
        plan_id: UUID

    class Claimed(MopsAggregate.Created):
        fiscal_year: int
        plan_id: UUID

        def apply(self, year: MarketingPlanYear) -> None:
            year.fiscal_year = self.fiscal_year
            year.plan_id = self.plan_id


class MarketingPlan(PlanWorkflow):
    """The marketing plan of one fiscal year: strategies, quarterly targets, measurements."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        fiscal_year: int
        # The working revision: the one drafted, submitted or returned (or approved).
        strategies: dict[str, str]
        targets: list[Target]
        approved: ApprovedRevision | None
        measurements: list[Measurement]

    class Drafted(MopsAggregate.Created):
        fiscal_year: int
        strategies: dict[str, str]
        targets: list[Target]

        def apply(self, plan: MarketingPlan) -> None:
            plan.fiscal_year = self.fiscal_year
            plan.strategies = dict(self.strategies)
            plan.targets = [t.copy() for t in self.targets]
            plan._start_revisions()
            plan.measurements = []

    class Amended(MopsAggregate.Event):
        strategies: dict[str, str]
        targets: list[Target]

        def apply(self, plan: MarketingPlan) -> None:
            plan.strategies = dict(self.strategies)
            plan.targets = [t.copy() for t in self.targets]

    class Submitted(PlanWorkflow.Submitted):
        """The draft revision was put before an executive."""

    class Returned(PlanWorkflow.Returned):
        """An executive sent the revision back to draft, with comments."""

    class Approved(PlanWorkflow.Approved):
        # What was approved, as the record of the decision.
        strategies: dict[str, str]
        targets: list[Target]

        def in_force(self) -> ApprovedRevision:
            return ApprovedRevision(
                revision=self.revision,
                strategies=dict(self.strategies),
                targets=[t.copy() for t in self.targets],
                approved_at=self.occurred_at,
                approved_by=self.actor,
            )

    class Revised(PlanWorkflow.Revised):
        """A new revision of the approved plan was started."""

    class MeasurementRecorded(MopsAggregate.Event):
        metric: str
        period: str
        value: Decimal
        source: str
        method: str | None

        def apply(self, plan: MarketingPlan) -> None:
            plan.measurements = [
                *plan.measurements,
                Measurement(
                    metric=self.metric,
                    period=self.period,
                    value=self.value,
                    source=self.source,
                    method=self.method,
                    occurred_at=self.occurred_at,
                    recorded_at=self.timestamp,
                    recorded_by=self.actor,
                ),
            ]

    @property
    def targets_by_quarter(self) -> dict[str, Target]:
        """The working revision's targets by quarter."""
        return {t["period"]: t for t in self.targets}

    @classmethod
    def draft(
        cls,
        cause: Cause,
        *,
        id: UUID,
        fiscal_year: int,
        strategies: Mapping[str, Any] | None = None,
        targets: Iterable[Mapping[str, Any]] | None = None,
    ) -> MarketingPlan:
        """Draft the plan of a fiscal year: strategies by kind and targets by quarter."""
        errors: list[FieldError] = []
        if isinstance(fiscal_year, bool) or not isinstance(fiscal_year, int):
            errors.append(FieldError("fiscal_year", "must be a year"))
        elif not 1900 <= fiscal_year <= 9998:
            errors.append(FieldError("fiscal_year", "must be a year between 1900 and 9998"))
        cleaned_strategies: dict[str, str] = {}
        cleaned_targets: list[Target] = []
        try:
            cleaned_strategies = plan_strategies(strategies)
        except ValidationFailed as error:
            errors.extend(error.errors)
        try:
            cleaned_targets = plan_targets(targets)
        except ValidationFailed as error:
            errors.extend(error.errors)
        if errors:
            raise ValidationFailed(errors)
        return cls._start(
            cls.Drafted,
            cause,
            id=id,
            fiscal_year=fiscal_year,
            strategies=cleaned_strategies,
            targets=cleaned_targets,
        )

    def amend(
        self,
        cause: Cause,
        *,
        strategies: Mapping[str, Any] | None = None,
        targets: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        """Change a draft: the strategies or targets given replace the earlier ones."""
        if strategies is None and targets is None:
            raise ValidationFailed.of("body", "names no field to change")
        new_strategies = self.strategies if strategies is None else plan_strategies(strategies)
        new_targets = self.targets if targets is None else plan_targets(targets)
        if self.status != PlanStatus.DRAFT:
            raise InvalidState("amend", self.status)
        self._record(self.Amended, cause, strategies=new_strategies, targets=new_targets)

    def _refuse_incomplete(self) -> None:
        errors: list[FieldError] = []
        if not self.strategies:
            errors.append(FieldError("strategies", "a plan to submit states a strategy"))
        if not self.targets:
            errors.append(FieldError("targets", "a plan to submit sets a target"))
        if errors:
            raise ValidationFailed(errors)

    def _approved_content(self) -> dict[str, Any]:
        return {"strategies": self.strategies, "targets": self.targets}

    def record_measurement(
        self,
        cause: Cause,
        *,
        metric: str,
        period: str,
        value: Any,
        source: str,
        method: str | None = None,
        occurred_at: datetime | None = None,
    ) -> None:
        """Record a measured market share or brand awareness of a quarter (from research)."""
        errors: list[FieldError] = []
        checked = run_checks(
            errors,
            (
                ("metric", lambda: choice(Metric, metric, "metric")),
                ("period", lambda: choice(Quarter, period, "period")),
                ("value", lambda: percent(value, "value")),
                ("source", lambda: required_text(source, "source", 200)),
                (
                    "method",
                    lambda: None if method is None else required_text(method, "method", 5000),
                ),
                ("occurred_at", lambda: cause.occurred(occurred_at)),
            ),
        )
        if errors:
            raise ValidationFailed(errors)
        if self.approved is None:
            raise InvalidState(
                "measurements", self.status, "the plan has no approved revision to measure"
            )
        begins, _ = quarter_bounds(self.fiscal_year, checked["period"])
        if checked["occurred_at"] < begins:
            raise ValidationFailed.of(
                "occurred_at", f"lies before {checked['period']} {self.fiscal_year} begins"
            )
        self._record(
            self.MeasurementRecorded,
            cause,
            occurred_at=checked["occurred_at"],
            metric=checked["metric"],
            period=checked["period"],
            value=checked["value"],
            source=checked["source"],
            method=checked["method"],
        )
