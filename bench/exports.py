"""Benchmark of the exports: a list of 100 000 rows as CSV and as an Excel workbook, memory
held flat against a 1 000-row export of the same list.

Run from the repository root:

    .venv/bin/python bench/exports.py [--rows N] [--small M] [--only sqlite|postgres]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. Fills the risk register's `risks` table (the read model behind `GET /risks`) with N
   rows (default 100 000), M of them (default 1 000) of category `legal`, through the
   read model's own `write` (5 000 rows a transaction), bypassing the log and the folds:
   the log stays empty, so no read waits. What is measured is the real export path:
   `GET /risks?format=csv|xlsx`, through the whole ASGI app (middleware, auth, the route,
   its query), driven in this process by a minimal ASGI client that counts the bytes of
   the answer and drops them (a test client would keep the body in memory).
2. Exports `?category=legal` (M rows) and then every row (N rows), as CSV then as xlsx:
   the time, the bytes, and the peak RSS of the process after each (`ru_maxrss` only
   grows: a flat export leaves it where the small one left it).
3. The same four exports again under `tracemalloc`: the peak of Python's allocations
   during each one.

Prints the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc
import uuid
from datetime import timedelta
from typing import Any

import anyio
from common import load, scratch_url
from eventsourcing.persistence import Tracking

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.http.app import create_app
from interfaces.settings import Settings
from projections.risks import COLUMNS
from projections.rows import upsert

CHUNK = 5_000


def fill(services: Services, rows: int, small: int) -> float:
    """N risks straight into the register's table; seconds taken."""
    started = time.perf_counter()
    view = services.read_side.view("risks")
    statement = upsert(view.table("risks"), COLUMNS)
    stamp = "2026-01-01T00:00:00.000000+00:00"
    for start in range(0, rows, CHUNK):
        batch = []
        for n in range(start, min(start + CHUNK, rows)):
            row = {
                "id": str(uuid.UUID(int=n + 1)),
                "category": "legal" if n % (rows // small) == 0 else "market",
                "title": f"Risk number {n} of the register, a title of some length",
                "owner_id": f"owner-{n % 40}",
                "status": "assessed",
                "likelihood": 1 + n % 5,
                "impact": 1 + n % 3,
                "level": "medium",
                "open_actions": n % 4,
                "identified_at": stamp,
                "version": 2,
                "created_at": stamp,
                "created_position": n + 1,
                "updated_at": stamp,
            }
            batch.append((statement, [row[c] for c in COLUMNS]))
        view.write(batch, Tracking(services.read_side.app_name, start // CHUNK + 1))
    return time.perf_counter() - started


async def export(app: Any, query: str, token: str) -> tuple[int, int]:
    """One `GET /risks?<query>` through the ASGI app: its status and the bytes answered."""
    answer = {"status": 0, "bytes": 0}
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        return {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["bytes"] += len(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/risks",
        "raw_path": b"/risks",
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    await app(scope, receive, send)
    return answer["status"], answer["bytes"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CASES = [
    ("small csv", "category=legal&format=csv"),
    ("small xlsx", "category=legal&format=xlsx"),
    ("all csv", "format=csv"),
    ("all xlsx", "format=xlsx"),
]


def measure(app: Any, token: str, traced: bool) -> None:
    for name, query in CASES:
        if traced:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        status, size = anyio.run(export, app, query, token)
        seconds = time.perf_counter() - started
        assert status == 200, (name, status)
        if traced:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            print(f"  {name:10} traced peak {peak:7.1f} MiB ({seconds:6.2f} s)")
        else:
            print(
                f"  {name:10} {seconds:7.2f} s {size / 2**20:8.1f} MiB answered, "
                f"peak RSS now {peak_rss_mib():7.1f} MiB"
            )


def run(dialect: str, rows: int, small: int) -> None:
    with scratch_url(dialect) as url:
        settings = Settings(database_url=url, jwt_secret=DEV_JWT_SECRET)
        services = build(settings, run_projections=False)
        try:
            seconds = fill(services, rows, small)
            print(f"{dialect}: {rows} risks written in {seconds:.1f} s ({small} of them legal)")
            app = create_app(services=services)
            app.state.services = services  # what the lifespan does when given services
            token = mint(DEV_JWT_SECRET, "bench", ["admin"], timedelta(hours=2))
            print(f"  peak RSS before any export {peak_rss_mib():7.1f} MiB")
            measure(app, token, traced=False)
            tracemalloc.start()
            try:
                measure(app, token, traced=True)
            finally:
                tracemalloc.stop()
        finally:
            services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    print(
        f"{platform.node()}: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {load()}"
    )
    for dialect in ["sqlite", "postgres"]:
        if args.only in (None, dialect):
            run(dialect, args.rows, args.small)
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
