"""Staffing plans, department rosters and the recruitment report over HTTP, on SQLite and
PostgreSQL: the order of checks of API.md on every new route, nothing stored on a refusal."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.permissions import COMMAND_ROLES
from domain.department import quarter_of
from tests.conftest import assert_problem, bearer, unique

HR = bearer("hana", "hr")
EXEC = bearer("eve", "executive")
EXEC_2 = bearer("max", "executive")
SALES = bearer("sam", "sales")
AUDITOR = bearer("audrey", "auditor")
TODAY = datetime.now(UTC).date()
_years = itertools.count(1970)

ROUTES = {
    "staffing_plan.draft": "/staffing-plans",
    "staffing_plan.amend": "/staffing-plans/{id}/amend",
    "staffing_plan.submit": "/staffing-plans/{id}/submit",
    "staffing_plan.approve": "/staffing-plans/{id}/approve",
    "staffing_plan.return": "/staffing-plans/{id}/return",
    "staffing_plan.revise": "/staffing-plans/{id}/revise",
}
BODIES = {
    "amend": {"lines": []},
    "return": {"comments": "no"},
}


def lines(position="Engineer", headcount=1):
    return [
        {"position": position, "quarter": q, "headcount": headcount, "monthly_cost_per_head": 9000}
        for q in ("Q1", "Q2", "Q3", "Q4")
    ]


def new_plan(client, department=None, year=None, headcount=1):
    body = {
        "department": department or unique("Dept"),
        "fiscal_year": year or next(_years),
        "lines": lines(headcount=headcount),
    }
    response = client.post("/staffing-plans", json=body, headers=HR)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def act(client, pid, command, who, body=None, **headers):
    return client.post(
        f"/staffing-plans/{pid}/{command}", json=body or {}, headers={**who, **headers}
    )


def log_head(client):
    return client.get("/audit/verify", headers=AUDITOR).json()["head"]["position"]


def candidate(client, department, position="Engineer"):
    body = {"name": unique("Person"), "position": position, "department": department}
    eid = client.post("/employees", json=body, headers=HR).json()["id"]
    for kind in ("interview", "background_check"):
        response = client.post(
            f"/employees/{eid}/interviews", json={"kind": kind, "result": "pass"}, headers=HR
        )
        assert response.status_code == 200, response.text
    return eid


def hire(client, eid, department, position="Engineer"):
    body = {"hired_on": TODAY.isoformat(), "position": position, "department": department}
    return client.post(f"/employees/{eid}/hire", json=body, headers=HR)


def test_every_staffing_plan_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("staffing_plan.")}


def test_the_whole_way_over_http(client):
    department, year = unique("Dept"), next(_years)
    body = {"department": department, "fiscal_year": year, "lines": lines()}
    response = client.post("/staffing-plans", json=body, headers=HR)
    assert response.status_code == 201, response.text
    pid = response.json()["id"]
    assert response.headers["location"] == f"/staffing-plans/{pid}"
    assert act(client, pid, "amend", HR, {"lines": lines(headcount=2)}).json()["version"] == 2
    assert act(client, pid, "submit", HR).json()["version"] == 3
    assert act(client, pid, "return", EXEC, {"comments": "fewer"}).json()["version"] == 4
    act(client, pid, "submit", HR)
    assert act(client, pid, "approve", EXEC).json()["version"] == 6
    assert act(client, pid, "revise", HR).json()["version"] == 7
    got = client.get(f"/staffing-plans/{pid}", headers=SALES)
    assert got.status_code == 200 and got.headers["etag"] == '"7"'
    plan = got.json()
    assert (plan["department"], plan["fiscal_year"], plan["status"], plan["revision"]) == (
        department, year, "draft", 2,
    )  # fmt: skip
    assert plan["approved"]["lines"][0] == {
        "position": "Engineer", "quarter": "Q1", "headcount": 2, "monthly_cost_per_head": "9000.00",
    }  # fmt: skip
    old = client.get(f"/staffing-plans/{pid}?version=1", headers=SALES).json()
    assert (old["version"], old["lines"][0]["headcount"]) == (1, 1)
    assert client.get(f"/staffing-plans/{pid}?as_of=2000-01-01", headers=SALES).status_code == 404
    now = client.get(f"/staffing-plans/{pid}", params={"as_of": "2999-01-01"}, headers=SALES)
    assert now.json()["version"] == 7
    history = client.get(f"/staffing-plans/{pid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history][-2:] == ["Approved", "Revised"]
    listed = client.get(
        "/staffing-plans", params={"department": f" {department.upper()}"}, headers=SALES
    ).json()["items"]
    assert [(p["id"], p["status"], p["approved_revision"]) for p in listed] == [(pid, "draft", 1)]


def test_the_order_of_checks_on_every_staffing_plan_route(client):
    pid = new_plan(client)
    for permission, route in ROUTES.items():
        command = permission.split(".")[1]
        path = route.format(id=pid)
        before = log_head(client)
        assert_problem(client.post(path, json={}), 401, "unauthenticated")
        assert_problem(client.post(path, json={}, headers=AUDITOR), 403, "forbidden")
        if "{id}" in route:
            unknown = route.format(id=uuid4())
            who = EXEC if command in ("approve", "return") else HR
            assert_problem(client.post(unknown, json={"bad": 1}, headers=who), 404, "not_found")
            assert_problem(client.post(path, json={"bad": 1}, headers=who), 422, "validation_error")
            stale = {**who, "If-Match": '"99"'}
            body = BODIES.get(command, {})
            assert_problem(client.post(path, json=body, headers=stale), 409, "version_conflict")
        else:
            assert_problem(client.post(path, json={"bad": 1}, headers=HR), 422, "validation_error")
        assert log_head(client) == before


def test_state_duties_and_rules_refuse_and_store_nothing(client):
    department, year = unique("Dept"), next(_years)
    pid = new_plan(client, department, year)
    before = log_head(client)
    assert_problem(act(client, pid, "approve", EXEC), 409, "invalid_state")
    duplicate = client.post(
        "/staffing-plans",
        json={"department": department.lower(), "fiscal_year": year, "lines": []},
        headers=HR,
    )
    assert assert_problem(duplicate, 422, "duplicate_plan")["existing_id"] == pid
    both = bearer("boss", "hr", "executive")
    assert log_head(client) == before
    act(client, pid, "submit", both)
    before = log_head(client)
    assert_problem(act(client, pid, "approve", both), 403, "segregation_of_duties")
    assert log_head(client) == before


def test_the_hire_gate_and_the_roster_over_http(client):
    department = unique("Dept")
    pid = new_plan(client, department, TODAY.year, headcount=1)
    act(client, pid, "submit", HR)
    act(client, pid, "approve", EXEC)
    first, second = candidate(client, department), candidate(client, department)
    assert hire(client, first, department).status_code == 200
    before = log_head(client)
    refused = assert_problem(hire(client, second, department), 422, "headcount_exceeded")
    assert (refused["planned"], refused["filled"]) == (1, 1)
    assert log_head(client) == before
    assert client.get(f"/employees/{second}", headers=HR).json()["status"] == "candidate"
    name = department.replace(" ", "%20")
    got = client.get(f"/departments/{name.upper()}", headers=SALES)
    assert got.status_code == 200, got.text
    assert got.headers["etag"] == '"2"'
    roster = got.json()
    assert (roster["department"], roster["positions"], roster["version"]) == (
        department, {"Engineer": [first]}, 2,
    )  # fmt: skip
    client.post(
        f"/employees/{first}/terminate",
        json={"reason": "left", "on": TODAY.isoformat()},
        headers=HR,
    )
    assert client.get(f"/departments/{name}", headers=SALES).json()["positions"] == {}
    assert client.get(f"/departments/{name}?version=2", headers=SALES).json()["positions"] == {
        "Engineer": [first]
    }
    assert client.get(f"/departments/{name}?as_of=2000-01-01", headers=SALES).status_code == 404
    history = client.get(f"/departments/{name}/history", headers=SALES).json()["items"]
    assert [h["type"] for h in history] == ["Opened", "Joined", "Left"]
    assert_problem(client.get("/departments/no%20such%20dept", headers=SALES), 404, "not_found")
    assert_problem(client.get(f"/departments/{name}"), 401, "unauthenticated")


def test_the_recruitment_report_over_http(client):
    department = unique("Dept")
    pid = new_plan(client, department, TODAY.year, headcount=2)
    act(client, pid, "submit", HR)
    act(client, pid, "approve", EXEC)
    eid = candidate(client, department)
    assert hire(client, eid, department).status_code == 200
    response = client.get(
        "/reports/recruitment",
        params={"fiscal_year": TODAY.year, "department": department.upper()},
        headers=SALES,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["quarter"], i["position"]) for i in items] == [
        (q, "Engineer") for q in ("Q1", "Q2", "Q3", "Q4")
    ]
    [row] = [i for i in items if i["quarter"] == quarter_of(TODAY)]
    assert (row["planned"], row["filled"], row["open"], row["hires_planned"], row["hired"]) == (
        2, 1, 1, 1, 1,
    )  # fmt: skip
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    then = client.get(
        "/reports/recruitment",
        params={"fiscal_year": TODAY.year, "department": department, "as_of": yesterday},
        headers=SALES,
    ).json()
    assert then["as_of"] == yesterday
    assert all(i["filled"] == 0 and i["planned"] is None for i in then["items"])
    known = client.get(
        "/reports/recruitment",
        params={"fiscal_year": TODAY.year, "department": department, "known_at": "2020-01-01"},
        headers=SALES,
    ).json()
    assert known["known_at"] == "2020-01-01" and known["items"] == []
    assert_problem(client.get("/reports/recruitment", headers=SALES), 422, "validation_error")
    assert_problem(client.get("/reports/recruitment?fiscal_year=2026"), 401, "unauthenticated")


@pytest.mark.parametrize("who", [SALES, AUDITOR])
def test_every_role_reads_plans_and_the_report(client, who):
    assert client.get("/staffing-plans", headers=who).status_code == 200
    assert client.get("/reports/recruitment?fiscal_year=2026", headers=who).status_code == 200
