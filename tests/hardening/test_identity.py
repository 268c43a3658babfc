"""Issue 17, point 6: secrets and identities.

A 1-byte MOPS_JWT_SECRET and the published development secret were both accepted by
`serve` without `--dev`; `serve --dev` ran against PostgreSQL; `mops token --ttl -1`
minted an expired token; no token lifetime was too long; and segregation of duties
compared the raw `sub`, so "adm-x " approved what "adm-x" submitted.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from interfaces.auth import token_problem
from interfaces.bootstrap import DEV_JWT_SECRET, Services
from interfaces.cli import cli
from interfaces.http.app import create_app
from tests.application.test_expense_claim_commands import approved_budget, team
from tests.conftest import POSTGRES_URL, assert_problem, bearer

STRONG_SECRET = "s3cr3t-" + "x" * 40
AUDITOR = bearer("audrey", "auditor")
_years = itertools.count(4001)


@pytest.fixture
def started(monkeypatch) -> list[object]:
    """The apps `mops serve` would have served: uvicorn is not started."""
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    return served


def serve(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, ["serve", *args], env=env)


def one_line_refusal(result) -> str:
    """The refusal `serve` printed: exit code 2, one line, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    printed = result.output.strip()
    assert printed.count("\n") == 0 and "Traceback" not in printed, printed
    return printed


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "required"),
        ("x", "at least 32 bytes"),
        ("é" * 15, "at least 32 bytes"),  # 30 bytes in UTF-8
        (DEV_JWT_SECRET, "development secret"),
    ],
)
def test_serve_refuses_a_missing_short_or_published_secret(tmp_path, started, secret, reason):
    env = {"MOPS_DATABASE_URL": f"sqlite:///{tmp_path}/mops.db", "MOPS_JWT_SECRET": secret}
    printed = one_line_refusal(serve(env))
    assert reason in printed and "MOPS_JWT_SECRET" in printed
    assert started == []


def test_serve_starts_with_a_long_secret_of_its_own(tmp_path, started):
    env = {"MOPS_DATABASE_URL": f"sqlite:///{tmp_path}/mops.db", "MOPS_JWT_SECRET": STRONG_SECRET}
    result = serve(env)
    assert result.exit_code == 0, result.output
    assert len(started) == 1


def test_serve_dev_refuses_postgresql_unless_allowed(tmp_path, started):
    env = {"MOPS_DATABASE_URL": POSTGRES_URL, "MOPS_JWT_SECRET": None}
    printed = one_line_refusal(serve(env, "--dev"))
    assert "--dev-allow-postgres" in printed and started == []
    assert serve(env, "--dev", "--dev-allow-postgres").exit_code == 0
    sqlite = {"MOPS_DATABASE_URL": f"sqlite:///{tmp_path}/mops.db", "MOPS_JWT_SECRET": None}
    assert serve(sqlite, "--dev").exit_code == 0
    assert len(started) == 2


def token(*args: str, max_ttl: str | None = None):
    env = {"MOPS_JWT_SECRET": STRONG_SECRET, "MOPS_TOKEN_MAX_TTL": max_ttl}
    return CliRunner().invoke(cli, ["token", "--sub", "alice", "--role", "sales", *args], env=env)


def lifetime(result) -> int:
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), STRONG_SECRET, algorithms=["HS256"])
    return (claims["exp"] - claims["iat"]) // 60


@pytest.mark.parametrize("ttl", ["-1", "0", "721"])
def test_token_mints_neither_an_expired_token_nor_one_beyond_the_maximum(ttl):
    result = token("--ttl", ttl)
    assert result.exit_code == 2 and result.output.strip().count("\n") == 0
    assert "Traceback" not in result.output


def test_token_lives_the_maximum_by_default_and_the_setting_moves_it():
    assert lifetime(token()) == 720
    assert lifetime(token("--ttl", "720")) == 720
    assert lifetime(token(max_ttl="60")) == 60
    assert token("--ttl", "61", max_ttl="60").exit_code == 2


def test_token_refuses_a_subject_that_could_not_sign_in():
    result = CliRunner().invoke(
        cli, ["token", "--sub", "adm-x ", "--role", "admin"], env={"MOPS_JWT_SECRET": STRONG_SECRET}
    )
    assert result.exit_code == 2 and "white space" in result.output


def signed(claims: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, DEV_JWT_SECRET, algorithm='HS256')}"}


def test_a_token_living_longer_than_the_maximum_is_refused(client):
    now = int(time.time())
    day = {"sub": "audrey", "roles": ["auditor"], "iat": now, "exp": now + 13 * 3600}
    assert_problem(client.get("/projections", headers=signed(day)), 401, "unauthenticated")
    undated = {"sub": "audrey", "roles": ["auditor"], "exp": now + 13 * 3600}
    assert_problem(client.get("/projections", headers=signed(undated)), 401, "unauthenticated")
    backdated = {"sub": "audrey", "roles": ["auditor"], "iat": now - 3600, "exp": now + 12 * 3600}
    assert_problem(client.get("/projections", headers=signed(backdated)), 401, "unauthenticated")
    huge = {"sub": "audrey", "roles": ["auditor"], "iat": now, "exp": 10**30}
    assert_problem(client.get("/projections", headers=signed(huge)), 401, "unauthenticated")
    most = {"sub": "audrey", "roles": ["auditor"], "iat": now, "exp": now + 12 * 3600}
    assert client.get("/projections", headers=signed(most)).status_code == 200


@pytest.fixture
def strict_client(services: Services, module_database) -> Iterator[TestClient]:
    """The API of a deployment whose tokens live at most an hour."""
    hourly = Services(
        module_database.settings(token_max_ttl=60),
        services.backoffice,
        services.read_side,
        services.jwt_secret,
    )
    with TestClient(create_app(services=hourly)) as test_client:
        yield test_client


def test_the_maximum_lifetime_is_a_setting(strict_client):
    two_hours = bearer("audrey", "auditor", ttl=timedelta(hours=2))
    assert_problem(strict_client.get("/projections", headers=two_hours), 401, "unauthenticated")
    assert strict_client.get("/projections", headers=AUDITOR).status_code == 200


@pytest.mark.parametrize(
    "subject", ["adm-x ", " adm-x", "adm-x\n", "adm\x00x", "adm\x07x", "adm\u202ex", "", "  "]
)
def test_a_subject_with_surrounding_space_or_control_characters_is_refused(client, subject):
    now = int(time.time())
    claims = {"sub": subject, "roles": ["auditor"], "iat": now, "exp": now + 60}
    body = assert_problem(
        client.get("/projections", headers=signed(claims)), 401, "unauthenticated"
    )
    assert "sub" in body["detail"]


def test_what_mops_token_refuses_to_mint_is_what_sign_in_refuses():
    most = timedelta(minutes=720)
    assert "expired" in token_problem("alice", timedelta(minutes=-1), most)
    assert "at most 720 minutes" in token_problem("alice", timedelta(hours=13), most)
    assert "white space" in token_problem(" alice", timedelta(minutes=5), most)
    assert "control characters" in token_problem("al\u200bice", timedelta(minutes=5), most)
    assert token_problem("alice", most, most) is None


def _budget_submitted_by(client, subject: str) -> str:
    body = {
        "fiscal_year": next(_years),
        "lines": [{"category": "sales", "period": "Q1", "amount": "1000.00"}],
    }
    drafted = client.post("/budgets", json=body, headers=bearer(subject, "finance"))
    assert drafted.status_code == 201, drafted.text
    bid = drafted.json()["id"]
    submitted = client.post(f"/budgets/{bid}/submit", json={}, headers=bearer(subject, "finance"))
    assert submitted.status_code == 200, submitted.text
    return bid


def test_segregation_of_duties_compares_subjects_trimmed_and_casefolded(client, position):
    bid = _budget_submitted_by(client, "adm-x")
    before = position()
    for alias in ("adm-x", "ADM-X", "Adm-X"):
        same = client.post(f"/budgets/{bid}/approve", json={}, headers=bearer(alias, "executive"))
        assert_problem(same, 403, "segregation_of_duties")
    now = int(time.time())
    spaced = {"sub": "adm-x ", "roles": ["executive"], "iat": now, "exp": now + 60}
    answer = client.post(f"/budgets/{bid}/approve", json={}, headers=signed(spaced))
    assert_problem(answer, 401, "unauthenticated")
    assert position() == before
    other = client.post(f"/budgets/{bid}/approve", json={}, headers=bearer("eve", "executive"))
    assert other.status_code == 200, other.text


def test_identity_rules_compare_subjects_casefolded(client, app, position):
    boss, ann = team(app)
    bid = approved_budget(app)
    claim = {
        "expense_type": "office",
        "amount": "120.00",
        "spent_on": time.strftime("%Y-%m-%d", time.gmtime()),
        "description": "paper",
        "receipt_ref": f"R-{next(_years)}",
        "budget_id": str(bid),
        "category": "sales",
        "period": "Q4",
    }
    submitted = client.post("/expense-claims", json=claim, headers=bearer(ann, "sales"))
    assert submitted.status_code == 201, submitted.text
    kid = submitted.json()["id"]
    before = position()
    own = client.post(
        f"/expense-claims/{kid}/approve", json={}, headers=bearer(ann.upper(), "finance")
    )
    assert_problem(own, 403, "segregation_of_duties")
    assert position() == before
    again = {**claim, "amount": "99.00", "receipt_ref": claim["receipt_ref"].lower()}
    duplicate = client.post("/expense-claims", json=again, headers=bearer(ann.upper(), "sales"))
    assert_problem(duplicate, 422, "duplicate_claim")
    manager = client.post(
        f"/expense-claims/{kid}/approve", json={}, headers=bearer(boss.upper(), "sales")
    )
    assert manager.status_code == 200, manager.text
    record = client.get(f"/employees/{ann}", headers=bearer(ann.upper(), "sales"))
    assert record.status_code == 200, record.text
