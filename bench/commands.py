"""Benchmark of mops: commands, HTTP, projections and reads, each beside a raw-insert ceiling.

Run from the repository root:

    .venv/bin/python bench/commands.py [--quick] [--only sqlite|postgres]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>` schema
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end) it measures:

1. Commands through the application layer: `register_lead` (the Customer and its
   CustomerIdentity written in one transaction) and `record_follow_up` on existing
   customers (one event), as commands/s and events/s.
2. The same two commands over HTTP: in-process through FastAPI's TestClient, and through
   uvicorn on a free loopback port with an httpx keep-alive client.
3. Projection catch-up over the log written by 1 and 2: live (both in-process runners
   started on the whole log at once; a runner folds what its subscription already holds,
   up to 100 events, per transaction) and `rebuild` (one read model at a time, one
   transaction per page of 500). Both are compared with the batched ceiling.
4. The ceiling: the same number of rows, of the average stored event size, inserted by
   plain sqlite3 / plain psycopg into a table shaped like the events table, in the same
   transaction shapes as the commands (one transaction per command) and batched 500 rows
   per transaction. SQLite: a file beside the app's, WAL journal and the default
   `synchronous` (the library sets only `journal_mode=WAL`); PostgreSQL: the same server
   and schema, hence the same `synchronous_commit`. Both settings are read back from the
   app's own connections and the ceiling's, and printed.
5. Read-your-writes: with projections running in-process, the time from a command's
   return until the customer directory has folded its position (`ReadSide.wait`), and
   the time of `GET /customers?wait_for=<position>` after a `POST` follow-up.
6. Command latency on a customer with 10 000 events (2 000 with --quick) against a new
   customer, alternating the two so that noise hits both alike.

The machine is shared and noisy, so every figure is printed beside its ceiling measured
in the same run: rates as a percentage of it, latencies as a multiple of the raw commit
latency. A summary table in Markdown ends the output.
"""

from __future__ import annotations

import math
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from common import (
    POSTGRES_URL,
    dialect_parser,
    load,
    machine,
    print_machine,
    run_each,
    scratch_schema,
    served,
)
from fastapi.testclient import TestClient

from application.backoffice import Backoffice, Request
from application.commands.customers import (
    AwardPoints,
    EnrollMembership,
    RecordFollowUp,
    RegisterLead,
)
from application.permissions import Caller
from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.http.app import create_app
from interfaces.settings import Settings
from projections.runner import READ_MODELS, ReadSide, rebuild

REQUEST = Request(Caller("bench", frozenset({"admin"})))
FOLLOW_UP = {"kind": "call", "notes": "x"}
BATCH = 500
WARM_UP = 20

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    commands: int  # leads registered, then as many follow-ups
    testclient: int  # leads and follow-ups through TestClient
    uvicorn: int  # leads and follow-ups through uvicorn
    ryw: int  # read-your-writes samples through the application
    ryw_http: int  # read-your-writes samples through HTTP
    long_stream: int  # events on the long customer
    latency: int  # commands timed on the long and on the new customer


FULL = Sizes(2000, 400, 400, 200, 100, 10_000, 200)
QUICK = Sizes(300, 60, 60, 50, 25, 2_000, 50)


@dataclass
class Figure:
    """One measured figure, with the ceiling it is compared with."""

    label: str
    value: float
    unit: str
    ceiling: float | None = None

    def ratio(self) -> str:
        """The figure as a share of its ceiling (rates) or a multiple of it (latencies)."""
        if not self.ceiling:
            return ""
        if self.unit == "ms":
            return f"{self.value / self.ceiling:.1f}x"
        return f"{self.value / self.ceiling:.0%}"


@dataclass
class Report:
    """The figures of one database, printed as they are measured."""

    dialect: str
    figures: list[Figure] = field(default_factory=list)

    def add(self, label: str, value: float, unit: str, ceiling: float | None = None) -> None:
        """Record a figure and print it beside its ceiling."""
        figure = Figure(label, value, unit, ceiling)
        self.figures.append(figure)
        beside = f"   ceiling {number(ceiling, unit):>9}   {figure.ratio():>5}" if ceiling else ""
        print(f"  {label:<52} {number(value, unit):>9} {unit:<6}{beside}", flush=True)

    def note(self, text: str) -> None:
        """Print a line of context."""
        print(f"  {text}", flush=True)


def number(value: float | None, unit: str) -> str:
    """A figure formatted for its unit."""
    if value is None:
        return "-"
    return f"{value:.2f}" if unit == "ms" else f"{value:,.0f}"


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile of samples (q from 0 to 1)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def ms(seconds: float) -> float:
    """Seconds in milliseconds."""
    return seconds * 1000


# Databases and the ceiling.


class RawSQLite:
    """Plain sqlite3 on a file beside the app's, opened in the mode the library uses."""

    def __init__(self, directory: str) -> None:
        """Create the table, in WAL mode, in `ceiling.db` of the app's directory."""
        self.conn = sqlite3.connect(
            Path(directory) / "ceiling.db", isolation_level=None, check_same_thread=False
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )

    def settings(self) -> str:
        """The journal mode and synchronous level of this connection."""
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        level = self.conn.execute("PRAGMA synchronous").fetchone()[0]
        return f"journal_mode={mode} synchronous={level}"

    def insert(self, shape: list[int], topic: str, state: bytes) -> list[float]:
        """One transaction per entry of `shape`, with that many rows; seconds of each."""
        durations = []
        for size in shape:
            rows = [(uuid.uuid4().hex, 1, topic, state) for _ in range(size)]
            start = time.perf_counter()
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT INTO raw_events VALUES (?,?,?,?)", rows)
            self.conn.execute("COMMIT")
            durations.append(time.perf_counter() - start)
        return durations

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class RawPostgres:
    """Plain psycopg in the app's schema, each transaction sent as one pipeline."""

    def __init__(self, schema: str) -> None:
        """Create the table, with the events table's columns and indexes, in `schema`."""
        self.conn = psycopg.connect(POSTGRES_URL, autocommit=True)
        self.table = f'"{schema}".raw_events'
        self.conn.execute(
            f"CREATE TABLE {self.table} (originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, topic text, state bytea, "
            "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        self.conn.execute(f"CREATE UNIQUE INDEX ON {self.table} (notification_id)")

    def settings(self) -> str:
        """The commit durability of this connection."""
        return "synchronous_commit=" + self.conn.execute("SHOW synchronous_commit").fetchone()[0]

    def insert(self, shape: list[int], topic: str, state: bytes) -> list[float]:
        """One transaction per entry of `shape`, with that many rows; seconds of each."""
        statement = (
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)"
        )
        durations = []
        with self.conn.cursor() as cursor:
            for size in shape:
                rows = [(uuid.uuid4(), 1, topic, state) for _ in range(size)]
                start = time.perf_counter()
                with self.conn.pipeline(), self.conn.transaction():
                    cursor.executemany(statement, rows)
                durations.append(time.perf_counter() - start)
        return durations

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


@dataclass
class Database:
    """A fresh database for the app, and the raw connection that measures its ceiling."""

    dialect: str
    settings: Settings
    raw: RawSQLite | RawPostgres


@contextmanager
def sqlite_database() -> Iterator[Database]:
    """An SQLite file in a temporary directory."""
    with sqlite_scratch() as (directory, raw):
        url = f"sqlite:///{directory}/mops.db"
        yield Database("sqlite", Settings(database_url=url, jwt_secret=DEV_JWT_SECRET), raw)


@contextmanager
def postgres_database() -> Iterator[Database]:
    """A fresh schema in the PostgreSQL database, dropped afterwards."""
    with postgres_scratch() as (schema, raw):
        url = f"{POSTGRES_URL}?schema={schema}"
        yield Database("postgres", Settings(database_url=url, jwt_secret=DEV_JWT_SECRET), raw)


@contextmanager
def sqlite_scratch() -> Iterator[tuple[str, RawSQLite]]:
    """A temporary directory for the app's SQLite file, and the ceiling's file beside it."""
    with tempfile.TemporaryDirectory(prefix="mops-bench-") as directory:
        raw = RawSQLite(directory)
        try:
            yield directory, raw
        finally:
            raw.close()


@contextmanager
def postgres_scratch() -> Iterator[tuple[str, RawPostgres]]:
    """A fresh schema for the app, and the ceiling's table in it."""
    with scratch_schema() as schema:
        raw = RawPostgres(schema)
        try:
            yield schema, raw
        finally:
            raw.close()


@contextmanager
def database(dialect: str) -> Iterator[Database]:
    """A fresh database of the dialect."""
    with sqlite_database() if dialect == "sqlite" else postgres_database() as db:
        yield db


def on_database(run: Callable[[Database], T]) -> Callable[[str], T]:
    """`run` on a fresh database of the dialect it is given."""

    def opened(dialect: str) -> T:
        with database(dialect) as db:
            return run(db)

    return opened


def app_settings(app: Backoffice, dialect: str) -> str:
    """The durability settings of the app's own connections."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        if dialect == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            return f"journal_mode={mode} synchronous={cursor.fetchone()[0]}"
        cursor.execute("SHOW synchronous_commit")
        return f"synchronous_commit={cursor.fetchone()['synchronous_commit']}"


def stored_event_shape(app: Backoffice, dialect: str) -> tuple[int, int]:
    """The average size in bytes of the stored events' `state` and `topic`."""
    recorder = app.recorder
    table = recorder.events_table_name
    if dialect == "postgres":
        table = f'"{recorder.datastore.schema}"."{table}"'
    with recorder.datastore.transaction(commit=False) as cursor:
        size = "octet_length(state)" if dialect == "postgres" else "length(CAST(state AS BLOB))"
        cursor.execute(f"SELECT avg({size}) AS state, avg(length(topic)) AS topic FROM {table}")
        row = cursor.fetchone()
        return round(float(row["state"])), round(float(row["topic"]))


# The commands.


def lead(tag: str, i: int) -> dict[str, Any]:
    """The body of a new lead, unique within a run; one contact, with a phone only."""
    return {
        "name": f"Bench {tag} {i}",
        "kind": "company",
        "source": "web",
        "region": "Shanghai",
        "contacts": [{"name": "Li Wei", "phone": f"+86 139 {i:08d}"}],
    }


def register_leads(app: Backoffice, count: int) -> list[uuid.UUID]:
    """Register `count` new leads; their ids."""
    tag = uuid.uuid4().hex[:8]
    return [app.handle(REQUEST, RegisterLead(**lead(tag, i))).id for i in range(count)]


def follow_up(app: Backoffice, ids: list[uuid.UUID]) -> int | None:
    """One follow-up on each customer; the last position."""
    position = None
    for customer_id in ids:
        position = app.handle(REQUEST, RecordFollowUp(customer_id, **FOLLOW_UP)).position
    return position


def award_points(app: Backoffice, customer_id: uuid.UUID, count: int) -> None:
    """Award a point to the customer `count` times, one command each."""
    for _ in range(count):
        app.handle(REQUEST, AwardPoints(customer_id, 1, "bench"))


def timed(work: Callable[[], Any]) -> float:
    """Seconds taken by `work()`."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


@dataclass
class Ceiling:
    """The raw-insert figures the app figures are compared with."""

    lead_shape: float  # transactions/s with as many rows as a register_lead writes
    single: float  # transactions/s with one row
    mixed: float  # transactions/s over both shapes, as many as the app's mix
    mixed_rows: float  # rows/s over both shapes
    batched_rows: float  # rows/s, 500 rows per transaction
    commit_p50: float  # ms of a one-row transaction
    commit_p95: float


def measure_commands(services: Services, db: Database, sizes: Sizes, report: Report) -> Ceiling:
    """Figures 1 and 4: app commands, then the raw inserts of the same rows and shapes."""
    app = services.backoffice
    follow_up(app, register_leads(app, WARM_UP))
    n = sizes.commands
    before = app.max_position()
    ids: list[uuid.UUID] = []
    lead_seconds = timed(lambda: ids.extend(register_leads(app, n)))
    after_leads = app.max_position()
    follow_seconds = timed(lambda: follow_up(app, ids))
    lead_events, follow_events = after_leads - before, app.max_position() - after_leads
    per_lead = round(lead_events / n)

    state_size, topic_size = stored_event_shape(app, db.dialect)
    state, topic = os.urandom(state_size), "t" * topic_size
    db.raw.insert([per_lead] * WARM_UP, topic, state)
    raw_lead = sum(db.raw.insert([per_lead] * n, topic, state))
    single = db.raw.insert([1] * n, topic, state)
    rows = lead_events + follow_events
    batched = sum(db.raw.insert([BATCH] * (rows // BATCH) + [rows % BATCH], topic, state))
    ceiling = Ceiling(
        lead_shape=n / raw_lead,
        single=n / sum(single),
        mixed=2 * n / (raw_lead + sum(single)),
        mixed_rows=rows / (raw_lead + sum(single)),
        batched_rows=rows / batched,
        commit_p50=ms(percentile(single, 0.5)),
        commit_p95=ms(percentile(single, 0.95)),
    )
    report.note(f"app:     {app_settings(app, db.dialect)}")
    report.note(f"ceiling: {db.raw.settings()}")
    report.note(
        f"stored event: state {state_size} B, topic {topic_size} B; "
        f"register_lead writes {per_lead} events; {n} of each command"
    )
    report.add(
        f"register_lead (txn of {per_lead} events)", n / lead_seconds, "cmd/s", ceiling.lead_shape
    )
    report.add("record_follow_up (txn of 1 event)", n / follow_seconds, "cmd/s", ceiling.single)
    report.add("mix of both", 2 * n / (lead_seconds + follow_seconds), "cmd/s", ceiling.mixed)
    report.add("mix of both", rows / (lead_seconds + follow_seconds), "ev/s", ceiling.mixed_rows)
    report.add(f"raw insert, {BATCH} rows per transaction", ceiling.batched_rows, "rows/s")
    report.add("raw one-row commit p50", ceiling.commit_p50, "ms")
    report.add("raw one-row commit p95", ceiling.commit_p95, "ms")
    return ceiling


# HTTP.


def auth_headers() -> dict[str, str]:
    """A bearer token for an admin."""
    token = mint(DEV_JWT_SECRET, "bench", ["admin"], timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def http_commands(client: httpx.Client | TestClient, count: int) -> tuple[float, float]:
    """POST `count` leads then a follow-up on each; seconds of each half."""
    tag = uuid.uuid4().hex[:8]
    ids: list[str] = []

    def register() -> None:
        """POST the leads."""
        for i in range(count):
            response = client.post("/customers", json=lead(tag, i))
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

    def follow() -> None:
        """POST a follow-up on each lead."""
        for customer_id in ids:
            response = client.post(f"/customers/{customer_id}/follow-ups", json=FOLLOW_UP)
            assert response.status_code == 200, response.text

    return timed(register), timed(follow)


def measure_http(services: Services, sizes: Sizes, ceiling: Ceiling, report: Report) -> None:
    """Figure 2: the two commands through TestClient and through uvicorn."""
    headers = auth_headers()
    with TestClient(create_app(services=services), headers=headers) as client:
        http_commands(client, WARM_UP)
        lead_s, follow_s = http_commands(client, sizes.testclient)
    n = sizes.testclient
    report.add("TestClient POST /customers", n / lead_s, "cmd/s", ceiling.lead_shape)
    report.add("TestClient POST /customers/{id}/follow-ups", n / follow_s, "cmd/s", ceiling.single)
    with (
        served(services) as base_url,
        httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=30) as client,
    ):
        http_commands(client, WARM_UP)
        lead_s, follow_s = http_commands(client, sizes.uvicorn)
    n = sizes.uvicorn
    report.add("uvicorn+httpx POST /customers", n / lead_s, "cmd/s", ceiling.lead_shape)
    report.add(
        "uvicorn+httpx POST /customers/{id}/follow-ups", n / follow_s, "cmd/s", ceiling.single
    )


# Projections.


def measure_projections(services: Services, db: Database, ceiling: Ceiling, report: Report) -> None:
    """Figure 3: live catch-up of every read model at once, then a rebuild of each."""
    app, env, dialect = services.backoffice, db.settings.persistence_env(), db.dialect
    target = app.max_position()
    report.note(f"log: {target} events, no read model has folded any yet")
    start = time.perf_counter()
    read_side = ReadSide(Backoffice, env, dialect, run=True)
    try:

        def caught_up(name: str) -> float:
            """Seconds from the start until the read model has folded the whole log."""
            if not read_side.wait(name, target, timeout=600):
                raise RuntimeError(f"{name} did not catch up: {read_side.status(target)}")
            return time.perf_counter() - start

        with ThreadPoolExecutor(len(READ_MODELS)) as pool:
            seconds = dict(zip(READ_MODELS, pool.map(caught_up, READ_MODELS), strict=True))
    finally:
        read_side.close()
    for name, elapsed in seconds.items():
        report.add(
            f"live catch-up {name} (all runners at once)",
            target / elapsed,
            "ev/s",
            ceiling.batched_rows,
        )
    both = len(seconds) * target / max(seconds.values())
    report.add("live catch-up, all read models together", both, "ev/s", ceiling.batched_rows)
    for name, spec in READ_MODELS.items():
        elapsed = timed(lambda spec=spec: rebuild(app, spec, env, dialect))
        report.add(f"rebuild {name}", target / elapsed, "ev/s", ceiling.batched_rows)


# Read-your-writes.


def measure_read_your_writes(db: Database, sizes: Sizes, ceiling: Ceiling, report: Report) -> None:
    """Figure 5: from a command's return until the customer directory shows it."""
    services = build(db.settings, run_projections=True)
    try:
        app, read_side = services.backoffice, services.read_side
        for name in READ_MODELS:
            assert read_side.wait(name, app.max_position(), timeout=120), name
        ids = register_leads(app, max(sizes.ryw, sizes.ryw_http))
        samples = []
        for customer_id in ids[: sizes.ryw]:
            position = app.handle(REQUEST, RecordFollowUp(customer_id, **FOLLOW_UP)).position
            start = time.perf_counter()
            assert read_side.wait("customer_directory", position, timeout=10)
            samples.append(ms(time.perf_counter() - start))
        label = "command return -> directory folded"
        report.add(f"{label} p50", percentile(samples, 0.5), "ms", ceiling.commit_p50)
        report.add(f"{label} p95", percentile(samples, 0.95), "ms", ceiling.commit_p95)

        samples = []
        with TestClient(create_app(services=services), headers=auth_headers()) as client:
            for customer_id in ids[: sizes.ryw_http]:
                posted = client.post(f"/customers/{customer_id}/follow-ups", json=FOLLOW_UP)
                start = time.perf_counter()
                answer = client.get(
                    "/customers", params={"wait_for": posted.json()["position"], "limit": 1}
                )
                samples.append(ms(time.perf_counter() - start))
                assert answer.status_code == 200, answer.text
                assert "mops-read-model-lagging" not in answer.headers
        label = "GET /customers?wait_for after POST"
        report.add(f"{label} p50", percentile(samples, 0.5), "ms", ceiling.commit_p50)
        report.add(f"{label} p95", percentile(samples, 0.95), "ms", ceiling.commit_p95)
    finally:
        services.close()


# A long stream.


def measure_long_stream(services: Services, sizes: Sizes, ceiling: Ceiling, report: Report) -> None:
    """Figure 6: one command on a customer with many events against one on a new customer."""
    app = services.backoffice
    long_id, new_id = register_leads(app, 2)
    for customer_id in (long_id, new_id):
        app.handle(REQUEST, EnrollMembership(customer_id, "gold"))
    appends = sizes.long_stream - 2
    elapsed = timed(lambda: award_points(app, long_id, appends))
    snapshot = next(iter(app.snapshots.get(long_id, desc=True, limit=1)), None)
    report.note(
        f"long customer: version {app.repository.get(long_id).version}, "
        f"latest snapshot at version {snapshot.originator_version if snapshot else None}"
    )
    report.add(
        f"award_points growing one customer to {sizes.long_stream}",
        appends / elapsed,
        "cmd/s",
        ceiling.single,
    )
    long_samples, new_samples = [], []
    for _ in range(sizes.latency):
        for customer_id, samples in ((long_id, long_samples), (new_id, new_samples)):
            start = time.perf_counter()
            app.handle(REQUEST, AwardPoints(customer_id, 1, "bench"))
            samples.append(ms(time.perf_counter() - start))
    for label, samples in (
        (f"award_points on the {sizes.long_stream}-event customer", long_samples),
        ("award_points on a new customer", new_samples),
    ):
        report.add(f"{label} p50", percentile(samples, 0.5), "ms", ceiling.commit_p50)
        report.add(f"{label} p95", percentile(samples, 0.95), "ms", ceiling.commit_p95)


# Running it all.


def bench(db: Database, sizes: Sizes) -> Report:
    """Every figure on one database."""
    report = Report(db.dialect)
    print(f"\n== {db.dialect} (load {load()})", flush=True)
    services = build(db.settings, run_projections=False)
    try:
        print(" 1+4. commands through the application, and the ceiling", flush=True)
        ceiling = measure_commands(services, db, sizes, report)
        print(" 2. commands through HTTP", flush=True)
        measure_http(services, sizes, ceiling, report)
        print(" 3. projection catch-up", flush=True)
        measure_projections(services, db, ceiling, report)
        print(" 5. read-your-writes, projections in-process", flush=True)
        measure_read_your_writes(db, sizes, ceiling, report)
        print(" 6. a long stream against a new one", flush=True)
        measure_long_stream(services, sizes, ceiling, report)
    finally:
        services.close()
    print(f"  (load {load()})", flush=True)
    return report


def summary(reports: list[Report]) -> None:
    """Every figure of every database in one Markdown table."""
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    header = ["Figure", "unit"]
    for report in reports:
        header += [names[report.dialect], "ceiling", "ratio"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for index, first in enumerate(reports[0].figures):
        cells = [first.label, first.unit]
        for report in reports:
            figure = report.figures[index]
            cells += [number(figure.value, figure.unit), number(figure.ceiling, figure.unit)]
            cells.append(figure.ratio())
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    """Parse the arguments, print the machine, run the benchmark on each database."""
    args = dialect_parser(__doc__, "smaller counts, about a minute").parse_args()
    sizes = QUICK if args.quick else FULL
    about = machine()
    print_machine(about, f"; sizes: {sizes}")
    run_each(args.only, about, on_database(lambda db: bench(db, sizes)), summary)


if __name__ == "__main__":
    main()
