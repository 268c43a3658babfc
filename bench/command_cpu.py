"""CPU a command costs in-process: one back office as shipped, one thread, beside its peers.

Run from the repository root:

    .venv/bin/python bench/command_cpu.py [--quick] [--only sqlite|postgres] [--rounds N]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end), in rounds
that interleave the three targets (A B C A B C ...):

- `mops`: `RecordFollowUp` (one event) through `Backoffice.handle`, the back office as
  `mops serve` builds it (chained log, group commit, copy-on-write cache) but without its
  read side, on a customer drawn from 64 of its own (so the cache holds them, and every
  50th event of one is snapshotted);
- `peer`: the library's docs' application (`DogSchool.add_trick`: load, call, save) on 64
  dogs of its own, in a database of its own, as `bench/deployment.py` serves it (no cache
  and no snapshots: each load replays every trick of the dog, so it slows as it runs);
- `raw commit`: one row inserted and committed per transaction (bench/write_path.py), in
  a file beside mops's (SQLite) or a table beside its tables (PostgreSQL).

One thread, no HTTP: what the command path itself costs. Printed per command, medians of
the rounds: wall time, and this process's user and system CPU (`getrusage`). Compare two
trees by running the script in each (e.g. a `git worktree` of the older commit).
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import (
    dialect_parser,
    each_dialect,
    load,
    print_date,
    print_table,
    scratch_schema,
)
from deployment import DogSchool, library_postgres_env
from write_path import (
    POSTGRES_URL,
    Database,
    RawSQLite,
    follow_up,
    new_lead,
    postgres_database,
    postgres_reachable,
    sqlite_database,
)

from application.backoffice import Backoffice

POOL = 64
Work = Callable[[int, int], None]
# Per command: wall µs, user CPU µs, system CPU µs.
Sample = tuple[float, float, float]


def timed(work: Work, count: int) -> Sample:
    """`count` calls of `work` in this thread."""
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for i in range(count):
        work(0, i)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    per = 1e6 / count
    return (
        wall * per,
        (after.ru_utime - before.ru_utime) * per,
        (after.ru_stime - before.ru_stime) * per,
    )


@contextmanager
def peer_env(dialect: str, directory: str) -> Iterator[dict[str, str]]:
    """The library's environment for the peer, on a database of its own."""
    if dialect == "sqlite":
        path = os.path.join(directory, "peer.db")
        yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
        return
    with scratch_schema() as schema:
        yield library_postgres_env(schema)


def peer_work(school: DogSchool) -> Work:
    dogs = [school.register_dog(f"dog {n}") for n in range(POOL)]
    return lambda _thread, _i: school.add_trick(random.choice(dogs), "roll")


def targets(stack: ExitStack, dialect: str) -> dict[str, Work]:
    """The three targets, ready to run."""
    opened = sqlite_database() if dialect == "sqlite" else postgres_database()
    mops_db: Database = stack.enter_context(opened)
    app = Backoffice(mops_db.settings.persistence_env())
    stack.callback(app.close)
    school = DogSchool(env=stack.enter_context(peer_env(dialect, mops_db.directory or "")))
    stack.callback(school.close)
    raw = mops_db.raw(1)
    stack.callback(raw.close)
    return {
        "mops": follow_up(app, [new_lead(app) for _ in range(POOL)]),
        "peer": peer_work(school),
        "raw commit": raw_commit(raw),
    }


def raw_commit(raw: Any) -> Work:
    """One row inserted and committed, as bench/write_path.py's ceiling does it."""
    if isinstance(raw, RawSQLite):
        return raw.commit_one
    return lambda thread, _i: raw.commit(thread, 1, lock=False)


def bench(dialect: str, rounds: int, count: int) -> list[str]:
    """Interleaved rounds on one database; the table rows."""
    with ExitStack() as stack:
        work = targets(stack, dialect)
        for target in work.values():  # warm up: connections, caches, statements
            timed(target, 50)
        samples: dict[str, list[Sample]] = {name: [] for name in work}
        for _ in range(rounds):
            for name, target in work.items():
                samples[name].append(timed(target, count))
    rows = []
    for name, taken in samples.items():
        wall, user, system = (statistics.median(s[k] for s in taken) for k in range(3))
        print(f"  {dialect:<8} {name:<11} {wall:7.0f} µs  user {user:6.0f}  sys {system:5.0f}")
        rows.append(f"| {dialect} | {name} | {wall:,.0f} | {user:,.0f} | {system:,.0f} |")
    return rows


def main() -> None:
    parser = dialect_parser(__doc__, "2 rounds of 300 commands")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds, count = (2, 300) if args.quick else (args.rounds, 2000)
    print_date(f"rounds={rounds}, commands={count} a target and round")
    rows = each_dialect(args.only, postgres_reachable, lambda d: bench(d, rounds, count))
    print_table(
        "| database | target | wall µs/command | user CPU µs | system CPU µs |",
        [row for found in rows.values() for row in found],
    )
    print(f"\nPostgreSQL: {POSTGRES_URL}; load at the end {load()}")


if __name__ == "__main__":
    main()
