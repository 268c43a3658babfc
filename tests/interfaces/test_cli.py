"""The `mops` command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.contracts import CancelContract, DraftContract
from application.commands.customers import QualifyCustomer, RegisterLead
from application.commands.risks import AssessRisk, IdentifyRisk
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from projections.runner import READ_MODELS, close_view, construct_view
from tests.conftest import as_, unique

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(database):
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}

    def invoke(*args: str):
        return runner.invoke(cli, list(args), env=env)

    return invoke


def test_token_prints_a_signed_jwt(run):
    result = run("token", "--sub", "alice", "--role", "sales", "--role", "finance", "--ttl", "5")
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), DEV_JWT_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["roles"]) == ("alice", ["finance", "sales"])
    assert run("token", "--sub", "alice", "--role", "pilot").exit_code == 2


def test_demo_then_rebuild_and_verify_then_a_tampered_row_fails_verify(run, database):
    demo = run("demo", "--customers", "15", "--seed", "3")
    assert demo.exit_code == 0, demo.output
    assert "15 customers written" in demo.output
    unbuilt = run("projections", "verify", "sales", "--allow-stopped")
    assert unbuilt.exit_code == 0 and "events behind the log" in unbuilt.output
    rebuilt = run("projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "customer_directory: replayed" in rebuilt.output and "events/s" in rebuilt.output
    verified = run("projections", "verify")
    assert verified.exit_code == 0, verified.output
    assert verified.output.count("equal a rebuild") == len(READ_MODELS)
    assert "behind the log" not in verified.output
    view = construct_view(READ_MODELS["audit_log"], database.env(), database.dialect)
    try:
        with view._transaction(commit=True) as cursor:
            cursor.execute(
                view._sql(f"UPDATE {view.table('audit_log')} SET actor = ? WHERE position = ?"),
                ["mallory", 1],
            )
    finally:
        close_view(view)
    tampered = run("projections", "verify", "audit_log")
    assert tampered.exit_code == 1
    assert "audit_log: 1 rows differ" in tampered.output
    assert run("projections", "verify", "customer_directory").exit_code == 0
    assert run("projections", "verify", "nonsense").exit_code == 2


def test_history_prints_an_aggregates_events(run, database):
    app = Backoffice(database.env())
    try:
        cid = app.handle(
            as_("sam", "sales"),
            RegisterLead(name=unique(), kind="person", source="web", contacts=[]),
        ).id
        app.handle(as_("sam", "sales"), QualifyCustomer(cid))
        kid = app.handle(
            as_("sam", "sales"),
            DraftContract(
                customer_id=cid,
                channel="online",
                lines=[],
                payment_term_days=30,
                delivery_due_on=date(2027, 1, 31),
            ),
        ).id
        app.handle(as_("sam", "sales"), CancelContract(kid, "no budget"))
        rid = app.handle(
            as_("sam", "sales"),
            IdentifyRisk(category="market", title="Price war", description="rivals cut"),
        ).id
        app.handle(
            as_("sam", "sales"), AssessRisk(rid, likelihood=3, impact=4, rationale="two rivals")
        )
    finally:
        app.close()
    result = run("history", "customer", str(cid))
    assert result.exit_code == 0, result.output
    assert "Registered" in result.output and "Qualified" in result.output
    contract = run("history", "contracts", str(kid))
    assert "Drafted" in contract.output and "Cancelled" in contract.output
    assert run("history", "customer", str(kid)).exit_code == 1
    risk = run("history", "risks", str(rid))
    assert risk.exit_code == 0, risk.output
    assert "Identified" in risk.output and "Assessed" in risk.output
    assert run("history", "marketing-plan", str(rid)).exit_code == 1
    assert run("history", "customer", "00000000-0000-0000-0000-000000000001").exit_code == 1


def start_worker(database) -> subprocess.Popen:
    """`mops projections run` as its own process on the test's database."""
    env = {**os.environ, "MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "projections", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen, signum: int) -> int:
    """Signal the worker and answer its exit code; it must stop within 20 s."""
    worker.send_signal(signum)
    try:
        return worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise


def test_projection_workers_run_as_their_own_process(database):
    app = Backoffice(database.env())
    view = construct_view(READ_MODELS["customer_directory"], database.env(), database.dialect)
    worker = start_worker(database)
    try:
        cid = app.handle(
            as_("sam", "sales"),
            RegisterLead(name=unique(), kind="person", source="web", contacts=[]),
        ).id
        position = app.handle(as_("sam", "sales"), QualifyCustomer(cid)).position
        view.wait(app.name, position, timeout=30)
        row = view.search(limit=10)[0]
        assert (row["id"], row["status"]) == (str(cid), "prospect")
    finally:
        try:
            returncode = stop_worker(worker, signal.SIGINT)
        finally:
            close_view(view)
            app.close()
    assert returncode == 0, worker.stdout.read().decode()


@pytest.mark.parametrize("delay", [0.2, 0.6])
def test_projection_workers_stop_cleanly_on_sigterm(database, delay):
    Backoffice(database.env()).close()
    worker = start_worker(database)
    time.sleep(delay)  # starting up, or running
    returncode = stop_worker(worker, signal.SIGTERM)
    # 0 once running; killed by TERM before its handler is set; 130 (Abort) in between.
    assert returncode in (0, 130, -signal.SIGTERM), worker.stdout.read().decode()
