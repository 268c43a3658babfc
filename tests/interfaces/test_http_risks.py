"""The risk API of API.md and `/reports/risks`, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.commands.complaints import ReceiveComplaint
from application.permissions import COMMAND_ROLES, ROLES
from tests.conftest import as_, assert_problem, bearer
from tests.factories import customer

FINANCE = bearer("fiona", "finance")
SERVICE = bearer("sue", "service")
AUDITOR = bearer("audrey", "auditor")
WORKING_ROLES = sorted(ROLES - {"admin", "auditor"})

ROUTES = {
    "risk.identify": "/risks",
    "risk.assess": "/risks/{id}/assess",
    "risk.add_action": "/risks/{id}/actions",
    "risk.complete_action": "/risks/{id}/actions/{aid}/complete",
    "risk.close": "/risks/{id}/close",
    "risk.reopen": "/risks/{id}/reopen",
}
ASSESS = {"likelihood": 3, "impact": 4, "rationale": "two invoices late"}


def iso(moment: datetime) -> str:
    return moment.isoformat()


def post(client, url, body, headers=FINANCE, status=200):
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def identify(client, headers=FINANCE, **overrides):
    body = {
        "category": "credit",
        "title": "Distributor slow to pay",
        "description": "Two invoices past 60 days",
        **overrides,
    }
    return post(client, "/risks", body, headers, 201)["id"]


def add_action(client, rid, **overrides):
    body = {"description": "ask for a guarantee", "due_on": "2026-09-30", **overrides}
    return post(client, f"/risks/{rid}/actions", body, status=201)["id"]


def mitigating(client, **overrides):
    rid = identify(client, **overrides)
    post(client, f"/risks/{rid}/assess", ASSESS)
    return rid, add_action(client, rid)


def test_every_risk_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("risk.")}


def test_the_whole_way_over_http(client):
    began = datetime.now(UTC) - timedelta(days=2)
    response = client.post(
        "/risks",
        json={
            "category": "operational",
            "title": "Warehouse flood",
            "description": "The river rose twice this year",
            "owner_id": "emp-ops-1",
            "occurred_at": iso(began),
        },
        headers=SERVICE,
    )
    assert response.status_code == 201, response.text
    rid = response.json()["id"]
    assert response.headers["location"] == f"/risks/{rid}"
    assert response.json()["version"] == 1
    assessed = post(
        client, f"/risks/{rid}/assess", {**ASSESS, "occurred_at": iso(began + timedelta(hours=1))}
    )
    assert assessed["version"] == 2
    planned = client.post(
        f"/risks/{rid}/actions",
        json={"description": "sandbags", "due_on": "2026-01-31", "owner_id": "emp-ops-2"},
        headers=FINANCE,
    )
    assert planned.status_code == 201, planned.text
    aid = planned.json()["id"]
    assert aid != rid and planned.json()["version"] == 3
    assert planned.headers["location"] == f"/risks/{rid}/actions/{aid}"
    steps = [
        ("assess", {"likelihood": 5, "impact": 4, "rationale": "forecast of rain"}),
        (f"actions/{aid}/complete", {"outcome": "walls raised"}),
        ("close", {"reason": "walls hold"}),
        ("reopen", {"reason": "new leak"}),
    ]
    for version, (command, body) in enumerate(steps, start=4):
        answer = post(client, f"/risks/{rid}/{command}", body, SERVICE)
        assert (answer["id"], answer["version"]) == (rid, version)
    got = client.get(f"/risks/{rid}", headers=AUDITOR)
    assert got.headers["etag"] == '"7"'
    body = got.json()
    assert (body["status"], body["category"], body["owner_id"]) == (
        "assessed",
        "operational",
        "emp-ops-1",
    )
    assert (body["likelihood"], body["impact"], body["level"]) == (5, 4, "critical")
    assert [a["level"] for a in body["assessments"]] == ["high", "critical"]
    assert body["identified_at"] == began.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    [action] = body["actions"]
    assert (action["id"], action["owner_id"], action["due_on"], action["outcome"]) == (
        aid,
        "emp-ops-2",
        "2026-01-31",
        "walls raised",
    )
    assert [r["reason"] for r in body["reopens"]] == ["new leak"]
    first = client.get(f"/risks/{rid}", params={"version": 2}, headers=AUDITOR).json()
    assert (first["status"], first["level"], first["actions"]) == ("assessed", "high", [])
    history = client.get(f"/risks/{rid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history] == [
        "Identified",
        "Assessed",
        "ActionAdded",
        "Assessed",
        "ActionCompleted",
        "Closed",
        "Reopened",
    ]


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_the_auditor_gets_403_and_every_other_role_passes_the_role_check(client, position, command):
    rid, aid = mitigating(client)
    url = ROUTES[command].format(id=rid, aid=aid)
    before = position()
    for role in [*WORKING_ROLES, "auditor"]:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role == "auditor":
            assert_problem(response, 403, "forbidden")
        else:
            assert_problem(response, 422, "validation_error")
    assert position() == before


def test_order_of_checks(client, position):
    assert client.post("/risks", json={}).status_code == 401
    rid, _ = mitigating(client)
    before = position()
    for command, path in ROUTES.items():
        if command == "risk.identify":
            continue
        url = path.format(id=uuid4(), aid=uuid4())
        assert_problem(client.post(url, json={"x": 1}, headers=FINANCE), 404, "not_found")
        assert_problem(client.post(url, json={"x": 1}, headers=AUDITOR), 403, "forbidden")
    # An action the risk does not have: 404, whether the body is good or not.
    unknown = f"/risks/{rid}/actions/{uuid4()}/complete"
    assert_problem(client.post(unknown, json={"x": 1}, headers=FINANCE), 404, "not_found")
    assert_problem(client.post(unknown, json={"outcome": "y"}, headers=FINANCE), 404, "not_found")
    problem = assert_problem(
        client.post(
            "/risks",
            json={"category": "weather", "title": " ", "description": "x"},
            headers=FINANCE,
        ),
        422,
        "validation_error",
    )
    assert {e["field"] for e in problem["errors"]} == {"category", "title"}
    for body in (
        {"likelihood": 0, "impact": 3, "rationale": "x"},
        {"likelihood": 3, "impact": 6, "rationale": "x"},
        {"likelihood": "3", "impact": 3, "rationale": "x"},
        {**ASSESS, "occurred_at": iso(datetime.now(UTC) + timedelta(days=1))},
        {**ASSESS, "occurred_at": iso(datetime.now(UTC) - timedelta(days=40))},
    ):
        assert_problem(
            client.post(f"/risks/{rid}/assess", json=body, headers=FINANCE),
            422,
            "validation_error",
        )
    assert_problem(
        client.post(f"/risks/{rid}/actions", json={"description": "x"}, headers=FINANCE),
        422,
        "validation_error",
    )
    # Body before If-Match, If-Match before state.
    assert_problem(
        client.post(f"/risks/{rid}/reopen", json={}, headers={**FINANCE, "If-Match": '"9"'}),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(
            f"/risks/{rid}/reopen", json={"reason": "x"}, headers={**FINANCE, "If-Match": '"9"'}
        ),
        409,
        "version_conflict",
    )
    assert_problem(
        client.post(
            f"/risks/{rid}/reopen", json={"reason": "x"}, headers={**FINANCE, "If-Match": '"3"'}
        ),
        409,
        "invalid_state",
    )
    assert position() == before


def test_state_refusals_answer_409_and_write_nothing(client, position):
    fresh = identify(client)
    before = position()
    for url, body in (
        (f"/risks/{fresh}/actions", {"description": "x", "due_on": "2026-09-30"}),
        (f"/risks/{fresh}/close", {"reason": "x"}),
        (f"/risks/{fresh}/reopen", {"reason": "x"}),
    ):
        assert_problem(client.post(url, json=body, headers=FINANCE), 409, "invalid_state")
    assert position() == before
    rid = identify(client)
    post(client, f"/risks/{rid}/assess", ASSESS)
    before = position()
    assert_problem(
        client.post(f"/risks/{rid}/close", json={"reason": "x"}, headers=FINANCE),
        409,
        "invalid_state",
    )
    aid = add_action(client, rid)
    post(client, f"/risks/{rid}/actions/{aid}/complete", {"outcome": "done"})
    before = position()
    assert_problem(
        client.post(
            f"/risks/{rid}/actions/{aid}/complete", json={"outcome": "again"}, headers=FINANCE
        ),
        409,
        "invalid_state",
    )
    assert position() == before
    post(client, f"/risks/{rid}/close", {"reason": "treated"})
    before = position()
    for url, body in (
        (f"/risks/{rid}/assess", ASSESS),
        (f"/risks/{rid}/actions", {"description": "x", "due_on": "2026-09-30"}),
        (f"/risks/{rid}/close", {"reason": "x"}),
    ):
        assert_problem(client.post(url, json=body, headers=FINANCE), 409, "invalid_state")
    assert position() == before


def test_the_list_filters_and_pages(client):
    owner = f"emp-{uuid4().hex[:6]}"
    legal = identify(client, category="legal", owner_id=owner)
    critical = identify(client, category="market", owner_id=owner)
    post(client, f"/risks/{critical}/assess", {"likelihood": 5, "impact": 5, "rationale": "x"})
    mine = client.get("/risks", params={"owner_id": owner}, headers=AUDITOR).json()["items"]
    assert [(r["id"], r["category"], r["level"]) for r in mine] == [
        (legal, "legal", None),
        (critical, "market", "critical"),
    ]
    for params, expected in (
        ({"category": "legal"}, [legal]),
        ({"level": "critical"}, [critical]),
        ({"status": "assessed"}, [critical]),
        ({"status": "closed"}, []),
    ):
        items = client.get("/risks", params={**params, "owner_id": owner}, headers=AUDITOR)
        assert [r["id"] for r in items.json()["items"]] == expected, params
    first = client.get("/risks", params={"owner_id": owner, "limit": 1}, headers=AUDITOR).json()
    assert [r["id"] for r in first["items"]] == [legal]
    rest = client.get(
        "/risks",
        params={"owner_id": owner, "limit": 1, "cursor": first["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert ([r["id"] for r in rest["items"]], rest["next_cursor"]) == ([critical], None)


def test_reads_of_an_unknown_risk_answer_404(client):
    for url in (f"/risks/{uuid4()}", f"/risks/{uuid4()}/history"):
        assert_problem(client.get(url, headers=AUDITOR), 404, "not_found")
    assert client.get("/risks", headers={}).status_code == 401


def test_the_report_shows_the_register_as_of_a_date(client):
    now = datetime.now(UTC)
    rid = identify(client, occurred_at=iso(now - timedelta(days=3)))
    post(
        client,
        f"/risks/{rid}/assess",
        {"likelihood": 4, "impact": 4, "rationale": "x", "occurred_at": iso(now - timedelta(2))},
    )
    late = add_action(client, rid, due_on=(now - timedelta(days=1)).date().isoformat())
    post(client, f"/risks/{rid}/assess", {"likelihood": 1, "impact": 2, "rationale": "better"})
    before = (now - timedelta(days=1)).isoformat()
    response = client.get("/reports/risks", params={"as_of": before}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == before
    assert set(body) == {"as_of", "register", "heat_map", "overdue_actions", "indicators"}
    [entry] = [e for e in body["register"] if e["risk_id"] == rid]
    assert (entry["level"], entry["status"], len(entry["past_levels"])) == ("high", "assessed", 1)
    assert len(body["heat_map"]) == 25 and body["heat_map"]["4-4"] >= 1
    assert late not in [a["action_id"] for a in body["overdue_actions"]]
    today = client.get("/reports/risks", headers=AUDITOR).json()
    [entry] = [e for e in today["register"] if e["risk_id"] == rid]
    assert (entry["level"], entry["status"]) == ("low", "mitigating")
    assert [p["level"] for p in entry["past_levels"]] == ["high", "low"]
    assert late in [a["action_id"] for a in today["overdue_actions"]]
    assert {i["name"] for i in today["indicators"]} == {
        "overdue_share",
        "sla_breach_rate",
        "budget_lines_over_90",
        "revenue_attainment",
    }
    assert_problem(
        client.get("/reports/risks", params={"as_of": "soon"}, headers=AUDITOR),
        422,
        "validation_error",
    )
    assert client.get("/reports/risks").status_code == 401


def test_a_triggered_warning_lists_exactly_the_open_risks_of_its_category(client, app):
    # A critical complaint received 3 days ago and never answered: its 2-hour response
    # deadline passed, so the breach rate of the last 30 days is above 0.1.
    app.handle(
        as_("sue", "service"),
        ReceiveComplaint(
            customer_id=customer(app),
            channel="hotline",
            category="delivery",
            severity="critical",
            description="line down",
            occurred_at=datetime.now(UTC) - timedelta(days=3),
        ),
    )
    still_open = identify(client, category="operational")
    closed, _ = mitigating(client, category="operational")
    post(client, f"/risks/{closed}/close", {"reason": "insured"})
    identify(client, category="legal")
    body = client.get("/reports/risks", headers=AUDITOR).json()
    [sla] = [i for i in body["indicators"] if i["name"] == "sla_breach_rate"]
    assert (sla["category"], sla["warning"]) == ("operational", True)
    assert sla["value"] > sla["threshold"]
    listed = client.get(
        "/risks", params={"category": "operational", "limit": 1000}, headers=AUDITOR
    )
    expected = sorted(r["id"] for r in listed.json()["items"] if r["status"] != "closed")
    assert sla["risk_ids"] == expected
    assert still_open in sla["risk_ids"] and closed not in sla["risk_ids"]
    for indicator in body["indicators"]:
        opened = sorted(
            e["risk_id"]
            for e in body["register"]
            if e["category"] == indicator["category"] and e["status"] != "closed"
        )
        assert indicator["risk_ids"] == opened, indicator["name"]
