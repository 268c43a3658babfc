"""`mops serve` answers the same with either HTTP parser and event loop uvicorn offers.

By default uvicorn serves with httptools and uvloop when they are installed (they are
dependencies of mops, but uvloop on Windows), else with h11 and asyncio; `--http` and
`--loop` force one. Through a real server on each: the 413 of a body over
`MOPS_MAX_BODY_BYTES` (by its length and chunked), `X-Request-ID` echoed or made,
problem+json refusals, the counters of `/metrics` and the JSON log line of each request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Database, assert_problem
from tests.deployment.processes import Process, Processes, bearer

LIMIT = 4096
METRICS_TOKEN = "scrape-" + "m" * 30
SALES = bearer("sam", "sales")
SERVERS = [("asyncio", "h11"), ("uvloop", "httptools"), ("auto", "auto")]


@pytest.fixture
def processes(database: Database, tmp_path: Any) -> Iterator[Processes]:
    running = Processes(database, tmp_path)
    yield running
    running.close()


def lead(size: int = 0) -> bytes:
    """A lead's JSON, padded with spaces to `size` bytes."""
    body = {"name": "Parsed Lead", "kind": "company", "source": "web", "contacts": []}
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def requests_counted(server: Process) -> dict[tuple[str, str], float]:
    """`mops_http_requests` of `/metrics` by (route, status)."""
    answer = httpx.get(
        f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert answer.status_code == 200, answer.text
    counted = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "mops_http_requests_total":
                counted[(sample.labels["route"], sample.labels["status"])] = sample.value
    return counted


@pytest.mark.parametrize(("loop", "http"), SERVERS)
def test_a_server_answers_alike_with_each_parser_and_loop(processes, loop, http):
    [server] = processes.serve(
        "--loop",
        loop,
        "--http",
        http,
        MOPS_MAX_BODY_BYTES=str(LIMIT),
        MOPS_METRICS_TOKEN=METRICS_TOKEN,
    )
    json_body = {**SALES, "Content-Type": "application/json"}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        over = client.post(
            "/customers", content=lead(LIMIT + 1), headers={**json_body, "X-Request-ID": "big-1"}
        )
        assert assert_problem(over, 413, "payload_too_large")["max_bytes"] == LIMIT
        assert over.headers["X-Request-ID"] == "big-1"
        assert over.headers["Connection"] == "close"

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            raw = lead(LIMIT * 3)
            for start in range(0, len(raw), 1000):
                yield raw[start : start + 1000]

        chunked = client.post("/customers", content=chunks(), headers=json_body)
        assert "content-length" not in {k.lower() for k in chunked.request.headers}
        assert_problem(chunked, 413, "payload_too_large")
        at_limit = client.post(
            "/customers", content=lead(LIMIT), headers={**json_body, "X-Request-ID": "cmd-1"}
        )
        assert at_limit.status_code == 201, at_limit.text
        assert at_limit.headers["X-Request-ID"] == "cmd-1"
        # Kept alive: the next request on the same connection is answered too.
        refused = client.get("/customers")
        assert_problem(refused, 401, "unauthenticated")
        made = refused.headers["X-Request-ID"]
        assert len(made) == 32 and made.isalnum()
        listed = client.get("/customers", headers=SALES)
        assert listed.status_code == 200, listed.text
        assert [x["id"] for x in listed.json()["items"]] == [at_limit.json()["id"]]
    counted = requests_counted(server)
    assert counted[("/customers", "413")] == 2
    assert counted[("/customers", "201")] == 1
    assert counted[("/customers", "401")] == 1
    server.stop()
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    requests = [line for line in lines if line["event"] == "request"]
    assert [x["status"] for x in requests if x.get("route") == "/customers"] == [
        413,
        413,
        201,
        401,
        200,
    ]
    [command] = [line for line in requests if line.get("request_id") == "cmd-1"]
    assert (command["status"], command["actor"]) == (201, "sam")
    assert command["aggregate_id"] == at_limit.json()["id"]
