"""Answers of `/research-reports` and `/reports/competitors`: a report, the directory and
the competitors report's rows."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from interfaces.http.schemas.answers.common import (
    Aggregate,
    Answer,
    Decimal,
    Id,
    Listed,
    Money,
    Subject,
)
from interfaces.http.schemas.answers.reports import PagedReport


class ResearchCompetitor(Answer):
    """A competitor as the research saw it (market share in percent)."""

    name: str
    market_share: Decimal | None
    price_position: str = Field(description="`low`, `par` or `high`")
    strengths: list[str]
    weaknesses: list[str]


class ResearchSwot(Answer):
    """Strengths, weaknesses, opportunities and threats."""

    strengths: list[str]
    weaknesses: list[str]
    opportunities: list[str]
    threats: list[str]


class ResearchMeasurement(Answer):
    """A figure measured for a quarter (`2026-Q1`), in percent."""

    metric: str
    period: str
    value: Decimal


class ResearchReportView(Aggregate):
    """A research report: its fieldwork, competitors, SWOT, findings and measurements."""

    status: str
    title: str
    topic: str
    method: str
    fieldwork_from: date
    fieldwork_to: date
    region: str | None
    sample_size: int | None
    market_size: Money | None
    growth_rate: Decimal | None
    competitors: list[ResearchCompetitor]
    swot: ResearchSwot
    customer_needs: list[str]
    findings: str
    recommendations: list[str]
    measurements: list[ResearchMeasurement]
    author_id: Subject
    submitted_by: Subject | None
    accepted_by: Subject | None
    return_comments: str | None
    plans_measured: dict[str, Id] = Field(
        description="the marketing plans the publication measured on, by year"
    )


class ResearchReportItem(Listed):
    """A report in the directory."""

    title: str
    topic: str
    method: str
    status: str
    region: str | None
    fieldwork_from: date
    fieldwork_to: date
    author_id: Subject
    competitors: list[str] = Field(description="the competitors' names")
    published_at: datetime | None
    drafted_at: datetime


class CompetitorRow(Answer):
    """A competitor: research naming it, latest share and price position, losses to it."""

    name: str
    reports: int
    market_share: float | None
    price_position: str | None
    lost_count: int
    lost_value: Money
    strengths: dict[str, int] = Field(description="each strength, and how many reports name it")
    weaknesses: dict[str, int] = Field(description="each weakness, and how many reports name it")


class CompetitorsReport(PagedReport):
    """`/reports/competitors`: a row per competitor, by name."""

    items: list[CompetitorRow]
