"""Benchmark: how much a flood of waiting queries delays commands (issue 17, point 2).

Run from the repository root:

    .venv/bin/python bench/wait_flood.py [--only sqlite|postgres] [--waiters 100]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>` schema
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end) the API runs
under uvicorn on a free loopback port with its read models in-process. It measures the
latency of `POST /customers` alone, then again while `--waiters` clients keep asking
`GET /reports/risks?wait_for=<head>` with the risk register stopped, the longest wait
there is (each such query waits the 5 s cap, then answers lagging). The figure is the
p95 of commands under the flood minus the p95 alone; API.md's target is under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from datetime import timedelta

import httpx
from common import scratch_url, served

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, build
from interfaces.settings import Settings

SALES = {"Authorization": f"Bearer {mint(DEV_JWT_SECRET, 'sam', ['sales'], timedelta(hours=1))}"}
EXECUTIVE = {
    "Authorization": f"Bearer {mint(DEV_JWT_SECRET, 'eve', ['executive'], timedelta(hours=1))}"
}


def command_latencies(url: str, seconds: float) -> list[float]:
    """Register customers one after another for `seconds`; each one's latency."""
    took = []
    with httpx.Client(base_url=url, timeout=30) as client:
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            body = {"name": f"Flood {uuid.uuid4().hex}", "kind": "company", "source": "web"}
            started = time.monotonic()
            answer = client.post("/customers", json={**body, "contacts": []}, headers=SALES)
            took.append(time.monotonic() - started)
            assert answer.status_code == 201, answer.text
    return took


def flood(url: str, waiters: int, stop: threading.Event) -> list[threading.Thread]:
    """Clients asking, again and again, for a read model that does not fold."""

    def wait_again() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                head = client.get("/health").json()["position"]
                client.get("/reports/risks", params={"wait_for": head}, headers=EXECUTIVE)

    threads = [threading.Thread(target=wait_again, daemon=True) for _ in range(waiters)]
    for thread in threads:
        thread.start()
    return threads


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def measure(dialect: str, waiters: int, seconds: float) -> None:
    with scratch_url(dialect) as url:
        services = build(
            Settings(database_url=url, jwt_secret=DEV_JWT_SECRET), run_projections=True
        )
        try:
            with served(services) as base:
                command_latencies(base, 1)  # warm up; the route's waits become known
                httpx.get(f"{base}/reports/risks", headers=EXECUTIVE, timeout=30)
                alone = command_latencies(base, seconds)
                services.read_side.stop("risks")
                stop = threading.Event()
                threads = flood(base, waiters, stop)
                time.sleep(1)
                flooded = command_latencies(base, seconds)
                stop.set()
                for thread in threads:
                    thread.join(10)
        finally:
            services.close()
    delay = (p95(flooded) - p95(alone)) * 1000
    print(
        f"{dialect}: {waiters} waiting queries; command p95 alone {p95(alone) * 1000:.1f} ms "
        f"({len(alone)} commands), flooded {p95(flooded) * 1000:.1f} ms ({len(flooded)}): "
        f"delay {delay:.1f} ms (target < 100 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--waiters", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=8.0)
    arguments = parser.parse_args()
    for dialect in [arguments.only] if arguments.only else ["sqlite", "postgres"]:
        measure(dialect, arguments.waiters, arguments.seconds)


if __name__ == "__main__":
    main()
