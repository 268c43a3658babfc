"""The campaign API of API.md and `/reports/campaigns`, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from uuid import uuid4

import pytest

from application.permissions import COMMAND_ROLES, ROLES
from tests.conftest import assert_problem, bearer

FINANCE = bearer("fiona", "finance")
EXEC = bearer("eve", "executive")
OWNER = bearer("mark", "marketing")
OTHER = bearer("mona", "marketing")
MANAGER = bearer("mia", "sales_manager")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})
_years = itertools.count(2001)

ROUTES = {
    "campaign.draft": "/campaigns",
    "campaign.amend": "/campaigns/{id}/amend",
    "campaign.submit": "/campaigns/{id}/submit",
    "campaign.approve": "/campaigns/{id}/approve",
    "campaign.reject": "/campaigns/{id}/reject",
    "campaign.launch": "/campaigns/{id}/launch",
    "campaign.result": "/campaigns/{id}/results",
    "campaign.complete": "/campaigns/{id}/complete",
    "campaign.evaluate": "/campaigns/{id}/evaluate",
    "campaign.cancel": "/campaigns/{id}/cancel",
}


def approved_budget(client, promotion="10000.00") -> str:
    response = client.post(
        "/budgets",
        json={
            "fiscal_year": next(_years),
            "lines": [{"category": "promotion", "period": "Q4", "amount": promotion}],
        },
        headers=FINANCE,
    )
    bid = response.json()["id"]
    client.post(f"/budgets/{bid}/submit", json={}, headers=FINANCE)
    client.post(f"/budgets/{bid}/approve", json={}, headers=EXEC)
    return bid


def campaign_body(bid, **overrides):
    body = {
        "name": "Winter launch",
        "objective": "new leads in the north",
        "channels": ["social", "exhibition"],
        "starts_on": "2026-10-01",
        "ends_on": "2026-12-31",
        "budget_amount": "6000.00",
        "budget_id": bid,
        "budget_period": "Q4",
        "targets": {"impressions": 100000, "leads": 40, "revenue": "50000"},
    }
    body.update(overrides)
    return body


def new_campaign(client, bid, **overrides) -> str:
    response = client.post("/campaigns", json=campaign_body(bid, **overrides), headers=OWNER)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def running(client, bid, **overrides) -> str:
    cid = new_campaign(client, bid, **overrides)
    for path, headers in (("submit", OWNER), ("approve", EXEC), ("launch", OWNER)):
        response = client.post(f"/campaigns/{cid}/{path}", json={}, headers=headers)
        assert response.status_code == 200, response.text
    return cid


def test_every_campaign_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("campaign.")}


def test_the_whole_way_over_http_with_the_report(client):
    bid = approved_budget(client)
    response = client.post("/campaigns", json=campaign_body(bid), headers=OWNER)
    assert response.status_code == 201
    cid = response.json()["id"]
    assert response.headers["location"] == f"/campaigns/{cid}"
    url = f"/campaigns/{cid}"
    got = client.get(url, headers=AUDITOR)
    assert got.headers["etag"] == '"1"'
    assert (got.json()["status"], got.json()["owner_id"], got.json()["budget_amount"]) == (
        "draft",
        "mark",
        "6000.00",
    )
    client.post(f"{url}/submit", json={}, headers=OWNER)
    rejected = client.post(f"{url}/reject", json={"reasons": "too dear"}, headers=MANAGER)
    assert rejected.status_code == 200
    amended = client.post(f"{url}/amend", json={"budget_amount": "5000"}, headers=OWNER)
    assert amended.status_code == 200, amended.text
    client.post(f"{url}/submit", json={}, headers=OWNER)
    approved = client.post(f"{url}/approve", json={}, headers=EXEC)
    assert approved.json()["version"] == 6
    client.post(f"{url}/launch", json={}, headers=OWNER)
    result = client.post(
        f"{url}/results",
        json={
            "channel": "social",
            "spend": "4000",
            "impressions": 60000,
            "clicks": 2400,
            "leads": 30,
            "conversions": 5,
            "attributed_revenue": "24000",
            "feedback": "strong",
        },
        headers=OWNER,
    )
    assert result.status_code == 200, result.text
    for _ in range(2):
        lead = client.post(
            "/customers",
            json={
                "name": f"Fair visitor {uuid4().hex[:6]}",
                "kind": "person",
                "source": "campaign",
                "campaign_id": cid,
                "contacts": [],
            },
            headers=OWNER,
        )
        assert lead.status_code == 201, lead.text
    assert client.post(f"{url}/complete", json={}, headers=OWNER).status_code == 200
    evaluated = client.post(
        f"{url}/evaluate", json={"summary": "worth it", "rating": 4}, headers=OWNER
    )
    assert evaluated.json()["version"] == 10
    campaign = client.get(url, headers=AUDITOR).json()
    assert (campaign["status"], campaign["spend"], campaign["released"]) == (
        "evaluated",
        "4000.00",
        "1000.00",
    )
    report = client.get("/reports/campaigns", params={"budget_id": bid}, headers=AUDITOR).json()
    [item] = report["items"]
    assert item == {
        "campaign_id": cid,
        "name": "Winter launch",
        "status": "evaluated",
        "owner_id": "mark",
        "budget_id": bid,
        "budget": "5000.00",
        "spend": "4000.00",
        "impressions": 60000,
        "clicks": 2400,
        "leads": 30,
        "attributed_leads": 2,
        "conversions": 5,
        "attributed_revenue": "24000.00",
        "cost_per_lead": 125.0,
        "roi": 5.0,
        "attainment": {"impressions": 0.6, "leads": 0.8, "revenue": 0.48},
        "rating": 4,
        "position": item["position"],
    }
    budget = client.get(f"/reports/budgets/{bid}", headers=AUDITOR).json()
    line = next(x for x in budget["lines"] if (x["category"], x["period"]) == ("promotion", "Q4"))
    assert (line["committed"], line["spent"], line["available"]) == ("0.00", "4000.00", "6000.00")
    history = client.get(f"{url}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history][-3:] == ["ResultRecorded", "Completed", "Evaluated"]


def test_a_failed_approval_answers_422_and_changes_neither(client, position):
    bid = approved_budget(client, promotion="5999.99")
    cid = new_campaign(client, bid)
    client.post(f"/campaigns/{cid}/submit", json={}, headers=OWNER)
    before = position()
    budget_etag = client.get(f"/budgets/{bid}", headers=AUDITOR).headers["etag"]
    problem = assert_problem(
        client.post(f"/campaigns/{cid}/approve", json={}, headers=EXEC), 422, "budget_exceeded"
    )
    assert (problem["available"], problem["shortfall"]) == ("5999.99", "0.01")
    assert position() == before
    assert client.get(f"/budgets/{bid}", headers=AUDITOR).headers["etag"] == budget_etag
    campaign = client.get(f"/campaigns/{cid}", headers=AUDITOR)
    assert (campaign.headers["etag"], campaign.json()["status"]) == ('"2"', "pending_approval")


def test_spend_beyond_the_commitment_and_the_line_is_refused(client, position):
    bid = approved_budget(client, promotion="7000.00")
    cid = running(client, bid)
    ok = client.post(
        f"/campaigns/{cid}/results", json={"channel": "social", "spend": "6500"}, headers=OWNER
    )
    assert ok.status_code == 200
    before = position()
    assert_problem(
        client.post(
            f"/campaigns/{cid}/results",
            json={"channel": "social", "spend": "500.01"},
            headers=OWNER,
        ),
        422,
        "budget_exceeded",
    )
    assert position() == before
    cancel = client.post(f"/campaigns/{cid}/cancel", json={"reason": "stop"}, headers=MANAGER)
    assert cancel.status_code == 200


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, position, command):
    bid = approved_budget(client)
    cid = new_campaign(client, bid)
    url = ROUTES[command].format(id=cid)
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert response.status_code != 403, (role, response.text)
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


def test_order_of_checks_and_identity(client, position):
    bid = approved_budget(client)
    before = position()
    for command, path in ROUTES.items():
        if command != "campaign.draft":
            url = path.format(id=uuid4())
            assert_problem(client.post(url, json={"x": 1}, headers=MANAGER), 404, "not_found")
    problem = assert_problem(
        client.post("/campaigns", json=campaign_body(str(uuid4())), headers=OWNER),
        422,
        "validation_error",
    )
    assert {e["field"] for e in problem["errors"]} == {"budget_id"}
    problem = assert_problem(
        client.post("/campaigns", json=campaign_body(bid, channels=["tv"]), headers=OWNER),
        422,
        "validation_error",
    )
    assert "channels.0" in {e["field"] for e in problem["errors"]}
    assert_problem(
        client.post("/campaigns", json=campaign_body(bid, owner_id="mona"), headers=OWNER),
        403,
        "forbidden",
    )
    assert position() == before
    cid = new_campaign(client, bid)
    url = f"/campaigns/{cid}"
    before = position()
    assert_problem(client.post(f"{url}/submit", json={}, headers=OTHER), 403, "forbidden")
    assert_problem(client.post(f"{url}/launch", json={}, headers=OWNER), 409, "invalid_state")
    assert_problem(
        client.post(f"{url}/evaluate", json={"summary": "x", "rating": 9}, headers=OWNER),
        422,
        "validation_error",
    )
    assert position() == before
    assert client.post(f"{url}/submit", json={}, headers=MANAGER).status_code == 200
    before = position()
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=MANAGER), 403, "segregation_of_duties"
    )
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=bearer("mark", "admin")),
        403,
        "segregation_of_duties",
    )
    assert position() == before


def test_the_list_filters_and_pages(client):
    bid = approved_budget(client)
    first = new_campaign(client, bid, name="Search spring push", channels=["search"])
    second = new_campaign(client, bid, name="Trade fair")
    client.post(f"/campaigns/{second}/submit", json={}, headers=OWNER)
    by_budget = client.get("/campaigns", params={"budget_id": bid}, headers=AUDITOR).json()
    assert [c["id"] for c in by_budget["items"]] == [first, second]
    assert by_budget["items"][0]["channels"] == ["search"]
    pending = client.get(
        "/campaigns", params={"budget_id": bid, "status": "pending_approval"}, headers=AUDITOR
    ).json()["items"]
    assert [c["id"] for c in pending] == [second]
    found = client.get("/campaigns", params={"q": "SPRING", "budget_id": bid}, headers=AUDITOR)
    assert [c["id"] for c in found.json()["items"]] == [first]
    online = client.get(
        "/campaigns", params={"channel": "search", "budget_id": bid}, headers=AUDITOR
    ).json()["items"]
    assert [c["id"] for c in online] == [first]
    page = client.get("/campaigns", params={"budget_id": bid, "limit": 1}, headers=AUDITOR).json()
    assert page["next_cursor"]
    rest = client.get(
        "/campaigns",
        params={"budget_id": bid, "limit": 1, "cursor": page["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert [c["id"] for c in rest["items"]] == [second]
    then = client.get(f"/campaigns/{second}?version=1", headers=AUDITOR).json()
    assert then["status"] == "draft"
