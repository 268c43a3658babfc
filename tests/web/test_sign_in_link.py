"""The one-time sign-in link of `mops token --link`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from interfaces.bootstrap import DEV_JWT_SECRET, Services
from interfaces.cli import cli
from interfaces.web.page import SESSION_COOKIE
from interfaces.web.sign_in_codes import codes_of
from tests.conftest import Database
from tests.web.conftest import token


def link(database: Database) -> str:
    env = {
        "MOPS_DATABASE_URL": database.url,
        "MOPS_JWT_SECRET": DEV_JWT_SECRET,
        "MOPS_PUBLIC_URL": "https://mops.example.cn/",
    }
    minted = CliRunner().invoke(
        cli, ["token", "--sub", "ada", "--role", "admin", "--link"], env=env
    )
    assert minted.exit_code == 0, minted.output
    return minted.output.strip()


def test_a_link_signs_in_once(client: TestClient, module_database: Database) -> None:
    printed = link(module_database)
    url = urlsplit(printed)
    assert (url.scheme, url.netloc, url.path) == ("https", "mops.example.cn", "/ui/sign-in")
    [code] = parse_qs(url.query)["code"]
    assert "." not in code  # a random code, not the token (a JWT has dots)
    first = client.get(f"/ui/sign-in?code={code}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/ui"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    again = client.get(f"/ui/sign-in?code={code}", follow_redirects=False)
    assert again.status_code == 401
    assert "set-cookie" not in again.headers
    assert "used already or has expired" in again.text


def test_an_unknown_or_expired_code_signs_nobody_in(client: TestClient, services: Services) -> None:
    unknown = client.get("/ui/sign-in?code=nothing-like-it", follow_redirects=False)
    assert unknown.status_code == 401 and "set-cookie" not in unknown.headers
    codes = codes_of(services.backoffice)
    stale = codes.issue(token("ada", "admin"), now=datetime.now(UTC) - timedelta(minutes=11))
    expired = client.get(f"/ui/sign-in?code={stale}", follow_redirects=False)
    assert expired.status_code == 401 and "set-cookie" not in expired.headers
    fresh = codes.issue(token("ada", "admin"))
    assert codes.redeem(fresh) is not None
    assert codes.redeem(fresh) is None
