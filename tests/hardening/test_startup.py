"""Issue 19, point 5: `mops serve` as an operator meets it, on SQLite and PostgreSQL.

A database it cannot use stops it with one line and a non-zero exit, no traceback; once
running, everything it writes on stderr is a JSON line, one a request, in place of
uvicorn's access log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from interfaces.cli import cli
from tests.conftest import Database
from tests.deployment.processes import ROOT, Processes, bearer, free_port

STRONG_SECRET = "s3cr3t-" + "y" * 40


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The apps `mops serve` would have served: uvicorn is not started."""
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    return served


def one_line(result: Any, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    printed = result.output.strip()
    assert printed.count("\n") == 0 and "Traceback" not in printed, printed
    return printed


def unusable_urls(tmp_path: Any) -> list[str]:
    return [
        f"postgresql://postgres@127.0.0.1:{free_port()}/test",  # nothing listens there
        f"sqlite:///{tmp_path}/no/such/directory/mops.db",
    ]


def test_serve_with_a_database_it_cannot_reach_says_so_in_one_line(tmp_path, started):
    for url in unusable_urls(tmp_path):
        env = {"MOPS_DATABASE_URL": url, "MOPS_JWT_SECRET": STRONG_SECRET}
        for args in ([], ["--workers", "2"]):
            printed = one_line(CliRunner().invoke(cli, ["serve", *args], env=env), 1)
            assert "MOPS_DATABASE_URL cannot be used" in printed, printed
    assert started == []


def test_a_weak_secret_is_said_before_the_database(tmp_path, started):
    url = unusable_urls(tmp_path)[0]
    env = {"MOPS_DATABASE_URL": url, "MOPS_JWT_SECRET": "short"}
    printed = one_line(CliRunner().invoke(cli, ["serve"], env=env), 2)
    assert "MOPS_JWT_SECRET" in printed and started == []


def test_serve_exits_non_zero_with_one_line_as_a_process(tmp_path):
    url = unusable_urls(tmp_path)[0]
    environment = {"MOPS_DATABASE_URL": url, "MOPS_JWT_SECRET": STRONG_SECRET, "COLUMNS": "300"}
    done = subprocess.run(
        [sys.executable, "-m", "interfaces.cli", "serve"],
        cwd=ROOT,
        env={**_path_env(), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "connection" in done.stderr.lower() or "refused" in done.stderr.lower(), done.stderr


def _path_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("MOPS_")}


@pytest.fixture
def processes(database: Database, tmp_path: Any) -> Iterator[Processes]:
    running = Processes(database, tmp_path)
    yield running
    running.close()


def test_a_server_logs_json_lines_one_a_request(processes):
    [server] = processes.serve()
    sales = bearer("sam", "sales")
    lead = {"name": "Logged Lead", "kind": "company", "source": "web", "contacts": []}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        created = client.post("/customers", json=lead, headers={**sales, "X-Request-ID": "srv-1"})
        assert created.status_code == 201, created.text
        refused = client.get("/customers", headers={"X-Request-ID": "srv-2"})
        assert refused.status_code == 401 and refused.headers["X-Request-ID"] == "srv-2"
        big = client.post("/customers", content=b"{" + b" " * 2_000_000, headers=sales)
        assert big.status_code == 413 and big.json()["code"] == "payload_too_large"
    server.stop()
    lines = [json.loads(line) for line in server.output().splitlines() if line.strip()]
    requests = [line for line in lines if line["event"] == "request"]
    # One line a request (the health checks of `serve()` among them), no access log.
    assert all("HTTP/1.1" not in line.get("message", "") for line in lines)
    [command] = [line for line in requests if line.get("request_id") == "srv-1"]
    assert (command["route"], command["status"], command["actor"]) == ("/customers", 201, "sam")
    assert command["aggregate_id"] == created.json()["id"]
    assert command["position"] == created.json()["position"]
    [unauthenticated] = [line for line in requests if line.get("request_id") == "srv-2"]
    assert (unauthenticated["status"], unauthenticated["code"]) == (401, "unauthenticated")
    [too_large] = [line for line in requests if line["status"] == 413]
    assert too_large["route"] == "/customers"
    output = server.output()
    assert "Logged Lead" not in output and sales["Authorization"][7:] not in output
    for line in lines:
        assert {"time", "level", "event"} <= set(line), line
