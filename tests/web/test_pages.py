"""The web pages over the demo company, on SQLite and PostgreSQL: sessions, read rules,
languages, every list and report, and figures equal to the API's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from fastapi.testclient import TestClient

from interfaces.web.catalogue import COLLECTIONS, REPORTS
from interfaces.web.i18n import translations
from interfaces.web.page import SESSION_COOKIE
from tests.conftest import bearer
from tests.web.conftest import ADMIN, session, token

TEMPLATES = Path(__file__).parents[2] / "interfaces" / "web" / "templates"


def test_a_page_without_a_session_redirects_to_sign_in(pages: TestClient) -> None:
    answer = pages.get("/ui/customers?status=lead")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/sign-in?next=%2Fui%2Fcustomers%3Fstatus%3Dlead"
    assert pages.get("/ui/sign-in").status_code == 200


def test_a_forged_or_expired_session_is_no_session(pages: TestClient) -> None:
    forged = token("it-admin", "admin")[:-4] + "AAAA"
    answer = pages.get("/ui", headers={"Cookie": f"{SESSION_COOKIE}={forged}"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/sign-in")


def test_signing_in_sets_an_http_only_strict_cookie_and_goes_back(pages: TestClient) -> None:
    answer = pages.post(
        "/ui/sign-in",
        content=f"token={token('it-admin', 'admin')}&next=%2Fui%2Frisks",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/risks"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    lifetime = re.search(r"Max-Age=(\d+)", cookie)
    assert lifetime is not None and 3500 <= int(lifetime.group(1)) <= 3600


def test_a_bad_token_signs_nobody_in_and_next_never_leaves_the_site(pages: TestClient) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    bad = pages.post("/ui/sign-in", content="token=nonsense&next=%2Fui", headers=form)
    assert bad.status_code == 401
    assert "set-cookie" not in bad.headers
    assert bad.headers["content-type"].startswith("text/html")
    away = pages.post(
        "/ui/sign-in", content=f"token={token('x', 'sales')}&next=https://evil.test/", headers=form
    )
    assert away.headers["location"] == "/ui"


def test_the_audit_log_is_a_403_page_for_sales(pages: TestClient) -> None:
    answer = pages.get("/ui/audit", headers=session("s-1", "sales"))
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert 'data-code="forbidden"' in answer.text
    assert pages.get("/ui/audit", headers=session("a-1", "auditor")).status_code == 200


def test_an_employee_record_is_a_403_page_for_sales_but_readable_by_hr(pages: TestClient) -> None:
    employees = pages.get("/employees", headers=bearer("hr-1", "hr")).json()["items"]
    path = f"/ui/employees/{employees[0]['id']}"
    assert pages.get(path, headers=session("s-1", "sales")).status_code == 403
    readable = pages.get(path, headers=session("hr-1", "hr"))
    assert readable.status_code == 200
    assert employees[0]["name"] in readable.text


def test_the_audit_page_shows_the_chain_verified(pages: TestClient) -> None:
    answer = pages.get("/ui/audit", headers=ADMIN)
    verdict = pages.get("/audit/verify", headers=bearer("it-admin", "admin")).json()
    assert verdict["ok"] is True
    assert 'data-ok="true"' in answer.text
    assert f"{verdict['verified_to']}" in answer.text


@pytest.mark.parametrize("collection", sorted(COLLECTIONS))
def test_every_list_page_answers_for_an_admin(pages: TestClient, collection: str) -> None:
    answer = pages.get(f"/ui/{collection}", headers=ADMIN)
    assert answer.status_code == 200, answer.text[:500]
    api = pages.get(f"/{collection}?limit=50", headers=bearer("it-admin", "admin")).json()
    for item in api["items"]:
        assert f'href="/ui/{collection}/{item["id"]}"' in answer.text


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_report_page_answers_for_an_admin(pages: TestClient, name: str) -> None:
    answer = pages.get(f"/ui/reports/{name}", headers=ADMIN)
    assert answer.status_code == 200, answer.text[:500]


def test_a_list_filters_as_its_api_does_and_names_people(pages: TestClient) -> None:
    api = pages.get("/contracts?status=active&limit=50", headers=bearer("a", "admin")).json()
    answer = pages.get("/ui/contracts?status=active", headers=ADMIN)
    rows = re.findall(r'data-field="status" data-value="([a-z_]+)"', answer.text)
    assert rows == ["active"] * len(api["items"]) and rows
    owner = api["items"][0]["owner_id"]
    name = pages.get(f"/employees/{owner}", headers=bearer("a", "admin")).json()["name"]
    assert f'title="{owner}">{name}</a>' in answer.text


def test_an_aggregate_shows_its_state_at_a_version(pages: TestClient) -> None:
    customer = pages.get("/customers?limit=1", headers=bearer("a", "admin")).json()["items"][0]
    path = f"/ui/customers/{customer['id']}"
    now = pages.get(path, headers=ADMIN)
    assert now.status_code == 200
    assert now.text.count('<li data-position="') == customer["version"]
    then = pages.get(f"{path}?version=1", headers=ADMIN)
    assert f"version 1 of {customer['version']}" in then.text
    assert re.search(r'data-field="version">\s*1\s*<', then.text)
    assert pages.get(f"{path}?version=x", headers=ADMIN).status_code == 422


def test_the_dashboard_figures_are_the_apis(pages: TestClient) -> None:
    answer = pages.get("/ui?period=2026", headers=ADMIN)
    kpis = pages.get("/reports/kpis/company?period=2026", headers=bearer("a", "admin")).json()
    row = kpis["items"][0]
    assert f'data-kpi="revenue" data-value="{row["revenue"]}"' in answer.text
    assert f'data-kpi="contracts_signed" data-value="{row["contracts_signed"]}"' in answer.text
    assert answer.text.count('class="heat ') == 25


def test_chinese_by_query_or_accept_language(pages: TestClient) -> None:
    assert "仪表板" in pages.get("/ui?lang=zh", headers=ADMIN).text
    header = {**ADMIN, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    assert "客户" in pages.get("/ui/customers", headers=header).text
    english = pages.get("/ui/customers", headers={**ADMIN, "Accept-Language": "en-GB"})
    assert ">Customers<" in english.text and "仪表板" not in english.text


def test_the_pages_are_not_in_the_openapi_document(pages: TestClient) -> None:
    paths = pages.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]


def test_every_label_of_the_templates_has_a_chinese_translation() -> None:
    chinese = translations("zh")
    missing = [
        message
        for template in sorted(TEMPLATES.glob("*.html"))
        for _, message, _, _ in extract_from_file("jinja2", str(template))
        if isinstance(message, str) and chinese.gettext(message) == message
    ]
    assert not missing
    assert chinese.gettext("Dashboard") == "仪表板"
