"""The export links of the list and report pages: the API's CSV and Excel exports, under the
session's read rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import bearer
from tests.web.conftest import ADMIN, session


def test_a_list_page_links_its_csv_and_excel_files(pages: TestClient) -> None:
    page = pages.get("/ui/customers?status=customer", headers=ADMIN)
    assert page.status_code == 200
    assert 'href="/ui/export/customers?status=customer&amp;format=csv"' in page.text
    exported = pages.get("/ui/export/customers?status=customer&format=csv", headers=ADMIN)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    api = pages.get("/customers?status=customer&format=csv", headers=bearer("it-admin", "admin"))
    assert rows == list(csv.DictReader(io.StringIO(api.text)))
    assert rows and all(row["status"] == "customer" for row in rows)


def test_a_report_page_links_its_workbook(pages: TestClient) -> None:
    page = pages.get("/ui/reports/sales?group_by=month", headers=ADMIN)
    assert 'href="/ui/export/reports/sales?group_by=month&amp;format=xlsx"' in page.text
    exported = pages.get("/ui/export/reports/sales?group_by=month&format=xlsx", headers=ADMIN)
    assert exported.status_code == 200, exported.text
    sheet = load_workbook(io.BytesIO(exported.content), read_only=True).active
    header = next(sheet.iter_rows(values_only=True))
    assert "month" in header and "revenue" in header


def test_exports_keep_the_session_callers_read_rules(pages: TestClient) -> None:
    refused = pages.get("/ui/export/audit/events?format=csv", headers=session("sam", "sales"))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    nowhere = pages.get("/ui/export/ui?format=csv", headers=ADMIN)
    assert nowhere.status_code == 404
    signed_out = pages.get("/ui/export/customers?format=csv", follow_redirects=False)
    assert signed_out.status_code == 303
