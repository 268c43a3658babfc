"""Demo marketing plan: the year's plan, approved, revised once, and measured.

The plan is for the year the demo's budget is for (most of the history lies in it). The
marketing manager drafts and submits it, the chief executive approves it; mid-year the
manager revises it with higher Q3 and Q4 market-share targets, and the other executive
approves the revision. Market share (an industry report) and brand awareness (a survey)
are measured for every quarter already over, dated some days after the quarter's end
and never before the demo's history begins; quarters still running are not measured.
No dice are thrown: the parts written after this one keep the seeded course they had.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from application.commands.marketing_plans import (
    AmendMarketingPlan,
    ApproveMarketingPlan,
    DraftMarketingPlan,
    RecordPlanMeasurement,
    ReviseMarketingPlan,
    SubmitMarketingPlan,
)
from domain.budget import QUARTERS, quarter_bounds
from domain.errors import DuplicatePlan
from interfaces.demo.company import DemoCompany

STRATEGIES = {
    "product": "Bundle the media packages by industry; a video product for small firms.",
    "price": "Hold list prices; discounts only through the pricing review.",
    "channel": "Direct sales for key accounts, dealers in the southern region.",
    "promotion": "Two trade fairs, an always-on search presence and a customer day.",
}
# Per quarter: market share and brand awareness in percent, and customers by its end as a
# share of the customers the demo plans to register.
FIRST_TARGETS = (("8.5", "30", 0.1), ("9", "33", 0.15), ("9.5", "36", 0.2), ("10", "40", 0.25))
# The revision: the summer campaigns did better than planned, so Q3 and Q4 aim higher.
RAISED_SHARE = {"Q3": "10.25", "Q4": "11"}
# What research found per quarter: market share and brand awareness.
MEASURED = (("8.2", "29.5"), ("9.1", "32"), ("9.8", "35.5"), ("10.4", "38"))
# Research reports a quarter this long after it ends.
REPORT_DELAY = timedelta(days=10)


def _targets(company: DemoCompany, raised: dict[str, str]) -> list[Mapping[str, Any]]:
    """The plan's quarterly targets, with the market share raised where `raised` says."""
    return [
        {
            "period": quarter,
            "market_share": Decimal(raised.get(quarter, share)),
            "brand_awareness": Decimal(awareness),
            "customer_count": int(company.planned_customers * customers),
        }
        for quarter, (share, awareness, customers) in zip(QUARTERS, FIRST_TARGETS, strict=True)
    ]


def write_plan(company: DemoCompany) -> None:
    """Write the year's marketing plan, its revision and its measurements."""
    app = company.app
    year = (company.now - company.reach / 2).year
    marketing = company.as_(company.person("marketing"), "marketing")
    chief = company.as_(company.person("executive"), "executive")
    cfo = company.as_(company.person("executive", 1), "executive")
    try:
        plan_id = app.handle(
            marketing,
            DraftMarketingPlan(
                fiscal_year=year, strategies=STRATEGIES, targets=_targets(company, {})
            ),
        ).id
    except DuplicatePlan as duplicate:
        company.summary.append(f"marketing plan {year} exists ({duplicate.facts['existing_id']})")
        return
    app.handle(marketing, SubmitMarketingPlan(plan_id))
    app.handle(chief, ApproveMarketingPlan(plan_id))
    app.handle(marketing, ReviseMarketingPlan(plan_id))
    app.handle(marketing, AmendMarketingPlan(plan_id, targets=_targets(company, RAISED_SHARE)))
    app.handle(marketing, SubmitMarketingPlan(plan_id))
    app.handle(cfo, ApproveMarketingPlan(plan_id))
    earliest = company.now - company.reach + timedelta(hours=1)
    measured = 0
    for quarter, (share, awareness) in zip(QUARTERS, MEASURED, strict=True):
        _, ends = quarter_bounds(year, quarter)
        if ends > company.now:
            break
        at = min(ends + REPORT_DELAY, company.now)
        if at < earliest:
            continue
        for metric, value, source, method in (
            ("market_share", share, "industry association report", "shipments by vendor"),
            ("brand_awareness", awareness, "brand tracking survey", "online panel, n=800"),
        ):
            app.handle(
                marketing,
                RecordPlanMeasurement(
                    plan_id,
                    metric=metric,
                    period=quarter,
                    value=Decimal(value),
                    source=source,
                    method=method,
                    occurred_at=at,
                ),
            )
        measured += 1
    company.summary.append(
        f"marketing plan {year} approved in 2 revisions, {measured} quarters measured"
    )
