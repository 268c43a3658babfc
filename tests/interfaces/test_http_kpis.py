"""`/reports/kpis` over HTTP, on SQLite and PostgreSQL; an appraisal scored from the KPIs.

The figures are worked by hand in `tests/projections/test_kpis.py`; here: the answers'
shapes, the people-data rule, read-your-writes, the appraisal reading its attainment
through `Backoffice.kpi_attainment`, and live tables equal to a rebuild.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from application.permissions import ROLES
from domain.employee import Employee
from projections.runner import READ_MODELS, verify
from tests.conftest import assert_problem, bearer
from tests.interfaces.test_http_contracts import FINANCE, LEGAL, MANAGER, draft_body, new_customer
from tests.interfaces.test_http_employees import HR, hired, ok

NOW = datetime.now(UTC)
TODAY = NOW.date()
MONTH = f"{TODAY:%Y-%m}"
QUARTER = f"{TODAY.year}-Q{(TODAY.month - 1) // 3 + 1}"


def signed_for(client, owner: str) -> str:
    """A contract of 2 500.00 drafted, submitted by its owner and signed today."""
    as_owner = bearer(owner, "sales")
    kid = ok(
        client.post("/contracts", json=draft_body(new_customer(client)), headers=as_owner), 201
    )["id"]
    ok(client.post(f"/contracts/{kid}/submit", json={}, headers=as_owner))
    for department, who in (("legal", LEGAL), ("finance", FINANCE)):
        ok(
            client.post(
                f"/contracts/{kid}/reviews/approve", json={"department": department}, headers=who
            )
        )
    ok(client.post(f"/contracts/{kid}/sign", json={"signed_on": str(TODAY)}, headers=MANAGER))
    return kid


@pytest.fixture(scope="module")
def people(client):
    """A manager and a rep with targets for this month and one signed contract."""
    manager = hired(client)
    rep = hired(client, manager_id=manager)
    targets = {
        "period": MONTH,
        "items": [
            {"metric": "revenue", "target": "4000", "weight": "0.5"},
            {"metric": "contracts_signed", "target": 2, "weight": "0.5"},
        ],
    }
    ok(client.post(f"/employees/{rep}/targets", json=targets, headers=HR))
    signed_for(client, rep)
    return {"manager": manager, "rep": rep}


def employee_kpis(client, employee_id, headers, period=MONTH):
    return client.get(
        f"/reports/kpis/employees/{employee_id}", params={"period": period}, headers=headers
    )


def test_an_appraisal_scores_the_kpi_component_from_the_read_model(client, services, people):
    rep, manager = people["rep"], people["manager"]
    url = f"/employees/{rep}"
    aid = ok(
        client.post(f"{url}/appraisals", json={"cycle": "monthly", "period": MONTH}, headers=HR),
        201,
    )["id"]
    scores = {"kpi_score": 50, "goals_score": 80, "attitude_score": 90}
    ok(
        client.post(
            f"{url}/appraisals/{aid}/evaluations",
            json={"source": "superior", **scores},
            headers=bearer(manager, "sales_manager"),
        )
    )
    finalized = ok(client.post(f"{url}/appraisals/{aid}/finalize", json={}, headers=HR))
    # revenue 2500 / 4000 = 0.625, contracts 1 / 2 = 0.5: weighted 0.5625, KPI 56.25
    # in place of the superior's 50; 0.6 x 56.25 + 0.25 x 80 + 0.15 x 90 = 67.25.
    assert (finalized["score"], finalized["rating"]) == ("67.25", "C")
    employee = services.backoffice.get(UUID(rep), Employee)
    reading = employee.appraisals[aid]["inputs"]["kpi_attainment"]
    assert reading["weighted_attainment"] == Decimal("0.5625")
    assert reading["kpi_score"] == Decimal("56.2500")
    assert [(m["metric"], m["actual"], m["attainment"]) for m in reading["metrics"]] == [
        ("revenue", Decimal("2500.00"), Decimal("0.6250")),
        ("contracts_signed", Decimal("1"), Decimal("0.5000")),
    ]
    answer = employee_kpis(client, rep, HR)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "items": [
            {
                "employee_id": rep,
                "period": MONTH,
                "metrics": [
                    {"metric": "revenue", "actual": "2500.00", "target": "4000.00",
                     "weight": 0.5, "attainment": 0.625},
                    {"metric": "contracts_signed", "actual": 1, "target": 2,
                     "weight": 0.5, "attainment": 0.5},
                ],
                "weighted_attainment": 0.5625,
                "training_hours": 0,
                "appraisal_rating": "C",
            }
        ]
    }  # fmt: skip


def test_employee_kpis_are_people_data(client, people):
    rep, manager = people["rep"], people["manager"]
    allowed = [
        HR,
        bearer("eve", "executive"),
        bearer("audrey", "auditor"),
        bearer("root", "admin"),
        bearer(rep, "sales"),
        bearer(manager, "sales_manager"),
    ]
    for headers in allowed:
        answer = employee_kpis(client, rep, headers, QUARTER)
        assert answer.status_code == 200, answer.text
        assert answer.json()["items"][0]["period"] == QUARTER
    refused = [
        bearer("sam-stranger", "sales"),
        bearer("mia", "sales_manager"),
        bearer("fiona", "finance"),
    ]
    for headers in refused:
        assert_problem(employee_kpis(client, rep, headers), 403, "forbidden")
    # The manager reads the rep's KPIs, not the other way round.
    assert_problem(employee_kpis(client, manager, bearer(rep, "sales")), 403, "forbidden")
    assert employee_kpis(client, rep, {}).status_code == 401


def test_employee_kpis_answer_404_then_422(client, people):
    stranger = bearer("sam-stranger", "sales")
    assert_problem(employee_kpis(client, uuid4(), stranger, "nonsense"), 404, "not_found")
    for period in ("2026-Q0", "2026-13", "soon", ""):
        body = assert_problem(
            employee_kpis(client, people["rep"], HR, period), 422, "validation_error"
        )
        assert [e["field"] for e in body["errors"]] == ["period"]
    missing = client.get(f"/reports/kpis/employees/{people['rep']}", headers=HR)
    assert_problem(missing, 422, "validation_error")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_reads_the_company_kpis(client, people, role):
    answer = client.get(
        "/reports/kpis/company", params={"period": MONTH}, headers=bearer("x", role)
    )
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["items"]
    assert "as_of" not in answer.json()
    assert row["period"] == MONTH


def test_company_kpis_agree_with_the_sales_report(client, people):
    auditor = bearer("audrey", "auditor")
    for period, key in ((MONTH, "month"), (QUARTER, "quarter")):
        answer = client.get("/reports/kpis/company", params={"period": period}, headers=auditor)
        [row] = answer.json()["items"]
        sales = client.get("/reports/sales", params={"group_by": key}, headers=auditor).json()
        [figures] = [r for r in sales["items"] if r[key] == period]
        assert (row["revenue"], row["contracts_signed"]) == (
            figures["revenue"],
            figures["contracts_signed"],
        )
        assert row["contracts_signed"] >= 1
        assert row["new_customers"] >= 1
    echoed = client.get(
        "/reports/kpis/company", params={"period": MONTH, "as_of": str(TODAY)}, headers=auditor
    )
    assert echoed.json()["as_of"] == str(TODAY)


@pytest.mark.parametrize("period", ["2026-Q5", "2026-00", "Q1", "2026-1", "x"])
def test_a_bad_period_is_a_validation_error(client, period):
    answer = client.get("/reports/kpis/company", params={"period": period}, headers=HR)
    body = assert_problem(answer, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["period"]
    assert_problem(client.get("/reports/kpis/company", headers=HR), 422, "validation_error")
    assert client.get("/reports/kpis/company", params={"period": "2026"}).status_code == 401


def test_live_kpis_equal_a_rebuild(services, people, module_database):
    app = services.backoffice
    assert services.read_side.wait("kpis", app.max_position(), timeout=10)
    differences = verify(app, READ_MODELS["kpis"], module_database.env(), module_database.dialect)
    assert differences == []
