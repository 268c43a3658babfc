"""Bodies of the marketing-plan commands (API.md, marketing-plans)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StrictInt

from interfaces.http.schemas.common import Command, Count, ShortText, Text, example

Period = Literal["Q1", "Q2", "Q3", "Q4"]
Metric = Literal["market_share", "brand_awareness"]


def _percent(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite percentage")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("has more than 4 decimal places")
    return value


# A percentage 0-100 kept as given (12.5 is 12.5 %, not a ratio).
Percent = Annotated[Decimal, Field(ge=0, le=100), AfterValidator(_percent)]


class Strategies(Command):
    product: Text | None = None
    price: Text | None = None
    channel: Text | None = None
    promotion: Text | None = None


class PlanTarget(Command):
    period: Period
    market_share: Percent | None = None
    brand_awareness: Percent | None = None
    customer_count: Count | None = None


class DraftPlan(Command):
    model_config = example(
        {
            "fiscal_year": 2027,
            "strategies": {
                "product": "Launch the 200 l/min pump line",
                "price": "Hold list prices; volume rebates",
                "channel": "Two new distributors in the north",
                "promotion": "Trade fairs and search advertising",
            },
            "targets": [
                {
                    "period": "Q1",
                    "market_share": "12.5",
                    "brand_awareness": "40",
                    "customer_count": 320,
                }
            ],
        }
    )
    fiscal_year: StrictInt = Field(ge=1900, le=9998)
    strategies: Strategies
    targets: list[PlanTarget] = Field(max_length=8)


class AmendPlan(Command):
    model_config = example({"targets": [{"period": "Q1", "market_share": "13"}]})
    strategies: Strategies | None = None
    targets: list[PlanTarget] | None = Field(default=None, max_length=8)


class Return(Command):
    model_config = example({"comments": "Targets for Q3 and Q4 are missing"})
    comments: Text


class Measurement(Command):
    model_config = example(
        {
            "metric": "market_share",
            "period": "Q1",
            "value": "12.8",
            "source": "Industry association survey",
            "method": "A survey of 400 buyers",
        }
    )
    metric: Metric
    period: Period
    value: Percent
    source: ShortText
    method: Text | None = None
    # Beyond API.md, optional: when the research was done, so a survey of last quarter
    # can be dated when it was; without it the measurement is dated now.
    occurred_at: AwareDatetime | None = None
