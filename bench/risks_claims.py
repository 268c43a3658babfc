"""Benchmark of the risk report with its early warnings, due follow-ups and claim approvals.

Run from the repository root:

    .venv/bin/python bench/risks_claims.py [--quick] [--only sqlite|postgres] [--repeat R]
                                           [--writers W]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. Writes a year of history through the application layer, no projection running, with
   the back-dating window widened to 400 days: the staff, customers, opportunities and
   complaints of bench/service_reports.py (`write_history`: 20 employees, 2 000
   customers assessed for credit, 4 000 opportunities of which a sixth end in a signed,
   invoiced and mostly paid contract, 5 000 complaints), then three follow-ups per
   customer over the last 90 days, each naming the next one 7 to 60 days on; the budget
   of last year (approved, closed) and of this year (approved, quarterly revenue targets,
   16 lines, 800 expenses dated in their quarters, some lines past 90% of their plan);
   and 500 risks over the year (assessed one to three times, most given one to three
   actions due 2 to 12 weeks on, half of them completed; under a fifth closed, a few
   reopened).
   `--quick` is a tenth of it (at least 20 employees and 50 risks).
2. Rebuilds the six read models the reports read (`projections.runner.rebuild`), then
   `ANALYZE` on PostgreSQL, as autovacuum would.
3. Times each query R times (default 5; 3 with --quick), median and max, now and 180
   days back: the risk register (`RiskRegister.report`), each early-warning indicator
   by the read model method `early_warnings` calls, the two together as the router
   makes them, then `GET /reports/risks` through TestClient; the due follow-ups
   (`FollowUps.due`, a page of 51 as the router asks) by today and by 60 days on, with
   and without `owner_id`, and `GET /reports/follow-ups?due_by=`. "now" is the moment the
   queries start: the budgets' approvals are recorded at the time of the command (after
   the back-dated history), so 180 days back no budget was approved yet and the two
   budget indicators read nothing.
4. Beside each query figure, a ceiling measured in the same run on a plain sqlite3 /
   psycopg connection: the simplest SQL over the same tables that reads what the query
   must read (see the `*_ceiling` functions).
5. Claim approval throughput on this year's budget: `approve_expense_claim` (the claim
   and the budget's expense in one save) alternating with `record_expense` alone on the
   same budget, N of each (400; 60 with --quick), as commands/s beside the raw-insert
   ceilings of bench/commands.py in the same transaction shapes (two events and one);
   and `submit_expense_claim` (claim and receipt key) before them.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import commands
import psycopg
import service_reports
from budget_contention import EXECUTIVE, FINANCE
from commands import Database, database, stored_event_shape
from common import POSTGRES_URL, dialect_parser, load, machine, print_machine, read_log, run_each
from fastapi.testclient import TestClient
from service_reports import (
    ADMIN,
    Company,
    Raw,
    Report,
    measure,
    run_times,
    summary,
    write_history,
)

from application.backoffice import Backoffice, Request
from application.commands.budgets import (
    ApproveBudget,
    CloseBudget,
    DraftBudget,
    RecordExpense,
    SubmitBudget,
)
from application.commands.customers import RecordFollowUp
from application.commands.expense_claims import ApproveExpenseClaim, SubmitExpenseClaim
from application.commands.risks import (
    AddRiskAction,
    AssessRisk,
    CloseRisk,
    CompleteRiskAction,
    IdentifyRisk,
    ReopenRisk,
)
from application.permissions import Caller
from domain.budget import CATEGORIES, QUARTERS, quarter_bounds
from domain.errors import DomainError
from domain.risk import RiskCategory
from interfaces.auth import mint
from interfaces.bootstrap import build
from interfaces.http.app import create_app
from projections.events import iso_utc
from projections.risks import open_by_category, with_risk_ids
from projections.runner import PAGE_SIZE, READ_MODELS, close_view, construct_view, rebuild
from projections.warnings import BUDGET_LINE_SHARE, SLA_WINDOW, early_warnings

MODELS = ("risks", "credit", "complaints", "budget_execution", "sales", "follow_ups")
RISK_CATEGORIES = [c.value for c in RiskCategory]
CLAIM_LINE = {"category": "sales", "period": "Q4"}
CLAIM_AMOUNT = Decimal("120.00")
PAGE = 51  # the router asks a page of 50 and one more, to know whether there is a next


@dataclass(frozen=True)
class Sizes:
    """How much history to write, how often to time each query, how many claims."""

    employees: int
    customers: int
    opportunities: int
    complaints: int
    follow_ups: int  # per customer
    risks: int
    expenses: int
    claims: int
    repeat: int

    def history(self) -> service_reports.Sizes:
        return service_reports.Sizes(
            self.employees, self.customers, self.opportunities, self.complaints, self.repeat
        )


FULL = Sizes(20, 2_000, 4_000, 5_000, 3, 500, 800, 400, 5)
QUICK = Sizes(20, 200, 400, 500, 3, 50, 80, 60, 3)


# Writing the rest of the history.


def in_parallel(writers: int, work: Callable[[int], None]) -> None:
    """work(0) ... work(writers - 1) at once, each on a share of its own."""
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(work, range(writers)))


def write_follow_ups(app: Backoffice, company: Company, sizes: Sizes, writers: int) -> None:
    """Follow-ups over the last 90 days, each naming the next one 7 to 60 days on."""

    def work(index: int) -> None:
        rng = random.Random(2_000 + index)
        for customer_id, _ in company.customers[index::writers]:
            days = sorted(rng.sample(range(1, 91), sizes.follow_ups), reverse=True)
            for ago in days:
                at = company.now - timedelta(days=ago, minutes=rng.randrange(600))
                app.handle(
                    ADMIN,
                    RecordFollowUp(
                        customer_id,
                        kind=rng.choice(["call", "visit", "email", "meeting"]),
                        notes="bench",
                        occurred_at=at,
                        next_follow_up_on=at.date() + timedelta(days=rng.randint(7, 60)),
                    ),
                )

    in_parallel(writers, work)


def approved(app: Backoffice, year: int, lines: list[dict], targets: list[dict]) -> UUID:
    budget_id = app.handle(FINANCE, DraftBudget(fiscal_year=year, lines=lines, targets=targets)).id
    app.handle(FINANCE, SubmitBudget(budget_id))
    app.handle(EXECUTIVE, ApproveBudget(budget_id))
    return budget_id


def write_budgets(app: Backoffice, company: Company, sizes: Sizes) -> UUID:
    """Last year's budget closed, this year's approved with expenses; this year's id."""
    rng, year = random.Random(3_000), company.today.year
    scale = Decimal(sizes.opportunities) / 4_000
    targets = [
        {"period": q, "revenue": (Decimal(900_000) * scale).quantize(Decimal(1))} for q in QUARTERS
    ]
    lines = [
        {"category": c, "period": q, "amount": Decimal(rng.randrange(20, 60) * 1_000) * scale}
        for c in CATEGORIES
        for q in QUARTERS
    ]
    app.handle(FINANCE, CloseBudget(approved(app, year - 1, lines, targets)))
    planned = {(line["category"], line["period"]): line["amount"] for line in lines}
    # The claims of the throughput figure book on this line: room for all of them.
    for line in lines:
        if (line["category"], line["period"]) == tuple(CLAIM_LINE.values()):
            line["amount"] += CLAIM_AMOUNT * (3 * sizes.claims + 40)
    budget_id = approved(app, year, lines, targets)
    used = {(line["category"], line["period"]): rng.uniform(0.3, 1.05) for line in lines}
    per_line = max(1, sizes.expenses // len(lines))
    booked = 0
    for n in range(sizes.expenses):
        line = lines[n % len(lines)]
        first, end = quarter_bounds(year, line["period"])
        if first > company.now:
            continue
        last = min(end, company.now) - timedelta(minutes=1)
        key = (line["category"], line["period"])
        share = Decimal(str(used[key])) / per_line
        try:
            app.handle(
                FINANCE,
                RecordExpense(
                    budget_id,
                    category=line["category"],
                    period=line["period"],
                    amount=(planned[key] * share).quantize(Decimal("0.01")),
                    expense_type="advertising",
                    description="bench expense",
                    occurred_at=first + (last - first) * rng.random(),
                ),
            )
            booked += 1
        except DomainError:
            pass  # the line is used up: it will warn
    company.count(expenses=booked)
    return budget_id


def write_risks(app: Backoffice, company: Company, sizes: Sizes, writers: int) -> None:
    """Risks over the year: assessed, given actions, some completed, closed, reopened."""
    owners = company.sales + company.service

    def work(index: int) -> None:
        rng = random.Random(4_000 + index)
        for n in range(index, sizes.risks, writers):
            RiskHistory(app, rng, company.now, owners).write(n)

    in_parallel(writers, work)


class RiskHistory:
    """One bench risk's history, its business time moving forward by random steps."""

    def __init__(
        self, app: Backoffice, rng: random.Random, now: datetime, owners: list[str]
    ) -> None:
        self.app, self.rng, self.now, self.owners = app, rng, now, owners
        self.at = now - timedelta(days=rng.uniform(5, 365))
        self.acted = False

    def later(self, days: float) -> datetime:
        """A moment up to `days` after the previous one, never after now."""
        self.at = min(self.at + timedelta(days=self.rng.uniform(0.5, days)), self.now)
        return self.at

    def write(self, n: int) -> None:
        """Identify, assess, act on and perhaps close and reopen risk number `n`."""
        app, rng = self.app, self.rng
        rid = app.handle(
            ADMIN,
            IdentifyRisk(
                category=RISK_CATEGORIES[n % len(RISK_CATEGORIES)],
                title=f"Bench risk {n}",
                description="bench",
                owner_id=rng.choice(self.owners),
                occurred_at=self.at,
            ),
        ).id
        for _ in range(rng.randint(1, 3)):
            app.handle(
                ADMIN,
                AssessRisk(
                    rid,
                    likelihood=rng.randint(1, 5),
                    impact=rng.randint(1, 5),
                    rationale="bench",
                    occurred_at=self.later(30),
                ),
            )
        self.act(rid)
        if self.acted and rng.random() < 0.3:
            app.handle(ADMIN, CloseRisk(rid, "treated", self.later(20)))
            if rng.random() < 0.15:
                app.handle(ADMIN, ReopenRisk(rid, "back again", self.later(20)))

    def act(self, rid: UUID) -> None:
        """Add a few actions and complete about half of them."""
        app, rng = self.app, self.rng
        actions = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            added = self.later(10)
            outcome = app.handle(
                ADMIN,
                AddRiskAction(
                    rid,
                    description="bench action",
                    due_on=added.date() + timedelta(days=rng.randint(14, 84)),
                    owner_id=rng.choice(self.owners),
                    occurred_at=added,
                ),
            )
            actions.append(UUID(outcome.extra["action_id"]))
        for action_id in actions:
            if rng.random() < 0.5:
                app.handle(
                    ADMIN,
                    CompleteRiskAction(rid, action_id, outcome="done", occurred_at=self.later(40)),
                )
        self.acted = bool(actions)


def write_all(db: Database, sizes: Sizes, writers: int) -> tuple[Backoffice, Company, UUID]:
    app, company = write_history(db, sizes.history(), writers)
    started, before = time.perf_counter(), app.max_position()
    write_follow_ups(app, company, sizes, writers)
    budget_id = write_budgets(app, company, sizes)
    write_risks(app, company, sizes, writers)
    elapsed = time.perf_counter() - started
    added = app.max_position() - before
    print(
        f"  follow-ups, budgets, risks: {added} events in {elapsed:.0f} s "
        f"({added / elapsed:,.0f} ev/s); {app.max_position()} events in all; "
        f"{company.counts.get('expenses', 0)} expenses booked",
        flush=True,
    )
    return app, company, budget_id


def rebuild_all(app: Backoffice, db: Database, report: Report) -> None:
    env, events = db.settings.persistence_env(), app.max_position()
    started = time.perf_counter()
    read_log(app, PAGE_SIZE, decode=False)
    floor = time.perf_counter() - started
    for name in MODELS:
        started = time.perf_counter()
        rebuild(app, READ_MODELS[name], env, db.dialect)
        elapsed = time.perf_counter() - started
        line = f"rebuild {name}: {elapsed:.1f} s, {events / elapsed:,.0f} ev/s"
        report.notes.append(line + f" (the log alone: {events / floor:,.0f} ev/s)")
        print(f"  {line}", flush=True)
    if db.dialect == "postgres":
        views = {n: construct_view(READ_MODELS[n], env, db.dialect) for n in MODELS}
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for name, view in views.items():
                for table in READ_MODELS[name].read_model.table_names:
                    conn.execute(f"ANALYZE {view.table(table)}")
        for view in views.values():
            close_view(view)


# The ceilings: the simplest SQL reading what each query must read.


class Views:
    """The read models by name, as `early_warnings` asks a read side for them."""

    def __init__(self, views: dict[str, Any]) -> None:
        self.views = views

    def view(self, name: str) -> Any:
        return self.views[name]


def register_ceiling(raw: Raw, as_of: datetime) -> Callable[[], Any]:
    """The risks identified by then, their dated states and assessments, open actions."""
    at, day = iso_utc(as_of), as_of.date().isoformat()
    statements = [
        (
            f"SELECT id, category, title, owner_id FROM {raw.table('risks', 'risks')} "
            "WHERE identified_at <= ?",
            [at],
        ),
        (f"SELECT risk_id, status FROM {raw.table('risks', 'risk_states')} WHERE at <= ?", [at]),
        (
            f"SELECT risk_id, likelihood, impact, level, at "
            f"FROM {raw.table('risks', 'risk_assessments')} WHERE at <= ?",
            [at],
        ),
        (
            f"SELECT * FROM {raw.table('risks', 'risk_actions')} WHERE added_at <= ? "
            "AND due_on < ? AND (completed_at IS NULL OR completed_at > ?)",
            [at, day, at],
        ),
    ]
    return lambda: [raw.rows(s, p) for s, p in statements]


def receivables_ceiling(raw: Raw, as_of: datetime) -> Callable[[], Any]:
    """Invoiced by the day (and overdue then), settled by the day: two sums."""
    day = as_of.date().isoformat()
    invoices = (
        "SELECT SUM(amount) AS invoiced, SUM(CASE WHEN due_on < ? THEN amount ELSE 0 END) "
        f"AS overdue FROM {raw.table('credit', 'credit_invoices')} WHERE issued_on <= ?"
    )
    settled = (
        f"SELECT SUM(amount) AS settled FROM {raw.table('credit', 'credit_settlements')} "
        "WHERE settled_on <= ?"
    )
    return lambda: raw.rows(invoices, [day, day]) + raw.rows(settled, [day])


def breaches_ceiling(raw: Raw, as_of: datetime) -> Callable[[], Any]:
    """The complaints received in the window, and their steps by then counted by kind."""
    since, at = iso_utc(as_of - SLA_WINDOW), iso_utc(as_of)
    complaints, steps = (raw.table("complaints", t) for t in ("complaint_list", "complaint_steps"))
    rows = (
        "SELECT COUNT(*) AS n, MAX(respond_by) AS r, MAX(resolve_by) AS s "
        f"FROM {complaints} WHERE received_at > ? AND received_at <= ?"
    )
    kinds = (
        f"SELECT s.kind, COUNT(*) AS n FROM {steps} s JOIN {complaints} c "
        "ON c.id = s.complaint_id WHERE c.received_at > ? AND c.received_at <= ? "
        "AND s.occurred_at <= ? GROUP BY s.kind"
    )
    return lambda: raw.rows(rows, [since, at]) + raw.rows(kinds, [since, at, at])


def budget_lines_ceiling(raw: Raw, as_of: datetime) -> Callable[[], Any]:
    """The open approved budgets, their plan and their ledger by then summed per line."""
    at = iso_utc(as_of)
    approvals, plan, ledger = (
        raw.table("budget_execution", t)
        for t in ("budget_approvals", "budget_plan", "budget_ledger")
    )
    open_budgets = (
        f"SELECT budget_id FROM {approvals} WHERE approved_at <= ? "
        "AND (closed_at IS NULL OR closed_at > ?)"
    )
    lines = f"SELECT * FROM {plan} WHERE budget_id IN ({open_budgets})"
    sums = (
        f"SELECT category, period, kind, SUM(CAST(amount AS NUMERIC)) AS amount FROM {ledger} "
        f"WHERE budget_id IN ({open_budgets}) AND occurred_at <= ? GROUP BY category, period, kind"
    )
    return lambda: raw.rows(lines, [at, at]) + raw.rows(sums, [at, at, at])


def revenue_ceiling(raw: Raw, as_of: datetime) -> Callable[[], Any]:
    """The year's target, and the revenue signed from 1 January to the day."""
    day = as_of.date()
    target = (
        f"SELECT revenue_target FROM {raw.table('budget_execution', 'budget_approvals')} "
        "WHERE fiscal_year = ? AND approved_at <= ?"
    )
    revenue = (
        f"SELECT SUM(revenue) AS revenue FROM {raw.table('sales', 'sales_facts')} "
        "WHERE day >= ? AND day <= ?"
    )
    first = date(day.year, 1, 1).isoformat()
    return lambda: (
        raw.rows(target, [day.year, iso_utc(as_of)]) + raw.rows(revenue, [first, day.isoformat()])
    )


def all_of(ceilings: Iterable[Callable[[], Any]]) -> Callable[[], Any]:
    parts = list(ceilings)
    return lambda: [part() for part in parts]


def follow_ups_ceiling(raw: Raw, due_by: date, owner_id: str | None) -> Callable[[], Any]:
    """The first page of rows due by the day, in the order of the indexed column only."""
    owner, params = ("", []) if owner_id is None else (" AND owner_id = ?", [owner_id])
    statement = (
        f"SELECT * FROM {raw.table('follow_ups', 'follow_ups')} WHERE next_follow_up_on <= ?"
        f"{owner} ORDER BY next_follow_up_on LIMIT ?"
    )
    return lambda: raw.rows(statement, [due_by.isoformat(), *params, PAGE])


# Measuring the queries.


@dataclass(frozen=True)
class Queries:
    """The read models and their raw ceilings on one database, timed into one report."""

    report: Report
    repeat: int
    views: dict[str, Any]
    raw: Raw
    thresholds: dict[str, Decimal]

    def register_and_indicators(self, as_of: datetime, tag: str) -> None:
        """The risk register, each early-warning indicator, and both as the router makes them."""
        report, repeat, views, raw = self.report, self.repeat, self.views, self.raw
        risks, side, thresholds = views["risks"], Views(views), self.thresholds
        day = as_of.date()
        ceilings = {
            "register": register_ceiling(raw, as_of),
            "overdue_share": receivables_ceiling(raw, as_of),
            "sla_breach_rate": breaches_ceiling(raw, as_of),
            "budget_lines_over_90": budget_lines_ceiling(raw, as_of),
            "revenue_attainment": revenue_ceiling(raw, as_of),
        }
        measure(
            report,
            repeat,
            f"risk register, {tag}",
            lambda a=as_of: risks.report(a)["register"],
            ceilings["register"],
        )
        indicators = {
            "overdue_share": lambda d=day: [views["credit"].receivables(d)],
            "sla_breach_rate": lambda a=as_of: [views["complaints"].breaches(a - SLA_WINDOW, a)],
            "budget_lines_over_90": lambda a=as_of: [
                views["budget_execution"].lines_over(BUDGET_LINE_SHARE, a)
            ],
            "revenue_attainment": lambda a=as_of, d=day: [
                views["budget_execution"].revenue_target(d.year, a),
                views["sales"].revenue_signed(date(d.year, 1, 1), d),
            ],
        }
        for name, work in indicators.items():
            measure(report, repeat, f"indicator {name}, {tag}", work, ceilings[name])

        def whole(a: datetime = as_of) -> Any:
            register = risks.report(a)
            found = early_warnings(side, a, thresholds)
            return with_risk_ids(found, open_by_category(register["register"]))

        measure(report, repeat, f"register + indicators, {tag}", whole, all_of(ceilings.values()))

    def follow_ups(self, company: Company) -> None:
        """The follow-ups due by today and by 60 days on, with and without an owner."""
        follow_ups, owner = self.views["follow_ups"], company.sales[0]
        for days in (0, 60):
            due_by = company.today + timedelta(days=days)
            for owner_id in (None, owner):
                label = f"follow-ups due by today+{days}" + (", owner_id" if owner_id else "")
                measure(
                    self.report,
                    self.repeat,
                    label,
                    lambda d=due_by, o=owner_id: follow_ups.due(d, owner_id=o, limit=PAGE),
                    follow_ups_ceiling(self.raw, due_by, owner_id),
                )


def measure_queries(db: Database, company: Company, sizes: Sizes, report: Report) -> None:
    """Every query now and 180 days back, the follow-ups, then the routes over HTTP."""
    env, dialect = db.settings.persistence_env(), db.dialect
    views = {name: construct_view(READ_MODELS[name], env, dialect) for name in MODELS}
    raw = Raw(db, views)
    queries = Queries(report, sizes.repeat, views, raw, db.settings.risk_thresholds)
    try:
        # Budgets are approved at the time of the command, after the history's `now`.
        now = datetime.now(UTC)
        for as_of, tag in ((now, "now"), (now - timedelta(days=180), "past")):
            queries.register_and_indicators(as_of, tag)
        queries.follow_ups(company)
        measure_http(db, company, sizes, report)
    finally:
        raw.close()
        for view in views.values():
            close_view(view)


def measure_http(db: Database, company: Company, sizes: Sizes, report: Report) -> None:
    """The two routes through TestClient: the queries plus HTTP, auth and JSON."""
    services = build(db.settings, run_projections=False)
    token = mint(db.settings.jwt_secret, "bench-admin", ["admin"], timedelta(hours=1))
    past = (company.today - timedelta(days=180)).isoformat()
    soon = (company.today + timedelta(days=60)).isoformat()
    routes = [
        ("GET /reports/risks", "/reports/risks", "register"),
        (f"GET /reports/risks?as_of=<{past}>", f"/reports/risks?as_of={past}", "register"),
        (
            "GET /reports/follow-ups?due_by=<+60 days>",
            f"/reports/follow-ups?due_by={soon}",
            "items",
        ),
        (
            "GET /reports/follow-ups?due_by=<+60 days>&owner_id=",
            f"/reports/follow-ups?due_by={soon}&owner_id={company.sales[0]}",
            "items",
        ),
    ]
    try:
        with TestClient(
            create_app(services=services), headers={"Authorization": f"Bearer {token}"}
        ) as client:
            for label, url, key in routes:

                def get(url: str = url, key: str = key) -> Any:
                    answer = client.get(url)
                    assert answer.status_code == 200, answer.text
                    return answer.json()[key]

                measure(report, sizes.repeat, label, get)
    finally:
        services.close()


# Claim approval throughput.


def measure_claims(
    app: Backoffice, db: Database, company: Company, budget_id: UUID, sizes: Sizes
) -> commands.Report:
    """approve_expense_claim alternating with record_expense on one budget; raw ceilings."""
    report = commands.Report(db.dialect)
    n, spent_on = sizes.claims, company.today - timedelta(days=1)

    def submit(number: int) -> UUID:
        claimant = company.sales[number % len(company.sales)]
        return app.handle(
            Request(Caller(claimant, frozenset({"sales"}))),
            SubmitExpenseClaim(
                expense_type="travel",
                amount=CLAIM_AMOUNT,
                spent_on=spent_on,
                description="bench trip",
                receipt_ref=f"R-{os.urandom(6).hex()}",
                budget_id=budget_id,
                **CLAIM_LINE,
            ),
        ).id

    def expense() -> Any:
        return app.handle(
            FINANCE,
            RecordExpense(
                budget_id,
                **CLAIM_LINE,
                amount=CLAIM_AMOUNT,
                expense_type="travel",
                description="bench trip",
            ),
        )

    for number in range(10):  # warm up
        app.handle(FINANCE, ApproveExpenseClaim(submit(number)))
        expense()
    started = time.perf_counter()
    claims = [submit(number) for number in range(n)]
    submitted = time.perf_counter() - started
    approvals, expenses = [], []
    for claim_id in claims:
        approvals.append(
            run_times(1, lambda c=claim_id: app.handle(FINANCE, ApproveExpenseClaim(c)))[0]
        )
        expenses.append(run_times(1, expense)[0])
    report_claims(app, db, budget_id, report, n / submitted, approvals, expenses)
    return report


def report_claims(
    app: Backoffice,
    db: Database,
    budget_id: UUID,
    report: commands.Report,
    submit_rate: float,
    approvals: list[float],
    expenses: list[float],
) -> None:
    """The claim commands' rates and latencies beside raw inserts of their transactions."""
    n = len(approvals)
    state_size, topic_size = stored_event_shape(app, db.dialect)
    state, topic = os.urandom(state_size), "t" * topic_size
    db.raw.insert([2] * 10, topic, state)
    two = db.raw.insert([2] * n, topic, state)
    one = db.raw.insert([1] * n, topic, state)
    report.note(f"stored event: state {state_size} B, topic {topic_size} B; {n} of each command")
    report.note(f"budget {budget_id}: version {app.repository.get(budget_id).version}")
    report.add("submit_expense_claim (txn of 2 events)", submit_rate, "cmd/s", n / sum(two))
    report.add(
        "approve_expense_claim (claim + budget, 2 events)",
        n * 1000 / sum(approvals),
        "cmd/s",
        n / sum(two),
    )
    report.add("record_expense (budget, 1 event)", n * 1000 / sum(expenses), "cmd/s", n / sum(one))
    for label, samples, raw in (
        ("approve_expense_claim p50", approvals, two),
        ("record_expense p50", expenses, one),
    ):
        report.add(
            label,
            commands.percentile(samples, 0.5),
            "ms",
            commands.ms(commands.percentile(raw, 0.5)),
        )


# Running it all.


def bench(dialect: str, sizes: Sizes, writers: int) -> tuple[Report, commands.Report]:
    report = Report(dialect)
    print(f"\n== {dialect} (load {load()})", flush=True)
    with database(dialect) as db:
        app, company, budget_id = write_all(db, sizes, writers)
        try:
            rebuild_all(app, db, report)
            measure_queries(db, company, sizes, report)
            print("  claims:", flush=True)
            claims = measure_claims(app, db, company, budget_id, sizes)
        finally:
            app.close()
    print(f"  (load {load()})", flush=True)
    return report, claims


def main() -> None:
    parser = dialect_parser(__doc__, "a tenth of the history")
    parser.add_argument("--repeat", type=int, help="runs of each query (default 5; 3 quick)")
    parser.add_argument(
        "--writers", type=int, default=3, help="threads writing PostgreSQL's history (default 3)"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.repeat:
        sizes = replace(sizes, repeat=args.repeat)
    about = machine()
    print_machine(about, f"; sizes: {sizes}")

    def on(dialect: str) -> tuple[Report, commands.Report]:
        return bench(dialect, sizes, 1 if dialect == "sqlite" else args.writers)

    def summarize(results: list[tuple[Report, commands.Report]]) -> None:
        summary([queries for queries, _ in results])
        commands.summary([claims for _, claims in results])

    run_each(args.only, about, on, summarize)


if __name__ == "__main__":
    main()
