"""A real failover: the primary of a pg_auto_failover cluster dies under 8 clients.

`scripts/failover-cluster.sh` starts a monitor, a primary and a synchronous secondary
on loopback; `mops serve` runs on the multi-host URL with
`target_session_attrs=read-write`; 8 clients register leads as fast as it answers; the
primary's host "crashes" (kill -9 of its pg_autoctl and postgres). Then: commands
succeed again within 30 s without restarting mops, no acknowledged command is lost,
the read models catch up and `mops projections verify` passes.

CI (CI=true, MOPS_TEST_REQUIRE_POSTGRES=1) must run it; elsewhere it skips, saying why,
where pg_auto_failover cannot be installed or started.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest

from application.backoffice import Backoffice
from domain.customer import Customer
from interfaces.auth import mint
from interfaces.settings import Settings
from projections.postgres import connect_kwargs
from tests.conftest import REQUIRE_POSTGRES

pytestmark = pytest.mark.failover

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "failover-cluster.sh"
REQUIRED = REQUIRE_POSTGRES or os.environ.get("CI", "") == "true"
CLIENTS = 8
RECOVERY_LIMIT_SECONDS = 30.0
# Load goes on this long after commands succeed again, to show that they keep doing so.
STEADY_SECONDS = 3.0
# Every loop of this test is bounded: no client runs longer than this.
LOAD_LIMIT_SECONDS = 90.0
CATCH_UP_SECONDS = 30.0


def cannot_run(reason: str) -> None:
    """Fail where the failover test must run (CI), skip elsewhere."""
    if REQUIRED:
        pytest.fail(f"the failover test must run here but {reason}")
    pytest.skip(reason)


def check_machine() -> None:
    """pg_auto_failover runs here, or the script can install it."""
    if not sys.platform.startswith("linux"):
        cannot_run("pg_auto_failover needs Linux")
    if not Path("/usr/lib/postgresql/15/bin/postgres").exists():
        cannot_run("PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin)")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        cannot_run("there is no `postgres` user to run pg_autoctl as")
    if shutil.which("pg_autoctl") is None and not (os.geteuid() == 0 and shutil.which("apt-get")):
        cannot_run("pg_auto_failover is not installed and this user cannot apt-get install it")


@dataclass(frozen=True)
class Cluster:
    """A running pg_auto_failover cluster: its directory and mops's URL for it."""

    directory: str
    url: str

    def kill_primary(self) -> str:
        """kill -9 the primary node's processes, once all are gone; its name and port."""
        return script("kill-primary", self.directory).stdout.strip()

    def env(self) -> dict[str, str]:
        """The library's environment for the cluster, as mops makes it."""
        return Settings(database_url=self.url).persistence_env()

    def state(self) -> str:
        return script("status", self.directory, check=False).stdout


def script(action: str, directory: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run scripts/failover-cluster.sh."""
    return subprocess.run(
        ["bash", str(SCRIPT), action, directory],
        capture_output=True,
        text=True,
        timeout=180,
        check=check,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A monitor, a primary and a synchronous secondary; always stopped and removed."""
    check_machine()
    # Not under pytest's tmp_path: the postgres user must reach it. One fixed place, so
    # that a run killed before its teardown leaves nothing that stops the next one: the
    # script stops a cluster it finds there before it starts.
    directory = "/tmp/mops-failover-test"
    try:
        started = script("start", directory, check=False)
        if started.returncode != 0:
            cannot_run(f"the cluster did not start:\n{started.stdout}{started.stderr}")
        yield Cluster(directory, script("url", directory).stdout.strip())
    finally:
        script("stop", directory, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """`mops serve` as its own process, on the cluster."""

    process: subprocess.Popen[bytes]
    base_url: str
    secret: str
    env: dict[str, str]
    log: Path

    def headers(self, subject: str, *roles: str) -> dict[str, str]:
        token = mint(self.secret, subject, list(roles), timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def notable(self, limit: int = 30) -> str:
        """The log's lines other than successful requests: what went wrong, and when."""
        lines = self.log.read_text(errors="replace").splitlines()
        kept: dict[str, str] = {}  # one line of each kind, in order
        for line in lines:
            if not (" 200 " in line or " 201 " in line):
                kept.setdefault(line[:60], line[:300])
        return "\n".join(list(kept.values())[:limit])


@pytest.fixture
def server(cluster: Cluster, tmp_path: Path) -> Iterator[Server]:
    """mops serve on the cluster's multi-host URL, stopped afterwards."""
    port = free_port()
    secret = secrets.token_hex(32)
    env = {**os.environ, "MOPS_DATABASE_URL": cluster.url, "MOPS_JWT_SECRET": secret}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = Server(process, f"http://127.0.0.1:{port}", secret, env, log)
    try:
        wait_until_healthy(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"mops serve exited:\n{server.output()}"
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"mops serve did not answer /health within 60 s:\n{server.output()}")


@dataclass(frozen=True)
class Outcome:
    """One command: when it was sent and answered, its answer (none: "no answer"), its id."""

    sent: float
    answered: float
    answer: str
    aggregate_id: str | None = None


@dataclass
class Load:
    """Clients registering leads as fast as the server answers, until stopped."""

    server: Server
    outcomes: list[Outcome] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, clients: int) -> None:
        for number in range(clients):
            thread = threading.Thread(target=self._client, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _client(self, number: int) -> None:
        headers = self.server.headers(f"sales-{number}", "sales")
        deadline = time.monotonic() + LOAD_LIMIT_SECONDS
        with httpx.Client(base_url=self.server.base_url, headers=headers, timeout=30) as client:
            while not self.stopping.is_set() and time.monotonic() < deadline:
                self._record(self._register(client))

    def _register(self, client: httpx.Client) -> Outcome:
        body = {
            "name": f"Failover {uuid.uuid4().hex[:12]}",
            "kind": "company",
            "source": "web",
            "contacts": [{"name": "Bob", "phone": str(uuid.uuid4().int)[:11]}],
        }
        sent = time.monotonic()
        try:
            response = client.post("/customers", json=body)
        except httpx.HTTPError as error:
            return Outcome(sent, time.monotonic(), type(error).__name__)
        if response.status_code == 201:
            return Outcome(sent, time.monotonic(), "201", response.json()["id"])
        answered = time.monotonic()
        code = (
            response.json().get("code", "")
            if response.headers.get("content-type", "").endswith("json")
            else ""
        )
        # An error without a pause would spin: the server says when to come back.
        time.sleep(min(float(response.headers.get("retry-after", "0.2") or 0.2), 1.0))
        return Outcome(sent, answered, f"{response.status_code} {code}".strip())

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def acknowledged(self) -> list[str]:
        with self._lock:
            return [o.aggregate_id for o in self.outcomes if o.aggregate_id is not None]

    def first_success_after(self, moment: float) -> float | None:
        """When the first command acknowledged after `moment` was."""
        with self._lock:
            answers = [o.answered for o in self.outcomes if o.aggregate_id and o.answered > moment]
        return min(answers, default=None)

    def slowest(self) -> float:
        """The longest a command waited for its answer, in seconds."""
        with self._lock:
            return max((o.answered - o.sent for o in self.outcomes), default=0.0)

    def counts(self) -> dict[str, int]:
        with self._lock:
            answers = [o.answer for o in self.outcomes]
        return {answer: answers.count(answer) for answer in sorted(set(answers))}


def wait_for_new_primary(cluster: Cluster, deadline: float) -> float | None:
    """When a node first took writes, probed as mops connects (None: not by the deadline)."""
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(**connect_kwargs(cluster.env())) as connection:
                connection.execute("SELECT 1")
            return time.monotonic()
        except psycopg.Error:
            time.sleep(0.1)
    return None


def wait_for_recovery(load: Load, killed_at: float, cluster: Cluster) -> tuple[float, float]:
    """Seconds from the kill until the cluster took writes again, and until mops did.

    mops's first command acknowledged once a node takes writes again: none can commit
    while none does (the killed node's processes are all gone when the kill returns).
    """
    deadline = killed_at + RECOVERY_LIMIT_SECONDS + 15
    new_primary_at = wait_for_new_primary(cluster, deadline)
    while new_primary_at is not None and time.monotonic() < deadline:
        recovered_at = load.first_success_after(new_primary_at)
        if recovered_at is not None:
            return new_primary_at - killed_at, recovered_at - killed_at
        time.sleep(0.1)
    load.stop()
    pytest.fail(
        f"no command succeeded within {deadline - killed_at:.0f} s of the kill (a new primary "
        f"took writes: {new_primary_at is not None}); outcomes {load.counts()}; "
        f"cluster:\n{cluster.state()}"
    )


def wait_for_read_models(server: Server, head: int) -> list[dict[str, object]]:
    """The read models once every one has folded the log up to `head`."""
    headers = server.headers("ada", "admin")
    deadline = time.monotonic() + CATCH_UP_SECONDS
    items: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        response = httpx.get(f"{server.base_url}/projections", headers=headers, timeout=10)
        if response.status_code == 200:
            items = response.json()["items"]
            if all(item["position"] == head and item["state"] == "running" for item in items):
                return items
        time.sleep(0.5)
    pytest.fail(f"the read models did not reach {head} within {CATCH_UP_SECONDS:.0f} s: {items}")


def listed_customers(server: Server, head: int) -> set[str]:
    """Every customer id in the customer directory, read once it holds `head`."""
    headers = server.headers("sam", "sales")
    ids: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 1000, "wait_for": head}
        if cursor:
            params["cursor"] = cursor
        response = httpx.get(
            f"{server.base_url}/customers", params=params, headers=headers, timeout=15
        )
        assert response.status_code == 200, response.text
        page = response.json()
        ids.update(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def read_log(cluster: Cluster, candidates: list[str]) -> tuple[set[str], int]:
    """The candidates that are customers in the event log, and the log's head."""
    app = Backoffice(cluster.env())
    try:
        stored = {cid for cid in candidates if app.exists(UUID(cid), Customer)}
        return stored, app.max_position()
    finally:
        app.close()


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n{text}")


def test_primary_dies_under_load_and_nothing_acknowledged_is_lost(
    cluster: Cluster, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    load = Load(server)
    load.start(CLIENTS)
    try:
        warm_until = time.monotonic() + 30
        while len(load.acknowledged()) < 100 and time.monotonic() < warm_until:
            time.sleep(0.1)
        assert len(load.acknowledged()) >= 100, f"no steady load before the kill: {load.counts()}"
        before = len(load.acknowledged())
        killed_at = time.monotonic()
        killed = cluster.kill_primary()
        failover, recovery = wait_for_recovery(load, killed_at, cluster)
        time.sleep(STEADY_SECONDS)
    finally:
        load.stop()
    acknowledged = load.acknowledged()
    report(
        capsys,
        f"failover: killed {killed} after {before} commands; a node took writes again "
        f"{failover:.1f} s after the kill, mops acknowledged a command {recovery:.1f} s after "
        f"it; the slowest answer took {load.slowest():.1f} s; "
        f"outcomes {load.counts()}\n{server.notable()}",
    )
    assert recovery <= RECOVERY_LIMIT_SECONDS
    assert server.process.poll() is None, "mops was restarted or died"
    assert len(acknowledged) > before, "no command was acknowledged after the failover"

    stored, head = read_log(cluster, acknowledged)
    assert sorted(set(acknowledged) - stored) == [], "acknowledged commands were lost"

    wait_for_read_models(server, head)
    assert set(acknowledged) <= listed_customers(server, head)
    verified = subprocess.run(
        [sys.executable, "-m", "interfaces.cli", "projections", "verify"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
