"""Fixtures of the web pages' tests: the demo company served by the app, and sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.http.app import create_app
from interfaces.web.page import SESSION_COOKIE
from tests.conftest import SeededDemo


@pytest.fixture(scope="module")
def demo_services(seeded_demo: SeededDemo) -> Iterator[Services]:
    """The back office over the demo company, its read side folding in this process."""
    wired = build(seeded_demo.database.settings(), run_projections=True)
    yield wired
    wired.close()


@pytest.fixture(scope="module")
def pages(demo_services: Services) -> Iterator[TestClient]:
    """A client of the app serving the demo company; it follows no redirect by itself."""
    with TestClient(create_app(services=demo_services), follow_redirects=False) as client:
        yield client


def token(subject: str, *roles: str) -> str:
    return mint(DEV_JWT_SECRET, subject, list(roles), timedelta(hours=1))


def session(subject: str, *roles: str) -> dict[str, str]:
    """Headers carrying a session cookie for a subject with roles."""
    return {"Cookie": f"{SESSION_COOKIE}={token(subject, *roles)}"}


ADMIN = session("it-admin", "admin")
