"""Issue 19, point 5: what an operator gets, on SQLite and PostgreSQL.

`GET /metrics` (Prometheus text, a user's token or `MOPS_METRICS_TOKEN`, route templates
never ids), JSON log lines with the request id, `X-Request-ID` on every answer, a body
over `MOPS_MAX_BODY_BYTES` refused `413` unread, and an idempotent replay answering
exactly the first answer, `position` included.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from interfaces.bootstrap import Services
from interfaces.http.app import create_app
from interfaces.logs import JsonFormatter
from tests.conftest import assert_problem, bearer, unique

SALES = bearer("sam", "sales")
NO_ROLE = bearer("nobody")
METRICS_TOKEN = "scrape-" + "m" * 30
LIMIT = 4096


def lead_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": unique(),
        "kind": "company",
        "source": "web",
        "contacts": [{"name": "Bob Personal", "phone": str(uuid4().int)[:11]}],
    }
    return {**body, **overrides}


@pytest.fixture(scope="module")
def ops_services(services: Services) -> Services:
    """The module's services, with a metrics token and a small body limit."""
    settings = services.settings.model_copy(
        update={"metrics_token": METRICS_TOKEN, "max_body_bytes": LIMIT}
    )
    return replace(services, settings=settings)


@pytest.fixture(scope="module")
def ops(ops_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=ops_services)) as test_client:
        yield test_client


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> dict[tuple, float]:
    """The samples of `/metrics` by (name, sorted labels)."""
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def counted(samples: dict[tuple, float], metric: str, **labels: str) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


# /metrics


def test_metrics_need_a_token_of_a_role_or_the_metrics_token(ops):
    assert_problem(ops.get("/metrics"), 401, "unauthenticated")
    assert_problem(
        ops.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "unauthenticated"
    )
    assert_problem(ops.get("/metrics", headers=NO_ROLE), 403, "forbidden")
    for headers in (
        SALES,
        bearer("audrey", "auditor"),
        {"Authorization": f"Bearer {METRICS_TOKEN}"},
    ):
        answer = ops.get("/metrics", headers=headers)
        assert answer.status_code == 200, answer.text
        assert "mops_http_requests_total" in answer.text


def test_without_a_metrics_token_set_only_users_may_scrape(client):
    assert client.get("/metrics", headers=SALES).status_code == 200
    empty = {"Authorization": "Bearer "}
    assert_problem(client.get("/metrics", headers=empty), 401, "unauthenticated")


def test_requests_are_counted_by_route_template_never_by_id(ops):
    cid = ops.post("/customers", json=lead_body(), headers=SALES).json()["id"]
    stranger = str(uuid4())
    before = scrape(ops)
    assert ops.get(f"/customers/{cid}", headers=SALES).status_code == 200
    assert ops.get(f"/customers/{stranger}", headers=SALES).status_code == 404
    assert ops.get(f"/no/such/{stranger}", headers=SALES).status_code == 404
    after = scrape(ops)
    route = "/customers/{customer_id}"
    for status, count in (("200", 1), ("404", 1)):
        labels = {"route": route, "method": "GET", "status": status}
        assert (
            counted(after, "mops_http_requests_total", **labels)
            - counted(before, "mops_http_requests_total", **labels)
            == count
        )
        hist = counted(after, "mops_http_request_duration_seconds_count", **labels)
        assert hist - counted(before, "mops_http_request_duration_seconds_count", **labels) == 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert counted(after, "mops_http_requests_total", **unmatched) >= 1
    text = ops.get("/metrics", headers=SALES).text
    assert cid not in text and stranger not in text


def test_commands_are_counted_by_command_and_code(ops, position):
    before = scrape(ops)
    assert ops.post("/customers", json=lead_body(), headers=SALES).status_code == 201
    refused = ops.post("/customers", json=lead_body(kind="alien"), headers=SALES)
    assert_problem(refused, 422, "validation_error")
    forbidden = ops.post("/customers", json=lead_body(), headers=bearer("a", "auditor"))
    assert_problem(forbidden, 403, "forbidden")
    assert_problem(
        ops.post(f"/customers/{uuid4()}/qualify", json={}, headers=SALES), 404, "not_found"
    )
    after = scrape(ops)
    for command, code in (
        ("RegisterLead", "ok"),
        ("RegisterLead", "validation_error"),
        ("RegisterLead", "forbidden"),
        ("QualifyCustomer", "not_found"),
    ):
        name = "mops_commands_total"
        grown = counted(after, name, command=command, code=code) - counted(
            before, name, command=command, code=code
        )
        assert grown == 1, (command, code)


def test_metrics_show_the_log_head_and_each_read_model_position_and_lag(ops, services, position):
    ops.post("/customers", json=lead_body(), headers=SALES)
    samples = scrape(ops)
    head = counted(samples, "mops_event_log_position")
    assert head >= position() - 1 and head > 0  # the scrape's own read, a write may follow
    items = ops.get("/projections", headers=SALES).json()["items"]
    assert items
    for item in items:
        folded = counted(samples, "mops_read_model_position", name=item["name"])
        lag = counted(samples, "mops_read_model_lag", name=item["name"])
        assert (name := item["name"]) and 0 <= folded <= head, name
        assert lag == max(head - folded, 0), name
        assert ("mops_read_model_failed", (("name", name),)) in samples


# X-Request-ID


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/health", {}, 200),
        ("/customers", {}, 401),
        ("/customers/7b2e4c1a-9f3d-4e8b-a6c5-0d1f2e3a4b5c", SALES, 404),  # a case's name: fixed
        ("/customers?limit=0", SALES, 422),
    ],
)
def test_every_answer_echoes_the_request_id(ops, path, headers, status):
    answer = ops.get(path, headers={**headers, "X-Request-ID": "client-id.42"})
    assert answer.status_code == status, answer.text
    assert answer.headers["X-Request-ID"] == "client-id.42"
    made = ops.get(path, headers=headers)
    assert len(made.headers["X-Request-ID"]) == 32  # one made for it


@pytest.mark.parametrize("given", ["x" * 129, "two words", "tab\there", "new\u00e9"])
def test_an_unfit_request_id_is_replaced(ops, given):
    answer = ops.get("/health", headers={"X-Request-ID": given.encode()})
    made = answer.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and made.isalnum()


def test_a_413_and_a_command_echo_the_request_id(ops):
    big = ops.post(
        "/customers", content=b"x" * (LIMIT + 1), headers={**SALES, "X-Request-ID": "big-1"}
    )
    assert_problem(big, 413, "payload_too_large")
    assert big.headers["X-Request-ID"] == "big-1"
    done = ops.post("/customers", json=lead_body(), headers={**SALES, "X-Request-ID": "cmd-1"})
    assert done.status_code == 201 and done.headers["X-Request-ID"] == "cmd-1"


# 413


def _padded(body: dict[str, Any], size: int) -> bytes:
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def test_a_body_over_the_limit_is_refused_by_its_length_and_nothing_is_written(ops, position):
    before = position()
    raw = _padded(lead_body(), LIMIT + 1)
    answer = ops.post(
        "/customers", content=raw, headers={**SALES, "Content-Type": "application/json"}
    )
    body = assert_problem(answer, 413, "payload_too_large")
    assert body["max_bytes"] == LIMIT
    assert position() == before
    at_limit = _padded(lead_body(), LIMIT)
    answer = ops.post(
        "/customers", content=at_limit, headers={**SALES, "Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text


def test_a_chunked_body_over_the_limit_is_refused_and_nothing_is_written(ops, position):
    before = position()
    raw = _padded(lead_body(), LIMIT * 3)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(raw), 1000):
            yield raw[start : start + 1000]

    answer = ops.post(
        "/customers", content=chunks(), headers={**SALES, "Content-Type": "application/json"}
    )
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert_problem(answer, 413, "payload_too_large")
    assert position() == before
    # Also on a route whose body FastAPI reads, and on one taking no body.
    answer = ops.post(f"/customers/{uuid4()}/qualify", content=chunks(), headers=SALES)
    assert_problem(answer, 413, "payload_too_large")
    assert position() == before


class Client:
    """An ASGI client that counts how much of a body the app has read."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.chunks_read = 0
        self.status: int | None = None
        self.body = b""

    def post(
        self, path: str, chunks: int, chunk: bytes, headers: list[tuple[bytes, bytes]]
    ) -> None:
        async def receive() -> dict[str, Any]:
            self.chunks_read += 1
            return {"type": "http.request", "body": chunk, "more_body": self.chunks_read < chunks}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self.body += message.get("body", b"")

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), *headers],
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        asyncio.run(self.app(scope, receive, send))


@pytest.fixture(scope="module")
def asgi_app(ops_services: Services) -> Any:
    app = create_app(services=ops_services)
    app.state.services = ops_services  # as the lifespan would
    return app


def _auth() -> list[tuple[bytes, bytes]]:
    return [
        (b"authorization", SALES["Authorization"].encode()),
        (b"content-type", b"application/json"),
    ]


def test_a_50_mb_body_is_refused_before_any_of_it_is_read(asgi_app, position):
    before = position()
    client = Client(asgi_app)
    length = [(b"content-length", str(50 * 2**20).encode())]
    client.post("/customers", 800, b"x" * 65536, [*_auth(), *length])
    assert client.status == 413 and json.loads(client.body)["code"] == "payload_too_large"
    assert client.chunks_read == 0
    assert position() == before


def test_a_chunked_body_is_read_only_until_it_passes_the_limit(asgi_app, position):
    before = position()
    client = Client(asgi_app)
    client.post("/customers", 800, b"x" * 1000, _auth())  # 800 kB announced by nothing
    assert client.status == 413 and json.loads(client.body)["code"] == "payload_too_large"
    assert client.chunks_read == LIMIT // 1000 + 1
    assert position() == before


# Idempotent replays


def test_a_replay_answers_exactly_the_first_answer_position_included(ops, position):
    key = {**SALES, "Idempotency-Key": uuid4().hex}
    body = lead_body()
    first = ops.post("/customers", json=body, headers=key)
    assert first.status_code == 201 and first.json()["position"] >= 1
    written = position()
    again = ops.post("/customers", json=body, headers=key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    for header in ("ETag", "Location", "Content-Type"):
        assert again.headers[header] == first.headers[header]
    assert position() == written
    cid = first.json()["id"]
    ops.post(f"/customers/{cid}/membership", json={"tier": "gold"}, headers=SALES)
    act = {**SALES, "Idempotency-Key": uuid4().hex}
    award = {"points": 5, "reason": "loyal"}
    done = ops.post(f"/customers/{cid}/points/award", json=award, headers=act)
    assert done.status_code == 200 and "position" in done.json(), done.text
    written = position()
    replayed = ops.post(f"/customers/{cid}/points/award", json=award, headers=act)
    assert (replayed.status_code, replayed.json()) == (200, done.json())
    assert replayed.headers["ETag"] == done.headers["ETag"]
    assert position() == written


def test_a_replay_of_a_created_sub_entity_answers_its_id_and_position(ops, position):
    cid = ops.post("/customers", json=lead_body(), headers=SALES).json()["id"]
    finance = bearer("fay", "finance")
    key = {**finance, "Idempotency-Key": uuid4().hex}
    guarantee = {"amount": "1000.00", "kind": "bank", "expires_on": "2999-01-01"}
    first = ops.post(f"/customers/{cid}/guarantees", json=guarantee, headers=key)
    assert first.status_code == 201, first.text
    written = position()
    again = ops.post(f"/customers/{cid}/guarantees", json=guarantee, headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Location"] == first.headers["Location"]
    assert position() == written


# Logs


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def test_each_request_is_one_json_line_with_its_id_actor_route_and_duration(ops, caplog):
    caplog.set_level(logging.INFO, logger="mops.http.requests")
    body = lead_body()
    token = SALES["Authorization"].removeprefix("Bearer ")
    answer = ops.post("/customers", json=body, headers={**SALES, "X-Request-ID": "log-1"})
    read = ops.get(f"/customers/{answer.json()['id']}", headers={**SALES, "X-Request-ID": "log-2"})
    assert read.status_code == 200
    lines = [line for line in _lines(caplog) if line["event"] == "request"]
    [command] = [line for line in lines if line.get("request_id") == "log-1"]
    assert {k: command[k] for k in ("actor", "method", "route", "status")} == {
        "actor": "sam",
        "method": "POST",
        "route": "/customers",
        "status": 201,
    }
    assert command["aggregate_id"] == answer.json()["id"]
    assert command["position"] == answer.json()["position"]
    assert command["duration_ms"] >= 0 and command["level"] == "info" and command["time"]
    [query] = [line for line in lines if line.get("request_id") == "log-2"]
    assert query["route"] == "/customers/{customer_id}" and query["actor"] == "sam"
    assert "aggregate_id" not in query
    text = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    for secret in (token, body["name"], body["contacts"][0]["phone"], "Bob Personal"):
        assert secret not in text


def test_a_refused_request_is_logged_with_its_code(ops, caplog):
    caplog.set_level(logging.INFO, logger="mops.http.requests")
    ops.post("/customers", json=lead_body(kind="alien"), headers={**SALES, "X-Request-ID": "bad-1"})
    [line] = [line for line in _lines(caplog) if line.get("request_id") == "bad-1"]
    assert (line["status"], line["code"], line["command"]) == (
        422,
        "validation_error",
        "RegisterLead",
    )
