"""Issue 17, point 3: every error is problem+json, on SQLite and PostgreSQL.

`GET /audit/events?actor=%00` (and `type`, `aggregate_type`, `aggregate_id`) answered 500
text/plain on PostgreSQL, and an aggregate with a gap in its events did too.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from uuid import UUID, uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient

from application.backoffice import Backoffice
from interfaces.bootstrap import Services
from interfaces.http.app import create_app
from tests.conftest import assert_problem, bearer, unique

SALES = bearer("sam", "sales")
SERVICE = bearer("sue", "service")
AUDITOR = bearer("audrey", "auditor")


@pytest.mark.parametrize("parameter", ["actor", "type", "aggregate_type", "aggregate_id"])
def test_a_nul_in_an_audit_filter_is_refused(client, parameter):
    answer = client.get("/audit/events", params={parameter: "a\x00b"}, headers=AUDITOR)
    body = assert_problem(answer, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == [parameter]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/customers", {"q": "\x00"}),
        ("/customers", {"status": "lead\x00"}),
        ("/contracts", {"customer_id": "\x00"}),
        ("/reports/sales", {"group_by": "month\x00"}),
        ("/reports/follow-ups", {"due_by": "2026-01-01", "owner_id": "\x00"}),
        ("/audit/events", {"from": "\x00"}),
        ("/employees", {"department": "\x00"}),
        ("/projections", {"unused": "\x00"}),
        ("/health", {"\x00": "x"}),
    ],
)
def test_a_nul_in_any_query_parameter_is_refused(client, path, params):
    answer = client.get(path, params=params, headers=AUDITOR)
    assert_problem(answer, 422, "validation_error")


@pytest.mark.parametrize("parameter", ["after_position", "wait_for", "limit"])
def test_a_whole_number_beyond_64_bits_is_refused(client, parameter):
    answer = client.get("/audit/events", params={parameter: 10**20}, headers=AUDITOR)
    body = assert_problem(answer, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == [parameter]


def test_a_version_beyond_64_bits_is_refused(client):
    body = {"name": unique(), "kind": "company", "source": "web", "contacts": []}
    cid = client.post("/customers", json=body, headers=SALES).json()["id"]
    answer = client.get(f"/customers/{cid}", params={"version": 2**63}, headers=AUDITOR)
    assert_problem(answer, 422, "validation_error")
    text = client.get("/customers", params={"q": str(10**20)}, headers=AUDITOR)
    assert text.status_code == 200, text.text  # digits in a text filter are text


def test_a_nul_in_a_path_parameter_is_refused_before_anything_is_written(client, position):
    before = position()
    answer = client.post(
        f"/budgets/{uuid4()}/commitments/ref%00x/release", json={}, headers=bearer("f", "finance")
    )
    assert_problem(answer, 422, "validation_error")
    assert position() == before


@pytest.fixture
def failing_client(services: Services) -> Iterator[TestClient]:
    """The API with two routes that fail the way a bug would."""
    app = create_app(services=services)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals of the failure")

    @app.get("/boom-async")
    async def boom_async() -> None:
        raise KeyError("secret key")

    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/boom", "/boom-async"])
def test_an_unexpected_error_answers_500_problem_json_with_a_request_id_the_log_carries(
    failing_client, caplog, path
):
    with caplog.at_level(logging.ERROR, logger="mops.http"):
        answer = failing_client.get(path)
    body = assert_problem(answer, 500, "internal_error")
    request_id = body["request_id"]
    assert answer.headers["x-request-id"] == request_id and request_id in body["detail"]
    assert "secret" not in answer.text and "Traceback" not in answer.text
    [record] = [r for r in caplog.records if r.name == "mops.http"]
    assert record.request_id == request_id and request_id in record.getMessage()
    assert record.exc_info is not None  # the stack trace is logged, not answered


def test_the_clients_request_id_is_kept_and_a_malformed_one_replaced(failing_client):
    given = failing_client.get("/boom", headers={"X-Request-ID": "req-42.a"})
    assert given.json()["request_id"] == "req-42.a"
    odd = failing_client.get("/boom", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.json()["request_id"] not in ("", "bad id\twith spaces")


def _delete_event(database, services: Services, aggregate_id: str, version: int) -> None:
    """Remove one stored event of an aggregate, as a broken disk or a bad hand would."""
    recorder = services.backoffice.recorder
    table = recorder.events_table_name  # type: ignore[attr-defined]
    if database.dialect == "sqlite":
        path = database.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            deleted = conn.execute(
                f"DELETE FROM {table} WHERE originator_id = ? AND originator_version = ?",
                [UUID(aggregate_id).hex, version],  # the library stores the hex form
            ).rowcount
    else:
        schema = recorder.datastore.schema  # type: ignore[attr-defined]
        url = database.url.split("?")[0]
        with psycopg.connect(url, autocommit=True) as conn:
            deleted = conn.execute(
                f'DELETE FROM "{schema}"."{table}" '
                "WHERE originator_id = %s AND originator_version = %s",
                [aggregate_id, version],
            ).rowcount
    assert deleted == 1


@pytest.fixture
def cold_client(services: Services, module_database) -> Iterator[TestClient]:
    """The API over a back office whose aggregate cache is empty, as after a restart."""
    backoffice = Backoffice(services.settings.persistence_env())
    cold = Services(services.settings, backoffice, services.read_side, services.jwt_secret)
    try:
        with TestClient(create_app(services=cold)) as test_client:
            yield test_client
    finally:
        backoffice.close()


def _customer_of_three_versions(client) -> str:
    body = {"name": unique(), "kind": "company", "source": "web", "contacts": []}
    cid = client.post("/customers", json=body, headers=SALES).json()["id"]
    assert client.post(f"/customers/{cid}/qualify", json={}, headers=SALES).is_success
    membership = client.post(f"/customers/{cid}/membership", json={"tier": "gold"}, headers=SERVICE)
    assert membership.json()["version"] == 3
    return cid


@pytest.mark.parametrize("missing", [2, 1])
def test_an_aggregate_with_a_gap_in_its_stream_answers_500_corrupt_stream(
    client, cold_client, services, module_database, position, missing
):
    cid = _customer_of_three_versions(client)
    _delete_event(module_database, services, cid, missing)
    answer = cold_client.get(f"/customers/{cid}", headers=AUDITOR)
    body = assert_problem(answer, 500, "corrupt_stream")
    assert (body["aggregate_id"], body["version"], body["found_version"]) == (
        cid,
        missing,
        missing + 1,
    )
    assert f"version {missing}" in body["detail"] and body["request_id"]
    before = position()
    award = cold_client.post(
        f"/customers/{cid}/points/award", json={"points": 5, "reason": "x"}, headers=SERVICE
    )
    assert_problem(award, 500, "corrupt_stream")
    assert position() == before
