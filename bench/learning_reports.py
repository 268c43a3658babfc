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

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent))

from common import load, served
from dashboard import demo_services, rows_of, run, sample, timed

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET


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
    training = timed(client, "/reports/training?limit=200")[1].json()
    research = timed(client, "/research-reports?limit=200")[1].json()
    competitors = timed(client, "/reports/competitors?limit=200")[1].json()
    losses = sum(r["lost_count"] for r in competitors["items"])
    return (
        f"{len(training['items'])} programs, {len(research['items'])} research reports, "
        f"{len(competitors['items'])} competitors, {losses} opportunities lost to them"
    )


def measure(database: Any, customers: int, requests: int) -> list[str]:
    services, written, head = demo_services(database.settings, customers, fold_minutes=30)
    try:
        token = mint(DEV_JWT_SECRET, "bench-auditor", ["auditor"], timedelta(hours=1))
        paths = paths_of(datetime.now(UTC))
        with (
            served(services) as base_url,
            httpx.Client(
                base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            ) as client,
        ):
            read = sizes(client)

            def decoded(path: str) -> float:
                elapsed, answer = timed(client, path)
                # Decoded, untimed, as a client of the reports would: the pace between
                # requests stays that of the earlier runs.
                answer.json()
                return elapsed

            samples = sample(paths, requests, decoded)
    finally:
        services.close()
    print(
        f"{database.dialect}: demo of {customers} customers written in {written:.0f} s, "
        f"{head:,} events; {read} (load {load()})",
        flush=True,
    )
    return rows_of(database.dialect, head, samples)


def main() -> None:
    run(__doc__, 3000, measure)


if __name__ == "__main__":
    main()
