"""What the benchmarks share: the machine they ran on, scratch databases, a run on each database.

The scripts beside this file import it as `common`: a script's own folder comes first on its
path when it is run as `.venv/bin/python bench/<name>.py`.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psycopg
import uvicorn

from interfaces.http.app import create_app

if TYPE_CHECKING:
    from application.backoffice import Backoffice
    from interfaces.bootstrap import Services

POSTGRES_URL = os.environ.get(
    "MOPS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SKIPPED = f"\n== postgres: not reachable at {POSTGRES_URL}; its figures are skipped"

T = TypeVar("T")


# The machine.


def machine() -> dict[str, str]:
    """CPU, cores, RAM, Python, database versions, date and load."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "postgresql": postgres_version() or "unreachable",
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load(),
    }


def print_machine(about: dict[str, str], tail: str = "", between: str | None = None) -> None:
    """The machine line, an optional line of the script's own, then date, load and `tail`."""
    print(
        f"machine: {about['cpu']}, {about['cores']} cores, {about['ram']} RAM; "
        f"Python {about['python']}; PostgreSQL {about['postgresql']}; SQLite {about['sqlite']}"
    )
    if between is not None:
        print(between)
    print(f"date: {about['date']}; load: {about['load']}{tail}")


def print_date(sizes: object) -> None:
    """The short header of the write-path benchmarks: date, load, cores and sizes."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"date: {date}; load: {load()}; {os.cpu_count()} cores; sizes: {sizes}")


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def postgres_version() -> str | None:
    """The server's version, or None when it cannot be reached."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return None


def postgres_reachable() -> bool:
    """True when the benchmark's PostgreSQL server answers."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def print_table(header: str, rows: list[str]) -> None:
    """A Markdown table after a blank line: its header, the rule under it, its rows."""
    print("\n" + header)
    print("|" + "---|" * (header.count("|") - 1))
    print("\n".join(rows))


# Running on each database.


def dialect_parser(doc: str, quick: str) -> argparse.ArgumentParser:
    """The arguments every database benchmark takes: `--quick` (helped by `quick`), `--only`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    return parser


def each_dialect(
    only: str | None,
    reachable: Callable[[], bool],
    run: Callable[[str], T],
    skipped: str = SKIPPED,
) -> dict[str, T]:
    """`run` on SQLite then PostgreSQL, as `--only` allows; PostgreSQL skipped if unreachable.

    `reachable` is asked only when PostgreSQL's turn comes, after SQLite's figures.
    """
    results: dict[str, T] = {}
    for dialect in ("sqlite", "postgres"):
        if only not in (None, dialect):
            continue
        if dialect == "postgres" and not reachable():
            print(skipped)
            continue
        results[dialect] = run(dialect)
    return results


def run_each(
    only: str | None,
    about: dict[str, str],
    run: Callable[[str], T],
    summarize: Callable[[list[T]], None] | None = None,
) -> None:
    """`each_dialect`, the summary of what it gave, and the total time on stderr."""
    started = time.perf_counter()
    results = each_dialect(only, lambda: about["postgresql"] != "unreachable", run)
    if results and summarize is not None:
        summarize(list(results.values()))
    print(f"\ntotal {time.perf_counter() - started:.0f} s", file=sys.stderr)


# Scratch databases.


@contextmanager
def scratch_schema() -> Iterator[str]:
    """A fresh schema in the PostgreSQL database, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def scratch_url(dialect: str) -> Iterator[str]:
    """The URL of a fresh database: an SQLite file in a temporary directory, or a schema."""
    if dialect == "sqlite":
        # The app may still hold the file when the directory goes; that must not fail a run.
        with tempfile.TemporaryDirectory(
            prefix="mops-bench-", ignore_cleanup_errors=True
        ) as directory:
            yield f"sqlite:///{directory}/mops.db"
        return
    with scratch_schema() as schema:
        yield f"{POSTGRES_URL}?schema={schema}"


# The app.


@contextmanager
def served(services: Services) -> Iterator[str]:
    """The HTTP API under uvicorn on a free loopback port, in a background thread."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(services=services), log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def read_log(app: Backoffice, page_size: int, decode: bool) -> int:
    """Read the whole log in a rebuild's pages, decoding each event or not; the events read."""
    position, count = 0, 0
    while True:
        page = app.recorder.select_notifications(
            start=position, limit=page_size, inclusive_of_start=False
        )
        if not page:
            return count
        if decode:
            for notification in page:
                app.mapper.to_domain_event(notification)
        count += len(page)
        position = page[-1].id
