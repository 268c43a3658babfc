"""The marketing-plan API of API.md over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.permissions import COMMAND_ROLES, ROLES
from tests.conftest import assert_problem, bearer

MARKETING = bearer("mia", "marketing")
MANAGER = bearer("sal", "sales_manager")
EXEC = bearer("eve", "executive")
EXEC_2 = bearer("max", "executive")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})

ROUTES = {
    "marketing_plan.draft": "/marketing-plans",
    "marketing_plan.amend": "/marketing-plans/{id}/amend",
    "marketing_plan.submit": "/marketing-plans/{id}/submit",
    "marketing_plan.approve": "/marketing-plans/{id}/approve",
    "marketing_plan.return": "/marketing-plans/{id}/return",
    "marketing_plan.revise": "/marketing-plans/{id}/revise",
    "marketing_plan.measurement": "/marketing-plans/{id}/measurements",
}

# One plan a year in the module's database; past years, whose quarters have all begun.
_years = itertools.count(1960)

BODY = {
    "strategies": {"product": "Two bundles", "promotion": "Autumn fair"},
    "targets": [
        {"period": "Q1", "market_share": 10.5, "customer_count": 30},
        {"period": "Q4", "market_share": "13.00", "brand_awareness": 42},
    ],
}


def new_plan(client, who=MARKETING, year=None, **body):
    year = year or next(_years)
    response = client.post(
        "/marketing-plans", json={"fiscal_year": year, **BODY, **body}, headers=who
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def act(client, pid, command, who, body=None, **headers):
    return client.post(
        f"/marketing-plans/{pid}/{command}", json=body or {}, headers={**who, **headers}
    )


def approved_plan(client):
    pid = new_plan(client)
    assert act(client, pid, "submit", MARKETING).status_code == 200
    assert act(client, pid, "approve", EXEC).status_code == 200
    return pid


def test_every_marketing_plan_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("marketing_plan.")}


def test_the_whole_way_over_http(client):
    year = next(_years)
    response = client.post("/marketing-plans", json={"fiscal_year": year, **BODY}, headers=MANAGER)
    assert response.status_code == 201, response.text
    pid = response.json()["id"]
    assert response.json()["version"] == 1
    assert response.headers["location"] == f"/marketing-plans/{pid}"
    amended = act(client, pid, "amend", MARKETING, {"strategies": {"price": "Hold list prices"}})
    assert (amended.status_code, amended.json()["version"]) == (200, 2)
    assert amended.json()["id"] == pid
    assert act(client, pid, "submit", MARKETING).json()["version"] == 3
    returned = act(client, pid, "return", EXEC, {"comments": "Say more about promotion"})
    assert returned.json()["version"] == 4
    act(client, pid, "amend", MARKETING, {"strategies": {"promotion": "Two fairs"}})
    act(client, pid, "submit", MANAGER)
    assert act(client, pid, "approve", EXEC).json()["version"] == 7
    when = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    measured = act(
        client,
        pid,
        "measurements",
        MARKETING,
        {
            "metric": "brand_awareness",
            "period": "Q4",
            "value": "38.50",
            "source": "survey",
            "method": "online panel, n=800",
            "occurred_at": when,
        },
    )
    assert (measured.status_code, measured.json()["version"]) == (200, 8), measured.text
    assert "location" not in measured.headers
    got = client.get(f"/marketing-plans/{pid}", headers=AUDITOR)
    assert got.headers["etag"] == '"8"'
    body = got.json()
    assert {k: body[k] for k in ("id", "version", "status", "fiscal_year", "revision")} == {
        "id": pid,
        "version": 8,
        "status": "approved",
        "fiscal_year": year,
        "revision": 1,
    }
    assert body["strategies"] == {
        "product": None,
        "price": None,
        "channel": None,
        "promotion": "Two fairs",
    }
    targets = [
        {"period": "Q1", "market_share": 10.5, "brand_awareness": None, "customer_count": 30},
        {"period": "Q4", "market_share": 13, "brand_awareness": 42, "customer_count": None},
    ]
    assert body["targets"] == targets
    approved = body["approved"]
    assert (approved["revision"], approved["approved_by"]) == (1, "eve")
    assert (approved["targets"], approved["strategies"]) == (targets, body["strategies"])
    assert [(r["revision"], r["version"], r["submitted_by"], r["approved_by"]) for r in
            body["revisions"]] == [(1, 7, "sal", "eve")]  # fmt: skip
    assert body["revisions"][0]["approved_at"] == approved["approved_at"]
    [measurement] = body["measurements"]
    assert {k: measurement[k] for k in ("metric", "period", "value", "source", "method")} == {
        "metric": "brand_awareness",
        "period": "Q4",
        "value": 38.5,
        "source": "survey",
        "method": "online panel, n=800",
    }
    assert datetime.fromisoformat(measurement["occurred_at"]) == datetime.fromisoformat(when)
    assert measurement["recorded_by"] == "mia"
    assert body["returned"] is None
    history = client.get(f"/marketing-plans/{pid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history] == [
        "Drafted",
        "Amended",
        "Submitted",
        "Returned",
        "Amended",
        "Submitted",
        "Approved",
        "MeasurementRecorded",
    ]
    assert history[3]["data"]["comments"] == "Say more about promotion"
    assert history[-1]["data"]["value"] == "38.50"


def test_an_earlier_approved_revision_stays_readable_by_as_of_and_version(client):
    pid = approved_plan(client)
    first_approval = client.get(f"/marketing-plans/{pid}", headers=AUDITOR).json()
    assert act(client, pid, "revise", MARKETING).json()["version"] == 4
    raised = {"targets": [{"period": "Q4", "market_share": 15, "brand_awareness": 45}]}
    act(client, pid, "amend", MARKETING, raised)
    act(client, pid, "submit", MARKETING)
    pending = client.get(f"/marketing-plans/{pid}", headers=AUDITOR).json()
    # While revision 2 waits, revision 1 is the one in force.
    assert (pending["status"], pending["revision"]) == ("pending_approval", 2)
    assert pending["approved"] == first_approval["approved"]
    assert act(client, pid, "approve", EXEC_2).json()["version"] == 7
    now = client.get(f"/marketing-plans/{pid}", headers=AUDITOR).json()
    assert (now["approved"]["revision"], now["approved"]["approved_by"]) == (2, "max")
    assert now["approved"]["targets"] == [
        {"period": "Q4", "market_share": 15, "brand_awareness": 45, "customer_count": None}
    ]
    assert [(r["revision"], r["version"], r["approved_by"]) for r in now["revisions"]] == [
        (1, 3, "eve"),
        (2, 7, "max"),
    ]
    approved_at = now["revisions"][0]["approved_at"]
    then = client.get(f"/marketing-plans/{pid}", params={"as_of": approved_at}, headers=AUDITOR)
    assert then.status_code == 200, then.text
    assert then.headers["etag"] == '"3"'
    assert then.json() == first_approval
    by_version = client.get(f"/marketing-plans/{pid}", params={"version": 3}, headers=AUDITOR)
    assert by_version.json() == first_approval
    before = client.get(f"/marketing-plans/{pid}", params={"as_of": "1900-01-01"}, headers=AUDITOR)
    assert_problem(before, 404, "not_found")


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, position, command):
    pid = new_plan(client)
    url = ROUTES[command].format(id=pid)
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert_problem(response, 422, "validation_error")
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


def test_order_of_checks(client, position):
    before = position()
    assert_problem(client.post("/marketing-plans", json={}), 401, "unauthenticated")
    assert_problem(client.post("/marketing-plans", json={"x": 1}, headers=EXEC), 403, "forbidden")
    for command, path in ROUTES.items():
        if command != "marketing_plan.draft":
            url = path.format(id=uuid4())
            who = EXEC if command.endswith(("approve", "return")) else MARKETING
            assert_problem(client.post(url, json={"x": 1}, headers=who), 404, "not_found")
    year = {"fiscal_year": 2026, "strategies": {}}
    for body in (
        {**year, "strategies": {"place": "x"}, "targets": []},
        {**year, "targets": [{"period": "Q1", "units": 3}]},
        {**year, "targets": [{"period": "Q1"}]},
        {**year, "targets": [{"period": "Q1", "market_share": 101}]},
        {**year, "targets": [{"period": "Q1", "market_share": True}]},
        {**year, "targets": [{"period": "Q1", "customer_count": 1.5}]},
        {**year, "targets": [{"period": "Q1", "customer_count": -1}]},
        {**year, "targets": [{"period": "Q2", "customer_count": 1}, {"period": "Q2",
                                                                     "customer_count": 2}]},
        {"fiscal_year": "2026", "strategies": {}, "targets": []},
        {"fiscal_year": 1899, "strategies": {}, "targets": []},
        {"strategies": {}, "targets": []},
        {"fiscal_year": 2026, "targets": []},
        year,
    ):  # fmt: skip
        assert_problem(
            client.post("/marketing-plans", json=body, headers=MARKETING), 422, "validation_error"
        )
    assert position() == before
    pid = new_plan(client)
    before = position()
    problem = assert_problem(
        act(client, pid, "amend", MARKETING, {"fiscal_year": 2030}), 422, "validation_error"
    )
    assert [e["field"] for e in problem["errors"]] == ["fiscal_year"]
    assert_problem(act(client, pid, "amend", MARKETING), 422, "validation_error")
    assert_problem(act(client, pid, "return", EXEC, {}), 422, "validation_error")
    # A body error answers before a wrong state.
    assert_problem(act(client, pid, "approve", EXEC, {"x": 1}), 422, "validation_error")
    assert_problem(act(client, pid, "approve", EXEC), 409, "invalid_state")
    assert_problem(act(client, pid, "revise", MARKETING), 409, "invalid_state")
    assert_problem(
        act(client, pid, "measurements", MARKETING, {"metric": "market_share", "period": "Q1",
                                                     "value": 3, "source": "survey"}),
        409,
        "invalid_state",
    )  # fmt: skip
    assert_problem(
        act(client, pid, "submit", MARKETING, **{"If-Match": '"7"'}), 409, "version_conflict"
    )
    assert position() == before
    assert act(client, pid, "submit", MARKETING, **{"If-Match": '"1"'}).status_code == 200
    before = position()
    # The state answers before segregation of duties.
    assert_problem(act(client, pid, "submit", MARKETING), 409, "invalid_state")
    both = bearer("mia", "executive")
    problem = assert_problem(act(client, pid, "approve", both), 403, "segregation_of_duties")
    assert problem["submitted_by"] == "mia"
    assert_problem(
        act(client, pid, "return", both, {"comments": "no"}), 403, "segregation_of_duties"
    )
    assert position() == before


def test_a_second_plan_for_a_year_answers_422_with_the_existing_id(client, position):
    year = next(_years)
    pid = new_plan(client, year=year)
    before = position()
    problem = assert_problem(
        client.post("/marketing-plans", json={"fiscal_year": year, **BODY}, headers=MANAGER),
        422,
        "duplicate_plan",
    )
    assert problem["existing_id"] == pid
    assert position() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"metric": "customer_count"},
        {"period": "Q5"},
        {"value": 100.01},
        {"value": "1.23456"},
        {"source": ""},
        {"occurred_at": "2026-01-01T00:00:00"},
        {"occurred_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        {"occurred_at": (datetime.now(UTC) - timedelta(days=60)).isoformat()},
        {"extra": 1},
    ],
)
def test_malformed_measurements_answer_422_and_write_nothing(client, position, fields):
    pid = approved_plan(client)
    before = position()
    body = {"metric": "market_share", "period": "Q1", "value": "11", "source": "survey"}
    assert_problem(
        act(client, pid, "measurements", MARKETING, {**body, **fields}), 422, "validation_error"
    )
    assert position() == before


def test_the_list_filters_by_status_and_fiscal_year(client):
    draft_year, approved_year = next(_years), next(_years)
    draft = new_plan(client, year=draft_year)
    approved = new_plan(client, year=approved_year)
    act(client, approved, "submit", MARKETING)
    act(client, approved, "approve", EXEC)

    def listed(**params):
        response = client.get("/marketing-plans", params=params, headers=AUDITOR)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    [row] = listed(fiscal_year=approved_year)
    assert {k: row[k] for k in ("id", "fiscal_year", "status", "revision", "version")} == {
        "id": approved,
        "fiscal_year": approved_year,
        "status": "approved",
        "revision": 1,
        "version": 3,
    }
    assert (row["approved_revision"], row["approved_by"]) == (1, "eve")
    assert [r["id"] for r in listed(fiscal_year=draft_year, status="draft")] == [draft]
    assert listed(fiscal_year=draft_year, status="approved") == []
    assert approved in [r["id"] for r in listed(status="approved", limit=1000)]
    assert draft not in [r["id"] for r in listed(status="approved", limit=1000)]
    first = client.get("/marketing-plans", params={"limit": 1}, headers=AUDITOR).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    for params in ({"fiscal_year": "soon"}, {"fiscal_year": 10**12}, {"limit": 0}):
        assert_problem(
            client.get("/marketing-plans", params=params, headers=AUDITOR), 422, "validation_error"
        )


def test_unknown_plans_answer_404(client):
    assert_problem(client.get(f"/marketing-plans/{uuid4()}", headers=AUDITOR), 404, "not_found")
    assert_problem(
        client.get(f"/marketing-plans/{uuid4()}/history", headers=AUDITOR), 404, "not_found"
    )
