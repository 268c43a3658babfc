"""Issue 17, points 4 and 5: fail fast while the database is away, recover alone.

During an 8 s outage every request, `/health` included, blocked 6.6 s, and 7 requests
that timed out at the client were committed. Here a TCP proxy the test starts and stops
stands between mops and PostgreSQL: while it is stopped a command answers `503
database_unavailable` with `Retry-After` within 5 s, `/health` answers 200 and `/ready`
503; once it is back, commands succeed again within 10 s with no restart; every command
answered 2xx is stored and none answered 503 is. An exhausted pool answers `503
database_busy` within 5 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient

from interfaces.bootstrap import Services, build
from interfaces.http.app import create_app
from tests.conftest import Database, assert_problem, bearer, new_database, unique
from tests.hardening.proxy import TcpProxy

SALES = bearer("sam", "sales")


@pytest.fixture
def behind_a_proxy(
    request: pytest.FixtureRequest, postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TcpProxy, Services, TestClient]]:
    """mops on a fresh PostgreSQL schema, reached through a proxy the test controls; a
    test may give more of the URL's query (its pool's size)."""
    database = new_database("postgres", tmp_path_factory)
    direct = urlsplit(database.url)
    proxy = TcpProxy((direct.hostname or "127.0.0.1", direct.port or 5432))
    proxy.start()
    netloc = direct.netloc.replace(f":{direct.port}", f":{proxy.port}")
    query = direct.query + getattr(request, "param", "")
    proxied = Database("postgres", urlunsplit(direct._replace(netloc=netloc, query=query)))
    services = build(proxied.settings(), run_projections=True)
    try:
        with TestClient(create_app(services=services)) as client:
            yield proxy, services, client
    finally:
        if proxy._listener is None:  # a failed test left it stopped
            proxy.start()
        services.close()
        proxy.stop()
        database.close()


def register(client: TestClient, name: str) -> tuple[int, float, dict[str, str], dict]:
    body = {"name": name, "kind": "company", "source": "web", "contacts": []}
    started = time.monotonic()
    answer = client.post("/customers", json=body, headers=SALES)
    return answer.status_code, time.monotonic() - started, dict(answer.headers), answer.json()


def test_an_outage_answers_503_at_once_and_mops_recovers_alone(behind_a_proxy):
    proxy, services, client = behind_a_proxy
    answered: dict[str, int] = {}
    for _ in range(3):
        name = unique()
        answered[name] = register(client, name)[0]
    assert set(answered.values()) == {201}

    proxy.stop()
    for _ in range(4):
        name = unique()
        status, took, headers, body = register(client, name)
        answered[name] = status
        assert (status, body["code"]) == (503, "database_unavailable"), body
        assert headers["content-type"].startswith("application/problem+json")
        assert int(headers["retry-after"]) > 0
        assert took < 5, took
    started = time.monotonic()
    health = client.get("/health")
    assert health.status_code == 200 and time.monotonic() - started < 2
    started = time.monotonic()
    assert_problem(client.get("/ready"), 503, "database_unavailable")
    assert time.monotonic() - started < 5

    proxy.start()
    back = time.monotonic()
    while True:
        name = unique()
        status = register(client, name)[0]
        answered[name] = status
        if status == 201:
            break
        assert status == 503
        assert time.monotonic() - back < 10, "commands did not succeed again within 10 s"
        time.sleep(0.2)
    recovered = time.monotonic() - back
    for _ in range(3):
        name = unique()
        answered[name] = register(client, name)[0]
        assert answered[name] == 201

    head = services.backoffice.max_position()
    assert services.read_side.wait("customer_directory", head, timeout=30)
    stored = {
        row["name"] for row in services.read_side.view("customer_directory").search(limit=1000)
    }
    assert {n for n, s in answered.items() if s == 201} <= stored
    assert not {n for n, s in answered.items() if s == 503} & stored
    assert recovered < 10
    deadline = time.monotonic() + 15
    while client.get("/ready").status_code != 200:
        assert time.monotonic() < deadline, client.get("/ready").json()
        time.sleep(0.2)


# A small pool: the PostgreSQL server's 100 connections are shared with other tests.
@pytest.mark.parametrize("behind_a_proxy", ["&pool_size=1&max_overflow=2"], indirect=True)
def test_an_exhausted_pool_answers_503_database_busy_at_once(behind_a_proxy):
    _, services, client = behind_a_proxy
    assert register(client, unique())[0] == 201
    pool = services.backoffice.factory.datastore.pool
    held = []
    try:
        # Every connection of the pool, which the read models' queries share: one they
        # hold comes back to the pool within the wait.
        while len(held) < pool.max_size:
            held.append(pool.getconn(timeout=5))
        status, took, headers, body = register(client, unique())
        assert (status, body["code"]) == (503, "database_busy"), body
        assert int(headers["retry-after"]) > 0
        assert took < 5, took
    finally:
        for connection in held:
            pool.putconn(connection)
    assert register(client, unique())[0] == 201
