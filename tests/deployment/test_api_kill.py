"""A kill -9 of the API while clients write: every command it acknowledged is stored.

Issue 17 kept this as a test: the server dies between requests, in the middle of some, and
nothing it answered 2xx is missing from the log afterwards, with no gap or double in the
positions it wrote.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from application.backoffice import Backoffice
from domain.customer import Customer
from tests.conftest import Database, unique
from tests.deployment.processes import Processes, bearer, running

SALES = bearer("sam", "sales")


@pytest.fixture
def processes(database: Database, tmp_path: Any) -> Iterator[Processes]:
    yield from running(database, tmp_path)


def _write_until_stopped(url: str, acknowledged: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=5) as http:
        while not stop.is_set():
            body = {"name": unique(), "kind": "company", "source": "web", "contacts": []}
            try:
                answer = http.post("/customers", json=body, headers=SALES)
            except httpx.HTTPError:
                return  # the server is gone
            if answer.status_code == 201:
                acknowledged.append(answer.json()["id"])


def test_a_kill_9_of_the_api_loses_no_acknowledged_command(database, processes):
    [server] = processes.serve()
    acknowledged: list[str] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=_write_until_stopped, args=(server.url, acknowledged, stop))
        for _ in range(4)
    ]
    for client in clients:
        client.start()
    try:
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop(signal.SIGKILL)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)
    assert len(acknowledged) >= 40, server.output()
    app = Backoffice(database.env())
    try:
        notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
        registered = {
            str(n.originator_id)
            for n in notifications
            if isinstance(app.mapper.to_domain_event(n), Customer.Registered)
        }
        assert set(acknowledged) <= registered
        positions = [n.id for n in notifications]
        assert positions == sorted(set(positions))
    finally:
        app.close()
