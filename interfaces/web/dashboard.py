"""The dashboard's panels, each from the API's report of the same figures."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date
from typing import Any

from markupsafe import Markup

from domain.errors import DomainError
from interfaces.web import charts, i18n
from interfaces.web.page import Page

# The KPI cards: a figure and, where the report has one, its target.
KPI_CARDS = (
    ("revenue", "revenue_target"),
    ("new_customers", "new_customers_target"),
    ("customer_count", "customer_count_target"),
    ("market_share", "market_share_target"),
    ("brand_awareness", "brand_awareness_target"),
    ("contracts_signed", None),
    ("collection_rate", None),
    ("sla_compliance", None),
    ("satisfaction_avg", None),
    ("campaign_roi", None),
    ("budget_utilisation", None),
)


def months_back(today: date, count: int) -> date:
    """The first day of the month `count - 1` months before today's."""
    month = today.year * 12 + today.month - 1 - (count - 1)
    return date(month // 12, month % 12 + 1, 1)


def _panel(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A panel, or the reason it could not be drawn (shown in its place)."""
    try:
        return build()
    except DomainError as error:
        return {"error": error.detail}


def kpis(page: Page, period: str) -> dict[str, Any]:
    """Company KPIs of the period against their targets."""
    row = page.api.get("/reports/kpis/company", query={"period": [period]})["items"][0]
    cards = [
        {"key": key, "value": row.get(key), "target": row.get(target) if target else None}
        for key, target in KPI_CARDS
    ]
    return {"row": row, "cards": cards}


def revenue_by_month(page: Page, today: date) -> dict[str, Any]:
    """Revenue signed per month, the last twelve months."""
    start = months_back(today, 12).isoformat()
    query = {"group_by": ["month"], "from": [start], "to": [today.isoformat()]}
    items = page.api.get("/reports/sales", query=query, limit=1000)["items"]
    bars = [
        charts.Bar(
            i["month"],
            float(i["revenue"]),
            i18n.short_money(i["revenue"], page.cells.currency, page.lang),
        )
        for i in items
    ]
    return {"items": items, "chart": charts.columns(bars, page.label("revenue_by_month"))}


def pipeline(page: Page) -> dict[str, Any]:
    """Opportunities entering each stage, open count and value: the funnel."""
    items = page.api.get("/reports/pipeline", query={"group_by": ["stage"]}, limit=1000)["items"]
    stages = [
        charts.Bar(
            page.label(i["stage"]),
            float(i["entered"]),
            f"{i['entered']} · {i18n.short_money(i['open_value'], page.cells.currency, page.lang)}",
        )
        for i in items
    ]
    return {"items": items, "chart": charts.funnel(stages, page.label("pipeline"))}


def credit_alerts(page: Page) -> dict[str, Any]:
    """The credit alerts of today."""
    answer = page.api.get("/reports/credit/alerts", limit=20)
    return {"items": answer["items"], "more": answer["next_cursor"] is not None}


def notifications(page: Page) -> dict[str, Any]:
    """The caller's newest notifications (their inbox, `GET /notifications`)."""
    answer = page.api.get("/notifications", limit=10)
    return {"items": answer["items"], "more": answer["next_cursor"] is not None}


def budget_burn(page: Page, year: int) -> dict[str, Any]:
    """The year's budget, line by line: committed and spent against what it may use."""
    query = {"fiscal_year": [str(year)]}
    budgets = page.api.get("/budgets", query=query, limit=50)["items"]
    chosen = next((b for b in budgets if b["status"] in ("approved", "closed")), None)
    if chosen is None:
        return {"budget": None}
    report = page.api.get("/reports/budgets/{budget_id}", ids={"budget_id": chosen["id"]})
    bars = [
        charts.Bar(
            f"{line['category']} {line['period']}",
            float(line["utilisation"] or 0),
            i18n.percent(line["utilisation"] or 0, page.lang),
            warn=(line["utilisation"] or 0) > 1,
        )
        for line in report["lines"]
    ]
    chart = charts.rows(bars, page.label("budget_burn"), limit=1.0)
    return {"budget": chosen, "report": report, "chart": chart}


def sla(page: Page) -> dict[str, Any]:
    """Complaints answered and resolved on time, month by month."""
    items = page.api.get("/reports/complaints", query={"group_by": ["period"]}, limit=1000)
    bars = [
        charts.Bar(
            i["period"],
            float(i["resolved_on_time"] or 0),
            i18n.percent(i["resolved_on_time"] or 0, page.lang),
            warn=(i["resolved_on_time"] or 0) < 0.8,
        )
        for i in items["items"][-12:]
        if i["resolved_on_time"] is not None
    ]
    return {"items": items["items"], "chart": charts.rows(bars, page.label("sla"), limit=1.0)}


def risks(page: Page) -> dict[str, Any]:
    """The heat map of open risks and the warnings of the early indicators."""
    report = page.api.get("/reports/risks")
    axis = (page.label("likelihood"), page.label("impact"))
    chart = charts.heat_map(report["heat_map"], page.label("heat_map"), axis)
    warnings = [i for i in report["indicators"] if i["warning"]]
    return {"chart": chart, "warnings": warnings, "overdue": report["overdue_actions"]}


# The panels read different read models: drawn side by side, a dashboard waits for its
# slowest panel (the company KPIs), not for the sum of them (on PostgreSQL 128 ms, one after
# another, over a year of the demo).
_PANEL_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard")


def panels(page: Page, period: str | None) -> dict[str, Any]:
    """Every panel of the dashboard, for a period (default: the current year)."""
    today = page.services.backoffice.clock().astimezone(UTC).date()
    period = period or str(today.year)
    year = int(period[:4]) if period[:4].isdigit() else today.year
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        "kpis": lambda: kpis(page, period),
        "revenue": lambda: revenue_by_month(page, today),
        "pipeline": lambda: pipeline(page),
        "alerts": lambda: credit_alerts(page),
        "budget": lambda: budget_burn(page, year),
        "sla": lambda: sla(page),
        "risks": lambda: risks(page),
        "notifications": lambda: notifications(page),
    }
    drawn = {name: _PANEL_THREADS.submit(_panel, build) for name, build in builders.items()}
    return {"period": period, **{name: panel.result() for name, panel in drawn.items()}}


def card_value(page: Page, key: str, value: Any) -> Markup:
    """A KPI card's figure: market share and awareness are percentages already."""
    if key in ("market_share", "brand_awareness") and value is not None:
        return Markup("{}%").format(i18n.number(value, page.lang))
    return page.cells.cell(key, value)
