"""The hash chain's costs: `audit verify` against reading and decoding the log, and what
linking every event costs the command path.

Run from the repository root:

    .venv/bin/python bench/audit_chain.py [--quick] [--only sqlite|postgres]
        [--rounds N] [--commands N] [--no-verify]

For each database (an SQLite file in a temporary directory; fresh `bench_<random>` schemas
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. Commands: `RecordFollowUp` (one event) through `Backoffice.handle`, with 1 and 16
   threads, on two databases alike but for the chain: `chained` (mops as it ships) and
   `unchained` (the same recorders with the link step taken out: no trigger on PostgreSQL,
   no link insert on SQLite), beside the raw commit of one row a transaction
   (bench/write_path.py) on the chained database. Rounds interleave the three targets;
   the medians of the rounds are printed, and the chain's cost is 1 - chained/unchained.
2. Verification: the log of `--events` events (leads registered), read three ways in
   interleaved rounds: `read` (the rows, in the batches verification reads), `read +
   decode` (each row also turned into its domain event by the application's mapper: the
   ceiling the issue names) and `verify` (the rows and their links, every hash
   recomputed: `mops audit verify` without its progress bar). Events per second, medians.

The machine is shared and noisy: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg.sql import SQL, Identifier

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import dialect_parser, each_dialect, print_date, print_table
from write_path import (
    Database,
    Run,
    follow_up,
    load,
    new_lead,
    postgres_database,
    postgres_reachable,
    raw_targets,
    run_threads,
    sqlite_database,
)

from application.backoffice import Backoffice
from interfaces.trust import verify_store
from projections.chain import Link, StoredRow, chain_table_name, links_for
from projections.chain_store import ChainStore, chain_of, stored_row
from projections.grouped import (
    GroupCommitPostgresApplicationRecorder,
    GroupCommitSQLiteApplicationRecorder,
)


@dataclass(frozen=True)
class Sizes:
    commands: int  # per target, thread count and round
    rounds: int
    events: int  # in the log verified


FULL = Sizes(commands=800, rounds=5, events=40_000)
QUICK = Sizes(commands=200, rounds=2, events=4_000)


class UnchainedSQLiteRecorder(GroupCommitSQLiteApplicationRecorder):
    """mops's SQLite recorder with the link step taken out (for comparison only)."""

    def construct_create_table_statements(self) -> list[str]:
        return SQLiteApplicationRecorder.construct_create_table_statements(self)

    def create_table(self) -> None:
        SQLiteApplicationRecorder.create_table(self)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return SQLiteApplicationRecorder._insert_events(self, c, stored_events, **kwargs)


class UnchainedPostgresRecorder(GroupCommitPostgresApplicationRecorder):
    """mops's PostgreSQL recorder without the link trigger (for comparison only)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        del self.sql_create_statements[-3:]  # the links table, function and trigger

    def create_table(self) -> None:
        PostgresApplicationRecorder.create_table(self)


def _link_before(cursor: Any, events_table: str, rows: Sequence[StoredRow]) -> None:
    """The SQLite link step before issue 18's cut (for comparison only)."""
    if not rows:
        return
    chain = chain_table_name(events_table)
    cursor.execute(f"SELECT position, previous, hash FROM {chain} ORDER BY position DESC LIMIT 1")
    last = cursor.fetchone()
    previous = Link(last[0], last[1], bytes(last[2])) if last else None
    cursor.executemany(
        f"INSERT INTO {chain} (position, previous, hash) VALUES (?, ?, ?)",
        [(k.position, k.previous, k.hash) for k in links_for(previous, rows)],
    )


class BeforeSQLiteRecorder(GroupCommitSQLiteApplicationRecorder):
    """mops's SQLite recorder with the link step before issue 18's cut (comparison only)."""

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = SQLiteApplicationRecorder._insert_events(self, c, stored_events, **kwargs)
        events = zip(positions or (), stored_events, strict=True)
        _link_before(
            c,
            self.events_table_name,
            [
                stored_row(p, e.originator_id, e.originator_version, e.topic, e.state)
                for p, e in events
            ],
        )
        return positions


class BeforePostgresRecorder(GroupCommitPostgresApplicationRecorder):
    """mops's PostgreSQL recorder with the link trigger before issue 18's cut (comparison
    only): two statements a row."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema, chain = Identifier(datastore.schema), Identifier(f"{events_table_name}_chain")
        self.sql_create_statements[-2] = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}() RETURNS trigger "
            "LANGUAGE plpgsql AS $body$ "
            "DECLARE previous_position bigint; previous_hash bytea; topic_bytes bytea; "
            "BEGIN "
            "SELECT position, hash INTO previous_position, previous_hash "
            "FROM {schema}.{chain} ORDER BY position DESC LIMIT 1; "
            "IF previous_position IS NULL THEN "
            "previous_position := 0; previous_hash := decode(repeat('00', 32), 'hex'); "
            "END IF; "
            "topic_bytes := convert_to(NEW.topic, 'UTF8'); "
            "INSERT INTO {schema}.{chain} (position, previous, hash) VALUES ("
            "NEW.notification_id, previous_position, sha256(previous_hash "
            "|| int8send(NEW.notification_id) || uuid_send(NEW.originator_id::uuid) "
            "|| int8send(NEW.originator_version::bigint) "
            "|| int4send(octet_length(topic_bytes)) || topic_bytes "
            "|| int4send(octet_length(NEW.state)) || NEW.state)); "
            "RETURN NULL; "
            "END $body$"
        ).format(schema=schema, chain=chain, function=Identifier(f"{events_table_name}_link"))


def topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def unchained(db: Database) -> Backoffice:
    recorder = UnchainedSQLiteRecorder if db.dialect == "sqlite" else UnchainedPostgresRecorder
    return Backoffice(
        {**db.settings.persistence_env(), "APPLICATION_RECORDER_TOPIC": topic(recorder)}
    )


def before(db: Database) -> Backoffice:
    recorder = BeforeSQLiteRecorder if db.dialect == "sqlite" else BeforePostgresRecorder
    return Backoffice(
        {**db.settings.persistence_env(), "APPLICATION_RECORDER_TOPIC": topic(recorder)}
    )


def seeded(app: Backoffice, count: int = 64) -> list[uuid.UUID]:
    return [new_lead(app) for _ in range(count)]


def rounds_of(
    targets: dict[str, Callable[[int, int], None]], threads: int, sizes: Sizes
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {name: [] for name in targets}
    for _ in range(sizes.rounds):
        for name, work in targets.items():
            runs[name].append(run_threads(threads, sizes.commands, work))
    return runs


def paired_cost(runs: dict[str, list[Run]], name: str) -> str:
    """The median of the rounds' own costs (each round's `name` against its `unchained`),
    with their quartiles: how far the noise of the machine reaches."""
    costs = [1 - a.rate / b.rate for a, b in zip(runs[name], runs["unchained"], strict=True)]
    low, _, high = statistics.quantiles(costs, n=4) if len(costs) > 1 else costs * 3
    return f"{statistics.median(costs):+.1%} ({low:+.0%}..{high:+.0%})"


def cpu_extra(runs: dict[str, list[Run]], name: str) -> str:
    """This process's CPU time a command over the unchained one's, medians (µs)."""

    def cpu(target: str) -> float:
        return statistics.median(run.cpu_ms for run in runs[target])

    return f"{1000 * (cpu(name) - cpu('unchained')):+.0f}"


def measure_commands(
    chained_db: Database, unchained_db: Database, before_db: Database | None, sizes: Sizes
) -> list[str]:
    rows = []
    with ExitStack() as stack:
        chained_app = Backoffice(chained_db.settings.persistence_env())
        stack.callback(chained_app.close)
        plain_app = unchained(unchained_db)
        stack.callback(plain_app.close)
        assert chain_of(plain_app.recorder).exists() is False, "the comparison must not chain"
        apps = {"chained": chained_app, "unchained": plain_app}
        if before_db is not None:
            apps["chained before"] = before(before_db)
            stack.callback(apps["chained before"].close)
        work = {name: follow_up(app, seeded(app)) for name, app in apps.items()}
        for threads in (1, 16):
            raw = chained_db.raw(threads)
            stack.callback(raw.close)
            targets = {
                **work,
                **{k: v for k, v in raw_targets(raw).items() if k == "raw commit"},
            }
            runs = rounds_of(targets, threads, sizes)
            rates = {
                name: statistics.median(run.rate for run in done) for name, done in runs.items()
            }
            cost = 1 - rates["chained"] / rates["unchained"]
            was = (
                f"{rates['chained before']:,.0f} | "
                f"{1 - rates['chained before'] / rates['unchained']:+.1%} | "
                f"{paired_cost(runs, 'chained before')} | {cpu_extra(runs, 'chained before')} | "
                if before_db is not None
                else ""
            )
            rows.append(
                f"| {chained_db.dialect} | {threads} | {load()} | {rates['chained']:,.0f} | "
                f"{rates['unchained']:,.0f} | {cost:+.1%} | {paired_cost(runs, 'chained')} | "
                f"{cpu_extra(runs, 'chained')} | {was}{rates['raw commit']:,.0f} | "
                f"{rates['chained'] / rates['raw commit']:.2f} |"
            )
            print(rows[-1], flush=True)
        for name, app in apps.items():
            if name != "unchained":
                assert verify_store(chain_of(app.recorder)).ok, f"{name}: the chain broke"
    return rows


def read_only(chain: ChainStore) -> int:
    stop = chain.bounds()
    return sum(1 for _ in chain.events(0, stop))


def read_and_decode(app: Backoffice, chain: ChainStore) -> int:
    stop, count = chain.bounds(), 0
    for row in chain.events(0, stop):
        stored = StoredEvent(row.aggregate_id, row.version, row.topic, row.state)
        app.mapper.to_domain_event(stored)
        count += 1
    return count


def measure_verify(db: Database, sizes: Sizes) -> list[str]:
    app = Backoffice(db.settings.persistence_env())
    try:
        while (app.max_position() or 0) < sizes.events:
            new_lead(app)  # two events each
        chain = chain_of(app.recorder)
        ways: dict[str, Callable[[], int]] = {
            "read": lambda: read_only(chain),
            "read + decode": lambda: read_and_decode(app, chain),
            "verify": lambda: verify_store(chain).events,
        }
        rates: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(sizes.rounds):
            for name, way in ways.items():
                started = time.perf_counter()
                events = way()
                rates[name].append(events / (time.perf_counter() - started))
        medians = {name: statistics.median(values) for name, values in rates.items()}
    finally:
        app.close()
    ceiling = medians["read + decode"]
    rows = [
        f"| {db.dialect} | {events:,} | {name} | {rate:,.0f} | {rate / ceiling:.2f} |"
        for name, rate in medians.items()
    ]
    print("\n".join(rows), flush=True)
    return rows


def databases(dialect: str) -> Any:
    return sqlite_database() if dialect == "sqlite" else postgres_database()


def bench(dialect: str, sizes: Sizes, with_before: bool) -> tuple[list[str], list[str]]:
    print(f"\n== {dialect} (load {load()})", flush=True)
    with ExitStack() as stack:
        chained_db, unchained_db = (stack.enter_context(databases(dialect)) for _ in range(2))
        before_db = stack.enter_context(databases(dialect)) if with_before else None
        commands = measure_commands(chained_db, unchained_db, before_db, sizes)
    if not sizes.events:
        return commands, []
    with databases(dialect) as db:
        verification = measure_verify(db, sizes)
    return commands, verification


def main() -> None:
    parser = dialect_parser(__doc__, "fewer commands, rounds, events")
    parser.add_argument("--rounds", type=int, help="rounds of each measure (default 5)")
    parser.add_argument("--commands", type=int, help="commands a target, round and thread count")
    parser.add_argument("--no-verify", action="store_true", help="the commands' cost only")
    parser.add_argument(
        "--before", action="store_true", help="also the link step before issue 18's cut"
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    sizes = replace(
        sizes,
        rounds=args.rounds or sizes.rounds,
        commands=args.commands or sizes.commands,
        events=0 if args.no_verify else sizes.events,
    )
    print_date(sizes)
    results = each_dialect(
        args.only,
        postgres_reachable,
        lambda dialect: bench(dialect, sizes, args.before),
        skipped="\n== postgres: not reachable; its figures are skipped",
    )
    was = " chained before /s | its cost | by round | its CPU µs |" if args.before else ""
    print_table(
        "| database | threads | load | chained /s | unchained /s | chain's cost | by round |"
        f" CPU µs/command |{was} raw commit /s | chained ÷ raw |",
        [row for rows, _ in results.values() for row in rows],
    )
    print_table(
        "| database | events | way | events/s | ÷ read + decode |",
        [row for _, rows in results.values() for row in rows],
    )
    print(f"\nload {load()}", file=sys.stderr)


if __name__ == "__main__":
    main()
