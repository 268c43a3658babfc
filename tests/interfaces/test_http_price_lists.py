"""The price-list API of API.md and discount control over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.price_lists import (
    CreatePriceList,
    PublishPriceList,
    RetireListPrice,
    SetListPrice,
)
from application.permissions import COMMAND_ROLES, ROLES
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from tests.conftest import as_, assert_problem, bearer

MANAGER = bearer("mia", "sales_manager")
OTHER_MANAGER = bearer("max", "sales_manager")
FINANCE = bearer("fiona", "finance")
SALES = bearer("sam", "sales")
LEGAL = bearer("lee", "legal")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})
TODAY = datetime.now(UTC).date()

ROUTES = {
    "price_list.create": "/price-lists",
    "price_list.set_price": "/price-lists/{id}/prices",
    "price_list.retire_price": "/price-lists/{id}/prices/SKU-X/retire",
    "price_list.publish": "/price-lists/{id}/publish",
}


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


def new_list(client, name="Standard", valid_from="2026-01-01", valid_to=None, who=MANAGER):
    body = {"name": name, "valid_from": valid_from}
    if valid_to is not None:
        body["valid_to"] = valid_to
    response = client.post("/price-lists", json=body, headers=who)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def set_price(client, lid, code, unit="100.00", floor=None, who=MANAGER):
    body = {"sku": code, "unit_price": unit}
    if floor is not None:
        body["floor_price"] = floor
    return client.post(f"/price-lists/{lid}/prices", json=body, headers=who)


def test_every_price_list_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("price_list.")}


def test_the_whole_way_over_http(client):
    a, b = sku(), sku()
    response = client.post(
        "/price-lists",
        json={"name": "Spring", "valid_from": "2026-03-01", "valid_to": "2026-05-31"},
        headers=FINANCE,
    )
    assert response.status_code == 201, response.text
    lid = response.json()["id"]
    assert response.json()["version"] == 1
    assert response.headers["location"] == f"/price-lists/{lid}"
    answer = set_price(client, lid, a, "120.00", 100)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == lid
    assert answer.json()["version"] == 2
    assert set_price(client, lid, b, 5).status_code == 200
    retired = client.post(f"/price-lists/{lid}/prices/{b}/retire", json={}, headers=MANAGER)
    assert retired.status_code == 200, retired.text
    published = client.post(f"/price-lists/{lid}/publish", json={}, headers=FINANCE)
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 5
    got = client.get(f"/price-lists/{lid}", headers=AUDITOR)
    assert got.headers["etag"] == '"5"'
    body = got.json()
    assert {k: body[k] for k in ("id", "version", "status", "name", "valid_from", "valid_to")} == {
        "id": lid,
        "version": 5,
        "status": "published",
        "name": "Spring",
        "valid_from": "2026-03-01",
        "valid_to": "2026-05-31",
    }
    assert body["currency"] == "CNY"
    assert body["published_by"] == "fiona"
    assert sorted(body["prices"], key=lambda p: p["sku"]) == sorted(
        [
            {"sku": a, "unit_price": "120.00", "floor_price": "100.00", "status": "active"},
            {"sku": b, "unit_price": "5.00", "floor_price": None, "status": "retired"},
        ],
        key=lambda p: p["sku"],
    )
    then = client.get(f"/price-lists/{lid}", params={"version": 1}, headers=AUDITOR).json()
    assert (then["status"], then["prices"]) == ("draft", [])
    history = client.get(f"/price-lists/{lid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history] == [
        "Created",
        "PriceSet",
        "PriceSet",
        "PriceRetired",
        "Published",
    ]
    assert history[1]["data"]["floor_price"] == "100.00"
    assert history[-1]["actor"] == "fiona"


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, position, command):
    lid = new_list(client)
    url = ROUTES[command].format(id=lid)
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert response.status_code != 403, (role, response.text)
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


def test_order_of_checks(client, position):
    before = position()
    assert_problem(client.post("/price-lists", json={}), 401, "unauthenticated")
    assert_problem(client.post("/price-lists", json={"x": 1}, headers=SALES), 403, "forbidden")
    for command, path in ROUTES.items():
        if command != "price_list.create":
            url = path.format(id=uuid4())
            assert_problem(client.post(url, json={"x": 1}, headers=MANAGER), 404, "not_found")
    problem = assert_problem(
        client.post(
            "/price-lists",
            json={"name": "x", "valid_from": "2026-02-01", "valid_to": "2026-01-01"},
            headers=MANAGER,
        ),
        422,
        "validation_error",
    )
    assert {e["field"] for e in problem["errors"]} == {"valid_to"}
    problem = assert_problem(
        client.post("/price-lists", json={"valid_from": "nope", "extra": 1}, headers=MANAGER),
        422,
        "validation_error",
    )
    assert {"name", "valid_from", "extra"} <= {e["field"] for e in problem["errors"]}
    assert position() == before
    lid = new_list(client)
    before = position()
    for body in (
        {"sku": "A", "unit_price": "0"},
        {"sku": "A", "unit_price": "1.005"},
        {"sku": "A", "unit_price": "10", "floor_price": "10.01"},
        {"sku": " ", "unit_price": "10"},
        {"unit_price": "10"},
    ):
        assert_problem(
            client.post(f"/price-lists/{lid}/prices", json=body, headers=MANAGER),
            422,
            "validation_error",
        )
    assert_problem(
        client.post(f"/price-lists/{lid}/prices/NOPE/retire", json={}, headers=MANAGER),
        404,
        "not_found",
    )
    problem = assert_problem(
        client.post(f"/price-lists/{lid}/publish", json={}, headers=MANAGER),
        422,
        "validation_error",
    )
    assert [e["field"] for e in problem["errors"]] == ["prices"]
    assert position() == before
    assert set_price(client, lid, sku()).status_code == 200
    assert client.post(f"/price-lists/{lid}/publish", json={}, headers=MANAGER).status_code == 200
    before = position()
    assert_problem(
        client.post(f"/price-lists/{lid}/publish", json={}, headers=MANAGER),
        409,
        "invalid_state",
    )
    assert_problem(
        client.post(
            f"/price-lists/{lid}/prices",
            json={"sku": "B", "unit_price": "1"},
            headers={**MANAGER, "If-Match": '"1"'},
        ),
        409,
        "version_conflict",
    )
    assert position() == before


def test_an_overlapping_publish_answers_422_with_the_other_lists_id(client, position):
    code = sku()
    first = new_list(client, valid_from="2026-01-01", valid_to="2026-06-30")
    set_price(client, first, code)
    client.post(f"/price-lists/{first}/publish", json={}, headers=MANAGER)
    second = new_list(client, valid_from="2026-06-30")
    set_price(client, second, code)
    before = position()
    problem = assert_problem(
        client.post(f"/price-lists/{second}/publish", json={}, headers=FINANCE),
        422,
        "price_list_overlap",
    )
    assert problem["existing_id"] == first
    assert problem["sku"] == code
    assert position() == before
    touching = new_list(client, valid_from="2026-07-01")
    set_price(client, touching, code)
    assert (
        client.post(f"/price-lists/{touching}/publish", json={}, headers=FINANCE).status_code == 200
    )


def test_the_list_filters_and_pages(client):
    tag = uuid.uuid4().hex[:8]
    a, b = sku(), sku()
    first = new_list(client, f"Retail {tag}", "2026-01-01", "2026-06-30")
    set_price(client, first, a)
    client.post(f"/price-lists/{first}/publish", json={}, headers=MANAGER)
    second = new_list(client, f"Wholesale {tag}", "2026-07-01")
    set_price(client, second, a)
    set_price(client, second, b)
    client.post(f"/price-lists/{second}/prices/{a}/retire", json={}, headers=MANAGER)
    third = new_list(client, f"Retail autumn {tag}", "2026-09-01")

    def ids(**params):
        response = client.get("/price-lists", params={"q": tag, **params}, headers=AUDITOR)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [first, second, third]
    assert ids(q=f"retail {tag}") == [first]
    assert ids(q="RETAIL") != []
    assert ids(status="draft") == [second, third]
    assert ids(status="published") == [first]
    by_sku = client.get("/price-lists", params={"sku": a}, headers=AUDITOR).json()["items"]
    assert [i["id"] for i in by_sku] == [first]
    by_b = client.get("/price-lists", params={"sku": b}, headers=AUDITOR).json()["items"]
    assert [i["id"] for i in by_b] == [second]
    assert by_b[0]["price_count"] == 1
    assert ids(active_on="2026-06-30") == [first]
    assert ids(active_on="2026-07-01") == []  # the second is not published
    assert ids(active_on="2025-12-31") == []
    client.post(f"/price-lists/{second}/publish", json={}, headers=MANAGER)
    assert ids(active_on="2030-01-01") == [second]
    item = client.get("/price-lists", params={"q": tag, "limit": 1}, headers=AUDITOR).json()
    assert [i["id"] for i in item["items"]] == [first]
    assert {k: v for k, v in item["items"][0].items() if k not in ("created_at", "position")} == {
        "id": first,
        "name": f"Retail {tag}",
        "status": "published",
        "currency": "CNY",
        "valid_from": "2026-01-01",
        "valid_to": "2026-06-30",
        "price_count": 1,
        "version": 3,
        "published_at": item["items"][0]["published_at"],
    }
    assert item["items"][0]["published_at"] is not None
    rest = client.get(
        "/price-lists",
        params={"q": tag, "limit": 1, "cursor": item["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert [i["id"] for i in rest["items"]] == [second]
    bad = client.get("/price-lists", params={"active_on": "someday"}, headers=AUDITOR)
    assert_problem(bad, 422, "validation_error")


# Discount control over HTTP: the contract shows the reviews it needs and why.


def test_a_contract_shows_the_pricing_review_and_its_reason(client):
    code = sku()
    lid = new_list(client, valid_from=(TODAY - timedelta(days=1)).isoformat())
    set_price(client, lid, code, "80.00", "60.00")
    client.post(f"/price-lists/{lid}/publish", json={}, headers=MANAGER)
    customer = client.post(
        "/customers",
        json={
            "name": f"Buyer {uuid.uuid4().hex[:8]}",
            "kind": "company",
            "source": "web",
            "contacts": [{"name": "Bob", "email": f"{uuid.uuid4().hex[:8]}@x.cn"}],
        },
        headers=SALES,
    ).json()["id"]
    kid = client.post(
        "/contracts",
        json={
            "customer_id": customer,
            "channel": "direct",
            "lines": [{"sku": code, "quantity": 2, "unit_price": "70.00", "unit_cost": "10.00"}],
            "payment_term_days": 30,
            "delivery_due_on": (TODAY + timedelta(days=30)).isoformat(),
        },
        headers=SALES,
    ).json()["id"]
    assert client.post(f"/contracts/{kid}/submit", json={}, headers=SALES).status_code == 200
    got = client.get(f"/contracts/{kid}", headers=AUDITOR).json()
    assert got["required_reviews"][2] == {
        "department": "pricing",
        "reason": f"discount 12.50% on {code} above the sales limit 10.00%",
    }
    assert got["reviews"]["pricing"] == "pending"
    assert got["discount_limit"] == 0.1
    assert got["line_pricing"] == [
        {
            "sku": code,
            "price_list_id": lid,
            "list_price": "80.00",
            "floor_price": "60.00",
            "unit_price": "70.00",
            "discount": 0.125,
        }
    ]
    assert_problem(
        client.post(
            f"/contracts/{kid}/reviews/approve", json={"department": "pricing"}, headers=LEGAL
        ),
        403,
        "forbidden",
    )
    assert_problem(
        client.post(
            f"/contracts/{kid}/reviews/approve",
            json={"department": "executive"},
            headers=bearer("eve", "executive"),
        ),
        422,
        "review_not_required",
    )
    approved = client.post(
        f"/contracts/{kid}/reviews/approve", json={"department": "pricing"}, headers=OTHER_MANAGER
    )
    assert approved.status_code == 200, approved.text


# The command line: history, and the read model rebuilt and verified.


def test_history_and_verify_from_the_command_line(database):
    app = Backoffice(database.env())
    manager = as_("mia", "sales_manager")
    try:
        lid = app.handle(manager, CreatePriceList(name="Cli", valid_from=TODAY)).id
        app.handle(manager, SetListPrice(lid, sku="CLI-1", unit_price=Decimal("9.50")))
        app.handle(manager, SetListPrice(lid, sku="CLI-2", unit_price=Decimal("3")))
        app.handle(manager, RetireListPrice(lid, "CLI-2"))
        app.handle(manager, PublishPriceList(lid))
    finally:
        app.close()
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    result = runner.invoke(cli, ["history", "price_list", str(lid)], env=env)
    assert result.exit_code == 0, result.output
    assert "Created" in result.output and "Published" in result.output
    assert runner.invoke(cli, ["history", "price_lists", str(lid)], env=env).exit_code == 0
    rebuilt = runner.invoke(cli, ["projections", "rebuild", "price_lists"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(cli, ["projections", "verify", "price_lists"], env=env)
    assert verified.exit_code == 0, verified.output
