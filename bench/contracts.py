"""Benchmark of the contract lifecycle through HTTP, beside a raw-insert and a bare-HTTP ceiling.

Run from the repository root:

    .venv/bin/python bench/contracts.py [--quick] [--only sqlite|postgres] [--clients N]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>` schema
in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end) it starts the real
app, `interfaces.http.app.create_app(Settings(database_url=..., jwt_secret=...))` under
uvicorn, in a process of its own on a free loopback port, with its projections running
in-process as `mops serve` runs them. Then, with httpx keep-alive clients in this process:

1. Setup (not timed): customers registered and given a credit assessment with room for
   every contract they will get (four contracts per customer).
2. Lifecycles, one client: each contract goes draft -> submit -> legal approval ->
   finance approval -> sign -> delivery of everything -> one invoice for the total ->
   payment of it (-> completed, by the system), 8 commands with tokens of four subjects
   (sales owner, legal, finance, sales manager; reviewers are never the owner). Reported
   as lifecycles/s, commands/s, and p50/p95 latency of every command and of each kind.
3. The same with several clients at once (threads, each with its own connection; each
   client's contracts are for customers of its own, so signings never race).
4. Ceilings, measured in the same run:
   - the database: plain sqlite3 / psycopg inserting the same rows (the average size of
     the events just written) in the same transaction shapes as the commands (one
     transaction per command, as many rows as it wrote, read from the positions the
     commands answered), exactly as `bench/commands.py` does;
   - HTTP: `GET /health` (no token, one read of the log's newest position) through the
     same server and client, one client and several at once: what a request costs with
     next to no work behind it.
5. After the run, how long the in-process projections take to fold the whole log
   (`GET /projections` until every lag is 0).

Client and server run in separate processes but share the machine's cores with the
server's projection runners. The machine is shared and noisy, so compare the ratios to
the ceilings rather than the rates.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import httpx
from commands import (
    RawPostgres,
    RawSQLite,
    Report,
    ms,
    percentile,
    postgres_scratch,
    sqlite_scratch,
    summary,
)
from common import POSTGRES_URL, dialect_parser, load, machine, print_machine, run_each

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_PER_CUSTOMER = 4
WARM_UP = 5
COMMANDS = [
    "draft",
    "submit",
    "approve legal",
    "approve finance",
    "sign",
    "deliver",
    "invoice",
    "pay",
]
LINE = {"sku": "SEO-M", "quantity": 3, "unit_price": "6800.00", "unit_cost": "4100.00"}
TOTAL = "20400.00"
SERVER = """
import sys
import uvicorn
from interfaces.http.app import create_app
from interfaces.settings import Settings
url, secret, port, projections = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
settings = Settings(database_url=url, jwt_secret=secret, projections=projections)
uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
            access_log=False)
"""


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    sequential: int  # lifecycles with one client
    concurrent: int  # lifecycles per client with several clients
    health: int  # GET /health round trips per client


FULL = Sizes(300, 100, 1000)
QUICK = Sizes(40, 15, 200)


def versions() -> str:
    """The versions of the libraries the request path runs through."""
    names = ["eventsourcing", "fastapi", "starlette", "pydantic", "uvicorn", "httpx", "psycopg"]
    return ", ".join(f"{name} {version(name)}" for name in names)


# The server.


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(url: str, projections: str = "inprocess") -> Iterator[str]:
    """The app under uvicorn in a process of its own; its base URL.

    `projections="external"` starts no projection runner in the server (a deployment
    would run `mops projections run` beside it; here nobody folds).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOPS_")}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, url, DEV_JWT_SECRET, str(port), projections],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Databases.


@dataclass
class Database:
    """A fresh database for the app, the raw connection of its ceiling, and its events."""

    dialect: str
    url: str
    raw: RawSQLite | RawPostgres
    events_table: str

    def connect(self) -> object:
        """A plain connection to the app's database, to read its events table.

        On PostgreSQL the ceiling's own connection (same server, same schema) is reused:
        a shared server may have no connection to spare.
        """
        if self.dialect == "sqlite":
            import sqlite3

            return sqlite3.connect(self.url[len("sqlite:///") :])
        return self.raw.conn

    def events_since(self, position: int) -> tuple[int, int, int]:
        """Rows written after a position, and their average state and topic sizes."""
        size = (
            "octet_length(state)" if self.dialect == "postgres" else "length(CAST(state AS BLOB))"
        )
        mark = "%s" if self.dialect == "postgres" else "?"
        # SQLite's application recorder numbers its events by rowid.
        position_column = "notification_id" if self.dialect == "postgres" else "rowid"
        conn = self.connect()
        try:
            row = conn.execute(
                f"SELECT count(*), avg({size}), avg(length(topic)) FROM {self.events_table} "
                f"WHERE {position_column} > {mark}",
                (position,),
            ).fetchone()
        finally:
            if conn is not self.raw.conn:
                conn.close()
        return int(row[0]), round(float(row[1])), round(float(row[2]))


@contextmanager
def database(dialect: str) -> Iterator[Database]:
    """An SQLite file in a temporary directory, or a fresh schema dropped afterwards."""
    if dialect == "sqlite":
        with sqlite_scratch() as (directory, raw):
            yield Database("sqlite", f"sqlite:///{directory}/mops.db", raw, "stored_events")
        return
    with postgres_scratch() as (schema, raw):
        url = f"{POSTGRES_URL}?schema={schema}"
        yield Database("postgres", url, raw, f'"{schema}".backoffice_events')


# The clients.


def bearer(subject: str, *roles: str) -> dict[str, str]:
    """Headers with a token for a subject holding roles."""
    token = mint(DEV_JWT_SECRET, subject, list(roles), timedelta(hours=2))
    return {"Authorization": f"Bearer {token}"}


HEADERS = {
    "admin": bearer("bench-admin", "admin"),
    "sales": bearer("bench-sales", "sales"),
    "legal": bearer("bench-legal", "legal"),
    "finance": bearer("bench-finance", "finance"),
    "manager": bearer("bench-manager", "sales_manager"),
}


@dataclass
class Run:
    """What a set of lifecycles measured: seconds, per-command latencies and rows."""

    seconds: float = 0.0
    lifecycles: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in COMMANDS})
    rows: list[int] = field(default_factory=list)  # events per command (one client only)
    position: int | None = None  # the log's position after the last command (one client)

    def all_latencies(self) -> list[float]:
        return [sample for samples in self.latencies.values() for sample in samples]

    def merge(self, other: Run) -> None:
        self.lifecycles += other.lifecycles
        for command, samples in other.latencies.items():
            self.latencies[command].extend(samples)


def post(client: httpx.Client, path: str, body: dict, who: str, expect: int = 200) -> dict:
    response = client.post(path, json=body, headers=HEADERS[who])
    if response.status_code != expect:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
    return response.json()


def customers(base: str, count: int) -> list[str]:
    """Customers with a credit assessment roomy enough for their contracts (not timed)."""
    tag = uuid.uuid4().hex[:8]
    valid_until = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    ids = []
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
        for i in range(count):
            body = {
                "name": f"Bench {tag} {i}",
                "kind": "company",
                "source": "web",
                "contacts": [{"name": "Li Wei", "phone": f"+86 139 {i:08d}"}],
            }
            customer_id = post(client, "/customers", body, "sales", 201)["id"]
            assessment = {
                "rating": "A",
                "score": 90,
                "credit_limit": "100000000.00",
                "max_payment_term_days": 90,
                "guarantee_required": False,
                "valid_until": valid_until,
                "basis": "bench",
            }
            post(client, f"/customers/{customer_id}/credit-assessments", assessment, "finance")
            ids.append(customer_id)
    return ids


def lifecycle(client: httpx.Client, customer_id: str, run: Run, count_rows: bool) -> None:
    """One contract from draft to completed, timing each command."""
    today = datetime.now(UTC).date().isoformat()
    due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    draft = {
        "customer_id": customer_id,
        "channel": "direct",
        "lines": [LINE],
        "payment_term_days": 30,
        "delivery_due_on": due,
    }
    contract_id = None
    steps = [
        ("draft", "", draft, "sales", 201),
        ("submit", "/submit", {}, "sales", 200),
        ("approve legal", "/reviews/approve", {"department": "legal"}, "legal", 200),
        ("approve finance", "/reviews/approve", {"department": "finance"}, "finance", 200),
        ("sign", "/sign", {"signed_on": today}, "manager", 200),
        ("deliver", "/deliveries", {"lines": {LINE["sku"]: LINE["quantity"]}}, "sales", 200),
        ("invoice", "/invoices", {"amount": TOTAL, "issued_on": today}, "finance", 201),
        (
            "pay",
            "/payments",
            {"amount": TOTAL, "received_on": today, "reference": uuid.uuid4().hex},
            "finance",
            200,
        ),
    ]
    for command, suffix, body, who, expect in steps:
        path = "/contracts" if contract_id is None else f"/contracts/{contract_id}{suffix}"
        start = time.perf_counter()
        answer = post(client, path, body, who, expect)
        run.latencies[command].append(ms(time.perf_counter() - start))
        contract_id = contract_id or answer["id"]
        if count_rows:  # one client alone writes: the positions count its events
            run.rows.append(answer["position"] - run.position)
            run.position = answer["position"]
    run.lifecycles += 1


def lifecycles(
    base: str, customer_ids: list[str], per_customer: int, position: int | None = None
) -> Run:
    """Lifecycles on one client, `per_customer` contracts for each customer in turn.

    Given the log's position before, and no other writer, it counts each command's events.
    """
    run = Run(position=position)
    rows = position is not None
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
        start = time.perf_counter()
        for customer_id in customer_ids:
            for _ in range(per_customer):
                lifecycle(client, customer_id, run, rows)
        run.seconds = time.perf_counter() - start
    return run


def concurrently(base: str, groups: list[list[str]], per_customer: int) -> Run:
    """One client per group of customers, all at once."""
    barrier = threading.Barrier(len(groups))

    def one(group: list[str]) -> Run:
        barrier.wait()
        return lifecycles(base, group, per_customer)

    start = time.perf_counter()
    with ThreadPoolExecutor(len(groups)) as pool:
        runs = list(pool.map(one, groups))
    total = Run(seconds=time.perf_counter() - start)
    for run in runs:
        total.merge(run)
    return total


def health(base: str, count: int, clients: int) -> tuple[float, list[float]]:
    """GET /health `count` times on each of `clients` clients at once: req/s and latencies."""
    barrier = threading.Barrier(clients)

    def one(_: int) -> list[float]:
        samples = []
        with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
            barrier.wait()
            for _ in range(count):
                start = time.perf_counter()
                assert client.get("/health").status_code == 200
                samples.append(ms(time.perf_counter() - start))
        return samples

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        samples = [s for part in pool.map(one, range(clients)) for s in part]
    return clients * count / (time.perf_counter() - start), samples


def caught_up(base: str) -> float:
    """Seconds until every projection has folded the whole log."""
    start = time.perf_counter()
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as client:
        while time.perf_counter() - start < 600:
            items = client.get("/projections", headers=HEADERS["admin"]).json()["items"]
            if all(item.get("lag") == 0 for item in items):
                return time.perf_counter() - start
            time.sleep(0.05)
    raise RuntimeError(f"projections did not catch up: {items}")


# Running it all.


@dataclass(frozen=True)
class Ceilings:
    """What the database and a bare request do alone, measured in the same run."""

    raw: list[float]  # seconds per raw commit of each command's rows, one client's run
    lifecycle_rate: float  # lifecycles/s the raw commits allow
    command_rate: float  # commands/s the raw commits allow
    health_rate: float  # GET /health req/s, one client
    health_samples: list[float]  # GET /health latencies (ms), one client
    health_many: float  # GET /health req/s, several clients at once
    health_many_samples: list[float]  # GET /health latencies (ms), several clients


@dataclass
class DatabaseBench:
    """The phases of the benchmark on one database, filling one report."""

    db: Database
    sizes: Sizes
    clients: int
    report: Report

    def one_client(self, base: str, ids: list[str]) -> tuple[Run, int, int]:
        """Lifecycles on one client, each command's events counted; stored event sizes."""
        before = int(httpx.get(f"{base}/health", trust_env=False).json()["position"])
        one = lifecycles(base, ids, CONTRACTS_PER_CUSTOMER, before)
        rows, state_size, topic_size = self.db.events_since(before)
        assert rows == sum(one.rows), (rows, sum(one.rows))
        self.report.note(
            f"{one.lifecycles} lifecycles, {len(one.rows)} commands, {rows} events "
            f"({rows / one.lifecycles:.1f} per lifecycle); stored event: state {state_size} B, "
            f"topic {topic_size} B"
        )
        return one, state_size, topic_size

    def ceilings(self, base: str, one: Run, state_size: int, topic_size: int) -> Ceilings:
        """Raw inserts of the one client's rows; GET /health on one and on every client."""
        db = self.db
        state, topic = os.urandom(state_size), "t" * topic_size
        db.raw.insert([1] * 50, topic, state)
        raw = db.raw.insert(one.rows, topic, state)
        self.report.note(f"ceiling: {db.raw.settings()}")
        health_rate, health_samples = health(base, self.sizes.health, 1)
        health_many, health_many_samples = health(base, self.sizes.health // 2, self.clients)
        return Ceilings(
            raw=raw,
            lifecycle_rate=one.lifecycles / sum(raw),
            command_rate=len(one.rows) / sum(raw),
            health_rate=health_rate,
            health_samples=health_samples,
            health_many=health_many,
            health_many_samples=health_many_samples,
        )

    def report_one_client(self, one: Run, ceilings: Ceilings) -> None:
        """The one client's figures beside the ceilings, and each command's p50."""
        report, health_samples = self.report, ceilings.health_samples
        commands = len(one.rows)
        samples = one.all_latencies()
        report.add(
            "lifecycles, one client", one.lifecycles / one.seconds, "lc/s", ceilings.lifecycle_rate
        )
        report.add(
            "commands, one client (vs raw inserts)",
            commands / one.seconds,
            "cmd/s",
            ceilings.command_rate,
        )
        report.add(
            "commands, one client (vs GET /health)",
            commands / one.seconds,
            "cmd/s",
            ceilings.health_rate,
        )
        report.add(
            "command latency p50", percentile(samples, 0.5), "ms", percentile(health_samples, 0.5)
        )
        report.add(
            "command latency p95", percentile(samples, 0.95), "ms", percentile(health_samples, 0.95)
        )
        report.add("raw commit of a command's rows p50", ms(percentile(ceilings.raw, 0.5)), "ms")
        report.add("raw commit of a command's rows p95", ms(percentile(ceilings.raw, 0.95)), "ms")
        report.add("GET /health, one client", ceilings.health_rate, "req/s")
        report.add("GET /health p50", percentile(health_samples, 0.5), "ms")
        for command in COMMANDS:
            report.add(
                f"  {command} p50",
                percentile(one.latencies[command], 0.5),
                "ms",
                percentile(health_samples, 0.5),
            )

    def many_clients(self, base: str, groups: list[list[str]], ceilings: Ceilings) -> None:
        """Lifecycles on every client at once, beside GET /health on as many."""
        report, clients = self.report, self.clients
        many = concurrently(base, groups, CONTRACTS_PER_CUSTOMER)
        samples = many.all_latencies()
        commands_many = many.lifecycles * len(COMMANDS)
        report.add(
            f"lifecycles, {clients} clients",
            many.lifecycles / many.seconds,
            "lc/s",
            ceilings.lifecycle_rate,
        )
        report.add(
            f"commands, {clients} clients (vs GET /health)",
            commands_many / many.seconds,
            "cmd/s",
            ceilings.health_many,
        )
        report.add(
            f"command latency p50, {clients} clients",
            percentile(samples, 0.5),
            "ms",
            percentile(ceilings.health_many_samples, 0.5),
        )
        report.add(
            f"command latency p95, {clients} clients",
            percentile(samples, 0.95),
            "ms",
            percentile(ceilings.health_many_samples, 0.95),
        )
        report.add(f"GET /health, {clients} clients", ceilings.health_many, "req/s")

    def projections_external(self, ceilings: Ceilings) -> None:
        """Lifecycles on one client against a server that runs no projection."""
        report = self.report
        with server(self.db.url, "external") as base:
            ids = customers(base, -(-self.sizes.sequential // CONTRACTS_PER_CUSTOMER))
            lifecycles(base, customers(base, 2), WARM_UP // 2 + 1)
            bare = lifecycles(base, ids, CONTRACTS_PER_CUSTOMER)
            samples = bare.all_latencies()
            report.add(
                "lifecycles, one client, projections external",
                bare.lifecycles / bare.seconds,
                "lc/s",
                ceilings.lifecycle_rate,
            )
            report.add(
                "commands, one client, projections external (vs GET /health)",
                bare.lifecycles * len(COMMANDS) / bare.seconds,
                "cmd/s",
                ceilings.health_rate,
            )
            report.add(
                "command latency p50, projections external",
                percentile(samples, 0.5),
                "ms",
                percentile(ceilings.health_samples, 0.5),
            )
            report.add(
                "command latency p95, projections external",
                percentile(samples, 0.95),
                "ms",
                percentile(ceilings.health_samples, 0.95),
            )


def bench(db: Database, sizes: Sizes, clients: int) -> Report:
    """Every figure on one database."""
    phases = DatabaseBench(db, sizes, clients, Report(db.dialect))
    print(f"\n== {db.dialect} (load {load()})", flush=True)
    with server(db.url) as base:
        n, per_client = sizes.sequential, sizes.concurrent
        groups_needed = -(-per_client // CONTRACTS_PER_CUSTOMER)
        warm = customers(base, 2)
        ids = customers(base, -(-n // CONTRACTS_PER_CUSTOMER))
        groups = [customers(base, groups_needed) for _ in range(clients)]
        lifecycles(base, warm, WARM_UP // 2 + 1)
        health(base, 50, 1)

        print(" 1. lifecycles, one client", flush=True)
        one, state_size, topic_size = phases.one_client(base, ids)

        print(" 2. the ceilings: raw inserts of the same rows, GET /health", flush=True)
        ceilings = phases.ceilings(base, one, state_size, topic_size)
        phases.report_one_client(one, ceilings)

        print(f" 3. lifecycles, {clients} clients at once", flush=True)
        phases.many_clients(base, groups, ceilings)

        print(" 4. projections", flush=True)
        phases.report.add("projections caught up after the run", caught_up(base) * 1000, "ms")

    print(" 5. lifecycles, one client, no projection runner in the server", flush=True)
    phases.projections_external(ceilings)
    print(f"  (load {load()})", flush=True)
    return phases.report


def main() -> None:
    """Parse the arguments, print the machine, run the benchmark on each database."""
    parser = dialect_parser(__doc__, "smaller counts, under a minute")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    about = machine()
    print_machine(
        about, f"; sizes: {sizes}; clients: {args.clients}", between=f"libraries: {versions()}"
    )

    def on_database(dialect: str) -> Report:
        with database(dialect) as db:
            return bench(db, sizes, args.clients)

    run_each(args.only, about, on_database, summary)


if __name__ == "__main__":
    main()
