"""Issue 17, point 1: a fold that fails does not stop its read model silently.

A customer directory fold failing with "integer out of range" restarted every 0.5 s
forever and nothing said so. Here a fold fails for real (the read model's table is
altered so that the fold's insert fails), and the failure shows, with the event's
position and the error, in `GET /projections` and `/ready`, is logged once, and makes
`mops projections verify` fail; once the cause is gone the read model catches up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.cli import cli
from interfaces.http.app import create_app
from projections.runner import READ_MODELS
from tests.conftest import Database, assert_problem, bearer, unique

SALES = bearer("sam", "sales")
ADMIN = bearer("ada", "admin")
POISON = "Poisoned"


@pytest.fixture
def deployment(database: Database) -> Iterator[tuple[Services, TestClient]]:
    services = build(database.settings(), run_projections=True)
    try:
        with TestClient(create_app(services=services)) as client:
            yield services, client
    finally:
        services.close()


def poison(services: Services, database: Database) -> None:
    """Make the customer directory's insert of a customer named Poisoned… fail."""
    view = services.read_side.view("customer_directory")
    table = view.table("customer_directory")
    with view._transaction(commit=True) as cursor:
        if database.dialect == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER poison BEFORE INSERT ON {table} "
                f"WHEN NEW.name LIKE '{POISON}%' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"
            )
        else:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT poison CHECK (name NOT LIKE '{POISON}%')"
            )


def cure(services: Services, database: Database) -> None:
    view = services.read_side.view("customer_directory")
    table = view.table("customer_directory")
    with view._transaction(commit=True) as cursor:
        if database.dialect == "sqlite":
            cursor.execute("DROP TRIGGER poison")
        else:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT poison")


def register(client: TestClient, name: str) -> int:
    body = {"name": name, "kind": "company", "source": "web", "contacts": []}
    answer = client.post("/customers", json=body, headers=SALES)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["position"])


def directory_status(client: TestClient) -> dict[str, Any]:
    items = client.get("/projections", headers=ADMIN).json()["items"]
    return next(item for item in items if item["name"] == "customer_directory")


def test_a_failing_fold_is_shown_logged_once_fails_verify_and_recovers(
    deployment, database, caplog
):
    services, client = deployment
    register(client, unique())
    poison(services, database)
    caplog.set_level(logging.ERROR, logger="projections.runner")
    poisoned_at = register(client, f"{POISON} {unique()}")
    after = register(client, unique())  # behind the failing event: not folded either
    deadline = time.monotonic() + 20
    status = directory_status(client)
    while time.monotonic() < deadline and status["restarts"] < 4:
        time.sleep(0.1)
        status = directory_status(client)
    # Failed, though restarted again and again: between two restarts too.
    assert status["restarts"] >= 4
    for _ in range(10):
        status = directory_status(client)
        assert status["state"] == "failed", status
        assert status["failed_at_position"] == poisoned_at
        assert "poison" in status["last_error"]
        assert status["lag"] >= after - poisoned_at + 1
        time.sleep(0.07)
    logged = [r for r in caplog.records if "customer_directory failed" in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert f"at position {poisoned_at}" in logged[0].getMessage()
    ready = assert_problem(client.get("/ready"), 503, "not_ready")
    assert ready["failed"] == ["customer_directory"]
    assert "customer_directory failed" in ready["detail"]
    # The other read models fold on.
    assert services.read_side.wait("audit_log", after, timeout=10)

    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    verified = CliRunner().invoke(cli, ["projections", "verify", "customer_directory"], env=env)
    assert verified.exit_code == 1, verified.output
    assert "failed or stuck" in " ".join(verified.output.split())

    cure(services, database)
    assert services.read_side.wait("customer_directory", after, timeout=20)
    status = directory_status(client)
    assert (status["state"], status["lag"], status["failed_at_position"]) == ("running", 0, None)
    assert client.get("/ready").status_code == 200
    assert (
        CliRunner().invoke(cli, ["projections", "verify", "customer_directory"], env=env).exit_code
        == 0
    )


def test_ready_answers_200_when_the_read_side_folds_and_503_when_it_lags(database):
    services = build(database.settings(ready_max_lag=0), run_projections=True)
    try:
        with TestClient(create_app(services=services)) as client:
            assert client.get("/ready").json()["status"] == "ready"
            services.read_side.stop("sales")
            position = register(client, unique())
            for name in READ_MODELS:
                assert name == "sales" or services.read_side.wait(name, position, timeout=10)
            lagging = assert_problem(client.get("/ready"), 503, "not_ready")
            assert lagging["lagging"] == ["sales"] and lagging["failed"] == []
            assert client.get("/health").status_code == 200
            services.read_side.start("sales")
            assert services.read_side.wait("sales", position, timeout=10)
            assert client.get("/ready").status_code == 200
    finally:
        services.close()
