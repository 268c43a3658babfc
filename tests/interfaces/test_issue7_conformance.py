"""Conformance of the issue-7 endpoints to API.md, over HTTP, on SQLite and PostgreSQL.

Each test pins a point where the plans, risks, claims or follow-ups once answered
otherwise than API.md says.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.conftest import assert_problem, bearer

MANAGER = bearer("sam", "sales_manager")
AUDITOR = bearer("audrey", "auditor")


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
