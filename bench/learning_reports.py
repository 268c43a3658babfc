"""The training and competitors reports' server time over the demo company at a larger size.

Run from the repository root:

    .venv/bin/python bench/learning_reports.py [--customers N] [--requests R]
                                               [--only sqlite|postgres]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>` schema
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end): `mops demo`
writes the demo company with N customers (default 3000, ten times the README's demo of
300; a year of history), the read side folds it, and the app is served by uvicorn on a
free loopback port. Then, in interleaved rounds over one keep-alive httpx client:
`GET /reports/training` (now, and `as_of` the middle of the history),
`GET /reports/competitors` (now, and `from`/`to` the first half of the history), beside
`GET /health` (a trivial endpoint: the ceiling of the HTTP stack in the same run). R
requests of each; p50 and p95 of the server time as the client sees it, on loopback.
The sizes the reports read (programs, research reports, competitors, lost opportunities)
are printed with the figures: the demo's training and research part does not grow with
N, its pipeline only up to 400 opportunities.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent))

from commands import load, machine, postgres_database, served, sqlite_database

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, build
from interfaces.demo import write_demo


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(client: httpx.Client, path: str) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = client.get(path)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
    return elapsed, answer.json()


def paths_of(now: datetime) -> list[str]:
    """The report queries timed, and the ceiling last."""
    middle = (now - timedelta(days=183)).date().isoformat()
    first = (now - timedelta(days=365)).date().isoformat()
    return [
        "/reports/training",
        f"/reports/training?as_of={middle}",
        "/reports/competitors",
        f"/reports/competitors?from={first}&to={middle}",
        "/health",
    ]


def sizes(client: httpx.Client) -> str:
    """What the reports read: programs, research reports, competitors, losses counted."""
    _, training = timed(client, "/reports/training?limit=200")
    _, research = timed(client, "/research-reports?limit=200")
    _, competitors = timed(client, "/reports/competitors?limit=200")
    losses = sum(r["lost_count"] for r in competitors["items"])
    return (
        f"{len(training['items'])} programs, {len(research['items'])} research reports, "
        f"{len(competitors['items'])} competitors, {losses} opportunities lost to them"
    )


def measure(database: Any, customers: int, requests: int) -> list[str]:
    settings = database.settings
    started = time.perf_counter()
    write_demo(settings, customers=customers, months=12, seed=7, console=Console(quiet=True))
    written = time.perf_counter() - started
    services = build(settings, run_projections=True)
    try:
        head = services.backoffice.max_position() or 0
        for name in list(services.read_side.views):
            if not services.read_side.wait(name, head, timeout=1800):
                raise RuntimeError(f"{name} did not fold the demo in 30 minutes")
        token = mint(DEV_JWT_SECRET, "bench-auditor", ["auditor"], timedelta(hours=1))
        paths = paths_of(datetime.now(UTC))
        samples: dict[str, list[float]] = {path: [] for path in paths}
        with (
            served(services) as base_url,
            httpx.Client(
                base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            ) as client,
        ):
            read = sizes(client)
            for path in paths:  # warm: first reads
                timed(client, path)
            for _ in range(requests):
                for path, times in samples.items():
                    times.append(timed(client, path)[0])
    finally:
        services.close()
    rows = []
    for path, times in samples.items():
        p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
        rows.append(
            f"| {database.dialect} | {head:,} | {path} | {p50:.1f} | {p95:.1f} | {len(times)} |"
        )
    print(
        f"{database.dialect}: demo of {customers} customers written in {written:.0f} s, "
        f"{head:,} events; {read} (load {load()})",
        flush=True,
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    print(f"{machine()}", flush=True)
    rows: list[str] = []
    for dialect, database in (("sqlite", sqlite_database), ("postgres", postgres_database)):
        if args.only in (None, dialect):
            with database() as db:
                rows += measure(db, args.customers, args.requests)
    print("\n| database | events | path | p50 ms | p95 ms | requests |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nload {load()}")


if __name__ == "__main__":
    main()
