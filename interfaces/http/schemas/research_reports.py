"""Bodies of the research-report commands (API.md, research-reports)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StrictInt

from interfaces.http.schemas.common import Command, Money, ShortText, Text, example
from interfaces.http.schemas.marketing_plans import Percent

Method = Literal["survey", "interview", "visit", "desk", "panel", "mixed"]
Metric = Literal["market_share", "brand_awareness", "satisfaction"]
Item = Annotated[str, Field(min_length=1, max_length=1000)]
Items = Annotated[list[Item], Field(max_length=100)]
Quarter = Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$")]


class Competitor(Command):
    name: ShortText
    market_share: Percent | None = None
    price_position: Literal["low", "par", "high"] | None = None
    strengths: Items | None = None
    weaknesses: Items | None = None


class Swot(Command):
    strengths: Items | None = None
    weaknesses: Items | None = None
    opportunities: Items | None = None
    threats: Items | None = None


class Measurement(Command):
    metric: Metric
    period: Quarter
    value: Percent


class DraftReport(Command):
    model_config = example(
        {
            "title": "Agency market survey Mar 2026",
            "topic": "How firms choose a marketing agency, and whom they choose",
            "method": "survey",
            "fieldwork_from": "2026-03-04",
            "fieldwork_to": "2026-03-29",
            "region": "north",
            "sample_size": 420,
            "market_size": "86000000.00",
            "growth_rate": "0.065",
            "competitors": [
                {
                    "name": "Bluewave Media",
                    "market_share": "18.5",
                    "price_position": "high",
                    "strengths": ["national reach"],
                    "weaknesses": ["premium prices"],
                }
            ],
            "swot": {"strengths": ["service"], "threats": ["price war"]},
            "customer_needs": ["measurable results"],
            "findings": "Price decides the first deal; service decides the second.",
            "recommendations": ["bundle reporting with every package"],
            "measurements": [{"metric": "market_share", "period": "2026-Q1", "value": "8.2"}],
        }
    )
    title: ShortText
    topic: Text
    method: Method
    fieldwork_from: date
    fieldwork_to: date
    region: ShortText | None = None
    sample_size: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)
    market_size: Money | None = Field(default=None, ge=0)
    growth_rate: Decimal | None = Field(default=None, ge=-1000, le=1000)
    competitors: list[Competitor] | None = Field(default=None, max_length=100)
    swot: Swot | None = None
    customer_needs: Items | None = None
    findings: Annotated[str, Field(min_length=1, max_length=20000)]
    recommendations: Items | None = None
    measurements: list[Measurement] | None = Field(default=None, max_length=100)


class AmendReport(Command):
    model_config = example(
        {"findings": "Price decides the first deal; service decides the second and third."}
    )
    title: ShortText | None = None
    topic: Text | None = None
    method: Method | None = None
    fieldwork_from: date | None = None
    fieldwork_to: date | None = None
    region: ShortText | None = None
    sample_size: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)
    market_size: Money | None = Field(default=None, ge=0)
    growth_rate: Decimal | None = Field(default=None, ge=-1000, le=1000)
    competitors: list[Competitor] | None = Field(default=None, max_length=100)
    swot: Swot | None = None
    customer_needs: Items | None = None
    findings: Annotated[str, Field(min_length=1, max_length=20000)] | None = None
    recommendations: Items | None = None
    measurements: list[Measurement] | None = Field(default=None, max_length=100)


class Return(Command):
    model_config = example({"comments": "Name the sample's regions, and the survey's dates"})
    comments: Text
