"""Fixtures: every persistence, projection and API test runs on SQLite and PostgreSQL.

PostgreSQL is the server at MOPS_TEST_POSTGRES_URL (default: 127.0.0.1:5432, database
`test`, trust auth); each test module gets a schema of its own, dropped afterwards.
When the server cannot be reached the PostgreSQL cases skip, unless
MOPS_TEST_REQUIRE_POSTGRES is set (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application.backoffice import Backoffice, Request
from application.permissions import Caller
from domain.errors import DomainError
from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.http.app import create_app
from interfaces.settings import Settings

POSTGRES_URL = os.environ.get("MOPS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("MOPS_TEST_REQUIRE_POSTGRES", "") not in ("", "0", "no")


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {error}".strip()


_POSTGRES_PROBLEM = _postgres_problem()


def _need_postgres() -> None:
    if _POSTGRES_PROBLEM is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"MOPS_TEST_REQUIRE_POSTGRES is set but {_POSTGRES_PROBLEM}")
    pytest.skip(_POSTGRES_PROBLEM)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    _need_postgres()
    return POSTGRES_URL


class Database:
    """A fresh database for tests: an SQLite file, or a PostgreSQL schema."""

    def __init__(self, dialect: str, url: str, drop: object = None) -> None:
        self.dialect = dialect
        self.url = url
        self._drop = drop

    def settings(self, **overrides: object) -> Settings:
        return Settings(database_url=self.url, jwt_secret=DEV_JWT_SECRET, **overrides)

    def env(self) -> dict[str, str]:
        return self.settings().persistence_env()

    def close(self) -> None:
        if callable(self._drop):
            self._drop()


def new_database(dialect: str, tmp_path_factory: pytest.TempPathFactory) -> Database:
    if dialect == "sqlite":
        path = tmp_path_factory.mktemp("db") / "mops.db"
        return Database("sqlite", f"sqlite:///{path}")
    _need_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return Database("postgres", f"{POSTGRES_URL}?schema={schema}", drop)


DIALECTS = ["sqlite", "postgres"]


@pytest.fixture(params=DIALECTS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A fresh, empty database per test, on each dialect."""
    db = new_database(request.param, tmp_path_factory)
    yield db
    db.close()


@pytest.fixture(params=DIALECTS, scope="module")
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A database shared by one test module, on each dialect."""
    db = new_database(request.param, tmp_path_factory)
    yield db
    db.close()


@dataclass(frozen=True)
class SeededDemo:
    """A database holding the demo company, with the CLI's environment and its output."""

    database: Database
    env: dict[str, str]
    output: str


@pytest.fixture(params=DIALECTS, scope="session")
def seeded_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeededDemo]:
    """`mops demo --customers 15 --seed 3`, written once per dialect for the tests that
    read it (they may rebuild and verify read models, never write events)."""
    from interfaces.cli import cli

    db = new_database(request.param, tmp_path_factory)
    env = {"MOPS_DATABASE_URL": db.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    demo = CliRunner().invoke(cli, ["demo", "--customers", "15", "--seed", "3"], env=env)
    assert demo.exit_code == 0, demo.output
    yield SeededDemo(db, env, " ".join(demo.output.split()))
    db.close()


@pytest.fixture(scope="module")
def services(module_database: Database) -> Iterator[Services]:
    """The back office and its read side, projections in-process, shared by a module."""
    wired = build(module_database.settings(), run_projections=True)
    yield wired
    wired.close()


@pytest.fixture(scope="module")
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


@pytest.fixture
def app(services: Services) -> Backoffice:
    """The back office of the module's services."""
    return services.backoffice


@pytest.fixture
def position(services: Services) -> Callable[[], int]:
    """The newest position of the event log, read when called."""
    return services.backoffice.max_position


def bearer(subject: str, *roles: str, ttl: timedelta = timedelta(hours=1)) -> dict[str, str]:
    """Headers carrying a token for a subject with roles."""
    return {"Authorization": f"Bearer {mint(DEV_JWT_SECRET, subject, list(roles), ttl)}"}


def as_(subject: str, *roles: str) -> Request:
    """An application request from a subject with roles."""
    return Request(Caller(subject, frozenset(roles)))


def refused(app, code: str, command):
    """The command is refused with the code, and the log does not grow."""
    before = app.max_position()
    with pytest.raises(DomainError) as refusal:
        command()
    assert refusal.value.code == code, refusal.value.detail
    assert app.max_position() == before
    return refusal.value


def assert_problem(response, status: int, code: str) -> dict:
    """The answer is a problem+json of the status and code; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


def unique(prefix: str = "Acme") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"
