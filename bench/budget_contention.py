"""Benchmark of mops: many clients committing against one budget line at once.

Run from the repository root:

    .venv/bin/python bench/budget_contention.py [--quick] [--only sqlite|postgres]
                                                 [--clients N] [--commits N]

The Budget is the hot aggregate of the company: every commitment, expense and campaign
result appends to it. For each database (an SQLite file in a temporary directory; a fresh
`bench_<random>` schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at
the end) it measures, with projections not running:

0. The ceiling, in the same run: plain sqlite3 / psycopg inserting events of the stored
   size, (a) one row per transaction from one connection, and (b) N threads, each with its
   own connection, appending to ONE stream with optimistic concurrency exactly as the
   event store does (read the last version, insert the next; a primary-key conflict
   means another writer got there first: read again and retry).
1. One client committing against one budget line, one command after another (against
   the one-row ceiling).
2. N clients (threads of this process) committing at once against the same line of one
   budget whose planned amount covers only 60% of what they ask: accepted commitments/s
   (against the contended-append ceiling) and answers/s, commands decided again after
   losing a race, answers `version_conflict` (a command that lost 12 races), refusals
   `budget_exceeded`, other failures, and latency. Then the invariant: folding the
   budget's stored events in order, the line's available amount never goes below zero,
   and it ends at planned - the sum accepted (the script stops on a violation).
3. The same as 2 with the in-process turns switched off (`in_process_turn` replaced by a
   no-op), so the clients race optimistically, as clients in separate processes do.
4. The same clients and commands, each client on a budget of its own (no contention).

The machine, the durability settings of app and ceiling, and a Markdown table are printed.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from application.commands.budgets import ApproveBudget, CommitBudget, DraftBudget, SubmitBudget

sys.path.insert(0, str(Path(__file__).resolve().parent))

from commands import (  # the other benchmark's helpers, beside this file
    Database,
    Report,
    app_settings,
    ms,
    on_database,
    percentile,
    stored_event_shape,
    summary,
)
from common import POSTGRES_URL, dialect_parser, load, machine, print_machine, run_each
from eventsourcing.persistence import RecordConflictError

import application.backoffice as backoffice_module
from application.backoffice import Backoffice, Request
from application.permissions import Caller
from domain.budget import Budget
from domain.errors import DomainError
from interfaces.bootstrap import build

FINANCE = Request(Caller("bench-finance", frozenset({"finance"})))
EXECUTIVE = Request(Caller("bench-executive", frozenset({"executive"})))
AMOUNT = Decimal("100.00")
LINE = {"category": "promotion", "period": "Q1"}


@dataclass(frozen=True)
class Sizes:
    clients: int
    commits: int  # per client
    single: int  # commits of the lone client


FULL = Sizes(clients=8, commits=150, single=600)
QUICK = Sizes(clients=4, commits=40, single=150)


def approved_budget(app: Backoffice, year: int, planned: Decimal) -> uuid.UUID:
    """An approved budget whose promotion Q1 line plans `planned`."""
    budget_id = app.handle(
        FINANCE, DraftBudget(fiscal_year=year, lines=[{**LINE, "amount": planned}])
    ).id
    app.handle(FINANCE, SubmitBudget(budget_id))
    app.handle(EXECUTIVE, ApproveBudget(budget_id))
    return budget_id


class Counting:
    """Counts the saves the event store refused as a lost race (decided again after)."""

    def __init__(self, app: Backoffice) -> None:
        self.lost = 0
        self._lock = threading.Lock()
        self._save = app.save
        app.save = self.save  # type: ignore[method-assign]

    def save(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._save(*args, **kwargs)
        except RecordConflictError:
            with self._lock:
                self.lost += 1
            raise


def run_clients(
    app: Backoffice, budgets: list[uuid.UUID], commits: int
) -> tuple[float, Counter[str], list[float]]:
    """Each client commits `commits` times on its budget, all starting at once."""
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(budgets) + 1)

    def client(number: int, budget_id: uuid.UUID) -> None:
        mine: Counter[str] = Counter()
        times = []
        barrier.wait(timeout=60)
        for n in range(commits):
            start = time.perf_counter()
            try:
                app.handle(
                    FINANCE,
                    CommitBudget(budget_id, **LINE, amount=AMOUNT, reference=f"c{number}-{n}"),
                )
                mine["accepted"] += 1
            except DomainError as error:
                mine[error.code] += 1
            except RuntimeError:
                # The library's cache race (see application/budgets.py): a 500 over HTTP.
                mine["error"] += 1
            times.append(time.perf_counter() - start)
        with lock:
            outcomes.update(mine)
            latencies.extend(times)

    threads = [
        threading.Thread(target=client, args=(number, budget_id))
        for number, budget_id in enumerate(budgets)
    ]
    return all_at_once(threads, barrier), outcomes, latencies


def all_at_once(threads: list[threading.Thread], barrier: threading.Barrier) -> float:
    """Start the threads; seconds from when they all pass `barrier` until the last ends."""
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def lowest_available(app: Backoffice, budget_id: uuid.UUID) -> tuple[Decimal, Decimal, int]:
    """The line's lowest available amount over the stored history, its last, and commits."""
    available, lowest, commits = Decimal(0), None, 0
    for event in app.events.get(budget_id):
        if isinstance(event, Budget.Drafted):
            available = sum((line["amount"] for line in event.lines), Decimal(0))
        elif isinstance(event, Budget.Committed):
            available -= event.amount
            commits += 1
        lowest = available if lowest is None else min(lowest, available)
    return lowest or Decimal(0), available, commits


# The ceiling: one stream appended to by many raw connections.


def raw_connect(db: Database) -> Any:
    if db.dialect == "sqlite":
        path = Path(db.settings.database_url.removeprefix("sqlite:///")).parent / "ceiling.db"
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def raw_append_next(conn: Any, dialect: str, table: str, key: Any, topic: str, state: bytes) -> int:
    """Append one event at the stream's next version as the event store does; races lost."""
    mark = "%s" if dialect == "postgres" else "?"
    conflicts = 0
    while True:
        row = conn.execute(
            f"SELECT MAX(originator_version) FROM {table} WHERE originator_id = {mark}",
            (key,),
        ).fetchone()
        version = (row[0] or 0) + 1
        try:
            if dialect == "sqlite":
                conn.execute("BEGIN")
                conn.execute(
                    f"INSERT INTO {table} VALUES (?, ?, ?, ?)",
                    (key, version, topic, state),
                )
                conn.execute("COMMIT")
            else:
                with conn.transaction():
                    conn.execute(
                        f"INSERT INTO {table} (originator_id, originator_version, "
                        "topic, state) VALUES (%s, %s, %s, %s)",
                        (key, version, topic, state),
                    )
            return conflicts
        except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation):
            if dialect == "sqlite":
                conn.execute("ROLLBACK")
            conflicts += 1


def raw_contended_append(
    db: Database, clients: int, appends: int, state: bytes, topic: str
) -> tuple[float, int]:
    """`clients` threads append `appends` events each to one stream; seconds and lost races."""
    stream = uuid.uuid4()
    table = db.raw.table if db.dialect == "postgres" else "raw_events"
    key = stream if db.dialect == "postgres" else stream.hex
    lost = Counter[str]()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        conflicts = 0
        try:
            conn = raw_connect(db)
        except BaseException:
            barrier.abort()  # the others (and the timer) must not wait for this one
            raise
        try:
            barrier.wait(timeout=60)
            for _ in range(appends):
                conflicts += raw_append_next(conn, db.dialect, table, key, topic, state)
        finally:
            conn.close()
            with lock:
                lost["lost"] += conflicts

    threads = [threading.Thread(target=client) for _ in range(clients)]
    return all_at_once(threads, barrier), lost["lost"]


def contended(
    app: Backoffice,
    counting: Counting,
    report: Report,
    sizes: Sizes,
    year: int,
    label: str,
    contended_ceiling: float,
) -> None:
    """N clients on one line whose plan covers 60% of what they ask; then the invariant."""
    attempts = sizes.clients * sizes.commits
    planned = AMOUNT * int(attempts * 0.6)
    hot = approved_budget(app, year, planned)
    counting.lost = 0
    seconds, outcomes, latencies = run_clients(app, [hot] * sizes.clients, sizes.commits)
    accepted = outcomes["accepted"]
    budget = app.get(hot, Budget)
    lowest, last, stored_commits = lowest_available(app, hot)
    # Accepted commitments are appends to one stream by many writers: the raw contended
    # append is their ceiling. Refusals write nothing, so "answered" has none.
    report.add(f"{label}: accepted", accepted / seconds, "cmd/s", contended_ceiling)
    report.add(f"{label}: answered", attempts / seconds, "cmd/s")
    report.add(f"{label}: latency p50", ms(percentile(latencies, 0.5)), "ms")
    report.add(f"{label}: latency p95", ms(percentile(latencies, 0.95)), "ms")
    report.add(f"{label}: races lost, decided again", counting.lost, "count")
    report.add(f"{label}: answered version_conflict", outcomes["version_conflict"], "count")
    report.add(f"{label}: refused budget_exceeded", outcomes["budget_exceeded"], "count")
    report.add(f"{label}: failed otherwise", outcomes["error"], "count")
    report.add(f"{label}: accepted", accepted, "count")
    report.add(f"{label}: lowest available in the history", float(lowest), "CNY")
    report.note(
        f"planned {planned}; {accepted} accepted x {AMOUNT} = {AMOUNT * accepted}; "
        f"stored commits {stored_commits}; available now {budget.available(**LINE)}, "
        f"lowest over the history {lowest}, last {last}"
    )
    assert stored_commits == accepted == len(budget.commitments)
    assert lowest >= 0 and last == planned - AMOUNT * accepted == budget.available(**LINE)
    assert sum(outcomes.values()) == attempts


@contextmanager
def no_turn(aggregate_id: uuid.UUID | None) -> Iterator[None]:
    """In place of `in_process_turn`: commands race as they would from separate processes."""
    yield


@dataclass(frozen=True)
class Ceilings:
    """What the database alone does: the figures the app's are set against."""

    single: float  # one-row transactions/s, one connection
    single_p50: float  # ms, one-row commit
    contended: float  # events/s appended to one stream by the clients' connections


def measure_ceilings(db: Database, app: Backoffice, report: Report, sizes: Sizes) -> Ceilings:
    """Raw inserts of events of the stored size: one connection, then contended."""
    state_size, topic_size = stored_event_shape(app, db.dialect)
    state, topic = b"x" * state_size, "t" * topic_size
    report.note(f"app:     {app_settings(app, db.dialect)}")
    report.note(f"ceiling: {db.raw.settings()}")
    report.note(f"stored event: state {state_size} B, topic {topic_size} B")
    single = db.raw.insert([1] * sizes.single, topic, state)
    ceiling = len(single) / sum(single)
    single_p50 = ms(percentile(single, 0.5))
    report.add("raw one-row transactions, 1 connection", ceiling, "tx/s")
    report.add("raw one-row commit p50", single_p50, "ms")
    seconds, lost = raw_contended_append(db, sizes.clients, sizes.commits, state, topic)
    raw_label = f"raw append to 1 stream, {sizes.clients} connections"
    contended_ceiling = sizes.clients * sizes.commits / seconds
    report.add(raw_label, contended_ceiling, "ev/s")
    report.add(f"{raw_label}: races lost", lost, "count")
    return Ceilings(ceiling, single_p50, contended_ceiling)


def one_client(
    app: Backoffice, report: Report, sizes: Sizes, year: int, ceilings: Ceilings
) -> None:
    """One client committing on one budget line, one command after another."""
    lone = approved_budget(app, year, AMOUNT * sizes.single)
    seconds, outcomes, latencies = run_clients(app, [lone], sizes.single)
    assert outcomes["accepted"] == sizes.single, outcomes
    report.add("commit, 1 client, 1 budget line", sizes.single / seconds, "cmd/s", ceilings.single)
    report.add(
        "commit, 1 client: latency p50",
        ms(percentile(latencies, 0.5)),
        "ms",
        ceilings.single_p50,
    )
    report.add("commit, 1 client: latency p95", ms(percentile(latencies, 0.95)), "ms")


def racing(
    app: Backoffice,
    counting: Counting,
    report: Report,
    sizes: Sizes,
    year: int,
    contended_ceiling: float,
) -> None:
    """`contended` with the in-process turns switched off, as separate processes race."""
    taking_turns = backoffice_module.in_process_turn
    backoffice_module.in_process_turn = no_turn
    try:
        contended(
            app,
            counting,
            report,
            sizes,
            year,
            f"commit, {sizes.clients} clients, 1 line, racing",
            contended_ceiling,
        )
    finally:
        backoffice_module.in_process_turn = taking_turns


def a_budget_each(
    app: Backoffice,
    counting: Counting,
    report: Report,
    sizes: Sizes,
    years: Iterator[int],
    ceilings: Ceilings,
) -> None:
    """The same clients and commands, each client on a budget of its own."""
    attempts = sizes.clients * sizes.commits
    planned = AMOUNT * sizes.commits
    own = [approved_budget(app, next(years), planned) for _ in range(sizes.clients)]
    counting.lost = 0
    seconds, outcomes, latencies = run_clients(app, own, sizes.commits)
    assert outcomes["accepted"] == attempts, outcomes
    label = f"commit, {sizes.clients} clients, a budget each"
    report.add(label, attempts / seconds, "cmd/s", ceilings.single)
    report.add(f"{label}: latency p50", ms(percentile(latencies, 0.5)), "ms")
    report.add(f"{label}: races lost", counting.lost, "count")


def bench(db: Database, sizes: Sizes) -> Report:
    """Every figure on one database."""
    report = Report(db.dialect)
    print(f"\n== {db.dialect} (load {load()})", flush=True)
    services = build(db.settings, run_projections=False)
    app = services.backoffice
    counting = Counting(app)
    years = iter(range(2100, 9000))
    try:
        # Warm up: a budget and a few commitments, which also give the stored event size.
        warm = approved_budget(app, next(years), Decimal("1000000"))
        run_clients(app, [warm], 20)

        print(" 0. the ceiling: raw inserts of events of the stored size", flush=True)
        ceilings = measure_ceilings(db, app, report, sizes)

        print(" 1. one client, one budget line", flush=True)
        one_client(app, report, sizes, next(years), ceilings)

        print(f" 2. {sizes.clients} clients, one budget line", flush=True)
        label = f"commit, {sizes.clients} clients, 1 line"
        contended(app, counting, report, sizes, next(years), label, ceilings.contended)

        print(f" 3. {sizes.clients} clients, one budget line, no in-process turns", flush=True)
        racing(app, counting, report, sizes, next(years), ceilings.contended)

        print(f" 4. {sizes.clients} clients, a budget each", flush=True)
        a_budget_each(app, counting, report, sizes, years, ceilings)
    finally:
        services.close()
    print(f"  (load {load()})", flush=True)
    return report


def main() -> None:
    """Parse the arguments, print the machine, run the benchmark on each database."""
    parser = dialect_parser(__doc__, "smaller counts")
    parser.add_argument("--clients", type=int, help="clients at once (default 8, quick 4)")
    parser.add_argument("--commits", type=int, help="commits per client (150, quick 40)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    sizes = Sizes(
        clients=args.clients or sizes.clients,
        commits=args.commits or sizes.commits,
        single=sizes.single,
    )
    about = machine()
    print_machine(about, f"; sizes: {sizes}")
    run_each(args.only, about, on_database(lambda db: bench(db, sizes)), summary)


if __name__ == "__main__":
    main()
