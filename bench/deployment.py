"""Bench of the deployment shape and the write path (issue 16, point 6): mops beside its peers.

Run from the repository root:

    .venv/bin/python bench/deployment.py [--quick] [--only sqlite|postgres] [--workers N...]
    .venv/bin/python bench/deployment.py --read-your-writes [--runs N] [--samples N]

On each database (PostgreSQL `test` at 127.0.0.1:5432, every server on a fresh schema
dropped when it stops; SQLite, a fresh file in a temporary directory) it starts real
servers with uvicorn on free loopback ports and drives them from this process with N
concurrent keep-alive HTTP/1.1 clients (a small asyncio client, bounded in count and
time). Measured in the same run and interleaved, A B C ... A B C ..., median of the runs:

- `noop`: a FastAPI endpoint doing nothing (the HTTP ceiling);
- `raw`: FastAPI + one INSERT and COMMIT per request, plain psycopg / sqlite3;
- `raw-nohttp`: the same INSERT and COMMIT from N threads, no HTTP (the database ceiling);
- `peer`: an `eventsourcing` Application with one aggregate and one command, written as
  the library's docs write the dog school, behind a FastAPI POST;
- `mops`: `mops serve` on a fresh database, `POST /customers/{id}/follow-ups` (one event
  on a customer registered beforehand) with a token from `mops token`, projections in
  the process (`MOPS_PROJECTIONS=inprocess`);
- `mops-ext`: the same with `MOPS_PROJECTIONS=external` and `mops projections run` beside.

Each with 1 and 16 clients and with 1 and 2 worker processes (uvicorn `--workers` over an
app factory; `mops serve --workers`), the same uvicorn settings for all: log level info,
access log on (mops: its own JSON line a request), and the event loop and HTTP parser of
`--servers` (default `auto/auto`: uvloop and httptools when installed, else asyncio and
h11, as `mops serve` does). `--servers asyncio/h11 uvloop/httptools` compares them in one
run: each run measures every target under each setting in turn (A/B interleaved), each
setting gets its table, and the mops-to-peer and mops-to-noop ratios compare like with
like. `--targets` measures a few targets only (raw-nohttp goes with raw).

Also the PostgreSQL connections each server process holds idle and after the load
(pg_stat_activity's client ports matched to the processes' sockets), and read-your-writes:
from a command's answer to the answer of `GET /customers?wait_for=<position>`, within one
process (projections in the server) and across processes (projections in `mops projections
run`), p50 and p95.

Every server is stopped whatever happens (its whole process group, killed if it does not
stop); a target starts only when its connections fit on the shared PostgreSQL server, and
a watchdog stops it if the server passes `CONNECTION_ALARM` connections while it holds
some. The machine (cores, CPU, memory) and the load average are printed, each rate beside
its ceilings and the peer as ratios, and a Markdown table ends the output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "MOPS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TARGETS = ("noop", "raw", "peer", "mops", "mops-ext")
FOLLOW_UP = b'{"kind": "call", "notes": "called about the spring order"}'
TRICK = b'{"trick": "roll over"}'
PAYLOAD = (b"t" * 40, os.urandom(350))  # topic and state of a stored event, as sized in mops
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
# The server is shared (100 connections for everybody): a target starts only when what
# it will hold (a guess per worker, then what its last run held) fits under the alarm,
# and it is stopped at once when the server holds more than the alarm.
CONNECTION_ALARM = 90
CONNECTIONS_GUESSED = {"noop": 1, "raw": 17, "peer": 16, "mops": 22, "mops-ext": 22}


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    runs: int  # interleaved runs of every target; the median is reported
    warm: float  # seconds of load before the measured window
    window: float  # seconds of the measured window
    per_client: int  # aggregates per client (each client writes only its own)
    ryw: int  # read-your-writes samples per run, on one worker
    clients: tuple[int, ...] = (1, 16)
    workers: tuple[int, ...] = (1, 2)
    servers: tuple[str, ...] = ("auto/auto",)  # each a `loop/http` setting, compared
    targets: tuple[str, ...] = TARGETS


# The event loop and HTTP/1.1 parser uvicorn is told to use, `loop/http`.
LOOPS, PARSERS = ("auto", "asyncio", "uvloop"), ("auto", "h11", "httptools")


def server_setting(text: str) -> str:
    """`loop/http` checked (argparse's type), e.g. `uvloop/httptools`."""
    loop, _, http = text.partition("/")
    if loop not in LOOPS or http not in PARSERS:
        raise argparse.ArgumentTypeError(f"{text!r}: loop/http, loop of {LOOPS}, http of {PARSERS}")
    return text


FULL = Sizes(runs=3, warm=0.3, window=1.5, per_client=8, ryw=60)
QUICK = Sizes(runs=1, warm=0.1, window=0.3, per_client=2, ryw=15, workers=(1,))


# The served peers, imported by their own server processes (`deployment:<factory>`).


class Dog(Aggregate):
    """The aggregate of the library's docs: a dog that learns tricks."""

    @event("Registered")
    def __init__(self, name: str) -> None:
        """Register a dog by name."""
        self.name = name
        self.tricks: list[str] = []

    @event("TrickAdded")
    def add_trick(self, trick: str) -> None:
        """Teach the dog a trick."""
        self.tricks.append(trick)


class DogSchool(Application[uuid.UUID]):
    """The application of the library's docs: load, call, save."""

    def register_dog(self, name: str) -> uuid.UUID:
        """A new dog; its id."""
        dog = Dog(name)
        self.save(dog)
        return dog.id

    def add_trick(self, dog_id: uuid.UUID, trick: str) -> int:
        """Teach a dog a trick; its new version."""
        dog: Dog = self.repository.get(dog_id)
        dog.add_trick(trick)
        self.save(dog)
        return dog.version


class TrickBody(BaseModel):
    """The body of `POST /dogs/{id}/tricks`."""

    trick: str


def with_health(app: FastAPI) -> FastAPI:
    """The app with `GET /health`, as the bench waits for it."""

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Up."""
        return {"status": "ok"}

    return app


def noop_app() -> FastAPI:
    """A FastAPI endpoint doing nothing: the HTTP ceiling."""
    app = FastAPI()

    @app.post("/noop")
    async def noop() -> dict[str, bool]:
        """Nothing."""
        return {"ok": True}

    return with_health(app)


def raw_app() -> FastAPI:
    """FastAPI + one raw INSERT and COMMIT per request, on `BENCH_RAW_*`."""
    rows: list[RawRows] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        rows.append(RawRows.from_environment())
        try:
            yield
        finally:
            rows[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/rows")
    def insert() -> dict[str, bool]:
        """One row, committed."""
        rows[0].insert()
        return {"ok": True}

    return with_health(app)


def peer_app() -> FastAPI:
    """The dog school behind FastAPI; persistence from the environment, as the docs set it."""
    schools: list[DogSchool] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        schools.append(DogSchool())
        try:
            yield
        finally:
            schools[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/dogs")
    def register_dog(body: TrickBody) -> dict[str, Any]:
        """Register a dog (named after the trick it will learn)."""
        return {"id": str(schools[0].register_dog(body.trick))}

    @app.post("/dogs/{dog_id}/tricks")
    def add_trick(dog_id: uuid.UUID, body: TrickBody) -> dict[str, Any]:
        """Teach a dog a trick."""
        version = schools[0].add_trick(dog_id, body.trick)
        return {"id": str(dog_id), "version": version}

    return with_health(app)


# Raw rows: the ceilings.


class RawRows:
    """INSERT + COMMIT of one event-sized row per call, plain psycopg or sqlite3."""

    def __init__(self, dialect: str, target: str, table: str) -> None:
        """A pool of up to 16 connections (PostgreSQL) or one connection per thread (SQLite)."""
        self.dialect, self.target, self.table = dialect, target, table
        self.local = threading.local()
        self.opened: list[sqlite3.Connection] = []
        self.pool: psycopg_pool.ConnectionPool[Any] | None = None
        if dialect == "postgres":
            self.pool = psycopg_pool.ConnectionPool(target, min_size=2, max_size=16, open=True)

    @classmethod
    def from_environment(cls) -> RawRows:
        """The rows the bench named in the server's environment."""
        env = os.environ
        return cls(env["BENCH_RAW_DIALECT"], env["BENCH_RAW_TARGET"], env["BENCH_RAW_TABLE"])

    def insert(self) -> None:
        """One row in a transaction of its own."""
        topic, state = PAYLOAD
        if self.pool is not None:
            with self.pool.connection() as conn:
                conn.execute(
                    f"INSERT INTO {self.table} (originator_id, originator_version, topic, state)"
                    " VALUES (%s, 1, %s, %s)",
                    (uuid.uuid4(), topic.decode(), state),
                )
            return
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.target, isolation_level=None, timeout=30, check_same_thread=False
            )
            self.local.conn = conn
            self.opened.append(conn)
        conn.execute("BEGIN")
        conn.execute(
            f"INSERT INTO {self.table} VALUES (?, 1, ?, ?)", (uuid.uuid4().hex, topic, state)
        )
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close the pool or every thread's connection."""
        if self.pool is not None:
            self.pool.close()
        for conn in self.opened:
            conn.close()


def create_raw_table(db: Database, admin: psycopg.Connection[Any] | None) -> None:
    """The raw rows' table, shaped like the library's events table."""
    table = db.raw_table
    if admin is not None:
        admin.execute(
            f"CREATE TABLE {table} (originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, topic text, state bytea, "
            "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        admin.execute(f"CREATE UNIQUE INDEX ON {table} (notification_id)")
        return
    lite = sqlite3.connect(db.raw_target, isolation_level=None)
    try:
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute(
            f"CREATE TABLE {table} (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
    finally:
        lite.close()


# Databases: a fresh one for every server.


@dataclass
class Database:
    """A fresh database: its URL for mops, its environment for the library, its raw table."""

    dialect: str
    mops_url: str
    library_env: dict[str, str]
    raw_target: str
    raw_table: str


def library_postgres_env(schema: str) -> dict[str, str]:
    """The library's settings for a schema of the bench's PostgreSQL database."""
    parts = psycopg.conninfo.conninfo_to_dict(POSTGRES_URL)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(parts.get("dbname", "postgres")),
        "POSTGRES_HOST": str(parts.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(parts.get("port", "5432")),
        "POSTGRES_USER": str(parts.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(parts.get("password", "")),
        "POSTGRES_SCHEMA": schema,
    }


@contextmanager
def fresh_database(
    dialect: str, directory: Path, admin: psycopg.Connection[Any] | None
) -> Iterator[Database]:
    """A new PostgreSQL schema, made and dropped on `admin` (no connection more), or SQLite file."""
    name = f"bench_dep_{uuid.uuid4().hex[:10]}"
    if dialect == "sqlite":
        path = directory / f"{name}.db"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        try:
            yield Database(dialect, f"sqlite:///{path}", env, str(path), "raw_events")
        finally:
            for leftover in directory.glob(f"{name}*"):
                leftover.unlink(missing_ok=True)
        return
    assert admin is not None, "PostgreSQL needs the bench's own connection"
    admin.execute(f"CREATE SCHEMA {name}")
    try:
        env = library_postgres_env(name)
        yield Database(
            dialect, f"{POSTGRES_URL}?schema={name}", env, POSTGRES_URL, f"{name}.raw_events"
        )
    finally:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


# Processes.


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A process this bench started, in a process group of its own, its output in a file."""

    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What it printed so far, but the access log (the end of it)."""
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(x for x in lines if not x.startswith("INFO:     127.0.0.1:"))[-3000:]

    def tree(self) -> list[int]:
        """Its pid and its descendants' (uvicorn's workers)."""
        return process_tree(self.popen.pid)

    def stop(self) -> None:
        """SIGINT, as Ctrl-C; then SIGKILL to the whole group if anything outlives it."""
        with contextlib.suppress(ProcessLookupError):
            if self.popen.poll() is None:
                self.popen.send_signal(signal.SIGINT)
                try:
                    self.popen.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    print(f"  ! pid {self.popen.pid} did not stop in {STOP_TIMEOUT} s: killed")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


def start(command: list[str], env: dict[str, str], log: Path) -> Process:
    """Start a command in a new session (its own process group) from the repository root."""
    with log.open("wb") as sink:
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Process(popen, log)


def process_tree(root: int) -> list[int]:
    """A pid and every descendant of it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(tree)


def wait_until(ready: Callable[[], bool], process: Process, what: str) -> None:
    """Poll `ready` until it holds; fail with the process's output if it died or took long."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.popen.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {process.popen.returncode}:\n{process.output()}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready in {START_TIMEOUT} s:\n{process.output()}")
        time.sleep(0.05)


def ready(process: Process, port: int, workers: int) -> Callable[[], bool]:
    """True once every worker has started (uvicorn says so) and the port answers."""

    def check() -> bool:
        started = process.log.read_bytes().count(b"Application startup complete")
        return started >= workers and answers_health(port)

    return check


def answers_health(port: int) -> bool:
    """True when a server answers `GET /health` with 200 on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


# PostgreSQL connections per process.


def postgres_sockets() -> dict[int, int]:
    """Socket inode -> local port of every established TCP connection to port 5432."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cells = line.split()
                local, remote, state, inode = cells[1], cells[2], cells[3], int(cells[9])
                if state == "01" and int(remote.rsplit(":", 1)[1], 16) == 5432:
                    found[inode] = int(local.rsplit(":", 1)[1], 16)
    return found


def connections_of(pids: list[int], admin: psycopg.Connection[Any]) -> dict[int, int]:
    """How many PostgreSQL backends each process is connected to.

    pg_stat_activity names each backend's client port; /proc names the port and the owner
    of each socket: a connection counts for a process when both agree.
    """
    ports = {
        row[0]
        for row in admin.execute(
            "SELECT client_port FROM pg_stat_activity WHERE client_port IS NOT NULL"
        )
    }
    sockets = postgres_sockets()
    counts = {}
    for pid in pids:
        held = 0
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link.startswith("socket:["):
                        port = sockets.get(int(link[8:-1]))
                        held += port is not None and port in ports
        counts[pid] = held
    return counts


def database_connections(admin: psycopg.Connection[Any]) -> int:
    """Every connection the PostgreSQL server holds now, everybody's."""
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
    )
    return int(row.fetchone()[0])  # type: ignore[index]


class Watchdog:
    """Stops the processes of a target at once if the server nears its connection limit.

    It stops them only if they hold connections.
    """

    def __init__(self, processes: list[Process]) -> None:
        """Watch `processes` (the list may grow) from a thread with its own connection."""
        self.processes, self.tripped = processes, ""
        self.stopping = threading.Event()
        self.admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self) -> None:
        """Poll the server's connection count twice a second."""
        with self.admin as admin:
            while not self.stopping.wait(0.5):
                held = database_connections(admin)
                pids = [pid for process in list(self.processes) for pid in process.tree()]
                # Stopping processes that hold none would free none.
                if held > CONNECTION_ALARM and sum(connections_of(pids, admin).values()) > 0:
                    self.tripped = f"{held} connections on the server: stopped"
                    for process in list(self.processes):
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(process.popen.pid, signal.SIGKILL)
                    return

    def close(self) -> None:
        """Stop watching."""
        self.stopping.set()
        self.thread.join(timeout=5)


def wait_for_room(admin: psycopg.Connection[Any], need: int) -> bool:
    """Wait up to two minutes until `need` more connections fit under the alarm."""
    deadline = time.monotonic() + 120
    while database_connections(admin) + need > CONNECTION_ALARM:
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


# The HTTP client: raw HTTP/1.1 over keep-alive connections, as little work as can be.


class HttpConnection:
    """One keep-alive connection to a server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap an open stream."""
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        """Connect to the loopback port, without Nagle's delay."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, request: bytes) -> tuple[int, bytes, bytes]:
        """Send a request; its status, head and body."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        at = head.lower().find(b"\r\ncontent-length:")
        length = int(head[at + 17 : head.index(b"\r\n", at + 2)]) if at >= 0 else 0
        body = await self.reader.readexactly(length) if length else b""
        return int(head[9:12]), head, body

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def request(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 request, JSON body, bearer token."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Load:
    """What N clients achieved in the measured window."""

    completed: int = 0
    errors: int = 0
    first_error: str = ""
    window: float = 0.0
    answered: int = 0  # every answer, the warm-up's too
    client_cpu: float = 0.0  # CPU seconds this process spent driving them
    server_cpu: float = 0.0  # CPU seconds every process of the target spent meanwhile

    @property
    def client_cost(self) -> str:
        """The client's CPU per request, to judge what it takes from the server's cores."""
        return f"{self.client_cpu / self.answered * 1e6:.0f} us" if self.answered else "-"

    @property
    def server_cost(self) -> float:
        """The target's CPU microseconds per answer: on a shared machine, steadier than
        the rate, which other work's load takes its share of."""
        return self.server_cpu / self.answered * 1e6 if self.answered else float("nan")

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.completed / self.window if self.window else 0.0


async def drive(port: int, plans: list[list[bytes]], warm: float, window: float) -> Load:
    """Each client sends its requests in turn, on one connection, for `warm` + `window` s.

    Only the answers that arrive within the window count; every request is bounded by
    `REQUEST_TIMEOUT` and every client stops at the window's end.
    """
    loop = asyncio.get_running_loop()
    cpu = time.process_time()
    opened = loop.time()
    begin, end = opened + warm, opened + warm + window
    load = Load(window=window)

    async def client(requests: list[bytes]) -> None:
        connection = await HttpConnection.open(port)
        try:
            turn = 0
            # One deadline for the client, not a timer per request: those cost the client
            # a task each (asyncio.wait_for), CPU the servers would miss.
            async with asyncio.timeout(warm + window + REQUEST_TIMEOUT):
                while loop.time() < end:
                    status, _, body = await connection.send(requests[turn % len(requests)])
                    turn += 1
                    load.answered += 1
                    if not begin <= loop.time() <= end:
                        continue
                    if status < 400:
                        load.completed += 1
                    else:
                        load.errors += 1
                        load.first_error = load.first_error or f"{status} {body[:300]!r}"
        finally:
            await connection.close()

    await asyncio.gather(*(client(plan) for plan in plans))
    load.client_cpu = time.process_time() - cpu
    return load


async def send_all(port: int, requests: list[bytes], connections: int) -> list[bytes]:
    """Send every request once over `connections` connections; the bodies, in order."""
    answers: list[bytes] = [b""] * len(requests)

    async def client(first: int) -> None:
        connection = await HttpConnection.open(port)
        try:
            for index in range(first, len(requests), connections):
                status, _, body = await asyncio.wait_for(
                    connection.send(requests[index]), REQUEST_TIMEOUT
                )
                if status >= 400:
                    raise RuntimeError(f"setup request answered {status}: {body[:300]!r}")
                answers[index] = body
        finally:
            await connection.close()

    await asyncio.gather(*(client(first) for first in range(connections)))
    return answers


# The targets: each started on a fresh database, prepared, and driven.


@dataclass
class Bench:
    """What every measurement of one run shares."""

    sizes: Sizes
    directory: Path
    secret: str
    token: str
    serve_has_workers: bool
    admin: psycopg.Connection[Any] | None  # this bench's own connection, PostgreSQL only
    server: str = "auto/auto"  # the `loop/http` of the servers started now


def server_options(bench: Bench) -> list[str]:
    """`--loop L --http H`, for uvicorn and `mops serve` alike."""
    loop, _, http = bench.server.partition("/")
    return ["--loop", loop, "--http", http]


@dataclass
class Served:
    """A target answering on a port: its processes and each client's requests."""

    target: str
    port: int
    server: Process
    helpers: list[Process]
    plans: Callable[[int], list[list[bytes]]] = lambda clients: []
    ids: list[str] = field(default_factory=list)  # the aggregates the clients write to


def base_environment() -> dict[str, str]:
    """This environment without mops' or the bench's settings, the bench importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOPS_", "BENCH_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench"), str(ROOT)])
    return env


def uvicorn_command(factory: str, port: int, workers: int, bench: Bench) -> list[str]:
    """uvicorn over one of this module's app factories, with `mops serve`'s settings."""
    return [
        *(sys.executable, "-m", "uvicorn", f"deployment:{factory}", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--log-level", "info", *server_options(bench)),
    ]


def mops_environment(bench: Bench, db: Database, projections: str) -> dict[str, str]:
    """The environment of a mops process on the database."""
    return {
        **base_environment(),
        "MOPS_DATABASE_URL": db.mops_url,
        "MOPS_JWT_SECRET": bench.secret,
        "MOPS_PROJECTIONS": projections,
    }


def split(ids: list[str], clients: int, make: Callable[[str], bytes]) -> list[list[bytes]]:
    """Each client's requests, on aggregates of its own."""
    return [[make(i) for i in ids[c::clients]] for c in range(clients)]


def launch(target: str, db: Database, workers: int, bench: Bench, started: list[Process]) -> Served:
    """Start a target's server(s) on the database; every process started joins `started`."""
    if target.startswith("mops"):
        return launch_mops(target, db, workers, bench, started)
    port = free_port()
    env = base_environment()
    if target == "raw":
        create_raw_table(db, bench.admin)
        env |= {
            "BENCH_RAW_DIALECT": db.dialect,
            "BENCH_RAW_TARGET": db.raw_target,
            "BENCH_RAW_TABLE": db.raw_table,
        }
    if target == "peer":
        # The tables are made here, once: workers creating them at once fail to start
        # ("tuple concurrently updated"), even when they exist already.
        DogSchool(env=db.library_env).close()
        env |= {**db.library_env, "CREATE_TABLE": "n"}
    log = bench.directory / f"{target}-{workers}-{port}.log"
    server = start(uvicorn_command(f"{target}_app", port, workers, bench), env, log)
    started.append(server)
    wait_until(ready(server, port, workers), server, f"{target} server")
    served = Served(target, port, server, [])
    if target != "peer":
        path = "/noop" if target == "noop" else "/rows"
        served.plans = lambda clients: [
            [request("POST", path, bench.token, FOLLOW_UP)] for _ in range(clients)
        ]
    return served


def launch_mops(
    target: str, db: Database, workers: int, bench: Bench, started: list[Process]
) -> Served:
    """`mops serve` (and `mops projections run` for `mops-ext`) on the fresh database."""
    port = free_port()
    projections = "external" if target == "mops-ext" else "inprocess"
    env = mops_environment(bench, db, projections)
    command = [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(port)]
    command += server_options(bench)
    if bench.serve_has_workers:
        command += ["--workers", str(workers)]
    elif workers > 1:
        command = uvicorn_command("mops_app", port, workers, bench)
    server = start(command, env, bench.directory / f"{target}-{workers}-{port}.log")
    started.append(server)
    helpers = []
    if projections == "external":
        # Started together, as a service manager starts them: mops makes its tables once.
        runner = start(
            [sys.executable, "-m", "interfaces.cli", "projections", "run"],
            env,
            bench.directory / f"{target}-{workers}-{port}-projections.log",
        )
        started.append(runner)
        helpers.append(runner)
    wait_until(ready(server, port, workers), server, f"{target} server")
    for helper in helpers:
        wait_until(partial(reads_side, helper), helper, "mops projections run")
    return Served(target, port, server, helpers)


def reads_side(runner: Process) -> bool:
    """True once `mops projections run` says it runs the read side or stands by for it."""
    return any(word in runner.output() for word in ("running", "standing by"))


def mops_app() -> Any:
    """`mops serve`'s app for uvicorn's workers, when `mops serve` has no `--workers` yet."""
    from interfaces.http.app import create_app
    from interfaces.settings import Settings

    return create_app(Settings())


def prepare(served: Served, bench: Bench) -> None:
    """Create the aggregates the clients write to, through the API: dogs or customers."""
    count = bench.sizes.per_client * max(bench.sizes.clients)
    if served.target == "peer":
        creations = [request("POST", "/dogs", bench.token, TRICK)] * count
        path, body = "/dogs/{}/tricks", TRICK
    elif served.target.startswith("mops"):
        tag = uuid.uuid4().hex[:8]
        creations = [request("POST", "/customers", bench.token, lead(tag, i)) for i in range(count)]
        path, body = "/customers/{}/follow-ups", FOLLOW_UP
    else:
        return
    answers = asyncio.run(send_all(served.port, creations, max(bench.sizes.clients)))
    ids = served.ids = [json_field(answer, "id") for answer in answers]

    def command(aggregate_id: str) -> bytes:
        """The request of the one command on an aggregate."""
        return request("POST", path.format(aggregate_id), bench.token, body)

    served.plans = lambda clients: split(ids, clients, command)


def lead(tag: str, i: int) -> bytes:
    """The body of a new lead, unique within the run: one contact, with a phone."""
    return (
        f'{{"name": "Bench {tag} {i}", "kind": "company", "source": "web", "region": "east", '
        f'"contacts": [{{"name": "Li Wei", "phone": "+86 139 {i:08d}"}}]}}'
    ).encode()


def json_field(body: bytes, name: str) -> Any:
    """One field of a JSON answer."""
    return json.loads(body)[name]


@contextmanager
def serving(target: str, db: Database, workers: int, bench: Bench) -> Iterator[Served]:
    """A target served on the database, every process of it stopped at the end."""
    started: list[Process] = []
    watchdog = Watchdog(started) if db.dialect == "postgres" else None
    try:
        yield launch(target, db, workers, bench, started)
    except BaseException:
        for process in started:
            print(f"  ! output of pid {process.popen.pid}:\n{process.output()}", flush=True)
        raise
    finally:
        for process in reversed(started):
            process.stop()
        if watchdog is not None:
            watchdog.close()
            if watchdog.tripped:
                raise RuntimeError(f"{target}: {watchdog.tripped}")


# Measuring.


@dataclass
class Results:
    """Every figure of one database."""

    dialect: str
    server: str = "auto/auto"  # the `loop/http` of every server measured
    # The same database's figures under the other `--servers` settings, interleaved.
    compared: list[Results] = field(default_factory=list)
    rates: dict[tuple[str, int, int], list[Load]] = field(default_factory=dict)
    held: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    peak: dict[tuple[str, int], int] = field(default_factory=dict)  # all processes, loaded
    ryw: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    load_before: str = ""
    load_after: str = ""

    def median(self, target: str, workers: int, clients: int) -> float | None:
        """The median rate of a target's runs, or None when it has none."""
        loads = self.rates.get((target, workers, clients))
        return statistics.median(load.rate for load in loads) if loads else None

    def median_cost(self, target: str, workers: int, clients: int) -> float | None:
        """The median server CPU microseconds per request of a target's runs, or None."""
        loads = self.rates.get((target, workers, clients))
        return statistics.median(load.server_cost for load in loads) if loads else None


def held_connections(served: Served, admin: psycopg.Connection[Any]) -> str:
    """PostgreSQL connections per process: `[12]`, `supervisor 0, workers [12, 9]`, `+ run [4]`."""
    root = served.server.popen.pid
    workers = [pid for pid in served.server.tree() if pid != root and not tracker(pid)]
    counts = connections_of([root, *workers], admin)
    text = f"[{counts[root]}]"
    if workers:
        text = f"supervisor {counts[root]}, workers {[counts[pid] for pid in workers]}"
    for helper in served.helpers:
        text += f" + run {list(connections_of(helper.tree(), admin).values())}"
    return text


def tracker(pid: int) -> bool:
    """True for multiprocessing's resource tracker, which uvicorn's workers come with."""
    with contextlib.suppress(OSError):
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return False


def total_connections(served: Served, admin: psycopg.Connection[Any]) -> int:
    """Every PostgreSQL connection of a served target's processes."""
    pids = [pid for process in (served.server, *served.helpers) for pid in process.tree()]
    return sum(connections_of(pids, admin).values())


def room_for(target: str, workers: int, bench: Bench, results: Results) -> bool:
    """Wait until the target fits on the shared server: what it held last run, or a guess."""
    if bench.admin is None:
        return True
    guess = CONNECTIONS_GUESSED[target] * workers + (10 if target == "mops-ext" else 0)
    return wait_for_room(bench.admin, results.peak.get((target, workers), guess))


RYW_LABELS = {"mops": "within one process", "mops-ext": "across processes"}


def measure_target(
    target: str, db: Database, workers: int, bench: Bench, results: Results, run: int
) -> None:
    """One run of a target: idle connections, each number of clients, read-your-writes."""
    sizes = bench.sizes
    with serving(target, db, workers, bench) as served:
        idle = ""
        if bench.admin is not None:
            time.sleep(0.5)
            idle = held_connections(served, bench.admin)
        prepare(served, bench)
        pids = [pid for process in (served.server, *served.helpers) for pid in process.tree()]
        for clients in sizes.clients:
            plans = served.plans(clients)
            cpu = cpu_seconds(pids)
            load = asyncio.run(drive(served.port, plans, sizes.warm, sizes.window))
            load.server_cpu = cpu_seconds(pids) - cpu
            results.rates.setdefault((target, workers, clients), []).append(load)
            error = f"  errors {load.errors}: {load.first_error}" if load.errors else ""
            print(
                f"  run {run + 1}  {target:<10} workers {workers}  clients {clients:>2}  "
                f"{load.rate:>8,.0f} /s  (client {load.client_cost}/request, server "
                f"{load.server_cost:.0f} us/request, {bench.server}){error}",
                flush=True,
            )
        if bench.admin is not None:
            loaded = held_connections(served, bench.admin)
            results.peak[(target, workers)] = total_connections(served, bench.admin)
            results.held.setdefault((target, workers), []).append(f"{idle} -> {loaded}")
            print(f"  {'':6} connections per process, idle -> after load: {idle} -> {loaded}")
        if target in RYW_LABELS and workers == 1:
            samples = asyncio.run(follow_and_read(served.port, served.ids, bench.token, sizes.ryw))
            results.ryw.setdefault(RYW_LABELS[target], []).extend(samples)
            print(
                f"  {'':6} read-your-writes {RYW_LABELS[target]}: p50 "
                f"{percentile(samples, 0.5):.1f} ms, p95 {percentile(samples, 0.95):.1f} ms"
            )


def bench_read_your_writes(dialect: str, bench: Bench) -> Results:
    """Read-your-writes alone (`--read-your-writes`): no load, runs interleaved, one worker."""
    results = Results(dialect, load_before=load())
    print(f"\n== {dialect} read-your-writes (load {results.load_before})", flush=True)
    for run in range(bench.sizes.runs):
        for target, label in RYW_LABELS.items():

            def one(target: str = target, label: str = label, run: int = run) -> None:
                if not room_for(target, 1, bench, results):
                    results.notes.append(f"run {run + 1} {target}: no room")
                    return
                with (
                    fresh_database(dialect, bench.directory, bench.admin) as db,
                    serving(target, db, 1, bench) as served,
                ):
                    prepare(served, bench)
                    samples = asyncio.run(
                        follow_and_read(served.port, served.ids, bench.token, bench.sizes.ryw)
                    )
                results.ryw.setdefault(label, []).extend(samples)
                print(
                    f"  run {run + 1}  read-your-writes {label}: p50 "
                    f"{percentile(samples, 0.5):.1f} ms, p95 {percentile(samples, 0.95):.1f} ms",
                    flush=True,
                )

            attempt(f"run {run + 1} {target} read-your-writes", results, one)
    results.load_after = load()
    return results


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have spent, from /proc (gone ones: 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def hammer(work: Callable[[], None], threads: int, warm: float, window: float) -> Load:
    """`work()` from `threads` threads for `warm` + `window` s; the calls done in the window."""
    begin = time.perf_counter() + warm
    end = begin + window
    load = Load(window=window)
    lock = threading.Lock()

    def worker() -> None:
        done = 0
        while time.perf_counter() < end:
            work()
            if begin <= time.perf_counter() <= end:
                done += 1
        with lock:
            load.completed += done

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=warm + window + REQUEST_TIMEOUT)
    return load


def measure_raw_nohttp(dialect: str, bench: Bench, results: Results, run: int) -> None:
    """One run of INSERT + COMMIT from N threads of this process, no HTTP."""
    with fresh_database(dialect, bench.directory, bench.admin) as db:
        create_raw_table(db, bench.admin)
        rows = RawRows(dialect, db.raw_target, db.raw_table)
        try:
            for clients in bench.sizes.clients:
                load = hammer(rows.insert, clients, bench.sizes.warm, bench.sizes.window)
                results.rates.setdefault(("raw-nohttp", 0, clients), []).append(load)
                print(
                    f"  run {run + 1}  {'raw-nohttp':<10} (no server) clients {clients:>2}  "
                    f"{load.rate:>8,.0f} /s",
                    flush=True,
                )
        finally:
            rows.close()


async def follow_and_read(port: int, ids: list[str], token: str, samples: int) -> list[float]:
    """POST a follow-up, then GET the directory waiting for its position: ms of the GET."""
    connection = await HttpConnection.open(port)
    taken = []
    try:
        for turn in range(samples + 5):
            path = f"/customers/{ids[turn % len(ids)]}/follow-ups"
            status, _, body = await asyncio.wait_for(
                connection.send(request("POST", path, token, FOLLOW_UP)), REQUEST_TIMEOUT
            )
            assert status == 200, body
            position = json_field(body, "position")
            began = time.perf_counter()
            read = f"/customers?wait_for={position}&limit=1"
            status, head, body = await asyncio.wait_for(
                connection.send(request("GET", read, token)), REQUEST_TIMEOUT
            )
            elapsed = (time.perf_counter() - began) * 1000
            assert status == 200, body
            if b"mops-read-model-lagging" in head.lower():
                raise RuntimeError(f"the directory lagged behind position {position}")
            if turn >= 5:  # the first few warm the path up
                taken.append(elapsed)
    finally:
        await connection.close()
    return taken


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile (q from 0 to 1); NaN without samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, round(q * len(ordered) + 0.5) - 1)]


def attempt(what: str, results: Results, work: Callable[[], None]) -> None:
    """Run one measurement; a failure is noted and the bench goes on with the next."""
    try:
        work()
    except Exception as error:
        line = str(error).splitlines()[0] if str(error) else type(error).__name__
        results.notes.append(f"{what} failed: {type(error).__name__}: {line}")
        print(f"  ! {what} failed: {type(error).__name__}: {error}", flush=True)


def bench_database(dialect: str, bench: Bench) -> Results:
    """Every target, interleaved run after run, then read-your-writes, on one database.

    With several `--servers` settings, each run measures the targets under each in turn;
    the results of the first hold the others' (`compared`).
    """
    results = Results(dialect, load_before=load(), server=bench.sizes.servers[0])
    results.compared = [
        Results(dialect, load_before=results.load_before, server=x) for x in bench.sizes.servers[1:]
    ]
    print(f"\n== {dialect} (load {results.load_before})", flush=True)
    sizes = bench.sizes
    for run in range(sizes.runs):
        for workers in sizes.workers:
            for setting in [results, *results.compared]:
                served_so = replace(bench, server=setting.server)
                for target in sizes.targets:

                    def one(
                        target: str = target,
                        workers: int = workers,
                        run: int = run,
                        bench: Bench = served_so,
                        results: Results = setting,
                    ) -> None:
                        if not room_for(target, workers, bench, results):
                            results.notes.append(
                                f"run {run + 1} {target} workers {workers}: no room"
                            )
                            return
                        with fresh_database(dialect, bench.directory, bench.admin) as db:
                            measure_target(target, db, workers, bench, results, run)

                    what = f"run {run + 1} {target} workers {workers} {setting.server}"
                    attempt(what, setting, one)

        def nohttp(run: int = run) -> None:
            if room_for("raw", 1, bench, results):
                measure_raw_nohttp(dialect, bench, results, run)

        if "raw" in sizes.targets:
            attempt(f"run {run + 1} raw-nohttp", results, nohttp)
    for other in results.compared:  # no HTTP: the same ceiling for every setting
        other.rates |= {key: x for key, x in results.rates.items() if key[0] == "raw-nohttp"}
    results.load_after = load()
    for other in results.compared:
        other.load_after = results.load_after
    print(f"  (load {results.load_after})", flush=True)
    return results


# Reporting.


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> list[str]:
    """Cores, CPU, memory, versions and the way uvicorn serves, one line each."""
    from importlib.metadata import version
    from importlib.util import find_spec

    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((x.split(":", 1)[1].strip() for x in info if x.startswith("model name")), "?")
    mem = next(
        x.split()[1] for x in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in x
    )
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            server = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        server = "unreachable"
    names = ("eventsourcing", "fastapi", "uvicorn", "psycopg", "pydantic")
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    http = "httptools" if find_spec("httptools") else "h11"
    installed = [name for name in ("uvloop", "httptools") if find_spec(name)]
    return [
        f"machine: nproc {len(os.sched_getaffinity(0))} (of {os.cpu_count()}), {cpu}, "
        f"{int(mem) / 1024 / 1024:.1f} GiB RAM",
        f"software: Python {sys.version.split()[0]}, PostgreSQL {server}, "
        f"SQLite {sqlite3.sqlite_version}, "
        + ", ".join(f"{name} {version(name)}" for name in names),
        f"uvicorn: {', '.join(installed) or 'neither uvloop nor httptools'} installed (auto: "
        f"loop {loop}, http {http}); log level info, access log on",
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average: {load()}",
    ]


def ratio(value: float | None, base: float | None) -> str:
    """value / base, or a dash."""
    return f"{value / base:.2f}" if value is not None and base else "-"


def rows_of(results: Results, sizes: Sizes) -> list[list[str]]:
    """target, workers, clients, median, runs, x noop, x raw, x peer, server CPU, errors."""
    rows = []
    for clients in sizes.clients:
        for workers in sizes.workers:
            noop = results.median("noop", workers, clients)
            raw = results.median("raw", workers, clients)
            peer = results.median("peer", workers, clients)
            for target in sizes.targets:
                loads = results.rates.get((target, workers, clients), [])
                value = results.median(target, workers, clients)
                cost = results.median_cost(target, workers, clients)
                rows.append(
                    [
                        *(target, str(workers), str(clients)),
                        f"{value:,.0f}" if value is not None else "-",
                        " ".join(f"{x.rate:.0f}" for x in loads),
                        *(ratio(value, noop), ratio(value, raw), ratio(value, peer)),
                        f"{cost:,.0f}" if cost is not None else "-",
                        str(sum(x.errors for x in loads)),
                    ]
                )
        if "raw" not in sizes.targets:
            continue
        value = results.median("raw-nohttp", 0, clients)
        loads = results.rates.get(("raw-nohttp", 0, clients), [])
        runs = " ".join(f"{x.rate:.0f}" for x in loads)
        shown = f"{value:,.0f}" if value is not None else "-"
        rows.append(["raw-nohttp", "-", str(clients), shown, runs, "-", "-", "-", "-", "0"])
    return rows


def goals(results: Results, sizes: Sizes) -> list[str]:
    """The issue's goals, each beside the figure of this run."""
    wide = max(sizes.workers)
    mops = results.median("mops", wide, 16)
    lines = [
        f"16 clients, mops --workers {wide}: x peer {ratio(mops, results.median('peer', wide, 16))}"
        f" (goal >= 2.0), x noop {ratio(mops, results.median('noop', wide, 16))} (goal >= 0.35)",
    ]
    for workers in sizes.workers:
        one = results.median("mops", workers, 1)
        raw = results.median("raw", workers, 1)
        lines.append(
            f"1 client, workers {workers}: mops x FastAPI + one raw commit {ratio(one, raw)}"
            " (goal >= 0.5)"
        )
    return lines + read_your_writes_lines(results)


def read_your_writes_lines(results: Results) -> list[str]:
    """Read-your-writes within and across processes, p50 and p95 of every run's samples."""
    lines = []
    for label, goal in (("within one process", 10), ("across processes", 25)):
        samples = results.ryw.get(label, [])
        lines.append(
            f"read-your-writes {label}: p50 {percentile(samples, 0.5):.1f} ms, "
            f"p95 {percentile(samples, 0.95):.1f} ms, {len(samples)} samples"
            f" (goal p50 <= {goal} ms)"
        )
    return lines


def report(all_results: list[Results], sizes: Sizes) -> None:
    """The Markdown tables of every database, the goals and the notes."""
    header = ["target", "workers", "clients", "cmd/s (median)", "runs", "x noop", "x raw"]
    header += ["x peer", "server CPU us/request (median)", "errors"]
    for results in [x for first in all_results for x in (first, *first.compared)]:
        loads = f"load {results.load_before} -> {results.load_after}"
        print(f"\n### {results.dialect}, loop/http {results.server} ({loads})\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows_of(results, sizes):
            print("| " + " | ".join(row) + " |")
        if results.held:
            print(
                "\nPostgreSQL connections of each process of the server"
                " (+ of `mops projections run`), idle -> after the load, one entry per run:\n"
            )
            for (target, workers), held in sorted(
                results.held.items(), key=lambda item: (item[0][1], TARGETS.index(item[0][0]))
            ):
                print(f"- {target}, workers {workers}: " + "; ".join(held))
        print()
        for line in goals(results, sizes):
            print(f"- {line}")
        for note in results.notes:
            print(f"- note: {note}")
    for results in all_results:
        for other in results.compared:
            compare(results, other, sizes)


def compare(first: Results, other: Results, sizes: Sizes) -> None:
    """Each target's median under `other`'s server setting over its median under `first`'s."""
    print(f"\n### {first.dialect}: {other.server} over {first.server}, medians\n")
    print(
        f"| target | workers | clients | cmd/s {first.server} | cmd/s {other.server} | ratio "
        f"| server CPU us/request {first.server} | {other.server} | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for clients in sizes.clients:
        for workers in sizes.workers:
            for target in sizes.targets:
                cells = [target, str(workers), str(clients)]
                for figure in (first.median, other.median), (first.median_cost, other.median_cost):
                    a, b = (median(target, workers, clients) for median in figure)
                    cells += [f"{x:,.0f}" if x is not None else "-" for x in (a, b)]
                    cells.append(ratio(b, a))
                print("| " + " | ".join(cells) + " |")


def mops_cli(args: list[str], env: dict[str, str]) -> str:
    """Run a `mops` command to its end (bounded); its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
        text=True,
    )
    return done.stdout


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, well under a minute")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument(
        "--workers", type=int, nargs="+", help="worker counts [default 1 2; --quick 1]"
    )
    parser.add_argument(
        "--read-your-writes",
        action="store_true",
        help="only read-your-writes, within and across processes (no load)",
    )
    parser.add_argument("--runs", type=int, help="interleaved runs [default 3; --quick 1]")
    parser.add_argument("--samples", type=int, help="read-your-writes samples per run")
    parser.add_argument(
        "--servers",
        type=server_setting,
        nargs="+",
        help="uvicorn's event loop and HTTP parser, loop/http, each compared in every run "
        "[default auto/auto], e.g. asyncio/h11 uvloop/httptools",
    )
    parser.add_argument(
        "--targets", nargs="+", choices=TARGETS, help="these targets only [default all]"
    )
    return parser.parse_args()


def sizes_of(args: argparse.Namespace) -> Sizes:
    """The sizes of a run: quick or full, with what the arguments change."""
    sizes = QUICK if args.quick else FULL
    if args.servers:
        sizes = replace(sizes, servers=tuple(args.servers))
    if args.targets:
        sizes = replace(sizes, targets=tuple(x for x in TARGETS if x in args.targets))
    if args.workers:
        sizes = replace(sizes, workers=tuple(args.workers))
    if args.runs:
        sizes = replace(sizes, runs=args.runs)
    if args.samples:
        sizes = replace(sizes, ryw=args.samples)
    if args.read_your_writes:
        sizes = replace(sizes, clients=(1,), per_client=min(sizes.per_client, sizes.ryw))
    return sizes


def main() -> None:
    """Parse the arguments, print the machine, bench each database, print the tables."""
    args = arguments()
    sizes = sizes_of(args)
    measure = bench_read_your_writes if args.read_your_writes else bench_database
    for line in machine():
        print(line)
    print(f"sizes: {sizes}", flush=True)
    started = time.perf_counter()
    secret = secrets.token_hex(32)
    env = {**base_environment(), "MOPS_JWT_SECRET": secret}
    token = mops_cli(["token", "--sub", "bench", "--role", "sales"], env).strip()
    has_workers = "--workers" in mops_cli(["serve", "--help"], env)
    all_results = []
    with tempfile.TemporaryDirectory(prefix="mops-deployment-") as directory:
        for dialect in ("sqlite", "postgres"):
            if args.only not in (None, dialect):
                continue
            admin = None
            if dialect == "postgres":
                try:
                    admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
                except psycopg.Error as error:
                    print(f"\n== postgres unreachable at {POSTGRES_URL}: skipped ({error})")
                    continue
            bench = Bench(sizes, Path(directory), secret, token, has_workers, admin)
            try:
                all_results.append(measure(dialect, bench))
            finally:
                if admin is not None:
                    admin.close()
    if args.read_your_writes:
        for results in all_results:
            print(f"\n### {results.dialect} (load {results.load_before} -> {results.load_after})")
            for line in [*read_your_writes_lines(results), *results.notes]:
                print(f"- {line}")
    else:
        report(all_results, sizes)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average {load()}")


if __name__ == "__main__":
    main()
