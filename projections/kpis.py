"""KPIs (績效考核): the company by month, quarter and year, and each employee per period.

DOMAIN.md, Read models, 6. The projection folds every event it needs itself (Customer,
Contract, Budget, Campaign, Complaint, Employee) into dated facts, money in integer
cents; the queries sum the facts of a period in SQL. A period is `YYYY`, `YYYY-Qn` or
`YYYY-MM`, by business time (UTC days), and covers every day in it: a year covers its
quarters and months.

Company figures and the decisions behind them:

- `revenue` and `contracts_signed`: the totals and the count of contracts signed in the
  period, by `signed_on`, as the sales read model books them (their sums agree).
- `new_customers`: customers converted in the period (`Customer.Converted`), dated by
  the `signed_on` of the contract that converted them (the event itself is recorded
  when the signing is, which may be days after the contract's business date). A
  customer converted twice in a period (lost, then won back) counts once.
- Targets come from the budget of the period's fiscal year, once it is approved (status
  `approved` or `closed` now): `Budget.targets_for` gives a quarter's targets as set, a
  year's as the sum of its quarters, a month's as a third of its quarter's (revenue to
  the cent, new customers as a decimal). Before approval, or for a figure no quarter
  sets, the target and the attainment are `null`.
- `collection_rate` = collected / invoiced, over the invoices falling due in the period
  (due on `issued_on + payment_term_days`, as the invoice records it). "Collected" is
  what payments received on or before the last day of the period settled of those
  invoices (a payment settles invoices oldest first; its allocations are in the
  event). Write-offs are not collections. `null` when nothing falls due. Interest
  debit notes fall due like invoices (on their `through` day); a penalty's credit
  applied to an item counts as collected on the day it is applied (a credit note
  lowers what is owed "exactly like a payment"), and a waiver takes it back.
- `sla_compliance`: over the complaints received in the period (by the received
  `occurred_at`), the share that met both deadlines among those whose outcome is known
  at `as_of` (default now): met = responded by `respond_by` and resolved by
  `resolve_by`; breached = responded or resolved late, or not yet at `as_of` with the
  deadline passed. A reopened complaint counts as unresolved until resolved again (its
  latest resolution counts). `null` when no outcome is known.
- `satisfaction_avg`: the mean of every satisfaction score given in the period, the
  customers' recorded scores (`Customer.SatisfactionRecorded`, by `occurred_at`) and
  the scores given when a complaint was closed (`Complaint.Closed`), each score once;
  rounded to 2 places; `null` when none.
- `campaign_roi` = (attributed revenue - spend) / spend over the campaign results
  recorded in the period (by their `occurred_at`), all campaigns together.
- `budget_utilisation` = (committed + spent) / authorised (planned + adjustments +
  approved overruns) over the lines of the period's quarters (a year: all sixteen
  lines; a month: its quarter's lines), counting movements dated up to the end of the
  period: what `/reports/budgets/{id}?as_of=<last day>` shows for those lines. Same
  budget as the targets; `null` without one, or when nothing is authorised.
- `market_share`, `brand_awareness`, `customer_count` and their targets come from the
  MarketingPlan of the period's fiscal year, once a revision of it is approved: the
  targets are those of the approved revision in force (the latest approval folded; a
  newer revision in draft or pending approval does not count yet). A quarter has its
  own targets; a month its quarter's (shares and counts are levels, not flows: they are
  not divided); a year Q4's, the level set for the year's end. Before any approval all
  six figures are `null`, and a target the quarter does not set is `null`.
- `market_share` and `brand_awareness` measured: of a quarter, its latest measurement
  (latest by `occurred_at`, then by log position); of a month, the latest measurement of
  its quarter dated on or before the month's last day; of a year, the latest measurement
  of the latest quarter measured. Percentages as given (12.5 is 12.5 %), JSON numbers;
  `null` when none.
- `customer_count`: the customers whose status at the end of the period's last day
  (business time) is `customer`. A customer's status on a day is the one set by its
  latest recorded status event dated on or before that day: `Converted` dated by the
  signing contract's `signed_on` (as `new_customers` dates it), `Qualified`,
  `MarkedLost` and `Reopened` by their `occurred_at`. Ordering by recording rather than
  by business date keeps the count on any day after the last event equal to the
  customers' status now, also when a back-dated signing converted a lead after it had
  been marked lost. An integer (0 possible) once the year has an approved plan.

Employee figures (DOMAIN.md, Employee metrics): `revenue`, `contracts_signed` from the
contracts signed whose owner (the contract's `owner_id` at signing) is the employee;
`new_customers` from the customers converted whose owner (the customer's `owner_id`
when converted) is the employee; `collections` the payments received (by
`received_on`) on contracts they own; `complaints_resolved` the complaints resolved
(by the resolution's `occurred_at`) with them as assignee, each complaint once per
period; `training_hours` the hours of trainings completed (`completed_on`). The metrics
listed are those targeted for exactly that period (the latest `TargetsSet` of it);
attainment = actual / target; weighted attainment = sum of weight x attainment, from
exact attainments, uncapped, rounded to 4 places. `appraisal_rating` is the rating of
the appraisal finalised for exactly that period (the latest finalised), else `null`.

Ratios are rounded half up to 4 places.
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.budget import QUARTERS, Budget
from domain.campaign import Campaign
from domain.complaint import Complaint
from domain.contract import Contract
from domain.customer import Customer
from domain.employee import Employee
from domain.errors import ValidationFailed
from domain.marketing_plan import PERCENT_FIGURES, MarketingPlan, targets_for
from projections.budget_execution import ledger_rows
from projections.events import iso_utc, plain
from projections.money import CENT, RATIO, cents, day_text, money_text, number, ratio, utc_day
from projections.rows import RecentRows, inserts, update, upsert
from projections.store import ReadModel, Statement

Row = dict[str, Any]

FACTS = ("fact_id", "position", "kind", "day", "employee_id", "subject", "ref", "amount", "extra")
COMPLAINTS = (
    "complaint_id",
    "received_day",
    "received_at",
    "respond_by",
    "resolve_by",
    "responded_at",
    "resolved_at",
)
LEDGER = ("entry", "budget_id", "period", "kind", "amount", "occurred_at")
CONTRACTS = ("contract_id", "owner_id", "signed_on")
CUSTOMERS = ("customer_id", "owner_id")
BUDGETS = ("budget_id", "fiscal_year", "status", "targets")
PLAN = ("line", "budget_id", "period", "planned")
REFS = ("ref", "category", "period", "amount", "occurred_at")
TARGETS = ("target_key", "employee_id", "period", "items")
APPRAISALS = ("appraisal_key", "employee_id", "period", "rating")
PLANS = ("plan_id", "fiscal_year", "approved_revision", "targets")
MONEY_METRICS = ("revenue", "collections")
APPROVED_BUDGET = ("approved", "closed")
MEASUREMENTS = (
    "measurement_key",
    "plan_id",
    "metric",
    "period",
    "value",
    "occurred_at",
    "position",
)
# The kinds of fact that set a customer's status (with the day it took effect).
CUSTOMER_STATUS_FACTS = ("converted", "qualified", "lost", "reopened")
CUSTOMER_STATUS_BY_EVENT = {
    Customer.Qualified: "qualified",
    Customer.MarkedLost: "lost",
    Customer.Reopened: "reopened",
}
BUDGET_STATUS_BY_EVENT = {
    Budget.Submitted: "pending_approval",
    Budget.Approved: "approved",
    Budget.Rejected: "draft",
    Budget.Closed: "closed",
}
_PERIOD = re.compile(r"(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?")


def period_days(period: str | None) -> tuple[date, date]:
    """The first and last day of a period `YYYY`, `YYYY-Qn` or `YYYY-MM`."""
    match = _PERIOD.fullmatch(period or "")
    if match is None or int(match.group(1)) < 1:
        raise ValidationFailed.of("period", "must be a period YYYY, YYYY-Qn or YYYY-MM")
    year = int(match.group(1))
    if match.group(2):
        first_month = 3 * int(match.group(2)) - 2
        last_month = first_month + 2
    elif match.group(3):
        first_month = last_month = int(match.group(3))
    else:
        first_month, last_month = 1, 12
    return date(year, first_month, 1), date(year, last_month, monthrange(year, last_month)[1])


def period_quarters(period: str) -> tuple[str, ...]:
    """The budget quarters (`Q1`..`Q4`) a period lies in."""
    first, last = period_days(period)
    return QUARTERS[(first.month - 1) // 3 : (last.month - 1) // 3 + 1]


def _fact(
    position: int,
    n: int,
    kind: str,
    day: date | str,
    *,
    employee_id: str | None = None,
    subject: str | None = None,
    ref: str | None = None,
    amount: int = 0,
    extra: int = 0,
) -> Row:
    return {
        "fact_id": f"{position:012d}:{n:04d}",
        "position": position,
        "kind": kind,
        "day": day if isinstance(day, str) else day.isoformat(),
        "employee_id": employee_id,
        "subject": subject,
        "ref": ref,
        "amount": amount,
        "extra": extra,
    }


class _Targets:
    """The sales targets of a budget as stored here, answered as the budget answers them."""

    def __init__(self, fiscal_year: int, targets: dict[str, dict[str, Any]]) -> None:
        self.fiscal_year = fiscal_year
        self.targets = targets

    def targets_for(self, period: str) -> Any:
        """A period's sales targets (see `Budget.targets_for`)."""
        # The budget's method reads only `fiscal_year`, `targets` and itself (a month
        # asks for its quarter's): this copy has all three.
        return Budget.targets_for(cast(Budget, self), period)


def _stored_targets(targets: Iterable[Mapping[str, Any]]) -> str:
    by_quarter = {t["period"]: {k: v for k, v in t.items() if k != "period"} for t in targets}
    return json.dumps(plain(by_quarter), sort_keys=True)


def _loaded_targets(text: str) -> dict[str, dict[str, Any]]:
    loaded = json.loads(text)
    for figures in loaded.values():
        if figures.get("revenue") is not None:
            figures["revenue"] = Decimal(figures["revenue"])
    return loaded


class KpiReport(ReadModel):
    """Dated facts for the company and employee KPIs, summed per period at query time."""

    name = "kpis"
    table_names = (
        "kpi_facts",
        "kpi_contracts",
        "kpi_customers",
        "kpi_complaints",
        "kpi_budgets",
        "kpi_budget_plan",
        "kpi_budget_ledger",
        "kpi_budget_refs",
        "kpi_targets",
        "kpi_appraisals",
        "kpi_plans",
        "kpi_plan_measurements",
    )
    schema = (
        "CREATE TABLE IF NOT EXISTS {p}kpi_facts ("
        "fact_id TEXT PRIMARY KEY, position BIGINT NOT NULL, kind TEXT NOT NULL, "
        "day TEXT NOT NULL, employee_id TEXT, subject TEXT, ref TEXT, "
        "amount BIGINT NOT NULL, extra BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_facts_kind_day ON {p}kpi_facts (kind, day)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_facts_day ON {p}kpi_facts (day)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_facts_employee ON {p}kpi_facts (employee_id, day)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_facts_subject ON {p}kpi_facts (subject)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_facts_ref ON {p}kpi_facts (ref)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_contracts ("
        "contract_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, signed_on TEXT)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_customers ("
        "customer_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_complaints ("
        "complaint_id TEXT PRIMARY KEY, received_day TEXT NOT NULL, received_at TEXT NOT NULL, "
        "respond_by TEXT NOT NULL, resolve_by TEXT NOT NULL, responded_at TEXT, "
        "resolved_at TEXT)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_complaints_day ON {p}kpi_complaints (received_day)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_budgets ("
        "budget_id TEXT PRIMARY KEY, fiscal_year INTEGER NOT NULL, status TEXT NOT NULL, "
        "targets TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_budget_plan ("
        "line TEXT PRIMARY KEY, budget_id TEXT NOT NULL, period TEXT NOT NULL, "
        "planned BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_budget_ledger ("
        "entry TEXT PRIMARY KEY, budget_id TEXT NOT NULL, period TEXT NOT NULL, "
        "kind TEXT NOT NULL, amount BIGINT NOT NULL, occurred_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_budget_ledger_budget "
        "ON {p}kpi_budget_ledger (budget_id)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_budget_refs ("
        "ref TEXT PRIMARY KEY, category TEXT NOT NULL, period TEXT NOT NULL, "
        "amount TEXT NOT NULL, occurred_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_targets ("
        "target_key TEXT PRIMARY KEY, employee_id TEXT NOT NULL, period TEXT NOT NULL, "
        "items TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_appraisals ("
        "appraisal_key TEXT PRIMARY KEY, employee_id TEXT NOT NULL, period TEXT NOT NULL, "
        "rating TEXT NOT NULL)",
        # A plan's approved revision in force: its targets by quarter (null until approved).
        "CREATE TABLE IF NOT EXISTS {p}kpi_plans ("
        "plan_id TEXT PRIMARY KEY, fiscal_year INTEGER NOT NULL, approved_revision INTEGER, "
        "targets TEXT)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_plans_year ON {p}kpi_plans (fiscal_year)",
        "CREATE TABLE IF NOT EXISTS {p}kpi_plan_measurements ("
        "measurement_key TEXT PRIMARY KEY, plan_id TEXT NOT NULL, metric TEXT NOT NULL, "
        "period TEXT NOT NULL, value TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        "position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {n}kpi_plan_measurements_metric "
        "ON {p}kpi_plan_measurements (plan_id, metric, period, occurred_at)",
    )

    # Lookups of the fold.

    def one(self, table: str, key_column: str, key: str) -> Row | None:
        rows = self.query(f"SELECT * FROM {self.table(table)} WHERE {key_column} = ?", [key])
        return rows[0] if rows else None

    def insert_facts(self, facts: Sequence[Row]) -> list[Statement]:
        statement = (
            f"INSERT INTO {self.table('kpi_facts')} ({', '.join(FACTS)}) "
            f"VALUES ({', '.join('?' for _ in FACTS)})"
        )
        return [(statement, [f[c] for c in FACTS]) for f in facts]

    # Company KPIs.

    def _sums(self, first: date, last: date, employee_id: str | None = None) -> dict[str, Row]:
        """Per kind of fact in the days given: rows, distinct subjects, amounts."""
        where, params = "day >= ? AND day <= ?", [first.isoformat(), last.isoformat()]
        if employee_id is not None:
            where += " AND employee_id = ?"
            params.append(employee_id)
        rows = self.query(
            "SELECT kind, COUNT(*) AS n, COUNT(DISTINCT subject) AS subjects, "
            f"SUM(amount) AS amount, SUM(extra) AS extra FROM {self.table('kpi_facts')} "
            f"WHERE {where} GROUP BY kind",
            params,
        )
        return {
            r["kind"]: {k: int(r[k] or 0) for k in ("n", "subjects", "amount", "extra")}
            for r in rows
        }

    def _collection(self, first: date, last: date) -> tuple[int, int]:
        """(invoiced, collected by the last day) of the invoices due in the days given."""
        facts = self.table("kpi_facts")
        days = [first.isoformat(), last.isoformat()]
        invoiced = self.query(
            f"SELECT SUM(amount) AS total FROM {facts} "
            "WHERE kind = 'invoice' AND day >= ? AND day <= ?",
            days,
        )[0]["total"]
        # The allocations to those invoices (an invoice id names one invoice), as a
        # semi-join: joined, SQLite read every allocation up to the last day once per
        # invoice due, through the (kind, day) index (1.1 s for a month, 12.5 s for a
        # year at 4 400 invoices; bench/service_reports.py, docs/PERFORMANCE.md).
        collected = self.query(
            f"SELECT SUM(a.amount) AS total FROM {facts} a "
            "WHERE a.kind = 'allocation' AND a.day <= ? AND a.subject IN "
            f"(SELECT i.subject FROM {facts} i "
            "WHERE i.kind = 'invoice' AND i.day >= ? AND i.day <= ?)",
            [last.isoformat(), *days],
        )[0]["total"]
        return int(invoiced or 0), int(collected or 0)

    def _sla(self, first: date, last: date, as_of: datetime) -> tuple[int, int]:
        """(met, breached) among the complaints received in the days given, at as_of."""
        at = iso_utc(as_of)

        def outcome(done: str, deadline: str) -> tuple[str, str]:
            answered = f"({done} IS NOT NULL AND {done} <= ?)"
            on_time = f"({answered} AND {done} <= {deadline})"
            late = f"(({answered} AND {done} > {deadline}) OR (NOT {answered} AND {deadline} < ?))"
            return on_time, late

        r_on, r_late = outcome("responded_at", "respond_by")
        s_on, s_late = outcome("resolved_at", "resolve_by")
        # Each `answered` clause and each open deadline take as_of once, in text order.
        met = f"CASE WHEN {r_on} AND {s_on} THEN 1 ELSE 0 END"
        breached = f"CASE WHEN {r_late} OR {s_late} THEN 1 ELSE 0 END"
        row = self.query(
            f"SELECT SUM({met}) AS met, SUM({breached}) AS breached "
            f"FROM {self.table('kpi_complaints')} "
            "WHERE received_day >= ? AND received_day <= ? AND received_at <= ?",
            [at, at, at, at, at, at, at, at, first.isoformat(), last.isoformat(), at],
        )[0]
        return int(row["met"] or 0), int(row["breached"] or 0)

    def _budget(self, fiscal_year: int) -> Row | None:
        rows = self.query(
            f"SELECT * FROM {self.table('kpi_budgets')} WHERE fiscal_year = ? AND status IN (?, ?)",
            [fiscal_year, *APPROVED_BUDGET],
        )
        return rows[0] if rows else None

    def _utilisation(self, budget_id: str, quarters: Sequence[str], last: date) -> Decimal | None:
        marks = ", ".join("?" for _ in quarters)
        planned = self.query(
            f"SELECT SUM(planned) AS total FROM {self.table('kpi_budget_plan')} "
            f"WHERE budget_id = ? AND period IN ({marks})",
            [budget_id, *quarters],
        )[0]["total"]
        end = iso_utc(datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC))
        moved = {
            r["kind"]: int(r["total"] or 0)
            for r in self.query(
                f"SELECT kind, SUM(amount) AS total FROM {self.table('kpi_budget_ledger')} "
                f"WHERE budget_id = ? AND period IN ({marks}) AND occurred_at < ? GROUP BY kind",
                [budget_id, *quarters, end],
            )
        }
        authorised = (
            int(planned or 0) + moved.get("adjustments", 0) + moved.get("overruns_approved", 0)
        )
        return ratio(moved.get("committed", 0) + moved.get("spent", 0), authorised)

    def company(self, period: str, as_of: datetime) -> Row:
        """The company's KPIs of a period (`YYYY`, `YYYY-Qn`, `YYYY-MM`) as API.md rows them."""
        first, last = period_days(period)
        sums = self._sums(first, last)

        def figure(kind: str, measure: str) -> int:
            return sums.get(kind, {}).get(measure, 0)

        revenue = figure("signed", "amount")
        new_customers = figure("converted", "subjects")
        revenue_target = customers_target = utilisation = None
        budget = self._budget(first.year)
        if budget is not None:
            targets = _Targets(first.year, _loaded_targets(budget["targets"])).targets_for(period)
            revenue_target = targets["revenue"]
            if targets["new_customers"] is not None:
                customers_target = Decimal(targets["new_customers"])
            utilisation = self._utilisation(budget["budget_id"], period_quarters(period), last)
        invoiced, collected = self._collection(first, last)
        met, breached = self._sla(first, last, as_of)
        spend = figure("campaign", "amount")
        satisfaction = ratio(figure("satisfaction", "amount"), figure("satisfaction", "n"))
        return {
            "period": period,
            "revenue": money_text(revenue),
            "revenue_target": None if revenue_target is None else str(revenue_target),
            "revenue_attainment": number(
                None if revenue_target is None else ratio(revenue, cents(revenue_target))
            ),
            "new_customers": new_customers,
            "new_customers_target": number(
                None if customers_target is None else customers_target.quantize(RATIO)
            ),
            "contracts_signed": figure("signed", "n"),
            "collection_rate": number(ratio(collected, invoiced)),
            "sla_compliance": number(ratio(met, met + breached)),
            "satisfaction_avg": number(
                None if satisfaction is None else satisfaction.quantize(CENT, ROUND_HALF_UP)
            ),
            "campaign_roi": number(ratio(figure("campaign", "extra") - spend, spend)),
            "budget_utilisation": number(utilisation),
            **self._plan_figures(period, first.year, last),
        }

    # The marketing plan's figures.

    def _plan_figures(self, period: str, fiscal_year: int, last: date) -> Row:
        """Market share, brand awareness and customer count of a period, against the plan."""
        rows = self.query(
            f"SELECT * FROM {self.table('kpi_plans')} "
            "WHERE fiscal_year = ? AND targets IS NOT NULL",
            [fiscal_year],
        )
        if not rows:
            return {
                name: None
                for figure in (*PERCENT_FIGURES, "customer_count")
                for name in (figure, f"{figure}_target")
            }
        plan = rows[0]
        targets = targets_for(json.loads(plan["targets"]), period)
        figures: Row = {}
        for metric in PERCENT_FIGURES:
            measured = self._measured(plan["plan_id"], metric, period, last)
            target = targets[metric]
            figures[metric] = number(None if measured is None else Decimal(measured))
            figures[f"{metric}_target"] = number(None if target is None else Decimal(target))
        figures["customer_count"] = self._customer_count(last)
        figures["customer_count_target"] = targets["customer_count"]
        return figures

    def _measured(self, plan_id: str, metric: str, period: str, last: date) -> str | None:
        """The measurement a period shows: see the module's docstring."""
        where, params = "plan_id = ? AND metric = ?", [plan_id, metric]
        order = "occurred_at DESC, position DESC"
        part = period.partition("-")[2]
        if not part:
            order = f"period DESC, {order}"
        else:
            where += " AND period = ?"
            params.append(period_quarters(period)[0])
        if part and not part.startswith("Q"):
            # A month sees what its quarter had measured by the month's end.
            where += " AND occurred_at < ?"
            params.append(iso_utc(datetime.combine(last + timedelta(days=1), time.min, UTC)))
        rows = self.query(
            f"SELECT value FROM {self.table('kpi_plan_measurements')} "
            f"WHERE {where} ORDER BY {order} LIMIT 1",
            params,
        )
        return rows[0]["value"] if rows else None

    def _customer_count(self, last: date) -> int:
        """The customers whose status at the end of a day was `customer`."""
        facts = self.table("kpi_facts")
        kinds = ", ".join(f"'{kind}'" for kind in CUSTOMER_STATUS_FACTS)
        day = last.isoformat()
        row = self.query(
            f"SELECT COUNT(DISTINCT c.subject) AS n FROM {facts} c "
            "WHERE c.kind = 'converted' AND c.day <= ? AND NOT EXISTS "
            f"(SELECT 1 FROM {facts} s WHERE s.subject = c.subject AND s.kind IN ({kinds}) "
            "AND s.day <= ? AND s.position > c.position)",
            [day, day],
        )[0]
        return int(row["n"] or 0)

    # Employee KPIs.

    def _targets_of(self, employee_id: str, period: str) -> list[Row] | None:
        row = self.one("kpi_targets", "target_key", f"{employee_id}|{period}")
        return None if row is None else json.loads(row["items"])

    def actuals(
        self, employee_id: str, period: str, as_of: date | None = None
    ) -> dict[str, Decimal]:
        """Every metric of DOMAIN.md measured for an employee over a period.

        With `as_of`, only the facts whose business day is on or before it count.
        """
        first, last = period_days(period)
        sums = self._sums(first, last if as_of is None else min(last, as_of), employee_id)

        def figure(kind: str, measure: str) -> int:
            return sums.get(kind, {}).get(measure, 0)

        return {
            "revenue": Decimal(money_text(figure("signed", "amount"))),
            "new_customers": Decimal(figure("converted", "subjects")),
            "contracts_signed": Decimal(figure("signed", "n")),
            "collections": Decimal(money_text(figure("payment", "amount"))),
            "complaints_resolved": Decimal(figure("resolved", "subjects")),
            "training_hours": Decimal(figure("training", "amount")) / 100,
        }

    def attainment(
        self, employee_id: str, period: str, as_of: date | None = None
    ) -> dict[str, Any] | None:
        """The KPI attainment of an employee for a period, as decimals; None without targets.

        The shape `Backoffice.kpi_attainment` answers (notes: events.md).
        """
        period_days(period)
        items = self._targets_of(employee_id, period)
        if items is None:
            return None
        actuals = self.actuals(employee_id, period, as_of)
        metrics, weighted = [], Decimal(0)
        for item in items:
            target, weight = Decimal(item["target"]), Decimal(item["weight"])
            actual = actuals[item["metric"]]
            exact = actual / target
            weighted += weight * exact
            metrics.append(
                {
                    "metric": item["metric"],
                    "actual": actual,
                    "target": target,
                    "weight": weight,
                    "attainment": exact.quantize(RATIO, rounding=ROUND_HALF_UP),
                }
            )
        return {
            "weighted_attainment": weighted.quantize(RATIO, rounding=ROUND_HALF_UP),
            "metrics": metrics,
        }

    def employee(self, employee_id: str, period: str, as_of: date | None = None) -> Row:
        """An employee's KPIs of a period as API.md rows them, facts dated up to `as_of`."""
        reading = self.attainment(employee_id, period, as_of)
        rating = self.one("kpi_appraisals", "appraisal_key", f"{employee_id}|{period}")
        return {
            "employee_id": employee_id,
            "period": period,
            "metrics": [
                {
                    "metric": m["metric"],
                    "actual": _metric_value(m["metric"], m["actual"]),
                    "target": _metric_value(m["metric"], m["target"]),
                    "weight": number(m["weight"]),
                    "attainment": number(m["attainment"]),
                }
                for m in (reading or {}).get("metrics", [])
            ],
            "weighted_attainment": number(
                None if reading is None else reading["weighted_attainment"]
            ),
            "training_hours": number(self.actuals(employee_id, period, as_of)["training_hours"]),
            "appraisal_rating": rating and rating["rating"],
        }


def _metric_value(metric: str, value: Decimal) -> Any:
    """Money metrics as decimal strings, the others as numbers."""
    if metric in MONEY_METRICS:
        return str(value.quantize(CENT))
    return number(value)


def received_times(event: Complaint.Received) -> list[str | None]:
    """A complaint's receipt (day and time) and deadlines; not yet responded nor resolved."""
    return [
        day_text(event.occurred_at),
        iso_utc(event.occurred_at),
        iso_utc(event.respond_by),
        iso_utc(event.resolve_by),
        None,
        None,
    ]


def resolved_fact(event: Complaint.Resolved, position: int) -> Row:
    """A complaint resolved, booked to its assignee on the resolution's day."""
    return _fact(
        position,
        0,
        "resolved",
        day_text(event.occurred_at),
        employee_id=event.assignee_id,
        subject=str(event.originator_id),
    )


def campaign_fact(event: Campaign.ResultRecorded, position: int) -> Row:
    """A campaign result: its spend and the revenue attributed to it."""
    return _fact(
        position,
        0,
        "campaign",
        day_text(event.occurred_at),
        subject=str(event.originator_id),
        amount=cents(event.spend),
        extra=cents(event.attributed_revenue),
    )


def payment_facts(event: Contract.PaymentRecorded, position: int, owner_id: str) -> list[Row]:
    """A payment received on a contract, and its allocation to each invoice it settles."""
    contract_id = str(event.originator_id)
    payment = _fact(
        position,
        0,
        "payment",
        event.received_on,
        employee_id=owner_id,
        subject=contract_id,
        amount=cents(event.amount),
    )
    allocations = [
        _fact(
            position,
            n,
            "allocation",
            event.received_on,
            subject=str(allocation["invoice_id"]),
            ref=contract_id,
            amount=cents(allocation["amount"]),
        )
        for n, allocation in enumerate(event.allocations, start=1)
    ]
    return [payment, *allocations]


def collection_facts(
    event: Contract.InterestCharged | Contract.CreditApplied | Contract.PenaltyWaived,
    position: int,
) -> list[Row]:
    """What penalties and interest add to the collection rate.

    A debit note is billed like an invoice, falling due on its `through` day; a
    penalty's credit applied to an item collects it like a payment (DOMAIN.md: "exactly
    like a payment"), on the day it is applied; a waiver takes that back on its day.
    """
    contract_id = str(event.originator_id)
    allocations: list[Any]
    match event:
        case Contract.InterestCharged():
            note = _fact(
                position,
                0,
                "invoice",
                event.through,
                subject=str(event.debit_note_id),
                ref=contract_id,
                amount=cents(event.amount),
            )
            return [note]
        case Contract.CreditApplied():
            day, sign, allocations = event.on, 1, list(event.allocations)
        case Contract.PenaltyWaived():
            day, sign, allocations = utc_day(event.occurred_at), -1, list(event.reversals)
    return [
        _fact(
            position,
            n,
            "allocation",
            day,
            subject=str(allocation["invoice_id"]),
            ref=contract_id,
            amount=sign * cents(allocation["amount"]),
        )
        for n, allocation in enumerate(allocations, start=1)
    ]


def budget_ref(event: Budget.Committed | Budget.OverrunRequested, kind: str, key: str) -> Row:
    """A commitment or an overrun request, which its release or approval books against."""
    return {
        "ref": f"{event.originator_id}|{kind}|{key}",
        "category": event.category,
        "period": event.period,
        "amount": str(event.amount),
        "occurred_at": iso_utc(event.occurred_at),
    }


class KpiProjection(Projection[KpiReport]):
    """Folds the events of every KPI into dated facts; tracks every other event too."""

    name = "kpis"
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events = (
        Contract.Event,
        Customer.Event,
        Budget.Event,
        Campaign.ResultRecorded,
        Complaint.Event,
        Employee.Event,
        MarketingPlan.Event,
    )

    def __init__(self, view: KpiReport) -> None:
        super().__init__(view)
        # The owners (and signing days) facts are booked to, as this fold wrote them: a
        # money event or a conversion then needs no read, which inside a batch would
        # send the batch's writes and wait for the database (projections/rebuild.py).
        self._contracts = RecentRows()
        self._customers = RecentRows()
        self._written: list[tuple[RecentRows, str, Row]] = []

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self._written.clear()
        statements = self._statements(domain_event, tracking.notification_id)
        if statements:
            self.view.write(statements, tracking)
        else:
            self.view.insert_tracking(tracking)
        # Kept only once written: a write that fails leaves the memory as the tables are.
        for rows, key, row in self._written:
            rows.remember(key, row)

    def _contract_row(self, contract_id: str) -> Row | None:
        return self._contracts.get(
            contract_id, lambda key: self.view.one("kpi_contracts", "contract_id", key)
        )

    def _customer_row(self, customer_id: str) -> Row | None:
        return self._customers.get(
            customer_id, lambda key: self.view.one("kpi_customers", "customer_id", key)
        )

    def _statements(self, event: Any, position: int) -> list[Statement]:
        match event:
            case Contract.Event():
                return self._contract(event, position)
            case Customer.Event():
                return self._customer(event, position)
            case Budget.Event():
                return [*self._budget(event), *self._budget_ledger(event, position)]
            case Campaign.ResultRecorded():
                return self.view.insert_facts([campaign_fact(event, position)])
            case Complaint.Event():
                return self._complaint(event, position)
            case Employee.Event():
                return self._employee(event, position)
            case MarketingPlan.Event():
                return self._marketing_plan(event, position)
        return []

    def _marketing_plan(self, event: Any, position: int) -> list[Statement]:
        plans, plan_id = self.view.table("kpi_plans"), str(event.originator_id)
        match event:
            case MarketingPlan.Drafted():
                values = [plan_id, event.fiscal_year, None, None]
                return [(upsert(plans, PLANS, "plan_id"), values)]
            case MarketingPlan.Approved():
                approved: Row = {
                    "approved_revision": event.revision,
                    "targets": _stored_targets(event.targets),
                }
                return [update(plans, "plan_id", plan_id, approved)]
            case MarketingPlan.MeasurementRecorded():
                measurement = {
                    "measurement_key": f"{position:012d}",
                    "plan_id": plan_id,
                    "metric": event.metric,
                    "period": event.period,
                    "value": str(event.value),
                    "occurred_at": iso_utc(event.occurred_at),
                    "position": position,
                }
                table = self.view.table("kpi_plan_measurements")
                return inserts(table, MEASUREMENTS, [measurement])
        return []

    def _complaint(self, event: Any, position: int) -> list[Statement]:
        view = self.view
        complaints, complaint_id = view.table("kpi_complaints"), str(event.originator_id)
        match event:
            case Complaint.Received():
                values = [complaint_id, *received_times(event)]
                return [(upsert(complaints, COMPLAINTS, "complaint_id"), values)]
            case Complaint.Responded():
                # The first answer to the customer is the response.
                return [
                    (
                        f"UPDATE {complaints} SET responded_at = ? "
                        "WHERE complaint_id = ? AND responded_at IS NULL",
                        [iso_utc(event.occurred_at), complaint_id],
                    )
                ]
            case Complaint.Reopened():
                reopened = f"UPDATE {complaints} SET resolved_at = NULL WHERE complaint_id = ?"
                return [(reopened, [complaint_id])]
            case Complaint.Resolved():
                resolved = {"resolved_at": iso_utc(event.occurred_at)}
                return [
                    update(complaints, "complaint_id", complaint_id, resolved),
                    *view.insert_facts([resolved_fact(event, position)]),
                ]
            case Complaint.Closed() if event.satisfaction is not None:
                day = day_text(event.occurred_at)
                score = event.satisfaction
                fact = _fact(position, 0, "satisfaction", day, subject=complaint_id, amount=score)
                return view.insert_facts([fact])
        return []

    def _contract(self, event: Any, position: int) -> list[Statement]:
        contracts, contract_id = self.view.table("kpi_contracts"), str(event.originator_id)
        match event:
            case Contract.Drafted():
                values = [contract_id, event.owner_id, None]
                self._written.append(
                    (self._contracts, contract_id, dict(zip(CONTRACTS, values, strict=True)))
                )
                return [(upsert(contracts, CONTRACTS, "contract_id"), values)]
            case Contract.Amended() if "owner_id" in event.changes:
                owner = {"owner_id": event.changes["owner_id"]}
                if (row := self._contract_row(contract_id)) is not None:
                    self._written.append((self._contracts, contract_id, {**row, **owner}))
                return [update(contracts, "contract_id", contract_id, owner)]
            case (
                Contract.Signed()
                | Contract.InvoiceIssued()
                | Contract.PaymentRecorded()
                | Contract.InterestCharged()
                | Contract.CreditApplied()
                | Contract.PenaltyWaived()
            ):
                contract = self._contract_row(contract_id)
                if contract is not None:
                    return self._contract_money(event, position, contract["owner_id"])
        return []

    def _contract_money(self, event: Any, position: int, owner_id: str) -> list[Statement]:
        """The facts of a signing, an invoice or a payment, each booked to the contract's owner."""
        view, contract_id = self.view, str(event.originator_id)
        match event:
            case Contract.Signed():
                return self._signed(event, position, owner_id)
            case Contract.InvoiceIssued():
                invoice = _fact(
                    position,
                    0,
                    "invoice",
                    event.due_on,
                    employee_id=owner_id,
                    subject=str(event.invoice_id),
                    ref=contract_id,
                    amount=cents(event.amount),
                )
                return view.insert_facts([invoice])
            case Contract.PaymentRecorded():
                return view.insert_facts(payment_facts(event, position, owner_id))
            case Contract.InterestCharged() | Contract.CreditApplied() | Contract.PenaltyWaived():
                return view.insert_facts(collection_facts(event, position))
        return []

    def _signed(self, event: Contract.Signed, position: int, owner_id: str) -> list[Statement]:
        view, contract_id = self.view, str(event.originator_id)
        signed_on = event.signed_on.isoformat()
        if (row := self._contract_row(contract_id)) is not None:
            self._written.append((self._contracts, contract_id, {**row, "signed_on": signed_on}))
        signed = _fact(
            position,
            0,
            "signed",
            signed_on,
            employee_id=owner_id,
            subject=contract_id,
            amount=cents(event.total),
        )
        return [
            update(
                view.table("kpi_contracts"), "contract_id", contract_id, {"signed_on": signed_on}
            ),
            # A conversion folded before its contract's signing takes the signing's day.
            (
                f"UPDATE {view.table('kpi_facts')} SET day = ? "
                "WHERE kind = 'converted' AND ref = ?",
                [signed_on, contract_id],
            ),
            *view.insert_facts([signed]),
        ]

    def _customer(self, event: Any, position: int) -> list[Statement]:
        view = self.view
        customers, customer_id = view.table("kpi_customers"), str(event.originator_id)
        day = day_text(event.occurred_at)
        match event:
            case Customer.Registered():
                values = [customer_id, event.owner_id]
                self._written.append(
                    (self._customers, customer_id, dict(zip(CUSTOMERS, values, strict=True)))
                )
                return [(upsert(customers, CUSTOMERS, "customer_id"), values)]
            case Customer.OwnerAssigned():
                owner = {"owner_id": event.owner_id}
                if (row := self._customer_row(customer_id)) is not None:
                    self._written.append((self._customers, customer_id, {**row, **owner}))
                return [update(customers, "customer_id", customer_id, owner)]
            case Customer.SatisfactionRecorded():
                score = event.score
                fact = _fact(position, 0, "satisfaction", day, subject=customer_id, amount=score)
                return view.insert_facts([fact])
            case Customer.Converted():
                return view.insert_facts([self._conversion(event, position)])
            case _ if type(event) in CUSTOMER_STATUS_BY_EVENT:
                kind = CUSTOMER_STATUS_BY_EVENT[type(event)]
                return view.insert_facts([_fact(position, 0, kind, day, subject=customer_id)])
        return []

    def _conversion(self, event: Customer.Converted, position: int) -> Row:
        """A conversion, dated by its contract's signing and booked to the customer's owner."""
        customer_id, contract_id = str(event.originator_id), str(event.contract_id)
        customer = self._customer_row(customer_id)
        contract = self._contract_row(contract_id)
        signed_on = None if contract is None else contract["signed_on"]
        return _fact(
            position,
            0,
            "converted",
            signed_on or day_text(event.occurred_at),
            employee_id=None if customer is None else customer["owner_id"],
            subject=customer_id,
            ref=contract_id,
        )

    def _budget(self, event: Any) -> list[Statement]:
        """A budget's status and targets, its plan, and the commitments and overruns asked."""
        view, budget_id = self.view, str(event.originator_id)
        budgets, refs = view.table("kpi_budgets"), view.table("kpi_budget_refs")
        match event:
            case Budget.Drafted():
                values = [budget_id, event.fiscal_year, "draft", _stored_targets(event.targets)]
                drafted = (upsert(budgets, BUDGETS, "budget_id"), values)
                return [drafted, *self._budget_plan(budget_id, event.lines)]
            case Budget.Amended():
                targets = {"targets": _stored_targets(event.targets)}
                amended = update(budgets, "budget_id", budget_id, targets)
                return [amended, *self._budget_plan(budget_id, event.lines)]
            case Budget.Committed():
                return inserts(refs, REFS, [budget_ref(event, "commitment", event.reference)])
            case Budget.OverrunRequested():
                return inserts(refs, REFS, [budget_ref(event, "overrun", str(event.overrun_id))])
            case _ if type(event) in BUDGET_STATUS_BY_EVENT:
                status = {"status": BUDGET_STATUS_BY_EVENT[type(event)]}
                return [update(budgets, "budget_id", budget_id, status)]
        return []

    def _budget_plan(self, budget_id: str, lines: Iterable[Mapping[str, Any]]) -> list[Statement]:
        plan = self.view.table("kpi_budget_plan")
        rows = [
            {
                "line": f"{budget_id}|{line['category']}|{line['period']}",
                "budget_id": budget_id,
                "period": line["period"],
                "planned": cents(line["amount"]),
            }
            for line in lines
        ]
        return [
            (f"DELETE FROM {plan} WHERE budget_id = ?", [budget_id]),
            *inserts(plan, PLAN, rows),
        ]

    def _budget_ledger(self, event: Any, position: int) -> list[Statement]:
        """The budget's ledger rows (as budget execution books them), in cents."""
        budget_id = str(event.originator_id)
        match event:
            case Budget.CommitmentReleased():
                lookup = self._budget_ref(f"{budget_id}|commitment|{event.reference}")
            case Budget.ExpenseRecorded() if event.consumed:
                lookup = self._budget_ref(f"{budget_id}|commitment|{event.reference}")
            case Budget.OverrunApproved():
                lookup = self._budget_ref(f"{budget_id}|overrun|{event.overrun_id}")
            case _:
                lookup = None
        rows = [
            {**row, "budget_id": budget_id, "amount": cents(Decimal(row["amount"]))}
            for row in ledger_rows(event, position, lookup)
        ]
        return inserts(self.view.table("kpi_budget_ledger"), LEDGER, rows)

    def _budget_ref(self, ref: str) -> Row | None:
        return self.view.one("kpi_budget_refs", "ref", ref)

    def _employee(self, event: Any, position: int) -> list[Statement]:
        view, employee_id = self.view, str(event.originator_id)
        match event:
            case Employee.TargetsSet():
                items = [
                    {"metric": i["metric"], "target": str(i["target"]), "weight": str(i["weight"])}
                    for i in event.items
                ]
                values = [
                    f"{employee_id}|{event.period}",
                    employee_id,
                    event.period,
                    json.dumps(items),
                ]
                return [(upsert(view.table("kpi_targets"), TARGETS, "target_key"), values)]
            case Employee.TrainingRecorded():
                fact = _fact(
                    position,
                    0,
                    "training",
                    event.completed_on,
                    employee_id=employee_id,
                    subject=employee_id,
                    amount=cents(event.hours),
                )
                return view.insert_facts([fact])
            case Employee.AppraisalFinalized():
                values = [f"{employee_id}|{event.period}", employee_id, event.period, event.rating]
                return [(upsert(view.table("kpi_appraisals"), APPRAISALS, "appraisal_key"), values)]
        return []
