"""The write path in-process: threads calling `Backoffice.handle`, beside raw-commit ceilings.

Run from the repository root:

    .venv/bin/python bench/write_path.py [--quick] [--only sqlite|postgres] [--threads 1,16]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end) and each
thread count, it measures, in rounds that interleave every target (A B C A B C ...), the
median of the rounds:

- `follow_up`: `RecordFollowUp` (one event) on a customer drawn at random from a pool of
  64 (with 16 threads some commands race for a customer and are decided again);
- `register_lead`: `RegisterLead` (the Customer and its CustomerIdentity, two events);

each through `Backoffice.handle` on four back offices, each adding a step of issue 16 to
the one before:

- `library path`: the library's repository (a cached aggregate deep-copied on every
  load) and the library's `insert_events` (on PostgreSQL `BEGIN`, a sync after the
  inserts, `COMMIT`: three round trips), as mops was before;
- `+ copy-on-write`: mops's repository (`CopyOnWriteRepository`: nothing copied on load,
  the state copied before a command's first change);
- `+ one round trip`: the recorders of `projections/grouped.py`, each command one
  transaction sent as one pipeline;
- `+ group commit`: the commands arriving together commit in one transaction
  (`application/group_commit.py`);

and beside them, on the same database, in the same round:

- `raw commit`: one row inserted and committed per transaction, each thread on its own
  connection (SQLite: `BEGIN`/`INSERT`/`COMMIT` in WAL mode, writers taking turns on a
  lock, as the library does; PostgreSQL: the three sent as one pipeline, a single round
  trip);
- `raw commit, LOCK TABLE` (PostgreSQL): the same under the library's
  `LOCK TABLE ... IN EXCLUSIVE MODE`, which keeps positions committing in order;
- `raw batch of 16, LOCK TABLE` (PostgreSQL): one writer committing 16 rows per
  transaction under that lock: what group commit can reach.

Rates are commands (or rows) per second; each mops figure is printed as a share of the
raw commit measured at the same thread count in the same rounds. The machine is shared
and noisy: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from common import (
    POSTGRES_URL,
    dialect_parser,
    each_dialect,
    load,
    postgres_reachable,
    print_date,
    print_table,
    scratch_schema,
)
from eventsourcing.application import Application, Repository

from application.backoffice import Backoffice, Request
from application.commands.customers import RecordFollowUp, RegisterLead
from application.permissions import Caller
from interfaces.settings import Settings

REQUEST = Request(Caller("bench", frozenset({"admin"})))
POOL = 64  # customers the follow-ups are spread over
STATE = os.urandom(350)  # about the size of a stored event's state
TOPIC = "domain.customer:Customer.FollowUpRecorded"


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    commands: int  # per target, thread count and round
    rounds: int


FULL = Sizes(commands=800, rounds=5)
QUICK = Sizes(commands=320, rounds=2)


# Running work on threads.


@dataclass(frozen=True)
class Run:
    """One run of a target: calls per second, and this process's CPU time per call."""

    rate: float
    cpu_ms: float


def run_threads(threads: int, count: int, work: Callable[[int, int], None]) -> Run:
    """`count` calls `work(thread, i)` spread over `threads` threads."""
    per_thread = count // threads
    errors: list[BaseException] = []
    start_line = threading.Barrier(threads + 1)

    def worker(thread: int) -> None:
        start_line.wait()
        try:
            for i in range(per_thread):
                work(thread, i)
        except BaseException as error:  # reported after the join
            errors.append(error)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    start_line.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for thread in pool:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if errors:
        raise errors[0]
    calls = per_thread * threads
    return Run(calls / elapsed, 1000 * cpu / calls)


# The raw ceilings.


class RawSQLite:
    """Plain sqlite3 connections on a file beside the app's, in the library's mode."""

    def __init__(self, directory: str, threads: int) -> None:
        """One connection a thread, in WAL mode, on `ceiling.db` of the app's directory."""
        path = Path(directory) / "ceiling.db"
        # One writer at a time: SQLite has one write lock, and a thread that waits for it
        # in sqlite3 sleeps and polls; the library's pool queues its writers on a lock.
        self.writer = threading.Lock()
        self.conns = [
            sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            for _ in range(threads)
        ]
        self.conns[0].execute("PRAGMA journal_mode=WAL")
        self.conns[0].execute(
            "CREATE TABLE IF NOT EXISTS raw_events (originator_id TEXT, "
            "originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )

    def commit_one(self, thread: int, _: int) -> None:
        """Insert and commit one row."""
        conn = self.conns[thread]
        conn.execute("BEGIN")
        conn.execute("INSERT INTO raw_events VALUES (?,?,?,?)", (uuid.uuid4().hex, 1, TOPIC, STATE))
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connections."""
        for conn in self.conns:
            conn.close()


class RawPostgres:
    """Plain psycopg connections in the app's schema, each transaction one pipeline."""

    def __init__(self, schema: str, threads: int) -> None:
        """One connection a thread; a table shaped like the events table."""
        self.conns = [psycopg.connect(POSTGRES_URL, autocommit=True) for _ in range(threads)]
        self.table = f'"{schema}".raw_events'
        self.conns[0].execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} (originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, topic text, state bytea, "
            "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        self.conns[0].execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS raw_events_nid ON {self.table} (notification_id)"
        )
        self.insert = (
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
            "VALUES (%s, 1, %s, %s)"
        )

    def commit(self, thread: int, rows: int, *, lock: bool) -> None:
        """Insert and commit `rows` rows in one pipelined transaction, locked or not."""
        conn = self.conns[thread]
        # BEGIN and COMMIT as statements: psycopg's `transaction()` in a pipeline would
        # sync after BEGIN and before COMMIT (three round trips instead of one).
        with conn.pipeline(), conn.cursor() as cursor:
            cursor.execute("BEGIN")
            if lock:
                cursor.execute(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE")
            cursor.executemany(self.insert, [(uuid.uuid4(), TOPIC, STATE) for _ in range(rows)])
            cursor.execute("COMMIT")

    def close(self) -> None:
        """Close the connections."""
        for conn in self.conns:
            conn.close()


# The databases.


@dataclass
class Database:
    """A fresh database: its dialect, settings, and a place for the raw ceiling."""

    dialect: str
    settings: Settings
    directory: str = ""
    schema: str = ""

    def raw(self, threads: int) -> RawSQLite | RawPostgres:
        """The raw connections of the ceiling, one a thread."""
        if self.dialect == "sqlite":
            return RawSQLite(self.directory, threads)
        return RawPostgres(self.schema, threads)


@contextmanager
def sqlite_database() -> Iterator[Database]:
    """An SQLite file in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="mops-bench-") as directory:
        settings = Settings(database_url=f"sqlite:///{directory}/mops.db")
        yield Database("sqlite", settings, directory=directory)


@contextmanager
def postgres_database() -> Iterator[Database]:
    """A fresh schema in the PostgreSQL database, dropped afterwards."""
    with scratch_schema() as schema:
        settings = Settings(database_url=f"{POSTGRES_URL}?schema={schema}&max_overflow=32")
        yield Database("postgres", settings, schema=schema)


# The targets.


_leads = itertools.count()


def new_lead(app: Backoffice) -> uuid.UUID:
    """Register a lead with a name and phone of its own (two events); its id."""
    n = next(_leads)  # atomic under the GIL
    lead = RegisterLead(
        name=f"Bench {n}",
        kind="company",
        source="web",
        contacts=[{"name": "Li Wei", "phone": f"+86 139 {n:08d}"}],
    )
    return app.handle(REQUEST, lead).id


def register_lead(app: Backoffice, _customers: list[uuid.UUID]) -> Callable[[int, int], None]:
    """Work registering a new lead a call."""

    def work(_thread: int, _i: int) -> None:
        new_lead(app)

    return work


def follow_up(app: Backoffice, customers: list[uuid.UUID]) -> Callable[[int, int], None]:
    """Work recording a follow-up a call on a customer drawn from the pool (one event)."""

    def work(_thread: int, _i: int) -> None:
        app.handle(REQUEST, RecordFollowUp(random.choice(customers), kind="call", notes="x"))

    return work


class LibraryRepositoryBackoffice(Backoffice):
    """The back office with the library's own repository: a cached aggregate deep-copied on load."""

    name = "Backoffice"  # its tables, not ones named after this class

    def construct_repository(self) -> Repository[uuid.UUID]:
        """`Application.construct_repository`, as the library makes it."""
        return Application.construct_repository(self)


def library_recorder(dialect: str) -> str:
    """The topic of the recorder mops used before issue 16 (the library's insert_events)."""
    if dialect == "sqlite":
        return "projections.subscriptions:SubscribableSQLiteApplicationRecorder"
    return "projections.subscriptions:ReadyPostgresApplicationRecorder"


def offices(db: Database) -> dict[str, Backoffice]:
    """The back offices measured, each a step of issue 16 added to the one before."""
    env = db.settings.persistence_env()
    before = {
        **env,
        "GROUP_COMMIT": "n",
        "APPLICATION_RECORDER_TOPIC": library_recorder(db.dialect),
    }
    return {
        "library path": LibraryRepositoryBackoffice(before),
        "+ copy-on-write": Backoffice(before),
        "+ one round trip": Backoffice({**env, "GROUP_COMMIT": "n"}),
        "+ group commit": Backoffice({**env, "GROUP_COMMIT": "y"}),
    }


def mops_targets(
    measured: dict[str, Backoffice], customers: list[uuid.UUID]
) -> dict[str, Callable[[int, int], None]]:
    """The commands measured on each back office."""
    targets = {}
    for workload, make in (("follow_up", follow_up), ("register_lead", register_lead)):
        for label, app in measured.items():
            targets[f"{workload}, {label}"] = make(app, customers)
    return targets


def raw_targets(raw: RawSQLite | RawPostgres) -> dict[str, Callable[[int, int], None]]:
    """The ceilings measured on the raw connections."""
    if isinstance(raw, RawSQLite):
        return {"raw commit": raw.commit_one}
    return {
        "raw commit": lambda thread, _: raw.commit(thread, 1, lock=False),
        "raw commit, LOCK TABLE": lambda thread, _: raw.commit(thread, 1, lock=True),
        "raw batch of 16, LOCK TABLE (rows)": lambda _t, _i: raw.commit(0, 16, lock=True),
    }


def seed(db: Database) -> list[uuid.UUID]:
    """Create the tables and the pool of customers; their ids."""
    app = Backoffice(db.settings.persistence_env())
    try:
        return [new_lead(app) for _ in range(POOL)]
    finally:
        app.close()


# Measuring.


def measure(db: Database, threads: int, sizes: Sizes) -> dict[str, Run]:
    """Every target at one thread count: the medians of interleaved rounds."""
    customers = seed_once(db)
    raw = db.raw(threads)
    measured = offices(db)
    targets = {**raw_targets(raw), **mops_targets(measured, customers)}
    runs: dict[str, list[Run]] = {name: [] for name in targets}
    try:
        for name, work in targets.items():  # warm up: connections, caches, statements
            run_threads(writers(name, threads, db.dialect), threads * 4, work)
        for _ in range(sizes.rounds):
            for name, work in targets.items():
                calls = sizes.commands // (16 if name.startswith("raw batch") else 1)
                runs[name].append(run_threads(writers(name, threads, db.dialect), calls, work))
        print_batches(measured["+ group commit"], threads)
    finally:
        for app in measured.values():
            app.close()
        raw.close()
    return {
        name: Run(
            statistics.median(r.rate for r in samples),
            statistics.median(r.cpu_ms for r in samples),
        )
        for name, samples in runs.items()
    }


def print_batches(app: Backoffice, threads: int) -> None:
    """How many commands the group commit put in a transaction, on average."""
    group = app.group_commit
    if group is not None and group.transactions:
        print(
            f"  {threads:>2} threads  group commit: {group.commands:,} commands in "
            f"{group.transactions:,} transactions ({group.commands / group.transactions:.1f} "
            "a transaction)",
            flush=True,
        )


def writers(target: str, threads: int, dialect: str) -> int:
    """The threads a target runs on: a raw SQLite commit and the raw batch on one.

    SQLite takes one writer at a time: more threads only queue (on the library's lock in
    mops; in the raw ceiling they would wait in sqlite3's busy handler, which sleeps).
    """
    if target.startswith("raw batch") or (dialect == "sqlite" and target.startswith("raw")):
        return 1
    return threads


_seeded: dict[str, list[uuid.UUID]] = {}


def seed_once(db: Database) -> list[uuid.UUID]:
    """The pool of customers of a database, seeded on first use."""
    if db.settings.database_url not in _seeded:
        _seeded[db.settings.database_url] = seed(db)
    return _seeded[db.settings.database_url]


def report(dialect: str, threads: int, figures: dict[str, Run]) -> list[str]:
    """Print the figures of one thread count; their Markdown table rows."""
    ceiling = figures["raw commit"].rate
    rows = []
    for name, run in figures.items():
        rate = run.rate * (16 if name.startswith("raw batch") else 1)
        share = "" if name.startswith("raw") else f"{rate / ceiling:.0%}"
        print(
            f"  {threads:>2} threads  {name:<40} {rate:>9,.0f}/s {share:>5}  "
            f"{run.cpu_ms:5.2f} ms CPU",
            flush=True,
        )
        rows.append(
            f"| {dialect} | {threads} | {name} | {rate:,.0f} | {share} | {run.cpu_ms:.2f} |"
        )
    return rows


def bench(db: Database, thread_counts: list[int], sizes: Sizes) -> list[str]:
    """Every thread count on one database; the table rows."""
    print(f"\n== {db.dialect} (load {load()})", flush=True)
    rows = []
    for threads in thread_counts:
        rows += report(db.dialect, threads, measure(db, threads, sizes))
    return rows


def main() -> None:
    """Parse the arguments, run each database, print the Markdown table."""
    parser = dialect_parser(__doc__, "fewer commands and rounds")
    parser.add_argument("--threads", default="1,16", help="thread counts, comma-separated")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    thread_counts = [int(t) for t in args.threads.split(",")]
    print_date(sizes)
    started = time.perf_counter()

    def on(dialect: str) -> list[str]:
        with sqlite_database() if dialect == "sqlite" else postgres_database() as db:
            return bench(db, thread_counts, sizes)

    results = each_dialect(args.only, postgres_reachable, on)
    print_table(
        "| database | threads | target | per second | share of raw commit | CPU ms/command |",
        [row for rows in results.values() for row in rows],
    )
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load {load()}", file=sys.stderr)


if __name__ == "__main__":
    main()
