"""The web dashboard's server time over a year of the demo company.

Run from the repository root:

    .venv/bin/python bench/dashboard.py [--customers N] [--requests R] [--only sqlite|postgres]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>` schema
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end): `mops demo`
writes the demo company (default 300 customers, a year of history, as the README's demo),
the read side folds it, and the app is served by uvicorn on a free loopback port. Then, in
interleaved rounds over one keep-alive httpx client: `GET /ui` (the dashboard: nine reads of
the read models and the SVG drawn on the server) with a session cookie, beside
`GET /health` (a trivial endpoint: the ceiling of the HTTP stack in the same run). R
requests of each; p50 and p95 of the server time as the client sees it, on loopback.
Goal (issue 19): the dashboard's p95 at most 150 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent))

from commands import postgres_database, sqlite_database
from common import load, machine, print_table, served

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.demo import write_demo
from interfaces.web.page import SESSION_COOKIE


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(
    client: httpx.Client, path: str, cookies: dict[str, str] | None = None
) -> tuple[float, httpx.Response]:
    """Seconds of one `GET path` as the client sees it, and the answer; a failure raises."""
    started = time.perf_counter()
    answer = client.get(path, cookies=cookies)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
    return elapsed, answer


def demo_services(settings: Any, customers: int, fold_minutes: int) -> tuple[Services, float, int]:
    """The demo company written, served once every read model has folded it.

    With the services: the seconds the demo took to write, and the events it wrote.
    """
    started = time.perf_counter()
    write_demo(settings, customers=customers, months=12, seed=7, console=Console(quiet=True))
    written = time.perf_counter() - started
    services = build(settings, run_projections=True)
    try:
        head = services.backoffice.max_position() or 0
        for name in list(services.read_side.views):
            if not services.read_side.wait(name, head, timeout=fold_minutes * 60):
                raise RuntimeError(f"{name} did not fold the demo in {fold_minutes} minutes")
    except BaseException:
        services.close()
        raise
    return services, written, head


def sample(
    paths: list[str], requests: int, time_one: Callable[[str], float]
) -> dict[str, list[float]]:
    """Each path warmed once (first reads, templates compiled), then R interleaved rounds."""
    samples: dict[str, list[float]] = {path: [] for path in paths}
    for path in samples:
        time_one(path)
    for _ in range(requests):
        for path, times in samples.items():
            times.append(time_one(path))
    return samples


def rows_of(dialect: str, head: int, samples: dict[str, list[float]]) -> list[str]:
    """A table row a path: p50 and p95 of its server time."""
    rows = []
    for path, times in samples.items():
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        rows.append(f"| {dialect} | {head:,} | {path} | {p50:.1f} | {p95:.1f} | {len(times)} |")
    return rows


def measure(database: Any, customers: int, requests: int) -> list[str]:
    services, written, head = demo_services(database.settings, customers, fold_minutes=15)
    try:
        token = mint(DEV_JWT_SECRET, "bench-admin", ["admin"], timedelta(hours=1))
        cookies = {SESSION_COOKIE: token}
        with served(services) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
            samples = sample(
                ["/ui", "/health"], requests, lambda path: timed(client, path, cookies)[0]
            )
    finally:
        services.close()
    print(f"{database.dialect}: demo written in {written:.0f} s, {head:,} events", flush=True)
    return rows_of(database.dialect, head, samples)


def run(doc: str, customers: int, measure: Callable[[Any, int, int], list[str]]) -> None:
    """Parse the arguments, print the machine, measure each database, print the table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--customers", type=int, default=customers)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    print(f"{machine()}", flush=True)
    rows: list[str] = []
    for dialect, database in (("sqlite", sqlite_database), ("postgres", postgres_database)):
        if args.only in (None, dialect):
            with database() as db:
                rows += measure(db, args.customers, args.requests)
    print_table("| database | events | path | p50 ms | p95 ms | requests |", rows)
    print(f"\nload {load()}")


def main() -> None:
    run(__doc__, 300, measure)


if __name__ == "__main__":
    main()
