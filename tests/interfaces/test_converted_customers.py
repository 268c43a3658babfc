"""A customer converted by its first signed contract is listed as a customer, on SQLite and
PostgreSQL (the directory folds `Customer.Converted`)."""

from __future__ import annotations

from tests.conftest import bearer
from tests.hardening import test_extremes as extremes

AUDITOR = bearer("audrey", "auditor")


def signed_customer(client) -> str:
    """A lead with a signed contract: converted."""
    cid = extremes.lead(client)
    extremes.assess(client, cid, extremes.Pick([False]), limit=extremes.MAX_MONEY)
    line = {"sku": "AD-1", "quantity": 1, "unit_price": "100", "unit_cost": "40"}
    draft = {
        "customer_id": cid,
        "channel": "direct",
        "lines": [line],
        "payment_term_days": 30,
        "delivery_due_on": extremes.today(),
    }
    kid = extremes.post(client, "/contracts", draft, extremes.SALES)["id"]
    extremes.post(client, f"/contracts/{kid}/submit", {}, extremes.SALES)
    contract = extremes.ok(client.get(f"/contracts/{kid}", headers=AUDITOR))
    for review in contract["required_reviews"]:
        role = extremes.REVIEWERS.get(review["department"], "executive")
        body = {"department": review["department"]}
        extremes.post(client, f"/contracts/{kid}/reviews/approve", body, bearer(f"r-{role}", role))
    signed = {"signed_on": extremes.today()}
    extremes.post(client, f"/contracts/{kid}/sign", signed, extremes.MANAGER)
    return cid


def test_customers_converted_by_a_signed_contract_are_listed_as_customers(client):
    converted = signed_customer(client)
    prospect = extremes.lead(client)
    listed = client.get("/customers", params={"status": "customer", "limit": 1000}, headers=AUDITOR)
    assert listed.status_code == 200, listed.text
    ids = [item["id"] for item in listed.json()["items"]]
    assert converted in ids and prospect not in ids
    [item] = [i for i in listed.json()["items"] if i["id"] == converted]
    assert item["status"] == "customer"
    state = extremes.ok(client.get(f"/customers/{converted}", headers=AUDITOR))
    assert state["status"] == "customer"
    leads = client.get("/customers", params={"status": "lead", "limit": 1000}, headers=AUDITOR)
    assert converted not in [i["id"] for i in leads.json()["items"]]
