"""The read side runs once per database however many processes run (API.md, Deployment
shape): two servers and `mops demo` on one database fold every event once, a killed
leader is replaced within 5 s, and a write answered by one process is read by another."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.customers import QualifyCustomer, RegisterLead
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from projections.audit import audit_row
from projections.runner import READ_MODELS, ReadSide
from tests.conftest import Database, as_, unique
from tests.deployment.processes import Process, Processes, bearer, running

AUDITOR = bearer("audrey", "auditor")
SALES = bearer("sam", "sales")


@pytest.fixture(scope="module")
def two_servers(
    module_database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Process, Process]]:
    """Two `mops serve` processes on one database, projections in-process in both."""
    for processes in running(module_database, tmp_path_factory.mktemp("servers")):
        first, second = processes.serve(servers=2)
        yield first, second


@pytest.fixture
def processes(database: Database, tmp_path: Any) -> Iterator[Processes]:
    yield from running(database, tmp_path)


def projections_of(server: Process) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{server.url}/projections", headers=AUDITOR, timeout=10)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def caught_up(server: Process, head: int, timeout: float = 60) -> dict[str, dict[str, Any]]:
    """The server's /projections once every read model has folded the log up to `head`."""
    deadline = time.monotonic() + timeout
    while True:
        items = projections_of(server)
        if all(item["position"] >= head for item in items.values()):
            return items
        if time.monotonic() > deadline:
            pytest.fail(f"the read models did not reach {head}: {items}")
        time.sleep(0.1)


def verify(database: Database) -> str:
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    verified = CliRunner().invoke(cli, ["projections", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert verified.output.count("equal a rebuild") == len(READ_MODELS)
    return verified.output


def test_two_servers_and_the_demo_fold_every_event_once(two_servers, module_database, tmp_path):
    first, second = two_servers
    for demo in running(module_database, tmp_path):
        demo.run("demo", "--customers", "3", "--months", "1", "--seed", "3")
    head = httpx.get(f"{first.url}/health", timeout=10).json()["position"]
    holders = set()
    for server in two_servers:
        items = caught_up(server, head)
        for item in items.values():
            assert (item["state"], item["restarts"], item["last_error"]) == ("running", 0, None)
            assert item["failed_at_position"] is None
            holders.add(item["holder"])
    # One process holds every read model, and both servers name the same one.
    assert len(holders) == 1 and holders <= {first.identity, second.identity}, holders
    verify(module_database)
    for server in two_servers:
        assert " failed" not in server.output(), server.output()


def test_a_write_answered_by_one_server_is_read_by_the_other(two_servers):
    first, second = two_servers
    for writer, reader in [(first, second), (second, first)] * 3:
        name = unique()
        written = httpx.post(
            f"{writer.url}/customers",
            json={"name": name, "kind": "company", "source": "web", "contacts": []},
            headers=SALES,
            timeout=10,
        )
        assert written.status_code == 201, written.text
        found = httpx.get(
            f"{reader.url}/customers",
            params={"q": name, "wait_for": written.json()["position"]},
            headers=SALES,
            timeout=10,
        )
        assert found.status_code == 200, found.text
        assert "mops-read-model-lagging" not in found.headers
        assert [c["id"] for c in found.json()["items"]] == [written.json()["id"]]


def write_some(app: Backoffice, n: int) -> None:
    for _ in range(n):
        lead = RegisterLead(name=unique(), kind="company", source="web", contacts=[])
        customer_id = app.handle(as_("sam", "sales"), lead).id
        app.handle(as_("sam", "sales"), QualifyCustomer(customer_id))


def audited_positions(app: Backoffice) -> list[int]:
    """Positions of every business event in the log (bookkeeping aggregates left out)."""
    positions = []
    for notification in app.recorder.select_notifications(start=1, limit=100_000):
        if audit_row(app.mapper.to_domain_event(notification), notification.id) is not None:
            positions.append(notification.id)
    return positions


def holder_of(observer: ReadSide, app: Backoffice) -> str | None:
    return observer.status(app.max_position())[0]["holder"]


def test_when_the_leader_is_killed_another_takes_over_within_5_s(database, processes):
    app = Backoffice(database.env())
    observer = ReadSide(Backoffice, database.env(), database.dialect, run=False)
    try:
        workers = [processes.start("projections", "run") for _ in range(2)]
        write_some(app, 3)
        for name in READ_MODELS:
            assert observer.wait(name, app.max_position(), timeout=60), name
        leader = holder_of(observer, app)
        assert leader in {w.identity for w in workers}, (leader, [w.identity for w in workers])
        victim = next(w for w in workers if w.identity == leader)
        survivor = next(w for w in workers if w is not victim)
        before = app.max_position()
        victim.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        write_some(app, 3)
        while holder_of(observer, app) != survivor.identity:
            assert time.monotonic() - killed_at < 5, "nobody took the read side over"
            time.sleep(0.05)
        head = app.max_position()
        assert head > before
        for name in READ_MODELS:
            assert observer.wait(name, head, timeout=30), name
            assert observer.view(name).max_tracking_id(app.name) == head
        # Resumed from the tracking positions: every business event once, in order.
        rows = observer.view("audit_log").search(limit=10_000)
        assert sorted(r["position"] for r in rows) == audited_positions(app)
        verify(database)
        assert survivor.popen.poll() is None, survivor.output()
        assert " failed" not in survivor.output(), survivor.output()
    finally:
        observer.close()
        app.close()
