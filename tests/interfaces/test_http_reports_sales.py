"""`/reports/sales`, `/reports/credit` and `/reports/credit/alerts` over HTTP, both databases.

The figures come from the scenario of `tests/projections/test_sales_credit_scenario.py`
(worked by hand there); here: the JSON shapes, parameters, pagination and refusals.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from application.commands.customers import AssessCredit, RegisterLead
from application.permissions import ROLES
from interfaces.http.app import create_app
from interfaces.http.reads import encode_cursor
from tests.conftest import as_, bearer
from tests.projections.test_sales_credit_scenario import run_scenario

AUDITOR = bearer("audrey", "auditor")


@pytest.fixture(scope="module")
def scenario(module_database):
    services, ids = run_scenario(module_database)
    with TestClient(create_app(services=services)) as client:
        yield client, services, ids
    services.close()


@pytest.fixture
def http(scenario):
    return scenario[0]


@pytest.fixture
def ids(scenario):
    return scenario[2]


def assert_validation_error(response, field):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == [field]


def test_reports_need_a_token(http):
    for path in ("/reports/sales", "/reports/credit", "/reports/credit/alerts"):
        response = http.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_reads_the_reports(http, role):
    headers = bearer(f"user-{role}", role)
    for path in (
        "/reports/sales?group_by=month",
        "/reports/credit?as_of=2026-03-31",
        "/reports/credit/alerts?as_of=2026-03-31",
    ):
        response = http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["items"]


def test_sales_rows_carry_the_group_keys_and_money_as_strings(http, ids):
    response = http.get(
        "/reports/sales",
        params={"group_by": "customer,sku", "from": "2026-02-01", "to": "2026-02-28"},
        headers=AUDITOR,
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "items": [
            {
                "customer_id": ids["C1"],
                "sku": "A",
                "contracts_signed": 1,
                "revenue": "5000.00",
                "cost": "3000.00",
                "gross_profit": "2000.00",
                "units": 50,
                "units_delivered": 0,
                "invoiced": "500.00",
                "collected": "500.00",
                "written_off": "0.00",
                # API.md: penalties and interest apart from revenue (none here).
                "penalties": "0.00",
                "interest_charged": "0.00",
            },
            {
                "customer_id": ids["C1"],
                "sku": "B",
                "contracts_signed": 0,
                "revenue": "0.00",
                "cost": "0.00",
                "gross_profit": "0.00",
                "units": 0,
                "units_delivered": 2,
                "invoiced": "300.00",
                "collected": "300.00",
                "written_off": "0.00",
                # API.md: penalties and interest apart from revenue (none here).
                "penalties": "0.00",
                "interest_charged": "0.00",
            },
        ],
        "next_cursor": None,
    }
    assert "as_of" not in body
    repeated = http.get(
        "/reports/sales?group_by=customer&group_by=sku&from=2026-02-01&to=2026-02-28",
        headers=AUDITOR,
    )
    assert repeated.json() == body


def test_sales_group_keys_answer_under_their_row_names(http):
    response = http.get(
        "/reports/sales",
        params={"group_by": "quarter,region,channel,owner"},
        headers=AUDITOR,
    )
    keys = [
        (r["quarter"], r["region"], r["channel"], r["owner_id"]) for r in response.json()["items"]
    ]
    assert keys == [
        ("2026-Q1", "east", "agent", "sue"),
        ("2026-Q1", "north", "direct", "sam"),
        ("2026-Q2", "east", "agent", "sue"),
    ]
    totals = http.get("/reports/sales", headers=AUDITOR).json()["items"]
    assert [(t["revenue"], t["collected"], t["written_off"]) for t in totals] == [
        ("9600.00", "1900.01", "500.00")
    ]


def test_sales_pages_with_a_cursor(http):
    everything = http.get("/reports/sales?group_by=month,sku", headers=AUDITOR).json()
    assert everything["next_cursor"] is None
    seen, cursor = [], None
    while True:
        params = {"group_by": "month,sku", "limit": 3} | ({"cursor": cursor} if cursor else {})
        page = http.get("/reports/sales", params=params, headers=AUDITOR).json()
        assert len(page["items"]) <= 3
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything["items"]
    assert len(seen) == 8


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=week", "group_by"),
        ("group_by=month,customer_id", "group_by"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-01T00:00:00Z", "from"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("cursor=nonsense", "cursor"),
        (f"cursor={encode_cursor(-1)}", "cursor"),
        (f"cursor={encode_cursor(2**70)}", "cursor"),
    ],
)
def test_bad_sales_parameters_are_validation_errors(http, query, field):
    assert_validation_error(http.get(f"/reports/sales?{query}", headers=AUDITOR), field)


@pytest.mark.parametrize("path", ["/reports/credit", "/reports/credit/alerts"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("as_of=31.03.2026", "as_of"),
        ("as_of=2026-02-30", "as_of"),
        ("as_of=9999-12-31", "as_of"),
        ("as_of=0001-01-01", "as_of"),
        ("cursor=x", "cursor"),
        (f"cursor={encode_cursor(2**70)}", "cursor"),
    ],
)
def test_bad_credit_parameters_are_validation_errors(http, path, query, field):
    assert_validation_error(http.get(f"{path}?{query}", headers=AUDITOR), field)


def test_the_credit_report_echoes_as_of_and_pages_by_customer(http, ids):
    first = http.get("/reports/credit?as_of=2026-03-31&limit=1", headers=AUDITOR).json()
    assert first["as_of"] == "2026-03-31"
    [c1] = first["items"]
    assert c1 == {
        "customer_id": ids["C1"],
        "name": "C1 Co",
        "rating": "B",
        "score": 70,
        "credit_limit": "7000.00",
        "guarantees": "0.00",
        "exposure": "5699.99",
        "outstanding": "699.99",
        "overdue": {"1_30": "699.99", "31_60": "0.00", "61_90": "0.00", "over_90": "0.00"},
        "utilisation": 0.8143,
        "dso": 39.37,
        "on_hold": False,
        "alerts": ["near_limit"],
    }
    second = http.get(
        "/reports/credit",
        params={"as_of": "2026-03-31", "limit": 1, "cursor": first["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert [item["customer_id"] for item in second["items"]] == [ids["C2"]]
    assert second["items"][0]["alerts"] == ["credit_hold", "guarantee_expiring"]
    assert second["next_cursor"] is None
    # A timestamp stands for its UTC day, and is echoed as passed.
    stamped = http.get(
        "/reports/credit", params={"as_of": "2026-03-31T08:00:00+00:00"}, headers=AUDITOR
    ).json()
    assert stamped["as_of"] == "2026-03-31T08:00:00+00:00"
    assert stamped["items"] == first["items"] + second["items"]


def test_the_alerts_report_lists_each_alert_with_its_numbers(http, ids):
    body = http.get("/reports/credit/alerts?as_of=2026-03-31", headers=AUDITOR).json()
    assert body == {
        "as_of": "2026-03-31",
        "items": [
            {
                "customer_id": ids["C1"],
                "alert": "near_limit",
                "detail": "exposure 5699.99 against a limit of 7000.00 "
                "(credit limit 7000.00 + guarantees 0.00): 81.4%",
            },
            {
                "customer_id": ids["C2"],
                "alert": "credit_hold",
                "detail": "on credit hold since 2026-03-18",
            },
            {
                "customer_id": ids["C2"],
                "alert": "guarantee_expiring",
                "detail": "guarantees of 1000.00 expire within 30 days, "
                "the first on 2026-04-20 (in 20 days)",
            },
        ],
        "next_cursor": None,
    }
    first = http.get("/reports/credit/alerts?as_of=2026-03-31&limit=2", headers=AUDITOR).json()
    rest = http.get(
        "/reports/credit/alerts",
        params={"as_of": "2026-03-31", "limit": 2, "cursor": first["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert first["items"] + rest["items"] == body["items"]
    assert rest["next_cursor"] is None
    assert (
        http.get("/reports/credit/alerts?as_of=2026-01-31", headers=AUDITOR).json()["items"] == []
    )


def test_reports_read_their_writes_and_default_to_the_app_today(http, scenario):
    services = scenario[1]
    app = services.backoffice
    finance = as_("fiona", "finance")
    customer = app.handle(
        as_("sam", "sales"), RegisterLead(name="C5 Co", kind="company", source="web", contacts=[])
    ).id
    app.handle(
        finance,
        AssessCredit(
            customer,
            rating="D",
            score=10,
            credit_limit=Decimal("0.00"),
            max_payment_term_days=0,
            guarantee_required=True,
            valid_until=date(2026, 4, 30),
            basis="new",
        ),
    )
    # No as_of: the day of the application's clock (the scenario stands on 2026-04-25).
    body = http.get("/reports/credit", headers=AUDITOR).json()
    assert body["as_of"] == "2026-04-25"
    [row] = [item for item in body["items"] if item["customer_id"] == str(customer)]
    assert (row["rating"], row["credit_limit"], row["utilisation"], row["alerts"]) == (
        "D",
        "0.00",
        None,
        [],
    )
