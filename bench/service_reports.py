"""Benchmark of the complaints, pipeline and KPI reports over a year of history.

Run from the repository root:

    .venv/bin/python bench/service_reports.py [--quick] [--only sqlite|postgres]
                                              [--scale S] [--repeat R] [--writers W]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. Writes a year of history through the application layer, no projection running, with
   the back-dating window widened to 400 days (`Policy(backdating=...)`): 200 employees
   hired (candidate, interview, background check, hire) with quarterly targets, 2 000
   customers assessed for credit, 10 000 opportunities (opened, advanced, some moved
   back, quoted, lost with a reason, a few reopened, or won; half the wins signed,
   invoiced and paid) and 10 000 complaints (received, assigned, answered, resolved,
   closed with a score; some late, some still open, a tenth reopened and resolved
   again): about 130 000 events. `--scale S` multiplies the customers, opportunities
   and complaints (`--scale 2`: 20 000 of each, about 13 minutes); `--quick` is
   `--scale 0.1` with 20 employees. PostgreSQL is written by W threads at once (default
   3, each with customers of its own), SQLite by one: setup, not measured.
2. Rebuilds the three read models (`projections.runner.rebuild`) and prints events/s,
   beside the ceiling of reading the whole log in the same pages; then `ANALYZE` on
   PostgreSQL, as autovacuum would.
3. Times each report query R times (default 5; 3 with --quick), median and max (the
   first run is cold): complaints by each key and by all three, now and at a past
   `as_of`; the pipeline by owner, stage, month and all three, now and past; company
   KPIs of a month, a quarter and a year; one employee's KPIs of a quarter; the first
   page of `GET /complaints` and `GET /opportunities` with a filter. The query methods
   the routers call are timed, and a few routes also through FastAPI's TestClient.
4. Beside each figure, a ceiling measured in the same run on a plain sqlite3 / psycopg
   connection: the simplest SQL over the same tables that reads what the report must
   read (grouped counts over the complaint rows and their steps; grouped sums over the
   pipeline states and facts; grouped sums over the KPI facts of the period), so each
   report shows as a multiple of what the database needs anyway.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from commands import Database, database
from common import POSTGRES_URL, dialect_parser, load, machine, print_machine, read_log, run_each
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from application.backoffice import Backoffice, Policy, Request
from application.commands.complaints import (
    AssignComplaint,
    CloseComplaint,
    ReceiveComplaint,
    ReopenComplaint,
    ResolveComplaint,
    RespondToComplaint,
)
from application.commands.contracts import (
    ApproveContractReview,
    IssueInvoice,
    RecordPayment,
    SignContract,
    SubmitContract,
)
from application.commands.customers import AssessCredit, RegisterLead
from application.commands.employees import (
    HireEmployee,
    RecordInterview,
    RegisterCandidate,
    SetEmployeeTargets,
)
from application.commands.opportunities import (
    AddQuote,
    AdvanceOpportunity,
    LoseOpportunity,
    OpenOpportunity,
    RegressOpportunity,
    ReopenOpportunity,
    WinOpportunity,
)
from application.permissions import Caller
from domain.complaint import ComplaintCategory, ComplaintChannel, RootCause
from domain.contract import Contract
from domain.opportunity import STAGES
from interfaces.auth import mint
from interfaces.bootstrap import build
from interfaces.http.app import create_app
from projections.events import iso_utc
from projections.runner import PAGE_SIZE, READ_MODELS, close_view, construct_view, rebuild

ADMIN = Request(Caller("bench-admin", frozenset({"admin"})))
# Whoever submits a contract may not review it.
REVIEWER = Request(Caller("bench-reviewer", frozenset({"admin"})))
MODELS = ("complaints", "pipeline", "kpis")
SEVERITIES = ("low", "medium", "high", "critical")
CHANNELS = [c.value for c in ComplaintChannel]
CATEGORIES = [c.value for c in ComplaintCategory]
CAUSES = [c.value for c in RootCause]
LOSS_REASONS = ["price", "price", "competitor", "timing", "product", "no_decision", "other"]
SKUS = [(f"SKU-{n:02d}", Decimal(500 + 250 * n), Decimal(300 + 120 * n)) for n in range(20)]


@dataclass(frozen=True)
class Sizes:
    """How much history to write and how often to time each query."""

    employees: int
    customers: int
    opportunities: int
    complaints: int
    repeat: int


def sizes_at(scale: float, repeat: int) -> Sizes:
    """The default history (about 4-5 minutes in all on 2 cores) times `scale`."""
    return Sizes(
        employees=max(20, round(200 * min(scale, 1))),
        customers=round(2_000 * scale),
        opportunities=round(10_000 * scale),
        complaints=round(10_000 * scale),
        repeat=repeat,
    )


FULL = sizes_at(1, 5)
QUICK = sizes_at(0.1, 3)


# Writing the history.


@dataclass
class Company:
    """The people and customers the history is written about."""

    now: datetime
    sales: list[str] = field(default_factory=list)
    service: list[str] = field(default_factory=list)
    customers: list[tuple[UUID, str]] = field(default_factory=list)  # id, owner
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def today(self) -> date:
        return self.now.date()

    def count(self, **counts: int) -> None:
        with self.lock:
            for key, n in counts.items():
                self.counts[key] = self.counts.get(key, 0) + n


def quarters(first: date, last: date) -> list[str]:
    """The periods YYYY-Qn from the quarter of one day to that of another."""
    periods, year, quarter = [], first.year, (first.month - 1) // 3 + 1
    while (year, quarter) <= (last.year, (last.month - 1) // 3 + 1):
        periods.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return periods


def write_staff(app: Backoffice, company: Company, sizes: Sizes) -> None:
    """Hire the employees (three fifths sales, the rest service) and set quarterly targets."""
    hired_on = company.today - timedelta(days=390)
    n_sales = sizes.employees * 3 // 5
    scale = Decimal(sizes.opportunities) / 20_000
    sales_items = [
        {"metric": "revenue", "target": Decimal(400_000) * scale, "weight": Decimal("0.4")},
        {"metric": "contracts_signed", "target": Decimal(8), "weight": Decimal("0.2")},
        {"metric": "collections", "target": Decimal(300_000) * scale, "weight": Decimal("0.25")},
        {"metric": "new_customers", "target": Decimal(3), "weight": Decimal("0.15")},
    ]
    service_items = [{"metric": "complaints_resolved", "target": Decimal(60), "weight": 1}]
    periods = quarters(hired_on, company.today)
    for n in range(sizes.employees):
        department = "sales" if n < n_sales else "service"
        eid = app.handle(
            ADMIN,
            RegisterCandidate(
                name=f"Bench {department} {n}", position=department, department=department
            ),
        ).id
        for kind in ("interview", "background_check"):
            app.handle(ADMIN, RecordInterview(eid, kind=kind, result="pass", score=80))
        app.handle(
            ADMIN, HireEmployee(eid, hired_on=hired_on, position=department, department=department)
        )
        (company.sales if department == "sales" else company.service).append(str(eid))
        items = sales_items if department == "sales" else service_items
        for period in periods:
            app.handle(ADMIN, SetEmployeeTargets(eid, period=period, items=items))


def write_customers(app: Backoffice, company: Company, sizes: Sizes) -> None:
    """Register the customers, each owned by a sales person, and assess their credit."""
    for n in range(sizes.customers):
        owner = company.sales[n % len(company.sales)]
        cid = app.handle(
            ADMIN,
            RegisterLead(
                name=f"Bench customer {n}",
                kind="company",
                source="web",
                region="east",
                contacts=[{"name": "Li Wei", "phone": f"+86 139 {n:08d}"}],
                owner_id=owner,
            ),
        ).id
        app.handle(
            ADMIN,
            AssessCredit(
                cid,
                rating="A",
                score=85,
                credit_limit=Decimal(50_000_000),
                max_payment_term_days=90,
                guarantee_required=False,
                valid_until=company.today + timedelta(days=400),
                basis="bench",
            ),
        )
        company.customers.append((cid, owner))


class Writer:
    """Writes opportunities and complaints for the customers given, with dice of its own."""

    def __init__(self, app: Backoffice, company: Company, customers: list, seed: int) -> None:
        self.app, self.company, self.customers = app, company, customers
        self.rng = random.Random(seed)
        self.first = company.now - timedelta(days=365)

    def moment(self, day: date) -> datetime:
        at = datetime(day.year, day.month, day.day, self.rng.randint(8, 18), tzinfo=UTC)
        return min(at + timedelta(minutes=self.rng.randrange(60)), self.company.now)

    # Opportunities.

    def opportunity(self) -> None:
        app, rng, today = self.app, self.rng, self.company.today
        customer_id, owner = rng.choice(self.customers)
        day = self.first.date() + timedelta(days=rng.randrange(345))
        last = self.moment(day)

        def when(on: date) -> datetime:
            nonlocal last
            last = max(last, self.moment(on))
            return last

        oid = self.open_opportunity(customer_id, owner, day, last)
        stage, quote = STAGES[0], None
        counts = {"opportunities": 1}
        while True:
            day += timedelta(days=rng.randint(3, 21))
            if day > today:
                counts["open"] = 1
                break
            roll = rng.random()
            if roll < 0.12 and stage != STAGES[0]:
                stage = STAGES[rng.randrange(STAGES.index(stage))]
                app.handle(
                    ADMIN,
                    RegressOpportunity(
                        oid, to_stage=stage, reason="budget review", occurred_at=when(day)
                    ),
                )
                counts["regressions"] = counts.get("regressions", 0) + 1
            elif roll < (0.40 if stage == STAGES[-1] else 0.20):
                app.handle(
                    ADMIN,
                    LoseOpportunity(oid, reason=rng.choice(LOSS_REASONS), occurred_at=when(day)),
                )
                counts["lost"] = 1
                again = day + timedelta(days=rng.randint(5, 30))
                if rng.random() < 0.06 and again <= today:
                    app.handle(ADMIN, ReopenOpportunity(oid, occurred_at=when(again)))
                    counts["reopened"] = 1
                    day, stage = again, STAGES[0]
                    continue
                break
            elif stage == STAGES[-1] or (stage == "proposal" and roll > 0.85):
                if quote is None:
                    quote = self.quote(oid, day, when)
                self.win(oid, quote, day, when)
                counts["won"] = 1
                break
            else:
                steps = 2 if rng.random() < 0.2 else 1
                stage = STAGES[min(len(STAGES) - 1, STAGES.index(stage) + steps)]
                app.handle(ADMIN, AdvanceOpportunity(oid, to_stage=stage, occurred_at=when(day)))
                if stage in ("proposal", "negotiation") and quote is None:
                    quote = self.quote(oid, day, when)
        self.company.count(**counts)

    def open_opportunity(self, customer_id: UUID, owner: str, day: date, at: datetime) -> UUID:
        """Open a bench deal for a customer on a day."""
        rng = self.rng
        return self.app.handle(
            ADMIN,
            OpenOpportunity(
                customer_id=customer_id,
                title=f"Bench deal {rng.randrange(10**6)}",
                expected_value=Decimal(rng.choice([8_000, 15_000, 30_000, 60_000, 120_000])),
                expected_close_on=day + timedelta(days=rng.randint(30, 120)),
                owner_id=owner,
                occurred_at=at,
            ),
        ).id

    def quote(self, oid: UUID, day: date, when: Callable[[date], datetime]) -> UUID:
        lines = [
            {
                "sku": sku,
                "quantity": self.rng.randint(1, 40),
                "unit_price": price,
                "unit_cost": cost,
            }
            for sku, price, cost in self.rng.sample(SKUS, self.rng.randint(1, 3))
        ]
        outcome = self.app.handle(
            ADMIN,
            AddQuote(
                oid,
                lines=lines,
                valid_until=day + timedelta(days=400),
                payment_term_days=30,
                occurred_at=when(day),
            ),
        )
        return UUID(outcome.extra["quote_id"])

    def win(self, oid: UUID, quote: UUID, day: date, when: Callable[[date], datetime]) -> None:
        """Win; half the wins are signed, invoiced in one or two parts and paid."""
        app, rng, today = self.app, self.rng, self.company.today
        outcome = app.handle(
            ADMIN,
            WinOpportunity(
                oid, quote_id=quote, delivery_due_on=day + timedelta(days=60), occurred_at=when(day)
            ),
        )
        signed_on = day + timedelta(days=rng.randint(1, 10))
        if rng.random() < 0.5 or signed_on > today:
            return
        cid = UUID(outcome.extra["contract_id"])
        app.handle(ADMIN, SubmitContract(cid))
        for review in app.get(cid, Contract).required_reviews:
            app.handle(REVIEWER, ApproveContractReview(cid, review["department"], "ok"))
        app.handle(REVIEWER, SignContract(cid, signed_on))
        total = app.get(cid, Contract).total
        parts = [total] if rng.random() < 0.5 else [(total / 2).quantize(Decimal("0.01"))]
        if len(parts) == 1 or parts[0] <= 0:
            parts = [total]
        else:
            parts.append(total - parts[0])
        issued = signed_on
        for n, amount in enumerate(parts):
            issued = min(issued + timedelta(days=rng.randint(0, 20)), today)
            app.handle(ADMIN, IssueInvoice(cid, amount, issued))
            paid = issued + timedelta(days=rng.randint(5, 60))
            if paid <= today and rng.random() < 0.85:
                app.handle(ADMIN, RecordPayment(cid, amount, paid, f"p{n}"))
        self.company.count(signed=1)

    # Complaints.

    def complaint(self) -> None:
        app, rng = self.app, self.rng
        policy = app.policy
        customer_id, _ = rng.choice(self.customers)
        received = self.first + timedelta(seconds=rng.uniform(0, 364 * 86_400))
        severity = rng.choices(SEVERITIES, (30, 40, 20, 10))[0]
        respond_in = timedelta(hours=policy.sla_response_hours[severity])
        resolve_in = timedelta(hours=policy.sla_resolution_hours[severity])
        kid = app.handle(
            ADMIN,
            ReceiveComplaint(
                customer_id=customer_id,
                channel=rng.choice(CHANNELS),
                category=rng.choice(CATEGORIES),
                severity=severity,
                description="bench complaint",
                occurred_at=received,
            ),
        ).id
        counts = {"complaints": 1}
        try:
            assignee = rng.choice(self.company.service)
            at = received + respond_in * rng.uniform(0.05, 0.3)
            self.due(at)
            app.handle(ADMIN, AssignComplaint(kid, assignee, at))
            late = rng.random() < 0.12
            at = max(
                received + respond_in * (rng.uniform(1.1, 3) if late else rng.uniform(0.35, 0.95)),
                at + timedelta(minutes=5),
            )
            self.due(at)
            app.handle(ADMIN, RespondToComplaint(kid, "looking into it", at))
            if rng.random() < 0.07:
                counts["stuck"] = 1
                return
            late = rng.random() < 0.1
            at = max(
                received + resolve_in * (rng.uniform(1.05, 2) if late else rng.uniform(0.4, 0.95)),
                at + timedelta(minutes=30),
            )
            self.resolve(kid, assignee, at)
            at += timedelta(hours=rng.uniform(1, 72))
            self.due(at)
            app.handle(ADMIN, CloseComplaint(kid, rng.choice([None, 1, 2, 3, 4, 4, 5, 5]), at))
            if rng.random() >= 0.1:
                return
            at += timedelta(days=rng.uniform(1, 20))
            self.due(at)
            app.handle(ADMIN, ReopenComplaint(kid, "it came back", at))
            counts["reopened"] = 1
            at += timedelta(days=rng.uniform(0.5, 3))
            self.resolve(kid, assignee, at)
            at += timedelta(hours=rng.uniform(1, 72))
            self.due(at)
            app.handle(ADMIN, CloseComplaint(kid, rng.choice([None, 2, 3, 4]), at))
        except StopIteration:
            counts["open"] = 1
        finally:
            self.company.count(**counts)

    def due(self, at: datetime) -> None:
        """Stop the complaint here when this step would lie in the future."""
        if at > self.company.now - timedelta(minutes=1):
            raise StopIteration

    def resolve(self, kid: UUID, assignee: str, at: datetime) -> None:
        self.due(at)
        self.app.handle(
            ADMIN,
            ResolveComplaint(
                kid,
                resolution="put right",
                root_cause=self.rng.choice(CAUSES),
                corrective_action="checked",
                occurred_at=at,
            ),
        )


def write_history(db: Database, sizes: Sizes, writers: int) -> tuple[Backoffice, Company]:
    """The year of history through the application layer; the app that wrote it."""
    now = datetime.now(UTC)
    app = Backoffice(
        db.settings.persistence_env(),
        policy=Policy(backdating=timedelta(days=400)),
    )
    company = Company(now=now)
    started = time.perf_counter()
    write_staff(app, company, sizes)
    write_customers(app, company, sizes)
    print(
        f"  staff and customers: position {app.max_position()} "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )

    def work(index: int) -> None:
        customers = company.customers[index::writers]
        writer = Writer(app, company, customers, seed=1_000 + index)
        for n in range(index, sizes.opportunities, writers):
            writer.opportunity()
            if n < sizes.complaints:
                writer.complaint()
        for _ in range(index + sizes.opportunities, sizes.complaints, writers):
            writer.complaint()

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(work, range(writers)))
    elapsed = time.perf_counter() - started
    print(
        f"  history: {app.max_position()} events in {elapsed:.0f} s "
        f"({app.max_position() / elapsed:,.0f} ev/s, {writers} writer(s)); "
        + ", ".join(f"{k} {v}" for k, v in sorted(company.counts.items())),
        flush=True,
    )
    return app, company


# Measuring.


@dataclass
class Figure:
    """One query's median and max in ms, and its ceiling's."""

    label: str
    median: float
    worst: float
    rows: int
    ceiling: float | None = None
    ceiling_worst: float | None = None

    def ratio(self) -> str:
        return f"{self.median / self.ceiling:.1f}x" if self.ceiling else ""


def run_times(repeat: int, work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Median and max in ms of `repeat` runs of work (the first one cold), and its answer."""
    times, answer = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        answer = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), answer


class Raw:
    """A plain connection to the read models' tables, for the ceilings."""

    def __init__(self, db: Database, views: dict[str, Any]) -> None:
        self.dialect = db.dialect
        self.views = views
        if db.dialect == "sqlite":
            path = db.settings.database_url.removeprefix("sqlite:///")
            self.conn: Any = sqlite3.connect(path, check_same_thread=False)
        else:
            self.conn = psycopg.connect(POSTGRES_URL, autocommit=True, row_factory=dict_row)

    def table(self, model: str, name: str) -> str:
        return self.views[model].table(name)

    def rows(self, statement: str, params: list[Any]) -> list[Any]:
        if self.dialect == "postgres":
            statement = statement.replace("?", "%s")
        return self.conn.execute(statement, params).fetchall()

    def close(self) -> None:
        self.conn.close()


@dataclass
class Report:
    """The figures of one database."""

    dialect: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        beside = (
            f"  ceiling {figure.ceiling:8.1f} ms  {figure.ratio():>7}"
            if figure.ceiling is not None
            else ""
        )
        print(
            f"  {figure.label:<50} median {figure.median:8.1f} ms  max {figure.worst:8.1f} ms"
            f"  ({figure.rows} rows){beside}",
            flush=True,
        )


def measure(
    report: Report,
    repeat: int,
    label: str,
    work: Callable[[], Any],
    ceiling: Callable[[], Any] | None = None,
) -> None:
    """Time a query and, alternately after it, its ceiling."""
    median, worst, answer = run_times(repeat, work)
    figure = Figure(label, median, worst, len(answer) if hasattr(answer, "__len__") else 1)
    if ceiling is not None:
        figure.ceiling, figure.ceiling_worst, _ = run_times(repeat, ceiling)
    report.add(figure)


def measure_rebuilds(app: Backoffice, db: Database, report: Report) -> None:
    env, dialect = db.settings.persistence_env(), db.dialect
    events = app.max_position()
    started = time.perf_counter()
    read_log(app, PAGE_SIZE, decode=False)
    floor = time.perf_counter() - started
    report.notes.append(f"read the log ({events} events, pages of {PAGE_SIZE}): {floor:.1f} s")
    print(f"  read the whole log: {events / floor:,.0f} ev/s", flush=True)
    for name in MODELS:
        started = time.perf_counter()
        rebuild(app, READ_MODELS[name], env, dialect)
        elapsed = time.perf_counter() - started
        line = f"rebuild {name}: {elapsed:.1f} s, {events / elapsed:,.0f} ev/s"
        line += f" (reading the log alone: {events / floor:,.0f} ev/s)"
        report.notes.append(line)
        print(f"  {line}", flush=True)


def complaint_ceiling(raw: Raw, keys: list[str], cutoff: str) -> Callable[[], Any]:
    """Grouped counts over the complaint rows and over their steps, up to the cutoff."""
    columns = {"period": "substr(received_at, 1, 7)", "category": "category"}
    columns["severity"] = "severity"
    select = [columns[k] for k in keys]
    group = f" GROUP BY {', '.join(select)}" if select else ""
    rows = (
        f"SELECT {''.join(c + ', ' for c in select)}COUNT(*) AS n, "
        f"COUNT(responded_at) AS r, COUNT(resolved_at) AS s "
        f"FROM {raw.table('complaints', 'complaint_list')} WHERE received_at <= ?{group}"
    )
    steps = (
        f"SELECT kind, COUNT(*) AS n FROM {raw.table('complaints', 'complaint_steps')} "
        "WHERE occurred_at <= ? GROUP BY kind"
    )
    return lambda: raw.rows(rows, [cutoff]) + raw.rows(steps, [cutoff])


def pipeline_ceiling(raw: Raw, keys: list[str], cutoff: str) -> Callable[[], Any]:
    """Grouped sums over the pipeline states and over the facts, up to the cutoff."""
    select = "".join(f"{k}, " for k in keys)
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    states = (
        f"SELECT {select}COUNT(*) AS n, SUM(value) AS v, SUM(weighted) AS w "
        f"FROM {raw.table('pipeline', 'pipeline_states')} WHERE at <= ?{group}"
    )
    facts = (
        f"SELECT {select}kind, COUNT(*) AS n, SUM(value) AS v "
        f"FROM {raw.table('pipeline', 'pipeline_facts')} WHERE at <= ? "
        f"GROUP BY {select}kind"
    )
    return lambda: raw.rows(states, [cutoff]) + raw.rows(facts, [cutoff])


def kpi_ceiling(raw: Raw, first: date, last: date, employee: str | None) -> Callable[[], Any]:
    """Grouped sums over the KPI facts of the period (and the complaints received in it)."""
    where, params = "day >= ? AND day <= ?", [first.isoformat(), last.isoformat()]
    if employee is not None:
        where += " AND employee_id = ?"
        params.append(employee)
    facts = (
        "SELECT kind, COUNT(*) AS n, SUM(amount) AS a "
        f"FROM {raw.table('kpis', 'kpi_facts')} WHERE {where} GROUP BY kind"
    )
    complaints = (
        f"SELECT COUNT(*) AS n, COUNT(resolved_at) AS r "
        f"FROM {raw.table('kpis', 'kpi_complaints')} WHERE received_day >= ? AND received_day <= ?"
    )
    if employee is not None:
        return lambda: raw.rows(facts, params)
    return lambda: raw.rows(facts, params) + raw.rows(complaints, params[:2])


def list_ceiling(
    raw: Raw, model: str, table: str, position: str, column: str, value: str
) -> Callable[[], Any]:
    """The same first page, filtered, on a plain connection."""
    statement = (
        f"SELECT * FROM {raw.table(model, table)} WHERE {column} = ? ORDER BY {position} LIMIT ?"
    )
    return lambda: raw.rows(statement, [value, 51])


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Queries:
    """The report queries of one database and their raw ceilings, timed into one report."""

    report: Report
    repeat: int
    views: dict[str, Any]
    raw: Raw
    company: Company

    def as_of_days(self) -> tuple[tuple[datetime, str], ...]:
        """The history's now, and 180 days before it, with their labels."""
        now = self.company.now
        return ((now, "now"), (now - timedelta(days=180), "past"))

    def complaints(self) -> None:
        """The complaints report by each of its keys and by all three, now and in the past."""
        complaints = self.views["complaints"]
        for as_of, tag in self.as_of_days():
            for keys in (
                ["period"],
                ["category"],
                ["severity"],
                ["period", "category", "severity"],
            ):
                measure(
                    self.report,
                    self.repeat,
                    f"complaints by {'+'.join(keys)}, {tag}",
                    lambda k=keys, a=as_of: complaints.report(k, a),
                    complaint_ceiling(self.raw, keys, iso_utc(as_of)),
                )

    def pipeline(self) -> None:
        """The pipeline report by each of its keys and by all three, now and in the past."""
        pipeline = self.views["pipeline"]
        for as_of, tag in self.as_of_days():
            for keys in (["owner"], ["stage"], ["month"], ["owner", "stage", "month"]):
                columns = [{"owner": "owner_id"}.get(k, k) for k in keys]
                measure(
                    self.report,
                    self.repeat,
                    f"pipeline by {'+'.join(keys)}, {tag}",
                    lambda k=keys, a=as_of: pipeline.report(k, as_of=a),
                    pipeline_ceiling(self.raw, columns, iso_utc(as_of)),
                )

    def kpis(self, periods: tuple[str, ...], quarter: str) -> None:
        """The company's KPIs for a month, a quarter and a year; one employee's for a quarter."""
        from projections.kpis import period_days

        kpis, now = self.views["kpis"], self.company.now
        for period in periods:
            first, last = period_days(period)
            measure(
                self.report,
                self.repeat,
                f"company KPIs {period}",
                lambda p=period: [kpis.company(p, now)],
                kpi_ceiling(self.raw, first, last, None),
            )
        first, last = period_days(quarter)
        employee = self.company.sales[0]
        measure(
            self.report,
            self.repeat,
            f"one employee's KPIs {quarter}",
            lambda: [kpis.employee(employee, quarter)],
            kpi_ceiling(self.raw, first, last, employee),
        )

    def lists(self) -> None:
        """The first page of the complaints of an assignee and the opportunities of an owner."""
        complaints, pipeline = self.views["complaints"], self.views["pipeline"]
        assignee, owner = self.company.service[0], self.company.sales[0]
        measure(
            self.report,
            self.repeat,
            "complaints list, first page, assignee_id",
            lambda: complaints.search(limit=51, assignee_id=assignee),
            list_ceiling(
                self.raw,
                "complaints",
                "complaint_list",
                "received_position",
                "assignee_id",
                assignee,
            ),
        )
        measure(
            self.report,
            self.repeat,
            "opportunities list, first page, owner_id",
            lambda: pipeline.search(limit=51, owner_id=owner),
            list_ceiling(
                self.raw,
                "pipeline",
                "pipeline_opportunities",
                "created_position",
                "owner_id",
                owner,
            ),
        )


def measure_queries(
    db: Database, company: Company, sizes: Sizes, report: Report, only: str | None
) -> None:
    """The report queries of the families asked for (all by default); then the routes."""
    env, dialect = db.settings.persistence_env(), db.dialect
    views = {name: construct_view(READ_MODELS[name], env, dialect) for name in MODELS}
    raw = Raw(db, views)
    try:
        queries = Queries(report, sizes.repeat, views, raw, company)
        families = ["complaints", "pipeline", "kpis", "lists"]
        if only:
            families = [f for f in families if f in only.split(",")]
        if "complaints" in families:
            queries.complaints()
        if "pipeline" in families:
            queries.pipeline()
        last_month = company.now.date().replace(day=1) - timedelta(days=1)
        quarter = f"{last_month.year}-Q{(last_month.month - 1) // 3 + 1}"
        periods = (month_of(last_month), quarter, str(last_month.year))
        if "kpis" in families:
            queries.kpis(periods, quarter)
        if "lists" in families:
            queries.lists()
            measure_http(db, company, sizes, report, periods)
    finally:
        raw.close()
        for view in views.values():
            close_view(view)


def measure_http(
    db: Database, company: Company, sizes: Sizes, report: Report, periods: tuple[str, ...]
) -> None:
    """A few of the routes through TestClient: the report plus HTTP, auth and JSON."""
    services = build(db.settings, run_projections=False)
    token = mint(db.settings.jwt_secret, "bench-admin", ["admin"], timedelta(hours=1))
    try:
        with TestClient(
            create_app(services=services), headers={"Authorization": f"Bearer {token}"}
        ) as client:
            assignee, owner = company.service[0], company.sales[0]
            routes = [
                ("/reports/complaints?group_by=period,category,severity", ""),
                ("/reports/pipeline?group_by=owner,stage,month", ""),
                (f"/reports/kpis/company?period={periods[2]}", ""),
                ("/complaints?assignee_id=", assignee),
                ("/opportunities?owner_id=", owner),
            ]
            for path, value in routes:
                label = f"GET {path}{'<id>' if value else ''}"

                def get(url: str = path + value) -> Any:
                    answer = client.get(url)
                    assert answer.status_code == 200, answer.text
                    return answer.json()["items"]

                measure(report, sizes.repeat, label, get)
    finally:
        services.close()


def analyze(db: Database, views_env: dict[str, str]) -> None:
    """ANALYZE the read models' tables on PostgreSQL, as autovacuum would after a rebuild."""
    if db.dialect != "postgres":
        return
    views = {n: construct_view(READ_MODELS[n], views_env, db.dialect) for n in MODELS}
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for name, view in views.items():
                for table in READ_MODELS[name].read_model.table_names:
                    conn.execute(f"ANALYZE {view.table(table)}")
    finally:
        for view in views.values():
            close_view(view)


def bench(dialect: str, sizes: Sizes, writers: int, only: str | None) -> Report:
    report = Report(dialect)
    print(f"\n== {dialect} (load {load()})", flush=True)
    with database(dialect) as db:
        app, company = write_history(db, sizes, writers)
        try:
            measure_rebuilds(app, db, report)
        finally:
            app.close()
        analyze(db, db.settings.persistence_env())
        measure_queries(db, company, sizes, report, only)
    print(f"  (load {load()})", flush=True)
    return report


def summary(reports: list[Report]) -> None:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    header = ["Query"]
    for r in reports:
        name = names[r.dialect]
        header += [f"{name} median ms", "max", "ceiling", "ratio"]
    print("\n| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for index, first in enumerate(reports[0].figures):
        cells = [first.label]
        for r in reports:
            f = r.figures[index]
            cells += [
                f"{f.median:.1f}",
                f"{f.worst:.1f}",
                "-" if f.ceiling is None else f"{f.ceiling:.1f}",
                f.ratio() or "-",
            ]
        print("| " + " | ".join(cells) + " |")
    for r in reports:
        for note in r.notes:
            print(f"{names[r.dialect]}: {note}")


def main() -> None:
    parser = dialect_parser(__doc__, "a tenth of the history")
    parser.add_argument("--scale", type=float, help="times the default history (default 1)")
    parser.add_argument("--repeat", type=int, help="runs of each query (default 5; 3 quick)")
    parser.add_argument(
        "--writers", type=int, default=3, help="threads writing PostgreSQL's history (default 3)"
    )
    parser.add_argument("--families", help="only these: complaints,pipeline,kpis,lists")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.scale:
        sizes = sizes_at(args.scale, sizes.repeat)
    if args.repeat:
        sizes = Sizes(**{**sizes.__dict__, "repeat": args.repeat})
    about = machine()
    print_machine(about, f"; sizes: {sizes}")

    def on(dialect: str) -> Report:
        writers = 1 if dialect == "sqlite" else args.writers
        return bench(dialect, sizes, writers, args.families)

    run_each(args.only, about, on, summary)


if __name__ == "__main__":
    main()
