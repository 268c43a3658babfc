"""Rebuild of the read models beside the read ceiling, on a generated log (issue 16).

Run from the repository root:

    .venv/bin/python bench/rebuild.py                  # 1 000 000 events per database
    .venv/bin/python bench/rebuild.py --quick          # 100 000 events, the big models alone
    .venv/bin/python bench/rebuild.py --events 250000 --only postgres --repeat 3

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>` schema
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. *The log.* A demo company (`mops demo`'s writer: 300 customers, seed 7, about 12 840
   events) is written once through the application into a scratch SQLite file, then copied
   into the database until the log holds `--events` events. Each copy is the demo's stored
   events with every id in them (the aggregates' ids and the ids inside the events' state,
   dashed or in the transcoder's hex form) replaced by an id of that copy, written through
   the application's own recorder (`insert_events`), 5 000 events a transaction: a log of
   many demo companies side by side, each consistent in itself.
2. *The ceiling*: select-and-decode of the whole log, `select_notifications` in pages of
   the rebuild's size and `mapper.to_domain_event` on each event, nothing folded.
3. *Every read model together* (`projections.rebuild.rebuild_all`, what `mops projections
   rebuild` runs): one pass over the log feeding all 16; then the same shared out among 2
   processes (`--jobs 2`), each making a pass for its half.
4. *Each read model alone* (`mops projections rebuild NAME`): it reads only the events of
   the types its projection folds.

Each measurement runs in a fresh process (imports not timed) that reports its time, its
CPU (its own and its workers') and its peak RSS (VmHWM; a worker's `ru_maxrss`). With
`--repeat` the measurements are interleaved (ceiling, together, alone; again) and the
median is reported. Rates are positions of the log per second, beside the ceiling of the
same database; for every read model together also events folded per second (positions x
read models: a rebuild one read model at a time read the log once for each), the measure
of issue 16's "0.12 of a plain select-and-decode".
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.persistence import StoredEvent
from rich.console import Console

from application.backoffice import Backoffice
from bench.commands import postgres_database, sqlite_database
from bench.common import machine, read_log
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.settings import Settings
from projections.rebuild import PAGE_SIZE, rebuild_all
from projections.runner import READ_MODELS

SEED_CUSTOMERS = 300
SEED = 7
WRITE_BATCH = 5_000
FULL_EVENTS = 1_000_000
QUICK_EVENTS = 100_000
# With --quick, the read models timed alone: the four slowest of a full run.
QUICK_ALONE = ("audit_log", "kpis", "pipeline", "contract_directory")
UUID_TEXT = re.compile(
    rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    rb"|(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"
)


# The log.


@dataclass
class Template:
    """A stored event of the seed log, cut where its state names ids."""

    originator_id: uuid.UUID
    originator_version: int
    topic: str
    pieces: list[bytes]  # the state between the ids: one more than `ids`
    ids: list[tuple[uuid.UUID, bool]]  # each id named, and whether it is written dashed


def template(event: Any) -> Template:
    """The template of a stored event."""
    pieces, ids, at = [], [], 0
    for match in UUID_TEXT.finditer(event.state):
        pieces.append(event.state[at : match.start()])
        text = match.group().decode()
        ids.append((uuid.UUID(text), "-" in text))
        at = match.end()
    pieces.append(event.state[at:])
    return Template(event.originator_id, event.originator_version, event.topic, pieces, ids)


def seed_log(customers: int) -> list[Template]:
    """The demo company written through the application into a scratch file, as templates."""
    with tempfile.TemporaryDirectory(prefix="mops-seed-") as directory:
        settings = Settings(database_url=f"sqlite:///{directory}/seed.db", jwt_secret="x")
        from interfaces.demo import write_demo

        write_demo(settings, customers=customers, months=12, seed=SEED, console=Console(quiet=True))
        app = Backoffice(settings.persistence_env())
        try:
            events = app.recorder.select_notifications(start=None, limit=10**9)
            return [template(event) for event in events]
        finally:
            app.close()


def copied(templates: list[Template], copy: int) -> Iterator[StoredEvent]:
    """The seed log's events with every id replaced by the same id of this copy."""
    namespace = uuid.UUID(int=copy)
    ids: dict[uuid.UUID, uuid.UUID] = {}

    def of(old: uuid.UUID) -> uuid.UUID:
        new = ids.get(old)
        if new is None:
            new = ids[old] = uuid.uuid5(namespace, old.hex)
        return new

    for t in templates:
        parts = [t.pieces[0]]
        for (old, dashed), piece in zip(t.ids, t.pieces[1:], strict=True):
            new = of(old)
            parts += [(str(new) if dashed else new.hex).encode(), piece]
        yield StoredEvent(of(t.originator_id), t.originator_version, t.topic, b"".join(parts))


def endless(templates: list[Template]) -> Iterator[StoredEvent]:
    """The seed log copied again and again, each copy with ids of its own."""
    copy = 0
    while True:
        yield from copied(templates, copy)
        copy += 1


def write_log(settings: Settings, templates: list[Template], events: int) -> None:
    """Copy the seed log into the database until it holds `events` events."""
    app = Backoffice(settings.persistence_env())
    try:
        batch: list[StoredEvent] = []
        for event in itertools.islice(endless(templates), events):
            batch.append(event)
            if len(batch) == WRITE_BATCH:
                app.recorder.insert_events(batch)
                batch = []
        if batch:
            app.recorder.insert_events(batch)
    finally:
        app.close()


# The measurements, each in a process of its own.


def child(kind: str, url: str, names: list[str], jobs: int) -> None:
    """Run one measurement and print its seconds as JSON (the parent reads its RSS)."""
    settings = Settings(database_url=url, jwt_secret=DEV_JWT_SECRET)
    env = settings.persistence_env()
    app = Backoffice(env)
    try:
        started, cpu = time.perf_counter(), process_cpu()
        if kind == "ceiling":
            read_log(app, PAGE_SIZE, decode=True)
        else:
            specs = [READ_MODELS[name] for name in names]
            rebuild_all(app, specs, env, settings.dialect, jobs=jobs)
        seconds, cpu = time.perf_counter() - started, process_cpu() - cpu
    finally:
        app.close()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mib": peak_rss_mib()}))


def process_cpu() -> float:
    """CPU seconds of this process and of the workers it has waited for."""
    own, workers = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def peak_rss_mib() -> float:
    """The peak RSS of this process (VmHWM) or of a worker it waited for, in MiB.

    Not `ru_maxrss` of this process as its parent sees it: Linux carries the parent's
    RSS at the fork into it. A worker's `ru_maxrss` may carry this process's in the same
    way, so it bounds the worker's peak from above.
    """
    status = Path("/proc/self/status").read_text()
    own = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


@dataclass
class Sample:
    """One measurement: its time, the CPU its processes used, and its peak RSS."""

    seconds: float
    cpu_seconds: float
    rss_mib: float


def measure(kind: str, url: str, names: Sequence[str] = (), jobs: int = 1) -> Sample:
    """Run a measurement in a fresh process (imports not timed); its seconds, CPU, RSS."""
    command = [sys.executable, __file__, "--child", kind, "--url", url]
    command += ["--names", ",".join(names), "--jobs", str(jobs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    if process.wait() != 0:
        raise RuntimeError(f"{kind} {list(names)} failed: {process.returncode}")
    figures = json.loads(output.strip().splitlines()[-1])
    return Sample(figures["seconds"], figures["cpu"], figures["rss_mib"])


@dataclass
class Figures:
    """The samples of one database, by what was measured."""

    dialect: str
    events: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, label: str, sample: Sample) -> None:
        """Keep a sample and print it."""
        self.samples.setdefault(label, []).append(sample)
        rate = self.events / sample.seconds
        print(
            f"  {label:<30} {sample.seconds:7.2f} s {rate:>10,.0f} ev/s "
            f"cpu {sample.cpu_seconds:7.2f} s {sample.rss_mib:6.0f} MiB",
            flush=True,
        )

    def median(self, label: str) -> Sample:
        """The median time of a label, with the largest peak RSS of its runs."""
        runs = self.samples[label]
        return Sample(
            statistics.median(s.seconds for s in runs),
            statistics.median(s.cpu_seconds for s in runs),
            max(s.rss_mib for s in runs),
        )


CEILING = "select and decode (ceiling)"
TOGETHER = "all together, one pass"
PARALLEL = "all together, 2 processes"


def bench_database(db: Any, templates: list[Template], events: int, args: Any) -> Figures:
    """Fill one database with the log, then measure the ceiling and the rebuilds."""
    url = db.settings.database_url
    started = time.perf_counter()
    write_log(db.settings, templates, events)
    took = time.perf_counter() - started
    print(f"  log of {events:,} events written in {took:.0f} s", flush=True)
    figures = Figures(db.dialect, events)
    every = list(READ_MODELS)
    for _ in range(args.repeat):
        figures.add(CEILING, measure("ceiling", url))
        figures.add(TOGETHER, measure("rebuild", url, every))
        if not args.no_parallel:
            figures.add(PARALLEL, measure("rebuild", url, every, jobs=2))
        for name in args.alone:
            figures.add(name, measure("rebuild", url, [name]))
    return figures


def table(all_figures: list[Figures]) -> None:
    """The Markdown summary: rates, share of the ceiling, CPU and peak RSS."""
    print()
    for f in all_figures:
        ceiling = f.median(CEILING)
        print(f"{f.dialect}, {f.events:,} events")
        print("| Rebuild | s | positions/s | x ceiling | CPU s | peak RSS |")
        print("|---|---:|---:|---:|---:|---:|")
        for label in f.samples:
            sample = f.median(label)
            print(
                f"| {label} | {sample.seconds:.1f} | {f.events / sample.seconds:,.0f} | "
                f"{ceiling.seconds / sample.seconds:.2f} | {sample.cpu_seconds:.1f} | "
                f"{sample.rss_mib:.0f} MiB |"
            )
        for label in (TOGETHER, PARALLEL):
            if label in f.samples:
                folded = f.events * len(READ_MODELS) / f.median(label).seconds
                print(
                    f"{label}: {folded:,.0f} events folded/s ({len(READ_MODELS)} read models), "
                    f"{folded * ceiling.seconds / f.events:.2f} x the ceiling"
                )
        print()


def arguments() -> argparse.Namespace:
    """The command line, the read models to time alone as a list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, help="events in the log (default 1 000 000)")
    parser.add_argument("--quick", action="store_true", help="100 000 events, 4 models alone")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--repeat", type=int, default=1, help="rounds (the median reported)")
    parser.add_argument("--alone", help="read models timed alone: a,b,... or none (all)")
    parser.add_argument("--no-parallel", action="store_true", help="skip the 2-process rebuild")
    parser.add_argument("--child", choices=["ceiling", "rebuild"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--names", default="", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone == "none":
        args.alone = []
    elif args.alone:
        args.alone = args.alone.split(",")
    else:
        args.alone = list(QUICK_ALONE) if args.quick else list(READ_MODELS)
    return args


def main() -> None:
    """Measure on each database and print the summary."""
    args = arguments()
    if args.child:
        child(args.child, args.url, [n for n in args.names.split(",") if n], args.jobs)
        return
    events = args.events or (QUICK_EVENTS if args.quick else FULL_EVENTS)
    print(" ".join(f"{k}={v}" for k, v in machine().items()), flush=True)
    started = time.perf_counter()
    templates = seed_log(SEED_CUSTOMERS)
    print(f"seed log: {len(templates):,} events in {time.perf_counter() - started:.0f} s")
    databases = {"sqlite": sqlite_database, "postgres": postgres_database}
    all_figures = []
    for dialect, database in databases.items():
        if args.only and args.only != dialect:
            continue
        print(f"{dialect}:", flush=True)
        with database() as db:
            all_figures.append(bench_database(db, templates, events, args))
    table(all_figures)
    print(f"load at the end: {machine()['load']}")


if __name__ == "__main__":
    main()
