"""Every list and report as CSV and as an Excel workbook (API.md, Queries), over the demo
company on SQLite and PostgreSQL: each export holds the JSON rows of every page, one
column per field, money as plain decimals; filters apply; the file is named after the
report and its parameters; refusals stay problem+json."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from interfaces.bootstrap import Services, build
from interfaces.http import exports
from interfaces.http.app import create_app
from interfaces.http.tabular import Spool, write_workbook
from tests.conftest import Database, assert_problem, bearer

ADMIN = bearer("export-admin", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
# Exports ask their route for pages this small here, so that each crosses many pages.
PAGE_SIZE = 3
AS_OF = datetime.now(UTC).date().isoformat()  # the end of today: after every write
DUE_BY = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
# Parameters a report needs, or that make its rows many; every report gets `as_of` too
# (a fixed moment: a report computed "now" would differ from one call to the next).
PARAMETERS: dict[str, dict[str, str]] = {
    "/reports/sales": {"group_by": "month,customer"},
    "/reports/complaints": {"group_by": "category"},
    "/reports/pipeline": {"group_by": "stage"},
    "/reports/follow-ups": {"due_by": DUE_BY},
}


def _exported_paths() -> list[str]:
    app = create_app()
    return sorted(
        {route.path for route in exports._routes(app.routes) if exports.exportable(route)}
    )


EXPORTED = _exported_paths()


TODAY = datetime.now(UTC).date()


def _post(client: TestClient, path: str, body: dict[str, Any]) -> str:
    answer = client.post(path, json=body, headers=ADMIN)
    assert answer.status_code in (200, 201), (path, answer.text)
    return str(answer.json()["id"])


def write_company(client: TestClient) -> None:
    """A small company through the API: more rows than a few export pages of each list."""
    later = (TODAY + timedelta(days=90)).isoformat()
    for i in range(11):
        contact = {"name": f"Li {i}", "email": f"li{i}@example.com"}
        customer = _post(
            client,
            "/customers",
            {
                "name": f"Export {i} 张",
                "kind": "company",
                "source": "web",
                "region": "east",
                "contacts": [contact],
                "tags": ["a", "=b"],
            },
        )
        if i % 2:
            _post(client, f"/customers/{customer}/qualify", {})
        if i < 5:
            assessment = {
                "rating": "A",
                "score": 80 + i,
                "credit_limit": f"{1000 * i}.50",
                "max_payment_term_days": 60,
                "guarantee_required": False,
                "valid_until": later,
                "basis": "accounts",
            }
            _post(client, f"/customers/{customer}/credit-assessments", assessment)
            line = {"sku": f"SKU-{i}", "quantity": 2, "unit_price": "10.25", "unit_cost": "4.10"}
            _post(
                client,
                "/contracts",
                {
                    "customer_id": customer,
                    "channel": "direct",
                    "lines": [line],
                    "payment_term_days": 30,
                    "delivery_due_on": later,
                },
            )
            _post(
                client,
                "/complaints",
                {
                    "customer_id": customer,
                    "channel": "hotline",
                    "category": "delivery",
                    "severity": "high",
                    "description": "late",
                },
            )
            _post(
                client,
                "/opportunities",
                {
                    "customer_id": customer,
                    "title": f"Deal {i}",
                    "expected_value": "500.00",
                    "expected_close_on": later,
                },
            )
    for i, category in enumerate(["market", "credit", "operational", "legal"]):
        risk = _post(
            client,
            "/risks",
            {"category": category, "title": f"Risk {i}", "description": "may happen"},
        )
        _post(
            client,
            f"/risks/{risk}/assess",
            {"likelihood": 1 + i, "impact": 4, "rationale": "seen before"},
        )
        due = (TODAY - timedelta(days=1)).isoformat() if i < 2 else later
        _post(client, f"/risks/{risk}/actions", {"description": "watch", "due_on": due})
    lines = [
        {"category": c, "period": p, "amount": "1000.00"}
        for c in ("sales", "promotion")
        for p in ("Q1", "Q2")
    ]
    _post(client, "/budgets", {"fiscal_year": TODAY.year, "lines": lines})
    for i in range(4):
        _post(
            client,
            "/employees",
            {"name": f"Wang {i}", "position": "analyst", "department": "sales"},
        )


@pytest.fixture(scope="module")
def demo(module_database: Database) -> Iterator[TestClient]:
    """A small company served, its read side folding here; exports page by 3 rows."""
    services: Services = build(module_database.settings(read_wait_seconds=60), run_projections=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exports, "PAGE_SIZE", PAGE_SIZE)
        try:
            with TestClient(create_app(services=services)) as client:
                write_company(client)
                yield client
        finally:
            services.close()


def json_rows(client: TestClient, path: str, params: dict[str, str]) -> tuple[int, Any]:
    """Every row of a list, page after page, or a report's one object; status first."""
    response = client.get(path, params={**params, "limit": "1000"}, headers=ADMIN)
    if response.status_code != 200:
        return response.status_code, response.json()
    body = response.json()
    if not isinstance(body.get("items"), list):
        return 200, body
    rows = list(body["items"])
    while body.get("next_cursor"):
        page = client.get(
            path, params={**params, "limit": "1000", "cursor": body["next_cursor"]}, headers=ADMIN
        )
        assert page.status_code == 200, page.text
        body = page.json()
        rows += body["items"]
    return 200, rows


def flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """API.md's columns: nested objects as `overdue.1_30`, lists kept whole."""
    columns: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            columns.update(flat(value, f"{prefix}{key}."))
        else:
            columns[f"{prefix}{key}"] = value
    return columns


def same_csv(text: str, value: Any) -> bool:
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, list):
        return json.loads(text) == value
    if isinstance(value, (int, float)):
        return float(text) == value
    return text == value


def same_cell(cell: Any, value: Any) -> bool:
    if value is None:
        return cell is None
    if isinstance(value, list):
        return json.loads(cell) == value
    if isinstance(value, str) and DECIMAL.fullmatch(value):  # money: a number
        return isinstance(cell, (int, float)) and Decimal(str(cell)) == Decimal(value)
    if isinstance(value, float):
        return isinstance(cell, (int, float)) and cell == value
    return cell == value and type(cell) is type(value)


def assert_table(header: list[str], cells: list[list[Any]], rows: list[Any], same: Any) -> None:
    """The table holds the rows in order, a column per field, the first row's first."""
    flats = [flat(row) for row in rows]
    assert len(cells) == len(flats)
    assert set(header) == {key for columns in flats for key in columns}
    if flats:
        assert [name for name in header if name in flats[0]] == list(flats[0])
    for line, columns in zip(cells, flats, strict=True):
        for name, cell in zip(header, line, strict=True):
            assert same(cell, columns.get(name)), (name, cell, columns.get(name))


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    return (lines[0], lines[1:]) if lines else ([], [])


def read_xlsx(content: bytes) -> dict[str, tuple[list[str], list[list[Any]]]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    sheets = {}
    for sheet in workbook.worksheets:
        lines = [list(line) for line in sheet.iter_rows(values_only=True)]
        width = len(lines[0]) if lines else 0  # a row's empty cells at its end are not stored
        lines = [line + [None] * (width - len(line)) for line in lines]
        sheets[sheet.title] = (lines[0], lines[1:]) if lines else ([], [])
    return sheets


def tables(answer: Any) -> dict[str, list[Any]]:
    """A report object's tables as API.md's exports take them: its lists, then the rest."""
    if isinstance(answer, list):
        return {"rows": answer}
    found = {k: v for k, v in answer.items() if isinstance(v, list)}
    found = {k: v for k, v in found.items() if all(isinstance(i, dict) for i in v)}
    rest = {k: v for k, v in answer.items() if k not in found}
    return {**found, **({"report": [rest]} if rest or not found else {})}


def concrete(client: TestClient, path: str) -> str:
    """The path with each id a real one: the first of the collection named before it."""
    segments = path.strip("/").split("/")
    for i, segment in enumerate(segments):
        if segment.startswith("{"):
            if segment == "{name}" and segments[i - 1] == "departments":
                segments[i] = "sales"
                continue
            listed = client.get(f"/{segments[i - 1]}", params={"limit": 1}, headers=ADMIN)
            assert listed.status_code == 200, (path, listed.text)
            if not listed.json()["items"]:
                pytest.skip(f"the test company has no {segments[i - 1]}")
            segments[i] = listed.json()["items"][0]["id"]
    return "/" + "/".join(segments)


@pytest.mark.parametrize("template", EXPORTED)
def test_every_list_and_report_exports_every_json_row_as_csv_and_xlsx(demo, template):
    path = concrete(demo, template)
    params = dict(PARAMETERS.get(template, {}))
    if template.startswith("/reports/"):
        params["as_of"] = AS_OF
    status, answer = json_rows(demo, path, params)
    as_csv = demo.get(path, params={**params, "format": "csv"}, headers=ADMIN)
    as_xlsx = demo.get(path, params={**params, "format": "xlsx"}, headers=ADMIN)
    if status != 200:  # a route that needs what this test cannot know refuses alike
        for export in (as_csv, as_xlsx):
            assert_problem(export, status, answer["code"])
        return
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-type"] == XLSX
    found = tables(answer)
    first = next(iter(found.values()))
    header, cells = read_csv(as_csv.content)
    assert_table(header, cells, first, same_csv)
    sheets = read_xlsx(as_xlsx.content)
    assert len(sheets) == len(found)
    for (header, cells), rows in zip(sheets.values(), found.values(), strict=True):
        assert_table(header, cells, rows, same_cell)


@pytest.mark.parametrize(
    "path", ["/customers", "/contracts", "/audit/events", "/complaints", "/reports/credit"]
)
def test_an_export_crosses_many_pages_of_the_route(demo, path):
    params = {"as_of": AS_OF, **PARAMETERS.get(path, {})} if path.startswith("/reports") else {}
    status, rows = json_rows(demo, path, params)
    assert status == 200 and len(rows) > PAGE_SIZE, rows
    header, cells = read_csv(
        demo.get(path, params={**params, "format": "csv"}, headers=ADMIN).content
    )
    assert len(cells) == len(rows)
    assert cells[-1][header.index("id" if "id" in header else header[0])] == csv_first(rows[-1])


def csv_first(row: dict[str, Any]) -> str:
    value = row.get("id", next(iter(flat(row).values())))
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def test_accept_text_csv_answers_csv_and_json_stays_the_default(demo):
    as_csv = demo.get("/customers", headers={**ADMIN, "Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    header, cells = read_csv(as_csv.content)
    _, rows = json_rows(demo, "/customers", {})
    assert_table(header, cells, rows, same_csv)
    preferring_json = {**ADMIN, "Accept": "application/json, text/csv;q=0.5"}
    assert demo.get("/customers", headers=preferring_json).headers["content-type"] == (
        "application/json"
    )
    assert demo.get("/customers", headers={**ADMIN, "Accept": "*/*"}).json()["items"]
    as_json = demo.get("/customers", params={"format": "json", "limit": 2}, headers=ADMIN)
    assert len(as_json.json()["items"]) == 2


def test_filters_apply_to_exports(demo):
    _, everyone = json_rows(demo, "/customers", {})
    kept = everyone[0]["status"]
    _, filtered = json_rows(demo, "/customers", {"status": kept})
    assert 0 < len(filtered) < len(everyone)
    header, cells = read_csv(
        demo.get("/customers", params={"status": kept, "format": "csv"}, headers=ADMIN).content
    )
    assert_table(header, cells, filtered, same_csv)
    assert {line[header.index("status")] for line in cells} == {kept}
    params = {"group_by": "month", "from": "2026-01-01", "as_of": AS_OF}
    _, months = json_rows(demo, "/reports/sales", params)
    sheets = read_xlsx(
        demo.get("/reports/sales", params={**params, "format": "xlsx"}, headers=ADMIN).content
    )
    header, cells = sheets["sales"]
    assert_table(header, cells, months, same_cell)
    assert all(line[header.index("month")] >= "2026-01" for line in cells)


def test_the_file_is_named_after_the_report_and_its_parameters(demo):
    answer = demo.get(
        "/reports/sales",
        params={"group_by": "month", "from": "2026-01-01", "format": "csv", "limit": 5},
        headers=ADMIN,
    )
    assert answer.headers["content-disposition"] == (
        'attachment; filename="sales_group_by-month_from-2026-01-01.csv"'
    )
    budget = concrete(demo, "/reports/budgets/{budget_id}")
    answer = demo.get(budget, params={"format": "xlsx", "as_of": "2026-03-31"}, headers=ADMIN)
    budget_id = budget.rsplit("/", 1)[1]
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="budgets-{budget_id}_as_of-2026-03-31.xlsx"'
    )
    answer = demo.get("/customers", params={"q": "张", "format": "csv"}, headers=ADMIN)
    assert answer.headers["content-disposition"] == (
        "attachment; filename=\"customers_q--.csv\"; filename*=UTF-8''customers_q-%E5%BC%A0.csv"
    )


def test_a_report_of_one_object_exports_its_lists_and_the_rest(demo):
    params = {"as_of": AS_OF}
    _, report = json_rows(demo, "/reports/risks", params)
    assert report["register"] and report["overdue_actions"]
    sheets = read_xlsx(
        demo.get("/reports/risks", params={**params, "format": "xlsx"}, headers=ADMIN).content
    )
    assert list(sheets) == ["register", "overdue_actions", "indicators", "report"]
    assert "heat_map.3-4" in sheets["report"][0]
    header, cells = read_csv(
        demo.get(
            "/reports/risks",
            params={**params, "format": "csv", "table": "overdue_actions"},
            headers=ADMIN,
        ).content
    )
    assert_table(header, cells, report["overdue_actions"], same_csv)
    budget = concrete(demo, "/reports/budgets/{budget_id}")
    _, execution = json_rows(demo, budget, params)
    header, cells = read_csv(
        demo.get(budget, params={**params, "format": "csv"}, headers=ADMIN).content
    )
    assert_table(header, cells, execution["lines"], same_csv)
    assert any(DECIMAL.fullmatch(text) for line in cells for text in line)


def test_refusals_stay_problem_json_and_write_nothing(demo):
    head = demo.get("/audit/events", params={"limit": 1000}, headers=ADMIN).json()
    before = len(head["items"])
    assert_problem(demo.get("/customers", params={"format": "csv"}), 401, "unauthenticated")
    sales = bearer("sam", "sales")
    refused = demo.get("/audit/events", params={"format": "xlsx"}, headers=sales)
    assert_problem(refused, 403, "forbidden")
    refused = demo.get("/audit/events", headers={**sales, "Accept": "text/csv"})
    assert_problem(refused, 403, "forbidden")
    bad_filter = {"group_by": "colour", "format": "csv"}
    body = assert_problem(
        demo.get("/reports/sales", params=bad_filter, headers=ADMIN), 422, "validation_error"
    )
    assert body["errors"][0]["field"] == "group_by"
    body = assert_problem(
        demo.get("/customers", params={"format": "pdf"}, headers=ADMIN), 422, "validation_error"
    )
    assert body["errors"] == [{"field": "format", "message": "must be one of csv, xlsx, json"}]
    body = assert_problem(
        demo.get("/reports/risks", params={"format": "csv", "table": "nope"}, headers=ADMIN),
        422,
        "validation_error",
    )
    assert body["errors"][0]["field"] == "table"
    unknown = "/reports/budgets/00000000-0000-4000-8000-000000000000"
    assert_problem(demo.get(unknown, params={"format": "csv"}, headers=ADMIN), 404, "not_found")
    after = demo.get("/audit/events", params={"limit": 1000}, headers=ADMIN).json()
    assert len(after["items"]) == before


def test_the_openapi_document_offers_csv_and_xlsx_on_lists_and_reports(demo):
    document = demo.get("/openapi.json").json()
    for path in ("/customers", "/reports/sales", "/reports/budgets/{budget_id}"):
        operation = document["paths"][path]["get"]
        assert {"application/json", "text/csv", XLSX} <= set(
            operation["responses"]["200"]["content"]
        )
        assert "format" in {p["name"] for p in operation["parameters"]}
    single = document["paths"]["/customers/{customer_id}"]["get"]
    assert "text/csv" not in single["responses"]["200"].get("content", {})


def test_a_later_row_adds_its_columns_beside_their_siblings_and_text_stays_text(tmp_path):
    spool = Spool("rows")
    spool.add([{"name": "=1+1", "owed": "12.50", "by": {"a": 1}, "ok": True}])
    spool.add([{"name": "b", "owed": "-3.125", "by": {"a": 2, "b": 3}, "ok": None, "n": 0.25}])
    assert spool.columns.names == ["name", "owed", "by.a", "by.b", "ok", "n"]
    out = tmp_path / "t.xlsx"
    with out.open("wb") as file:
        write_workbook([spool], file)
    spool.close()
    sheet = load_workbook(out).worksheets[0]
    lines = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert lines[1] == ["=1+1", 12.5, 1, None, True, None]
    assert sheet["A2"].data_type == "s"  # text, never a formula
    assert sheet["B2"].number_format == "#,##0.00" and sheet["B3"].number_format == "#,##0.000"
    assert lines[2] == ["b", -3.125, 2, 3, None, 0.25]
