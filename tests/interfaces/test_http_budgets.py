"""The budget API of API.md, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.permissions import COMMAND_ROLES, ROLES
from tests.conftest import assert_problem, bearer

FINANCE = bearer("fiona", "finance")
EXEC = bearer("eve", "executive")
EXEC_2 = bearer("max", "executive")
SALES = bearer("sam", "sales")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})
_years = itertools.count(2001)

ROUTES = {
    "budget.draft": "/budgets",
    "budget.amend": "/budgets/{id}/amend",
    "budget.submit": "/budgets/{id}/submit",
    "budget.approve": "/budgets/{id}/approve",
    "budget.reject": "/budgets/{id}/reject",
    "budget.commit": "/budgets/{id}/commitments",
    "budget.release_commitment": "/budgets/{id}/commitments/po-1/release",
    "budget.expense": "/budgets/{id}/expenses",
    "budget.overrun_request": "/budgets/{id}/overruns",
    "budget.overrun_approve": "/budgets/{id}/overruns/{oid}/approve",
    "budget.overrun_reject": "/budgets/{id}/overruns/{oid}/reject",
    "budget.reallocate": "/budgets/{id}/reallocations",
    "budget.close": "/budgets/{id}/close",
}


def budget_body(**overrides):
    body = {
        "fiscal_year": next(_years),
        "lines": [
            {"category": "promotion", "period": "Q2", "amount": "10000.00"},
            {"category": "sales", "period": "Q2", "amount": 30000},
        ],
        "targets": [{"period": "Q2", "revenue": "90000.00", "units": 30, "new_customers": 6}],
    }
    body.update(overrides)
    return body


def new_budget(client, **overrides) -> str:
    response = client.post("/budgets", json=budget_body(**overrides), headers=FINANCE)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def approved_budget(client) -> str:
    bid = new_budget(client)
    assert client.post(f"/budgets/{bid}/submit", json={}, headers=FINANCE).status_code == 200
    assert client.post(f"/budgets/{bid}/approve", json={}, headers=EXEC).status_code == 200
    return bid


def test_every_budget_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("budget.")}


def test_drafting_answers_201_with_location_and_the_budget_reads_back(client):
    body = budget_body(name="Plan")
    response = client.post("/budgets", json=body, headers=FINANCE)
    assert response.status_code == 201
    created = response.json()
    assert response.headers["location"] == f"/budgets/{created['id']}"
    got = client.get(response.headers["location"], headers=AUDITOR)
    assert got.headers["etag"] == '"1"'
    budget = got.json()
    assert (budget["id"], budget["version"], budget["status"], budget["name"]) == (
        created["id"],
        1,
        "draft",
        "Plan",
    )
    assert budget["fiscal_year"] == body["fiscal_year"]
    assert len(budget["lines"]) == 16
    promotion = next(
        x for x in budget["lines"] if x["category"] == "promotion" and x["period"] == "Q2"
    )
    assert promotion == {
        "category": "promotion",
        "period": "Q2",
        "planned": "10000.00",
        "adjustments": "0.00",
        "overruns_approved": "0.00",
        "committed": "0.00",
        "spent": "0.00",
        "available": "10000.00",
    }
    assert budget["targets"] == [
        {"period": "Q2", "revenue": "90000.00", "units": 30, "new_customers": 6}
    ]


def test_the_whole_way_over_http(client):
    bid = new_budget(client)
    url = f"/budgets/{bid}"
    assert client.post(f"{url}/submit", json={}, headers=FINANCE).json()["version"] == 2
    reject = client.post(f"{url}/reject", json={"reasons": "more sales"}, headers=EXEC)
    assert reject.status_code == 200
    amend = client.post(
        f"{url}/amend",
        json={"lines": [{"category": "promotion", "period": "Q2", "amount": "12000"}]},
        headers=FINANCE,
    )
    assert amend.status_code == 200, amend.text
    client.post(f"{url}/submit", json={}, headers=FINANCE)
    assert client.post(f"{url}/approve", json={}, headers=EXEC).json()["version"] == 6
    commit = client.post(
        f"{url}/commitments",
        json={"category": "promotion", "period": "Q2", "amount": "5000", "reference": "po-1"},
        headers=FINANCE,
    )
    assert commit.status_code == 200, commit.text
    expense = client.post(
        f"{url}/expenses",
        json={
            "category": "promotion",
            "period": "Q2",
            "amount": 2000.5,
            "expense_type": "advertising",
            "reference": "po-1",
            "description": "posters",
            "occurred_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        },
        headers=FINANCE,
    )
    assert expense.status_code == 200, expense.text
    overrun = client.post(
        f"{url}/overruns",
        json={"category": "promotion", "period": "Q2", "amount": "1000", "justification": "x"},
        headers=SALES,
    )
    assert overrun.status_code == 201, overrun.text
    oid = overrun.json()["id"]
    assert overrun.headers["location"] == f"{url}/overruns/{oid}"
    assert client.post(f"{url}/overruns/{oid}/approve", json={}, headers=EXEC).status_code == 200
    second = client.post(
        f"{url}/overruns",
        json={"category": "sales", "period": "Q2", "amount": "1", "justification": "y"},
        headers=SALES,
    ).json()["id"]
    rejected = client.post(f"{url}/overruns/{second}/reject", json={"reasons": "no"}, headers=EXEC)
    assert rejected.status_code == 200
    moved = client.post(
        f"{url}/reallocations",
        json={
            "from_category": "promotion",
            "from_period": "Q2",
            "to_category": "promotion",
            "to_period": "Q3",
            "amount": "500",
            "reason": "later fair",
        },
        headers=EXEC,
    )
    assert moved.status_code == 200, moved.text
    release = client.post(f"{url}/commitments/po-1/release", json={}, headers=FINANCE)
    assert release.status_code == 200, release.text
    assert client.post(f"{url}/close", json={}, headers=FINANCE).json()["version"] == 15
    budget = client.get(url, headers=AUDITOR).json()
    promotion = next(
        x for x in budget["lines"] if (x["category"], x["period"]) == ("promotion", "Q2")
    )
    assert (promotion["planned"], promotion["spent"], promotion["available"]) == (
        "12000.00",
        "2000.50",
        "10499.50",
    )
    assert budget["status"] == "closed"
    assert budget["commitments"][0]["released"] is True
    assert {o["status"] for o in budget["overruns"]} == {"approved", "rejected"}
    history = client.get(f"{url}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history] == [
        "Drafted",
        "Submitted",
        "Rejected",
        "Amended",
        "Submitted",
        "Approved",
        "Committed",
        "ExpenseRecorded",
        "OverrunRequested",
        "OverrunApproved",
        "OverrunRequested",
        "OverrunRejected",
        "Reallocated",
        "CommitmentReleased",
        "Closed",
    ]
    assert history[7]["data"]["consumed"] == "2000.50"
    assert history[7]["occurred_at"] < history[7]["recorded_at"]
    then = client.get(f"{url}?version=6", headers=SALES).json()
    assert (then["version"], then["status"]) == (6, "approved")
    report = client.get(f"/reports/budgets/{bid}", headers=AUDITOR).json()
    assert "as_of" not in report
    line = next(x for x in report["lines"] if (x["category"], x["period"]) == ("promotion", "Q2"))
    assert (line["adjustments"], line["overruns_approved"], line["available"]) == (
        "-500.00",
        "1000.00",
        "10499.50",
    )
    assert report["by_expense_type"]["advertising"] == "2000.50"
    earlier = client.get(
        f"/reports/budgets/{bid}",
        params={"as_of": (datetime.now(UTC) - timedelta(days=1)).date().isoformat()},
        headers=AUDITOR,
    ).json()
    assert earlier["as_of"] == (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    line = next(x for x in earlier["lines"] if (x["category"], x["period"]) == ("promotion", "Q2"))
    # As of yesterday only the back-dated expense had happened.
    assert (line["spent"], line["committed"], line["overruns_approved"]) == (
        "2000.50",
        "0.00",
        "0.00",
    )


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, position, command):
    bid = new_budget(client)
    url = ROUTES[command].format(id=bid, oid=uuid4())
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert response.status_code != 403, (role, response.text)
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


def test_unknown_budget_is_404_before_a_bad_body(client, position):
    before = position()
    for command, path in ROUTES.items():
        if command == "budget.draft":
            continue
        url = path.format(id=uuid4(), oid=uuid4())
        assert_problem(
            client.post(url, json={"bad": 1}, headers=bearer("ada", "admin")), 404, "not_found"
        )
    assert_problem(client.get(f"/budgets/{uuid4()}", headers=SALES), 404, "not_found")
    assert_problem(client.get(f"/budgets/{uuid4()}/history", headers=SALES), 404, "not_found")
    assert_problem(client.get(f"/reports/budgets/{uuid4()}", headers=SALES), 404, "not_found")
    assert position() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fiscal_year": "2026"}, "fiscal_year"),
        ({"lines": [{"category": "travel", "period": "Q1", "amount": "1"}]}, "lines.0.category"),
        ({"lines": [{"category": "sales", "period": "Q1", "amount": "1.005"}]}, "lines.0.amount"),
        ({"lines": [{"category": "sales", "period": "Q1", "amount": "1"}] * 2}, "lines.1"),
        ({"unknown": True}, "unknown"),
    ],
)
def test_bad_drafts_are_422_with_the_field_and_write_nothing(client, position, body, field):
    before = position()
    problem = assert_problem(
        client.post("/budgets", json=budget_body(**body), headers=FINANCE), 422, "validation_error"
    )
    assert field in {e["field"] for e in problem["errors"]}
    assert position() == before


def test_refusals_answer_409_403_and_422_with_their_facts(client, position):
    body = budget_body()
    bid = new_budget(client, fiscal_year=body["fiscal_year"])
    before = position()
    duplicate = assert_problem(
        client.post("/budgets", json=body, headers=EXEC), 422, "duplicate_budget"
    )
    assert duplicate["existing_id"] == bid
    url = f"/budgets/{bid}"
    commit = {"category": "promotion", "period": "Q2", "amount": "10000.01", "reference": "r"}
    assert_problem(
        client.post(f"{url}/commitments", json=commit, headers=FINANCE), 409, "invalid_state"
    )
    assert_problem(client.post(f"{url}/approve", json={}, headers=EXEC), 409, "invalid_state")
    assert position() == before
    client.post(f"{url}/submit", json={}, headers=EXEC)
    before = position()
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=EXEC), 403, "segregation_of_duties"
    )
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=bearer("eve", "admin")),
        403,
        "segregation_of_duties",
    )
    assert_problem(
        client.post(f"{url}/reject", json={"reasons": "x"}, headers=EXEC),
        403,
        "segregation_of_duties",
    )
    assert position() == before
    client.post(f"{url}/approve", json={}, headers=EXEC_2)
    before = position()
    exceeded = assert_problem(
        client.post(f"{url}/commitments", json=commit, headers=FINANCE), 422, "budget_exceeded"
    )
    assert (exceeded["available"], exceeded["requested"], exceeded["shortfall"]) == (
        "10000.00",
        "10000.01",
        "0.01",
    )
    standard = assert_problem(
        client.post(
            f"{url}/expenses",
            json={
                "category": "sales",
                "period": "Q2",
                "amount": "20000.01",
                "expense_type": "travel",
                "description": "trip",
            },
            headers=FINANCE,
        ),
        422,
        "expense_standard_exceeded",
    )
    assert standard["standard"] == "20000.00"
    assert_problem(
        client.post(f"{url}/commitments/none/release", json={}, headers=FINANCE), 404, "not_found"
    )
    assert_problem(
        client.post(f"{url}/overruns/{uuid4()}/approve", json={}, headers=EXEC), 404, "not_found"
    )
    assert_problem(
        client.post(f"{url}/expenses", json={"category": "sales"}, headers=FINANCE),
        422,
        "validation_error",
    )
    slash = {**commit, "amount": "1", "reference": "PO/7"}
    problem = assert_problem(
        client.post(f"{url}/commitments", json=slash, headers=FINANCE), 422, "validation_error"
    )
    assert [e["field"] for e in problem["errors"]] == ["reference"]
    assert position() == before


def test_if_match_and_idempotency_keys(client, position):
    bid = approved_budget(client)
    url = f"/budgets/{bid}/commitments"
    body = {"category": "promotion", "period": "Q2", "amount": "100", "reference": "k-1"}
    before = position()
    stale = client.post(url, json=body, headers={**FINANCE, "If-Match": '"2"'})
    assert_problem(stale, 409, "version_conflict")
    assert position() == before
    keyed = {**FINANCE, "Idempotency-Key": "commit-k-1"}
    first = client.post(url, json=body, headers={**keyed, "If-Match": '"3"'})
    assert first.status_code == 200, first.text
    again = client.post(url, json=body, headers=keyed)
    assert (again.status_code, again.json()["version"]) == (200, 4)
    assert_problem(
        client.post(url, json={**body, "amount": "5"}, headers=keyed), 409, "idempotency_key_reused"
    )


def test_the_list_filters_and_pages(client):
    year = next(_years)
    bid = new_budget(client, fiscal_year=year)
    found = client.get("/budgets", params={"fiscal_year": year}, headers=AUDITOR).json()["items"]
    assert [b["id"] for b in found] == [bid]
    assert found[0]["status"] == "draft"
    client.post(f"/budgets/{bid}/submit", json={}, headers=FINANCE)
    pending = client.get("/budgets", params={"status": "pending_approval"}, headers=AUDITOR)
    assert bid in [b["id"] for b in pending.json()["items"]]
    new_budget(client)
    first = client.get("/budgets", params={"limit": 1}, headers=AUDITOR).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get(
        "/budgets", params={"limit": 1, "cursor": first["next_cursor"]}, headers=AUDITOR
    ).json()
    assert second["items"][0]["position"] > first["items"][0]["position"]


def test_a_budget_as_of_a_time(client):
    bid = new_budget(client)
    between = datetime.now(UTC).isoformat()
    client.post(f"/budgets/{bid}/submit", json={}, headers=FINANCE)
    then = client.get(f"/budgets/{bid}", params={"as_of": between}, headers=SALES).json()
    assert (then["status"], then["version"]) == ("draft", 1)
    now = client.get(f"/budgets/{bid}", headers=SALES)
    assert (now.json()["status"], now.headers["etag"]) == ("pending_approval", '"2"')
    assert_problem(
        client.get(f"/budgets/{bid}", params={"as_of": "2020-01-01"}, headers=SALES),
        404,
        "not_found",
    )
