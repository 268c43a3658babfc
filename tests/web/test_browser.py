"""The pages in a real browser (Debian's Chromium driven by Playwright) over the demo
company, on SQLite and PostgreSQL: sign in, the dashboard against the API's figures, a
list to an aggregate and its history, Chinese, and no request leaving the server.

Screenshots land in tests/artifacts/. Without /usr/bin/chromium the tests skip, unless
CI or MOPS_TEST_REQUIRE_POSTGRES is set: then they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from interfaces.bootstrap import Services
from interfaces.http.app import create_app
from tests.web.conftest import token

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
STRICT = any(
    os.environ.get(name, "") not in ("", "0", "no") for name in ("CI", "MOPS_TEST_REQUIRE_POSTGRES")
)


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is absent (apt-get install chromium); the browser tests need it"
    if STRICT:
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_services: Services) -> Iterator[str]:
    """The app over the demo company, served by uvicorn in a thread on a free port."""
    _need_chromium()
    port = _free_port()
    config = uvicorn.Config(
        create_app(services=demo_services), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh browser page that records the host of every request it makes."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.requested = []
    tab.on("request", lambda request: tab.requested.append(request.url))
    yield tab
    context.close()


def sign_in(tab: Any, server: str, *roles: str) -> None:
    tab.goto(f"{server}/ui/customers")
    assert urlsplit(tab.url).path == "/ui/sign-in"
    tab.fill("textarea[name=token]", token("it-admin", *roles))
    tab.click("form.stack button[type=submit]")
    tab.wait_for_url(f"{server}/ui/customers")


def shot(tab: Any, name: str, dialect: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}-{dialect}.png"), full_page=True)


def api(server: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {token('it-admin', 'admin')}"}
    return httpx.get(f"{server}{path}", headers=headers, timeout=30).json()


def only_local(tab: Any, server: str) -> None:
    hosts = {urlsplit(url).netloc for url in tab.requested if not url.startswith("data:")}
    assert hosts == {urlsplit(server).netloc}, tab.requested


def test_the_dashboard_shows_the_apis_figures(page: Any, server: str, seeded_demo: Any) -> None:
    dialect = seeded_demo.database.dialect
    sign_in(page, server, "admin")
    page.goto(f"{server}/ui?period=2026&lang=en")
    kpis = api(server, "/reports/kpis/company?period=2026")["items"][0]
    revenue = page.locator('[data-kpi="revenue"]')
    assert revenue.get_attribute("data-value") == kpis["revenue"]
    figure = "{:,.2f}".format(float(kpis["revenue"]))
    assert figure in revenue.inner_text()
    assert page.locator("#risks svg rect.heat").count() == 25
    assert page.locator("#revenue svg rect.bar").count() >= 1
    shot(page, "dashboard-en", dialect)
    page.goto(f"{server}/ui?period=2026&lang=zh")
    assert page.locator("nav.main a").first.inner_text() == "仪表板"
    assert "收入" in page.locator('[data-kpi="revenue"] .name').inner_text()
    shot(page, "dashboard-zh", dialect)
    only_local(page, server)


def test_a_list_leads_to_an_aggregate_and_its_history(
    page: Any, server: str, seeded_demo: Any
) -> None:
    dialect = seeded_demo.database.dialect
    sign_in(page, server, "admin")
    page.goto(f"{server}/ui/contracts?lang=en")
    shot(page, "list-contracts-en", dialect)
    first = page.locator("table.grid tbody tr").first.locator("td a").first
    href = first.get_attribute("href")
    first.click()
    page.wait_for_url(f"{server}{href}")
    contract = api(server, href.removeprefix("/ui"))
    history = api(server, f"{href.removeprefix('/ui')}/history?limit=1000")["items"]
    assert page.locator("ol.timeline li").count() == len(history)
    assert page.locator("ol.timeline li .type").first.inner_text() == history[0]["type"]
    shot(page, "aggregate-with-history-en", dialect)
    page.select_option("select[name=version]", "1")
    page.click("form.picker button[type=submit]")
    page.wait_for_url("**version=1**")
    assert f"version 1 of {contract['version']}" in page.locator(".note").inner_text()
    page.goto(f"{server}{href}?lang=zh")
    assert page.locator("section.card h2").nth(1).inner_text() == "历史"
    shot(page, "aggregate-with-history-zh", dialect)
    only_local(page, server)


def test_a_report_with_its_parameters_in_both_languages(
    page: Any, server: str, seeded_demo: Any
) -> None:
    dialect = seeded_demo.database.dialect
    sign_in(page, server, "admin")
    page.goto(f"{server}/ui/reports/sales?lang=en")
    page.check("input[name=group_by][value=quarter]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**group_by=quarter**")
    rows = api(server, "/reports/sales?group_by=month&group_by=quarter")["items"]
    assert page.locator("table.grid tbody tr").count() == len(rows)
    shot(page, "report-sales-en", dialect)
    page.goto(f"{server}/ui/reports/sales?lang=zh")
    assert page.locator("label", has_text="分组").count() >= 1
    shot(page, "report-sales-zh", dialect)
    page.goto(f"{server}/ui/customers?lang=zh")
    shot(page, "list-customers-zh", dialect)
    only_local(page, server)
