"""`mops serve --workers N`: the tables are made once before the workers start, every
worker serves, and one of them runs the read side."""

from __future__ import annotations

import multiprocessing
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from application.backoffice import Backoffice
from tests.conftest import Database, unique
from tests.deployment.processes import Process, Processes, bearer, running

SALES = bearer("sam", "sales")
AUDITOR = bearer("audrey", "auditor")


@pytest.fixture
def processes(database: Database, tmp_path: Any) -> Iterator[Processes]:
    yield from running(database, tmp_path)


def started_workers(server: Process, timeout: float = 60) -> set[str]:
    """The pids of the workers that finished starting, once there are two."""
    deadline = time.monotonic() + timeout
    while True:
        output = server.output()
        started = re.findall(r"Started server process \[(\d+)\]", output)
        if len(started) == 2 and output.count("Application startup complete") == 2:
            return set(started)
        if time.monotonic() > deadline or server.popen.poll() is not None:
            pytest.fail(f"two workers did not start:\n{output}")
        time.sleep(0.1)


def test_two_workers_start_on_a_fresh_database_and_serve(processes):
    [server] = processes.serve("--workers", "2")
    workers = started_workers(server)
    for _ in range(6):
        # A new connection each time: the kernel hands it to either worker.
        name = unique()
        written = httpx.post(
            f"{server.url}/customers",
            json={"name": name, "kind": "company", "source": "web", "contacts": []},
            headers=SALES,
            timeout=10,
        )
        assert written.status_code == 201, written.text
        found = httpx.get(
            f"{server.url}/customers",
            params={"q": name, "wait_for": written.json()["position"]},
            headers=SALES,
            timeout=10,
        )
        assert found.status_code == 200, found.text
        assert "mops-read-model-lagging" not in found.headers
        assert [c["id"] for c in found.json()["items"]] == [written.json()["id"]]
    items = httpx.get(f"{server.url}/projections", headers=AUDITOR, timeout=10).json()["items"]
    assert {(i["state"], i["restarts"]) for i in items} == {("running", 0)}
    assert len({i["holder"] for i in items}) == 1 and items[0]["holder"] is not None
    assert items[0]["holder"].split("@")[0] in workers
    assert server.stop() == 0, server.output()
    output = server.output()
    for trouble in ("Traceback", "UniqueViolation", "concurrently", " failed"):
        assert trouble not in output, output


def _open_and_close_backoffice(env: dict[str, str]) -> None:
    Backoffice(env).close()


def test_processes_opening_one_event_store_at_once_do_not_fail(database: Database):
    """Every process opening the event store re-creates its chain function and trigger;
    on PostgreSQL two doing it at once deadlocked (7 runs in 10 before the fix)."""
    env = database.env()
    _open_and_close_backoffice(env)  # the tables exist, as under a running server
    context = multiprocessing.get_context("spawn")
    for _ in range(3):
        with context.Pool(3) as pool:
            pool.map(_open_and_close_backoffice, [env] * 6)
