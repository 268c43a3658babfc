"""The early-warning indicators of the risk register (DOMAIN.md, Risk; read model 9).

Computed at query time from the read models that own the figures, each through a
read-only query of its own (`WARNING_READ_MODELS` names them, so that a report can wait
for them); no projection reads another's tables. For an `as_of` time (its UTC day
where a figure is by day), in this order:

- `overdue_share` (credit) = overdue / outstanding receivables over every customer of
  the credit report at that day (`CreditReport.receivables`): outstanding = invoiced -
  paid - written off, overdue = the open part of invoices whose due date lies before
  the day (the sum of the report's aging buckets). Warns above the threshold.
- `sla_breach_rate` (operational) = breached / received over the complaints received
  in the 30 days to `as_of` (after `as_of` - 30 days, up to `as_of`), breached as the
  complaints report counts it at `as_of`: a deadline met late, or not met and passed
  (`ComplaintReport.breaches`). Warns above the threshold.
- `budget_lines_over_90` (operational): the number of lines of the budgets approved at
  `as_of` (approval recorded by then, not closed by then: a closed budget takes no
  more spending, so its lines warn of nothing) whose utilisation (committed + spent) /
  (planned + adjustments + overruns_approved), as `/reports/budgets/{id}?as_of=` sums
  it, is above 0.9 (`BudgetExecution.lines_over`). Warns at or above the threshold.
- `revenue_attainment` (market) = revenue signed from 1 January of `as_of`'s year to
  its day, by `signed_on` as the sales report books it (`SalesReport.revenue_signed`),
  / (the year's revenue target x the share of the year elapsed at `as_of`). The period
  is the fiscal year: the budget's targets are the rulebook's annual targets (one
  budget a year, its quarters' targets a decomposition of the year's), and a
  straight line over the year asks no more of a slow quarter than the year allows.
  The target is the sum of the quarters' revenue targets of that year's budget, once
  its approval was recorded by `as_of` (closed or not: `BudgetExecution.
  revenue_target`). Warns below the threshold.

`value` is a ratio rounded half up to 4 places (a JSON number), or a count; it is
`null`, and `warning` false, when the divisor is 0 (nothing outstanding, no complaint
received, no target or none of the year elapsed). A warning compares the exact figure
with the threshold, not the rounded one (as the credit alerts do). `threshold` is
echoed as a number; a threshold missing from the settings takes its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from projections.money import cents, number, ratio, utc_day

WARNING_READ_MODELS: tuple[str, ...] = ("credit", "complaints", "budget_execution", "sales")

DEFAULT_THRESHOLDS = {
    "overdue_share": Decimal("0.2"),
    "sla_breach_rate": Decimal("0.1"),
    "budget_lines_over_90": Decimal("1"),
    "revenue_attainment": Decimal("0.8"),
}
SLA_WINDOW = timedelta(days=30)
BUDGET_LINE_SHARE = Decimal("0.9")


def year_elapsed(as_of: datetime) -> Decimal:
    """The share of as_of's (UTC) year passed at as_of: 0 at its first instant."""
    at = as_of.astimezone(UTC)
    start = datetime(at.year, 1, 1, tzinfo=UTC)
    end = datetime(at.year + 1, 1, 1, tzinfo=UTC)
    micro = timedelta(microseconds=1)
    return Decimal((at - start) // micro) / Decimal((end - start) // micro)


def _indicator(
    name: str,
    category: str,
    figure: tuple[Decimal | int, Decimal | int | None],
    thresholds: Mapping[str, Decimal],
) -> dict[str, Any]:
    """An indicator of a ratio numerator / denominator (None or 0: no value)."""
    numerator, denominator = figure
    threshold = Decimal(thresholds.get(name, DEFAULT_THRESHOLDS[name]))
    value = ratio(numerator, denominator)
    warning = False
    if value is not None and denominator:
        exact = Decimal(numerator) / Decimal(denominator)
        warning = exact < threshold if name == "revenue_attainment" else exact > threshold
    return {
        "name": name,
        "category": category,
        "value": number(value),
        "threshold": number(threshold),
        "warning": warning,
    }


def early_warnings(
    read_side: Any, as_of: datetime, thresholds: Mapping[str, Decimal]
) -> list[dict[str, Any]]:
    """The four early-warning indicators at as_of, with their thresholds and warnings."""
    day = utc_day(as_of)
    outstanding, overdue = read_side.view("credit").receivables(day)
    received, breached = read_side.view("complaints").breaches(as_of - SLA_WINDOW, as_of)
    budgets = read_side.view("budget_execution")
    lines_over = budgets.lines_over(BUDGET_LINE_SHARE, as_of)
    target = budgets.revenue_target(day.year, as_of)
    revenue = read_side.view("sales").revenue_signed(date(day.year, 1, 1), day)
    expected = None if target is None else cents(target) * year_elapsed(as_of)
    lines_threshold = Decimal(
        thresholds.get("budget_lines_over_90", DEFAULT_THRESHOLDS["budget_lines_over_90"])
    )
    return [
        _indicator("overdue_share", "credit", (overdue, outstanding), thresholds),
        _indicator("sla_breach_rate", "operational", (breached, received), thresholds),
        {
            "name": "budget_lines_over_90",
            "category": "operational",
            "value": lines_over,
            "threshold": number(lines_threshold),
            "warning": lines_over >= lines_threshold,
        },
        _indicator("revenue_attainment", "market", (revenue, expected), thresholds),
    ]
