"""Answers of `/marketing-plans`: a plan and the directory."""

from __future__ import annotations

from datetime import datetime

from interfaces.http.schemas.answers.common import Aggregate, Answer, Listed, Subject


class Strategies(Answer):
    """The four strategies; null where none is written."""

    product: str | None
    price: str | None
    channel: str | None
    promotion: str | None


class PlanTarget(Answer):
    """A quarter's targets; null where none is set (shares and awareness in percent)."""

    period: str
    market_share: float | None
    brand_awareness: float | None
    customer_count: float | None


class Returned(Answer):
    """The revision sent back to draft, with comments."""

    revision: int
    comments: str
    returned_by: Subject
    returned_at: datetime | None


class Approved(Answer):
    """The revision in force."""

    revision: int
    strategies: Strategies
    targets: list[PlanTarget]
    approved_at: datetime | None
    approved_by: Subject | None


class Revision(Answer):
    """A revision submitted, and its approval."""

    revision: int
    version: int
    submitted_by: Subject | None
    approved_at: datetime | None
    approved_by: Subject | None


class PlanMeasurement(Answer):
    """A measured market share or brand awareness of a quarter, in percent."""

    metric: str
    period: str
    value: float | None
    source: str
    method: str | None
    occurred_at: datetime | None
    recorded_at: datetime | None
    recorded_by: Subject


class MarketingPlanView(Aggregate):
    """A marketing plan: the revision in the works, the one in force, and measurements."""

    status: str
    fiscal_year: int
    revision: int
    strategies: Strategies
    targets: list[PlanTarget]
    submitted_by: Subject | None
    submitted_at: datetime | None
    returned: Returned | None
    approved: Approved | None
    revisions: list[Revision]
    measurements: list[PlanMeasurement]


class MarketingPlanItem(Listed):
    """A marketing plan in the directory."""

    fiscal_year: int
    status: str
    revision: int
    approved_revision: int | None
    approved_at: datetime | None
    approved_by: Subject | None
    measurement_count: int
    created_at: datetime
    updated_at: datetime
