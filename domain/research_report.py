"""ResearchReport: market research written up, reviewed and published.

Rulebook: 市場調研與分析, 報告撰寫. DOMAIN.md, ResearchReport.

Decisions where DOMAIN.md is silent:

- `fieldwork_to` may not lie before `fieldwork_from`. A competitor's market share and
  every measurement's value are percentages from 0 to 100 (kept as given, as the
  marketing plan keeps them); a satisfaction measurement is such a percentage too.
  A competitor is named once per report (names compared casefolded and trimmed).
  `price_position` defaults to `par`.
- A measurement's period is a quarter `YYYY-Qn`; each (metric, period) at most once.
- `amend` changes a draft only (a returned report is a draft again); the lists it
  names replace the earlier ones as a whole.
- Accept and return are refused to whoever submitted (`segregation_of_duties`).
- Publishing records each `market_share` and `brand_awareness` measurement on the
  marketing plan of its year, as measured now (source: `research report <id>`, method:
  the report's method), in the same transaction; the plan's own rules apply (an
  approved revision, a quarter already begun).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from domain.approval import SegregatedDecision
from domain.base import MopsAggregate
from domain.budget import choice
from domain.errors import (
    FieldError,
    InvalidState,
    NoApprovedPlan,
    ValidationFailed,
)
from domain.marketing_plan import MarketingPlan, percent
from domain.values import (
    MAX_COUNT,
    Cause,
    count,
    money,
    normalise_name,
    required_text,
)

PLAN_METRICS = ("market_share", "brand_awareness")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"


class Method(StrEnum):
    SURVEY = "survey"
    INTERVIEW = "interview"
    VISIT = "visit"
    DESK = "desk"
    PANEL = "panel"
    MIXED = "mixed"


class PricePosition(StrEnum):
    LOW = "low"
    PAR = "par"
    HIGH = "high"


class MeasuredMetric(StrEnum):
    MARKET_SHARE = "market_share"
    BRAND_AWARENESS = "brand_awareness"
    SATISFACTION = "satisfaction"


class Competitor(TypedDict):
    """A competitor as the research saw it."""

    name: str
    market_share: Decimal | None
    price_position: str
    strengths: list[str]
    weaknesses: list[str]


class Swot(TypedDict):
    """Strengths, weaknesses, opportunities and threats."""

    strengths: list[str]
    weaknesses: list[str]
    opportunities: list[str]
    threats: list[str]


class Measurement(TypedDict):
    """A figure the research measured for a quarter."""

    metric: str
    period: str
    value: Decimal


def competitor_key(name: str) -> str:
    """A competitor's name as names are compared: trimmed, casefolded (spaces collapsed)."""
    return normalise_name(name)


def _texts(values: Iterable[Any] | None, field: str, max_length: int = 1000) -> list[str]:
    return [required_text(v, f"{field}.{i}", max_length) for i, v in enumerate(values or [])]


def _competitors(items: Iterable[Mapping[str, Any]] | None) -> list[Competitor]:
    cleaned: list[Competitor] = []
    seen: set[str] = set()
    for index, item in enumerate(items or []):
        field = f"competitors.{index}"
        name = required_text(item.get("name"), f"{field}.name", 200)
        if competitor_key(name) in seen:
            raise ValidationFailed.of(f"{field}.name", "names a competitor listed before")
        seen.add(competitor_key(name))
        share = item.get("market_share")
        cleaned.append(
            {
                "name": name,
                "market_share": None if share is None else percent(share, f"{field}.market_share"),
                "price_position": choice(
                    PricePosition, item.get("price_position") or "par", f"{field}.price_position"
                ),
                "strengths": _texts(item.get("strengths"), f"{field}.strengths"),
                "weaknesses": _texts(item.get("weaknesses"), f"{field}.weaknesses"),
            }
        )
    return cleaned


def _swot(swot: Mapping[str, Any] | None) -> Swot:
    swot = swot or {}
    unknown = set(swot) - {"strengths", "weaknesses", "opportunities", "threats"}
    if unknown:
        raise ValidationFailed.of(f"swot.{sorted(unknown)[0]}", "is not a part of a SWOT")
    return {
        "strengths": _texts(swot.get("strengths"), "swot.strengths"),
        "weaknesses": _texts(swot.get("weaknesses"), "swot.weaknesses"),
        "opportunities": _texts(swot.get("opportunities"), "swot.opportunities"),
        "threats": _texts(swot.get("threats"), "swot.threats"),
    }


def _measurements(items: Iterable[Mapping[str, Any]] | None) -> list[Measurement]:
    cleaned: list[Measurement] = []
    for index, item in enumerate(items or []):
        field = f"measurements.{index}"
        metric = choice(MeasuredMetric, item.get("metric"), f"{field}.metric")
        period = item.get("period")
        if not isinstance(period, str) or not _QUARTER.match(period) or period < "1900":
            raise ValidationFailed.of(f"{field}.period", "must be a quarter YYYY-Qn")
        if any((m["metric"], m["period"]) == (metric, period) for m in cleaned):
            raise ValidationFailed.of(f"{field}.period", "measures that metric of it twice")
        value = percent(item.get("value"), f"{field}.value")
        cleaned.append({"metric": metric, "period": period, "value": value})
    return cleaned


def _optional_text(value: Any, field: str, max_length: int) -> str | None:
    return None if value is None else required_text(value, field, max_length)


_CHECKS: dict[str, Any] = {
    "title": lambda v: required_text(v, "title", 200),
    "topic": lambda v: required_text(v, "topic", 1000),
    "method": lambda v: choice(Method, v, "method"),
    "fieldwork_from": lambda v: v,
    "fieldwork_to": lambda v: v,
    "region": lambda v: _optional_text(v, "region", 200),
    "sample_size": lambda v: None if v is None else count(v, "sample_size", most=MAX_COUNT),
    "market_size": lambda v: None if v is None else _market_size(v),
    "growth_rate": lambda v: None if v is None else _rate(v),
    "competitors": _competitors,
    "swot": _swot,
    "customer_needs": lambda v: _texts(v, "customer_needs"),
    "findings": lambda v: required_text(v, "findings", 20000),
    "recommendations": lambda v: _texts(v, "recommendations"),
    "measurements": _measurements,
}
REQUIRED = ("title", "topic", "method", "fieldwork_from", "fieldwork_to", "findings")


def _market_size(value: Any) -> Decimal:
    size = money(value, "market_size")
    if size < 0:
        raise ValidationFailed.of("market_size", "may not be negative")
    return size


def _rate(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        value = str(value) if isinstance(value, float) else "x"
    try:
        rate = Decimal(value)
    except ArithmeticError:
        raise ValidationFailed.of("growth_rate", "must be a decimal ratio") from None
    if not rate.is_finite() or abs(rate) > 1000:
        raise ValidationFailed.of("growth_rate", "must be a finite ratio, at most 1000")
    return rate


def checked_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Every field given, validated; every field's complaint at once."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in _CHECKS:
            errors.append(FieldError(name, "is not a field of a research report"))
            continue
        try:
            cleaned[name] = _CHECKS[name](value)
        except ValidationFailed as error:
            errors.extend(error.errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _fieldwork(fieldwork_from: date, fieldwork_to: date) -> None:
    if fieldwork_to < fieldwork_from:
        raise ValidationFailed.of("fieldwork_to", "may not lie before fieldwork_from")


class ResearchReport(SegregatedDecision):
    """A market research report: drafted, submitted, accepted (published) or returned."""

    subject = "report"
    awaiting_decision = ReportStatus.SUBMITTED.value

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        title: str
        topic: str
        method: str
        fieldwork_from: date
        fieldwork_to: date
        region: str | None
        sample_size: int | None
        market_size: Decimal | None
        growth_rate: Decimal | None
        competitors: list[Competitor]
        swot: Swot
        customer_needs: list[str]
        findings: str
        recommendations: list[str]
        measurements: list[Measurement]
        status: str
        author_id: str
        submitted_by: str | None
        accepted_by: str | None
        return_comments: str | None
        # The plans the publication measured on, by year (as text).
        plans_measured: dict[str, str]
        published_at: datetime | None

    class Drafted(MopsAggregate.Created):
        title: str
        topic: str
        method: str
        fieldwork_from: date
        fieldwork_to: date
        region: str | None
        sample_size: int | None
        market_size: Decimal | None
        growth_rate: Decimal | None
        competitors: list[Competitor]
        swot: Swot
        customer_needs: list[str]
        findings: str
        recommendations: list[str]
        measurements: list[Measurement]

        def apply(self, report: ResearchReport) -> None:
            for name in _CHECKS:
                setattr(report, name, getattr(self, name))
            report.status = ReportStatus.DRAFT.value
            report.author_id = self.actor
            report.submitted_by = None
            report.accepted_by = None
            report.return_comments = None
            report.plans_measured = {}
            report.published_at = None

    class Amended(MopsAggregate.Event):
        """Fields of a draft changed: `changes` holds each with its new value."""

        changes: dict[str, Any]

        def apply(self, report: ResearchReport) -> None:
            for name, value in self.changes.items():
                setattr(report, name, value)

    class Submitted(MopsAggregate.Event):
        def apply(self, report: ResearchReport) -> None:
            report.status = ReportStatus.SUBMITTED.value
            report.submitted_by = self.actor

    class Returned(MopsAggregate.Event):
        comments: str

        def apply(self, report: ResearchReport) -> None:
            report.status = ReportStatus.DRAFT.value
            report.return_comments = self.comments

    class Published(MopsAggregate.Event):
        # The marketing plan each year's measurements were recorded on.
        plans_measured: dict[str, str]

        def apply(self, report: ResearchReport) -> None:
            report.status = ReportStatus.PUBLISHED.value
            report.accepted_by = self.actor
            report.plans_measured = self.plans_measured
            report.published_at = self.occurred_at

    def plan_years(self) -> list[int]:
        """The years whose marketing plans publishing records measurements on."""
        return sorted(
            {int(m["period"][:4]) for m in self.measurements if m["metric"] in PLAN_METRICS}
        )

    @classmethod
    def draft(cls, cause: Cause, *, id: UUID, **fields: Any) -> ResearchReport:
        """Draft a research report (報告撰寫); the drafting actor is its author."""
        missing = [FieldError(n, "is required") for n in REQUIRED if fields.get(n) is None]
        if missing:
            raise ValidationFailed(missing)
        unknown = set(fields) - set(_CHECKS)
        if unknown:
            raise ValidationFailed.of(sorted(unknown)[0], "is not a field of a research report")
        cleaned = checked_fields({n: fields.get(n) for n in _CHECKS})
        _fieldwork(cleaned["fieldwork_from"], cleaned["fieldwork_to"])
        return cls._start(cls.Drafted, cause, id=id, **cleaned)

    def amend(self, cause: Cause, **changes: Any) -> None:
        """Change fields of a draft; a list named replaces the earlier one."""
        given = {n: v for n, v in changes.items() if v is not None or n not in REQUIRED}
        cleaned = checked_fields(given)
        if not cleaned:
            raise ValidationFailed.of("body", "names no field to change")
        _fieldwork(
            cleaned.get("fieldwork_from", self.fieldwork_from),
            cleaned.get("fieldwork_to", self.fieldwork_to),
        )
        if self.status != ReportStatus.DRAFT:
            raise InvalidState("amend", self.status)
        self._record(self.Amended, cause, changes=cleaned)

    def submit(self, cause: Cause) -> None:
        """Put the draft up for acceptance."""
        if self.status != ReportStatus.DRAFT:
            raise InvalidState("submit", self.status)
        self._record(self.Submitted, cause)

    def return_(self, cause: Cause, comments: str) -> None:
        """Send the report back to draft with comments."""
        comments = required_text(comments, "comments", 5000)
        self._decide(cause, "return", self.Returned, comments=comments)

    def accept(self, cause: Cause, plans: Mapping[int, MarketingPlan | None]) -> None:
        """Publish the report, recording its measurements on the plans of their years.

        `plans` holds the marketing plan of each of `plan_years()` (None: no plan); the
        plans are changed too and saved with the report in one transaction.
        """
        self._refuse_undecidable(cause, "accept")
        for year in self.plan_years():
            plan = plans.get(year)
            if plan is None or plan.approved is None:
                raise NoApprovedPlan(
                    f"no approved marketing plan for {year} to record the measurements on",
                    fiscal_year=year,
                )
        for m in self.measurements:
            if m["metric"] in PLAN_METRICS:
                plan = plans[int(m["period"][:4])]
                assert plan is not None  # checked above
                plan.record_measurement(
                    cause,
                    metric=m["metric"],
                    period=m["period"][5:],
                    value=m["value"],
                    source=f"research report {self.id}",
                    method=self.method,
                )
        measured = {str(y): str(p.id) for y in self.plan_years() if (p := plans[y]) is not None}
        self._record(self.Published, cause, plans_measured=measured)
