"""Conformance of the issue-7 endpoints to API.md, over HTTP, on SQLite and PostgreSQL.

Each test pins a point where the plans, risks, claims or follow-ups once answered
otherwise than API.md says.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from tests.application.test_expense_claim_commands import approved_budget, team
from tests.conftest import assert_problem, bearer

MANAGER = bearer("sam", "sales_manager")
AUDITOR = bearer("audrey", "auditor")
MARKETING = bearer("mark", "marketing")

_plan_years = itertools.count(2950)


def _risk_with_an_action(client) -> tuple[str, str]:
    body = {"category": "credit", "title": "Slow payer", "description": "Invoices late"}
    rid = client.post("/risks", json=body, headers=MANAGER).json()["id"]
    assess = {"likelihood": 3, "impact": 4, "rationale": "two invoices late"}
    assert client.post(f"/risks/{rid}/assess", json=assess, headers=MANAGER).status_code == 200
    action = {"description": "ask for a guarantee", "due_on": "2026-09-30"}
    response = client.post(f"/risks/{rid}/actions", json=action, headers=MANAGER)
    assert response.status_code == 201, response.text
    return rid, response.json()["id"]


@pytest.mark.parametrize(
    "known, status, code", [(False, 404, "not_found"), (True, 409, "version_conflict")]
)
def test_an_unknown_action_answers_404_before_a_stale_if_match(client, app, known, status, code):
    # API.md orders the checks 404 id -> 422 body -> 409 If-Match: the action id in the
    # path is an id like the risk's, so an unknown one is 404 whatever If-Match says;
    # a known one with a stale If-Match stays a version conflict.
    rid, aid = _risk_with_an_action(client)
    before = app.max_position()
    response = client.post(
        f"/risks/{rid}/actions/{aid if known else uuid4()}/complete",
        json={"outcome": "done"},
        headers={**MANAGER, "If-Match": '"1"'},
    )
    assert_problem(response, status, code)
    assert app.max_position() == before


def test_the_risk_report_refuses_an_as_of_its_30_day_window_cannot_reach(client):
    # The SLA indicator looks 30 days back from as_of: in the first days of year 1 that
    # window does not exist, and the report answered 500 instead of a validation error.
    response = client.get("/reports/risks", params={"as_of": "0001-01-01"}, headers=AUDITOR)
    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["as_of"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_an_occurred_at_beyond_the_calendar_in_utc_is_a_validation_error(client, app, moment):
    # Both are valid ISO 8601 times whose UTC instant lies outside years 1..9999: the
    # risk, plan and claim commands answered 500 on them.
    _, ann = team(app)
    budget_id = approved_budget(app)
    plan_id = client.post(
        "/marketing-plans",
        json={"fiscal_year": next(_plan_years), "strategies": {}, "targets": []},
        headers=MARKETING,
    ).json()["id"]
    claim = {
        "expense_type": "travel",
        "amount": "120.00",
        "spent_on": datetime.now(UTC).date().isoformat(),
        "description": "taxi",
        "receipt_ref": f"R-{uuid4().hex[:8]}",
        "budget_id": str(budget_id),
        "category": "sales",
        "period": "Q4",
    }
    measurement = {"metric": "market_share", "period": "Q1", "value": 12.5, "source": "panel"}
    risk = {"category": "legal", "title": "New rule", "description": "Data law"}
    before = app.max_position()
    for url, body, headers in (
        ("/risks", risk, MANAGER),
        (f"/marketing-plans/{plan_id}/measurements", measurement, MARKETING),
        ("/expense-claims", claim, bearer(ann, "sales")),
    ):
        response = client.post(url, json={**body, "occurred_at": moment}, headers=headers)
        problem = assert_problem(response, 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == ["occurred_at"], url
    assert app.max_position() == before
