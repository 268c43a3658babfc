"""The opportunity API of API.md, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.customers import RegisterLead
from application.commands.opportunities import LoseOpportunity, OpenOpportunity
from application.permissions import COMMAND_ROLES, ROLES
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from tests.conftest import as_, assert_problem, bearer, unique

SALES = bearer("sam", "sales")
OTHER_SALES = bearer("sid", "sales")
MANAGER = bearer("mia", "sales_manager")
FINANCE = bearer("fiona", "finance")
AUDITOR = bearer("audrey", "auditor")
NOW = datetime.now(UTC)
TODAY = NOW.date()

ROUTES = {
    "opportunity.open": "/opportunities",
    "opportunity.advance": "/opportunities/{id}/advance",
    "opportunity.regress": "/opportunities/{id}/regress",
    "opportunity.quote": "/opportunities/{id}/quotes",
    "opportunity.negotiation": "/opportunities/{id}/negotiations",
    "opportunity.win": "/opportunities/{id}/win",
    "opportunity.lose": "/opportunities/{id}/lose",
    "opportunity.reopen": "/opportunities/{id}/reopen",
}
LINE = {"sku": "SEO-M", "quantity": 2, "unit_price": "1500.00", "unit_cost": "900.00"}


def customer(client, who=SALES) -> str:
    response = client.post(
        "/customers",
        json={
            "name": unique(),
            "kind": "company",
            "source": "web",
            "contacts": [{"name": "Bob", "email": f"{uuid4().hex[:8]}@x.cn"}],
        },
        headers=who,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def open_one(client, cid=None, who=SALES, **fields) -> str:
    body = {
        "customer_id": cid or customer(client),
        "title": fields.pop("title", "Brand relaunch"),
        "expected_value": "9000.00",
        "expected_close_on": (TODAY + timedelta(days=40)).isoformat(),
        **fields,
    }
    response = client.post("/opportunities", json=body, headers=who)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/opportunities/{response.json()['id']}"
    return response.json()["id"]


def quote(client, oid, who=SALES, **fields):
    body = {
        "lines": [LINE],
        "valid_until": (TODAY + timedelta(days=10)).isoformat(),
        "payment_term_days": 30,
        **fields,
    }
    return client.post(f"/opportunities/{oid}/quotes", json=body, headers=who)


def test_every_opportunity_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("opportunity.")}


def test_the_whole_way_over_http(client):
    cid = customer(client)
    oid = open_one(client, cid, competitors=["Rival"], source="exhibition")
    step = client.post(
        f"/opportunities/{oid}/advance", json={"to_stage": "proposal", "note": "met"}, headers=SALES
    )
    assert (step.status_code, step.json()["version"]) == (200, 2)
    step = client.post(
        f"/opportunities/{oid}/regress",
        json={"to_stage": "needs_analysis", "reason": "new requirements"},
        headers=SALES,
    )
    assert step.status_code == 200, step.text
    quoted = quote(client, oid)
    assert quoted.status_code == 201, quoted.text
    qid = quoted.json()["id"]
    assert quoted.headers["Location"] == f"/opportunities/{oid}/quotes/{qid}"
    step = client.post(
        f"/opportunities/{oid}/negotiations",
        json={"summary": "discount asked", "concessions": "free first month"},
        headers=SALES,
    )
    assert step.status_code == 200, step.text
    got = client.get(f"/opportunities/{oid}", headers=AUDITOR)
    assert got.status_code == 200
    assert got.headers["ETag"] == '"5"'
    body = got.json()
    assert (body["status"], body["stage"], body["probability"]) == ("open", "needs_analysis", 0.25)
    assert (body["value"], body["weighted_value"], body["expected_value"]) == (
        "3000.00",
        "750.00",
        "9000.00",
    )
    assert body["quotes"][0]["id"] == qid and body["quotes"][0]["total"] == "3000.00"
    assert body["negotiations"][0]["concessions"] == "free first month"
    assert (body["competitors"], body["regressions"]) == (["Rival"], 1)
    won = client.post(
        f"/opportunities/{oid}/win",
        json={"quote_id": qid, "delivery_due_on": (TODAY + timedelta(days=60)).isoformat()},
        headers={**SALES, "If-Match": '"5"'},
    )
    assert won.status_code == 200, won.text
    contract_id = won.json()["contract_id"]
    assert won.json()["version"] == 6
    contract = client.get(f"/contracts/{contract_id}", headers=AUDITOR).json()
    assert (contract["status"], contract["customer_id"], contract["owner_id"]) == (
        "draft",
        cid,
        "sam",
    )
    assert contract["total"] == "3000.00"
    then = client.get(f"/opportunities/{oid}", params={"version": 2}, headers=AUDITOR).json()
    assert (then["stage"], then["probability"], then["weighted_value"]) == (
        "proposal",
        0.5,
        "4500.00",
    )
    now = client.get(f"/opportunities/{oid}", headers=AUDITOR).json()
    assert (now["status"], now["contract_id"], now["weighted_value"]) == (
        "won",
        contract_id,
        "3000.00",
    )
    history = client.get(f"/opportunities/{oid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history] == [
        "Opened",
        "Advanced",
        "Regressed",
        "QuoteAdded",
        "NegotiationRecorded",
        "Won",
    ]
    assert history[0]["aggregate_type"] == "Opportunity"
    assert history[-1]["actor"] == "sam"
    assert history[-1]["data"]["contract_id"] == contract_id


def test_lose_and_reopen_over_http(client):
    oid = open_one(client)
    lost = client.post(
        f"/opportunities/{oid}/lose",
        json={"reason": "competitor", "competitor": "Rival Ltd"},
        headers=SALES,
    )
    assert lost.status_code == 200, lost.text
    body = client.get(f"/opportunities/{oid}", headers=AUDITOR).json()
    assert body["loss"] == {"reason": "competitor", "competitor": "Rival Ltd"}
    assert_problem(
        client.post(f"/opportunities/{oid}/lose", json={"reason": "price"}, headers=SALES),
        409,
        "invalid_state",
    )
    assert client.post(f"/opportunities/{oid}/reopen", json={}, headers=MANAGER).status_code == 200
    assert client.get(f"/opportunities/{oid}", headers=AUDITOR).json()["stage"] == "qualification"


def test_order_of_checks(client, position):
    oid = open_one(client)
    before = position()
    assert_problem(client.post("/opportunities", json={}), 401, "unauthenticated")
    assert_problem(client.post("/opportunities", json={"x": 1}, headers=FINANCE), 403, "forbidden")
    for command, path in ROUTES.items():
        if command != "opportunity.open":
            url = path.format(id=uuid4())
            assert_problem(client.post(url, json={"x": 1}, headers=SALES), 404, "not_found")
            # Role before id: finance may not issue any of them.
            assert_problem(client.post(url, json={}, headers=FINANCE), 403, "forbidden")
    problem = assert_problem(
        client.post(f"/opportunities/{oid}/advance", json={"to_stage": "won"}, headers=SALES),
        422,
        "validation_error",
    )
    assert {e["field"] for e in problem["errors"]} == {"to_stage"}
    problem = assert_problem(
        client.post("/opportunities", json={"title": "x", "extra": 1}, headers=SALES),
        422,
        "validation_error",
    )
    assert {"customer_id", "expected_value", "extra"} <= {e["field"] for e in problem["errors"]}
    assert_problem(
        client.post(
            f"/opportunities/{oid}/advance",
            json={"to_stage": "proposal"},
            headers={**SALES, "If-Match": '"7"'},
        ),
        409,
        "version_conflict",
    )
    # State before identity: another sales user trying to go back gets invalid_state...
    assert_problem(
        client.post(
            f"/opportunities/{oid}/regress",
            json={"to_stage": "qualification", "reason": "x"},
            headers=OTHER_SALES,
        ),
        409,
        "invalid_state",
    )
    # ... and a valid step by someone not the owner is forbidden.
    assert_problem(
        client.post(
            f"/opportunities/{oid}/advance", json={"to_stage": "proposal"}, headers=OTHER_SALES
        ),
        403,
        "forbidden",
    )
    assert_problem(quote(client, oid, who=OTHER_SALES), 403, "forbidden")
    # Rules last.
    assert_problem(
        quote(
            client, oid, lines=[{"sku": f"NOPE-{uuid4().hex[:6]}", "quantity": 1, "unit_cost": "1"}]
        ),
        422,
        "no_list_price",
    )
    assert position() == before
    assert (
        client.post(
            f"/opportunities/{oid}/advance", json={"to_stage": "proposal"}, headers=MANAGER
        ).status_code
        == 200
    )


def test_win_refusals_over_http(client, position):
    cid = customer(client)
    oid = open_one(client, cid, occurred_at=(NOW - timedelta(days=3)).isoformat())
    expired = quote(
        client,
        oid,
        valid_until=(TODAY - timedelta(days=1)).isoformat(),
        occurred_at=(NOW - timedelta(days=2)).isoformat(),
    ).json()["id"]
    due = (TODAY + timedelta(days=30)).isoformat()
    before = position()
    problem = assert_problem(
        client.post(
            f"/opportunities/{oid}/win",
            json={"quote_id": expired, "delivery_due_on": due},
            headers=SALES,
        ),
        422,
        "quote_expired",
    )
    assert problem["valid_until"] == (TODAY - timedelta(days=1)).isoformat()
    assert_problem(
        client.post(
            f"/opportunities/{oid}/win",
            json={"quote_id": str(uuid4()), "delivery_due_on": due},
            headers=SALES,
        ),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(
            f"/opportunities/{oid}/win",
            json={"quote_id": expired, "delivery_due_on": due, "channel": "fax"},
            headers=SALES,
        ),
        422,
        "validation_error",
    )
    assert position() == before
    lost_customer = customer(client)
    assert (
        client.post(
            f"/customers/{lost_customer}/lost", json={"reason": "gone"}, headers=SALES
        ).status_code
        == 200
    )
    before = position()
    assert_problem(
        client.post(
            "/opportunities",
            json={
                "customer_id": lost_customer,
                "title": "x",
                "expected_value": "1.00",
                "expected_close_on": TODAY.isoformat(),
            },
            headers=SALES,
        ),
        422,
        "customer_lost",
    )
    assert_problem(
        client.post(
            "/opportunities",
            json={
                "customer_id": str(uuid4()),
                "title": "x",
                "expected_value": "1.00",
                "expected_close_on": TODAY.isoformat(),
            },
            headers=SALES,
        ),
        422,
        "validation_error",
    )
    assert position() == before


def test_the_list_filters_and_pages(client):
    cid = customer(client, who=MANAGER)
    tag = uuid4().hex[:8]
    first = open_one(client, cid, who=MANAGER, title=f"Fair {tag} one", owner_id="olga")
    second = open_one(client, cid, who=MANAGER, title=f"Fair {tag} two", owner_id="olga")
    third = open_one(client, cid, who=MANAGER, title=f"Video {tag}", owner_id="oscar")
    client.post(
        f"/opportunities/{second}/advance", json={"to_stage": "negotiation"}, headers=MANAGER
    )
    client.post(f"/opportunities/{third}/lose", json={"reason": "timing"}, headers=MANAGER)

    def ids(**params):
        response = client.get("/opportunities", params=params, headers=AUDITOR)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(customer_id=cid) == [first, second, third]
    assert ids(customer_id=cid, owner_id="olga") == [first, second]
    assert ids(customer_id=cid, stage="negotiation") == [second]
    assert ids(customer_id=cid, status="lost") == [third]
    assert ids(customer_id=cid, status="open") == [first, second]
    assert ids(q=f"FAIR {tag}") == [first, second]
    page = client.get(
        "/opportunities", params={"customer_id": cid, "limit": 2}, headers=AUDITOR
    ).json()
    assert [i["id"] for i in page["items"]] == [first, second]
    rest = client.get(
        "/opportunities",
        params={"customer_id": cid, "limit": 2, "cursor": page["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert [i["id"] for i in rest["items"]] == [third] and rest["next_cursor"] is None
    item = page["items"][1]
    assert (item["stage"], item["weighted_value"], item["probability"]) == (
        "negotiation",
        "6750.00",
        0.75,
    )


def test_history_and_verify_from_the_command_line(database):
    app = Backoffice(database.env())
    try:
        cid = app.handle(
            as_("sam", "sales"),
            RegisterLead(
                name=unique(),
                kind="company",
                source="web",
                contacts=[{"name": "Bob", "phone": None, "email": "bob@x.cn"}],
            ),
        ).id
        oid = app.handle(
            as_("sam", "sales"),
            OpenOpportunity(
                customer_id=cid,
                title="Cli deal",
                expected_value=Decimal("100.00"),
                expected_close_on=TODAY,
            ),
        ).id
        app.handle(as_("sam", "sales"), LoseOpportunity(oid, reason="no_decision"))
    finally:
        app.close()
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    result = runner.invoke(cli, ["history", "opportunity", str(oid)], env=env)
    assert result.exit_code == 0, result.output
    assert "Opened" in result.output and "Lost" in result.output
    rebuilt = runner.invoke(cli, ["projections", "rebuild", "pipeline"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(cli, ["projections", "verify", "pipeline"], env=env)
    assert verified.exit_code == 0, verified.output


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, position, command):
    oid = open_one(client)
    url = ROUTES[command].format(id=oid)
    before = position()
    for role in sorted(ROLES - {"admin"}):
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert_problem(response, 422, "validation_error")
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before
