"""The connection budget (issue 16, API.md `MOPS_DB_POOL_SIZE`): a `mops serve` process
holds at most MOPS_DB_POOL_SIZE PostgreSQL connections for commands, queries and folds,
plus the read side's own, however many clients it serves and read models it runs."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Database, new_database
from tests.deployment.processes import Processes, bearer, running

SALES = bearer("sam", "sales")
AUDITOR = bearer("audrey", "auditor")
POOL_SIZE = 4
# The read side's own: the lease (which also hears of new events and of the tracking
# commits of other processes), and the one connection that reads the log and writes
# every fold.
READ_SIDE = 2
CLIENTS = 16
IDLE_GOAL = 12
POSTGRES_PORT = 5432


@pytest.fixture
def processes(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Iterator[Processes]:
    database: Database = new_database("postgres", tmp_path_factory)
    try:
        yield from running(database, tmp_path)
    finally:
        database.close()


def postgres_connections(pid: int) -> int:
    """The established TCP connections of a process to PostgreSQL's port."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                established = fields[3] == "01"
                if established and remote_port == POSTGRES_PORT and fields[9] in inodes:
                    count += 1
    return count


def load(url: str, seconds: float, answers: dict[int, int], lock: threading.Lock) -> None:
    """Register customers and read each back once folded, until the time is up."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, headers=SALES, timeout=30) as client:
        while time.monotonic() < deadline:
            body = {"name": f"Budget {uuid.uuid4().hex[:8]}", "kind": "company", "source": "web"}
            written = client.post("/customers", json={**body, "contacts": []})
            statuses = [written.status_code]
            if written.status_code == 201:
                position = written.json()["position"]
                statuses.append(client.get("/customers", params={"wait_for": position}).status_code)
            with lock:
                for status in statuses:
                    answers[status] = answers.get(status, 0) + 1


def test_a_server_under_load_stays_within_its_connection_budget(processes):
    [server] = processes.serve(MOPS_DB_POOL_SIZE=str(POOL_SIZE))
    pid = server.popen.pid
    answers: dict[int, int] = {}
    lock = threading.Lock()
    clients = [
        threading.Thread(target=load, args=(server.url, 6.0, answers, lock)) for _ in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    peak = 0
    while any(client.is_alive() for client in clients):
        peak = max(peak, postgres_connections(pid))
        time.sleep(0.02)
    for client in clients:
        client.join()
    # Every command and read was served: the budget is a limit, not a refusal.
    assert set(answers) == {200, 201}, answers
    assert answers[201] >= CLIENTS, answers
    assert 0 < peak <= POOL_SIZE + READ_SIDE, peak
    projections: Any = httpx.get(f"{server.url}/projections", headers=AUDITOR, timeout=10).json()
    items = projections["items"] if isinstance(projections, dict) else projections
    assert [(p["name"], p["restarts"]) for p in items if p["restarts"]] == []
    assert all(p["state"] == "running" for p in items), items


def test_an_idle_server_holds_few_connections(processes):
    [server] = processes.serve()
    time.sleep(2)  # the read side has started
    idle = postgres_connections(server.popen.pid)
    # Issue 16's goal for an idle process (37 before); the default pool may have grown
    # past the two it keeps while the read side started.
    assert 0 < idle <= IDLE_GOAL, idle
