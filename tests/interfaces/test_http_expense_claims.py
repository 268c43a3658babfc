"""The expense-claim API of API.md, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from application.permissions import COMMAND_ROLES, ROLES
from projections.runner import READ_MODELS, verify
from tests.application.test_expense_claim_commands import approved_budget, team
from tests.conftest import assert_problem, bearer

FINANCE = bearer("fiona", "finance")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})


def today() -> date:
    """Today in UTC, read when asked: a run may cross midnight."""
    return datetime.now(UTC).date()


ROUTES = {
    "expense_claim.submit": "/expense-claims",
    "expense_claim.approve": "/expense-claims/{id}/approve",
    "expense_claim.reject": "/expense-claims/{id}/reject",
    "expense_claim.pay": "/expense-claims/{id}/pay",
}


def body(bid, **overrides):
    return {
        "expense_type": "travel",
        "amount": "1200.00",
        "spent_on": (today() - timedelta(days=2)).isoformat(),
        "description": "train to Shanghai",
        "receipt_ref": f"R-{uuid4().hex[:6]}",
        "budget_id": str(bid),
        "category": "sales",
        "period": "Q4",
        **overrides,
    }


def submit(client, claimant, budget_id, **overrides) -> str:
    response = client.post(
        "/expense-claims", json=body(budget_id, **overrides), headers=bearer(claimant, "sales")
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_every_expense_claim_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("expense_claim.")}


def test_a_claim_the_whole_way_shows_in_budget_execution(client, app):
    boss, ann = team(app)
    bid = approved_budget(app)
    before = client.get(f"/reports/budgets/{bid}", headers=AUDITOR).json()
    response = client.post(
        "/expense-claims",
        json=body(bid, expense_type="entertainment", amount=4321.5),
        headers=bearer(ann, "sales"),
    )
    assert response.status_code == 201, response.text
    kid = response.json()["id"]
    assert response.headers["location"] == f"/expense-claims/{kid}"
    assert (response.json()["version"], response.headers["etag"]) == (1, '"1"')
    got = client.get(f"/expense-claims/{kid}", headers=AUDITOR)
    assert got.headers["etag"] == '"1"'
    assert (got.json()["status"], got.json()["amount"], got.json()["claimant_id"]) == (
        "submitted",
        "4321.50",
        ann,
    )
    approved = client.post(
        f"/expense-claims/{kid}/approve",
        json={},
        headers={**bearer(boss, "sales_manager"), "If-Match": '"1"'},
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["id"], approved.json()["version"]) == (kid, 2)
    paid = client.post(
        f"/expense-claims/{kid}/pay", json={"paid_on": today().isoformat()}, headers=FINANCE
    )
    assert paid.status_code == 200 and paid.json()["version"] == 3
    claim = client.get(f"/expense-claims/{kid}", headers=bearer(ann, "sales")).json()
    assert (claim["status"], claim["decided_by"], claim["approver_capacity"]) == (
        "paid",
        boss,
        "manager",
    )
    assert (claim["paid_on"], claim["paid_by"], claim["spent_on"]) == (
        today().isoformat(),
        "fiona",
        (today() - timedelta(days=2)).isoformat(),
    )
    assert claim["booking"]["above_standard"] == "0.00"
    budget = client.get(f"/budgets/{bid}", headers=AUDITOR)
    assert claim["booking"]["budget_version"] == int(budget.headers["etag"].strip('"'))
    then = client.get(f"/expense-claims/{kid}", params={"version": 1}, headers=AUDITOR).json()
    assert (then["status"], then["booking"]) == ("submitted", None)
    history = client.get(f"/expense-claims/{kid}/history", headers=AUDITOR).json()["items"]
    assert [(h["type"], h["actor"]) for h in history] == [
        ("Submitted", ann),
        ("Approved", boss),
        ("Paid", "fiona"),
    ]
    assert history[1]["data"]["capacity"] == "manager"
    after = client.get(f"/reports/budgets/{bid}", headers=AUDITOR).json()

    def spent(report):
        [line] = [x for x in report["lines"] if (x["category"], x["period"]) == ("sales", "Q4")]
        return Decimal(line["spent"])

    assert spent(after) - spent(before) == Decimal("4321.50")
    assert Decimal(after["by_expense_type"]["entertainment"]) - Decimal(
        before["by_expense_type"]["entertainment"]
    ) == Decimal("4321.50")


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, app, position, command):
    _, ann = team(app)
    kid = submit(client, ann, approved_budget(app))
    url = ROUTES[command].format(id=kid)
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert_problem(response, 422, "validation_error")
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


def test_order_of_checks(client, app, position):
    boss, ann = team(app)
    bid = approved_budget(app, sales="1000.00")
    before = position()
    assert client.post("/expense-claims", json={}).status_code == 401
    for command, path in ROUTES.items():
        if command != "expense_claim.submit":
            url = path.format(id=uuid4())
            assert_problem(client.post(url, json={"x": 1}, headers=FINANCE), 404, "not_found")
            assert_problem(client.post(url, json={"x": 1}, headers=AUDITOR), 403, "forbidden")
    claimant = bearer(ann, "sales")
    for bad, fields in (
        ({"amount": "12.345"}, {"amount"}),
        ({"amount": "0"}, {"amount"}),
        ({"expense_type": "yacht", "period": "Q5"}, {"expense_type", "period"}),
        ({"extra": 1}, {"extra"}),
        ({"budget_id": str(uuid4())}, {"budget_id"}),
        ({"spent_on": (today() + timedelta(days=1)).isoformat()}, {"spent_on"}),
        ({"spent_on": (today() - timedelta(days=60)).isoformat()}, {"spent_on"}),
        ({"receipt_ref": "  "}, {"receipt_ref"}),
    ):
        problem = assert_problem(
            client.post("/expense-claims", json=body(bid, **bad), headers=claimant),
            422,
            "validation_error",
        )
        assert {e["field"] for e in problem["errors"]} == fields, bad
    # Someone who is not an employee may not claim, even with a valid body.
    assert_problem(
        client.post("/expense-claims", json=body(bid), headers=bearer("visitor", "sales")),
        403,
        "forbidden",
    )
    assert position() == before
    kid = submit(client, ann, bid, amount="1000.01", receipt_ref="HOTEL-7")
    url = f"/expense-claims/{kid}"
    manager = bearer(boss, "sales_manager")
    before = position()
    # Body before If-Match, If-Match before state, state before identity, identity before rule.
    assert_problem(
        client.post(f"{url}/reject", json={"reasons": ""}, headers=manager),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(f"{url}/approve", json={}, headers={**manager, "If-Match": '"5"'}),
        409,
        "version_conflict",
    )
    assert_problem(
        client.post(f"{url}/pay", json={"paid_on": today().isoformat()}, headers=FINANCE),
        409,
        "invalid_state",
    )
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=bearer(str(uuid4()), "sales_manager")),
        403,
        "forbidden",
    )
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=bearer(ann, "finance")),
        403,
        "segregation_of_duties",
    )
    problem = assert_problem(
        client.post(f"{url}/approve", json={}, headers=manager), 422, "budget_exceeded"
    )
    assert (problem["shortfall"], problem["available"]) == ("0.01", "1000.00")
    problem = assert_problem(
        client.post("/expense-claims", json=body(bid, receipt_ref="hotel-7"), headers=claimant),
        422,
        "duplicate_claim",
    )
    assert problem["existing_id"] == kid
    assert position() == before
    assert client.get(url, headers=AUDITOR).json()["version"] == 1
    rejected = client.post(
        f"{url}/reject", json={"reasons": "over the line"}, headers={**FINANCE, "If-Match": '"1"'}
    )
    assert rejected.status_code == 200 and rejected.json()["version"] == 2
    assert_problem(client.post(f"{url}/approve", json={}, headers=FINANCE), 409, "invalid_state")
    again = client.post(
        "/expense-claims", json=body(bid, receipt_ref="Hotel-7", amount="900"), headers=claimant
    )
    assert again.status_code == 201, again.text


def test_the_list_filters_and_pages(client, app):
    boss, ann = team(app)
    _, bob = team(app)
    bid, other = approved_budget(app), approved_budget(app)
    first = submit(client, ann, bid, expense_type="travel")
    second = submit(client, ann, bid, expense_type="office", category="sales")
    third = submit(client, bob, other, expense_type="training", period="Q4")
    client.post(f"/expense-claims/{second}/approve", json={}, headers=bearer(boss, "sales"))
    client.post(f"/expense-claims/{third}/reject", json={"reasons": "no"}, headers=FINANCE)
    for params, expected in (
        ({"claimant_id": ann}, [first, second]),
        ({"claimant_id": ann, "status": "approved"}, [second]),
        ({"claimant_id": ann, "expense_type": "travel"}, [first]),
        ({"budget_id": str(other)}, [third]),
        ({"budget_id": str(other), "status": "rejected"}, [third]),
        ({"budget_id": str(bid), "category": "sales", "period": "Q4"}, [first, second]),
        ({"budget_id": str(bid), "period": "Q1"}, []),
    ):
        items = client.get("/expense-claims", params=params, headers=AUDITOR).json()["items"]
        assert [c["id"] for c in items] == expected, params
    page = client.get("/expense-claims", params={"claimant_id": ann, "limit": 1}, headers=AUDITOR)
    assert [c["id"] for c in page.json()["items"]] == [first] and page.json()["next_cursor"]
    rest = client.get(
        "/expense-claims",
        params={"claimant_id": ann, "limit": 1, "cursor": page.json()["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert [c["id"] for c in rest["items"]] == [second] and rest["next_cursor"] is None
    item = rest["items"][0]
    assert (item["status"], item["approver_capacity"], item["decided_by"]) == (
        "approved",
        "manager",
        boss,
    )
    assert item["budget_version"] is not None and item["amount"] == "1200.00"


def test_a_decision_logged_late_is_dated_over_http(client, app):
    boss, ann = team(app)
    bid = approved_budget(app)
    handed_in = datetime.now(UTC) - timedelta(days=2)
    kid = submit(
        client,
        ann,
        bid,
        spent_on=(today() - timedelta(days=4)).isoformat(),
        occurred_at=handed_in.isoformat(),
    )
    decided = handed_in + timedelta(hours=20)
    answer = client.post(
        f"/expense-claims/{kid}/approve",
        json={"occurred_at": decided.isoformat()},
        headers=bearer(boss, "sales"),
    )
    assert answer.status_code == 200, answer.text
    history = client.get(f"/expense-claims/{kid}/history", headers=AUDITOR).json()["items"]
    assert datetime.fromisoformat(history[1]["occurred_at"]) == decided
    claim = client.get(f"/expense-claims/{kid}", headers=AUDITOR).json()
    assert datetime.fromisoformat(claim["decided_at"]) == decided
    budget_history = client.get(
        f"/budgets/{bid}/history", params={"limit": 1000}, headers=AUDITOR
    ).json()["items"]
    booked = [h for h in budget_history if h["data"].get("reference") == kid]
    assert [datetime.fromisoformat(h["occurred_at"]) for h in booked] == [decided]


def test_live_tables_equal_a_rebuild(client, app, services, module_database):
    boss, ann = team(app)
    bid = approved_budget(app)
    kid = submit(client, ann, bid)
    client.post(f"/expense-claims/{kid}/approve", json={}, headers=bearer(boss, "sales"))
    paid = {"paid_on": today().isoformat()}
    client.post(f"/expense-claims/{kid}/pay", json=paid, headers=FINANCE)
    gone = submit(client, ann, bid)
    client.post(f"/expense-claims/{gone}/reject", json={"reasons": "no"}, headers=FINANCE)
    assert services.read_side.wait("expense_claims", app.max_position(), timeout=10)
    for name in ("expense_claims", "budget_execution"):
        differences = verify(app, READ_MODELS[name], module_database.env(), module_database.dialect)
        assert differences == [], name
    listed = client.get("/expense-claims", params={"budget_id": str(bid)}, headers=AUDITOR).json()[
        "items"
    ]
    assert [(c["id"], c["status"]) for c in listed] == [(kid, "paid"), (gone, "rejected")]
