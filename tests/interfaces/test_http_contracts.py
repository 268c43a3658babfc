"""The contract API of API.md, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.permissions import COMMAND_ROLES, ROLES
from tests.conftest import bearer, unique
from tests.interfaces.test_http_customers import assert_problem

SALES = bearer("sam", "sales")
OTHER_SALES = bearer("sid", "sales")
MANAGER = bearer("mia", "sales_manager")
LEGAL = bearer("lee", "legal")
FINANCE = bearer("fiona", "finance")
EXECUTIVE = bearer("eve", "executive")
AUDITOR = bearer("audrey", "auditor")

TODAY = datetime.now(UTC).date()

ROUTES = {
    "contract.draft": "/contracts",
    "contract.amend": "/contracts/{id}/amend",
    "contract.submit": "/contracts/{id}/submit",
    "contract.review_approve": "/contracts/{id}/reviews/approve",
    "contract.review_reject": "/contracts/{id}/reviews/reject",
    "contract.sign": "/contracts/{id}/sign",
    "contract.delivery": "/contracts/{id}/deliveries",
    "contract.invoice": "/contracts/{id}/invoices",
    "contract.payment": "/contracts/{id}/payments",
    "contract.reminder": "/contracts/{id}/reminders",
    "contract.write_off": "/contracts/{id}/write-offs",
    "contract.cancel": "/contracts/{id}/cancel",
    "contract.terminate": "/contracts/{id}/terminate",
    "contract.waive_penalty": "/contracts/{id}/penalties/" + str(uuid4()) + "/waive",
    "contract.interest": "/contracts/{id}/interest",
}


def new_customer(client, limit="10000"):
    response = client.post(
        "/customers",
        json={
            "name": unique(),
            "kind": "company",
            "source": "web",
            "region": "south",
            "contacts": [{"name": "Bob", "email": f"{uuid4().hex[:8]}@x.cn"}],
        },
        headers=SALES,
    )
    cid = response.json()["id"]
    assessed = client.post(
        f"/customers/{cid}/credit-assessments",
        json={
            "rating": "B",
            "score": 70,
            "credit_limit": limit,
            "max_payment_term_days": 60,
            "guarantee_required": False,
            "valid_until": str(TODAY + timedelta(days=60)),
            "basis": "accounts",
        },
        headers=FINANCE,
    )
    assert assessed.status_code == 200, assessed.text
    return cid


def draft_body(cid, **overrides):
    body = {
        "customer_id": cid,
        "channel": "distributor",
        "lines": [
            {"sku": "AD-1", "quantity": 2, "unit_price": "1000.00", "unit_cost": 400},
            {
                "sku": "PR-2",
                "quantity": 1,
                "unit_price": 500,
                "unit_cost": "100",
                "description": "PR",
            },
        ],
        "payment_term_days": 30,
        "delivery_due_on": str(TODAY + timedelta(days=20)),
    }
    body.update(overrides)
    return body


def new_contract(client, cid=None, **overrides):
    response = client.post(
        "/contracts", json=draft_body(cid or new_customer(client), **overrides), headers=SALES
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def approved_contract(client, cid=None):
    kid = new_contract(client, cid)
    assert client.post(f"/contracts/{kid}/submit", json={}, headers=SALES).status_code == 200
    for department, who in (("legal", LEGAL), ("finance", FINANCE)):
        response = client.post(
            f"/contracts/{kid}/reviews/approve", json={"department": department}, headers=who
        )
        assert response.status_code == 200, response.text
    return kid


def signed_contract(client, cid=None):
    kid = approved_contract(client, cid)
    response = client.post(
        f"/contracts/{kid}/sign", json={"signed_on": str(TODAY)}, headers=MANAGER
    )
    assert response.status_code == 200, response.text
    return kid


def test_every_contract_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("contract.")}


def test_drafting_answers_201_with_location_and_the_contract_reads_back(client):
    cid = new_customer(client)
    response = client.post("/contracts", json=draft_body(cid), headers=SALES)
    assert response.status_code == 201
    assert response.headers["location"] == f"/contracts/{response.json()['id']}"
    got = client.get(response.headers["location"], headers=AUDITOR)
    assert got.headers["etag"] == '"1"'
    body = got.json()
    assert (body["status"], body["customer_id"], body["owner_id"], body["region"]) == (
        "draft",
        cid,
        "sam",
        "south",
    )
    assert (body["total"], body["cost"]) == ("2500.00", "900.00")
    assert body["lines"][0] == {
        "sku": "AD-1",
        "description": None,
        "quantity": 2,
        "unit_price": "1000.00",
        "unit_cost": "400.00",
        "total": "2000.00",
        "cost": "800.00",
        "delivered": 0,
    }
    assert body["required_reviews"] == [] and body["reviews"] == {}


def test_the_whole_way_over_http(client):
    cid = new_customer(client)
    kid = approved_contract(client, cid)
    got = client.get(f"/contracts/{kid}", headers=SALES).json()
    assert got["status"] == "approved"
    assert got["reviews"] == {"legal": "approved", "finance": "approved"}
    assert [r["department"] for r in got["required_reviews"]] == ["legal", "finance"]
    assert (
        client.post(
            f"/contracts/{kid}/sign", json={"signed_on": str(TODAY)}, headers=MANAGER
        ).status_code
        == 200
    )
    converted = client.get(f"/customers/{cid}", headers=SALES).json()
    assert (converted["status"], converted["signed_contracts"]) == ("customer", [kid])
    delivered = client.post(
        f"/contracts/{kid}/deliveries", json={"lines": {"AD-1": 2, "PR-2": 1}}, headers=SALES
    )
    assert delivered.status_code == 200
    invoice = client.post(
        f"/contracts/{kid}/invoices",
        json={"amount": "2500", "issued_on": str(TODAY)},
        headers=FINANCE,
    )
    assert invoice.status_code == 201
    iid = invoice.json()["id"]
    assert invoice.headers["location"] == f"/contracts/{kid}/invoices/{iid}"
    read = client.get(invoice.headers["location"], headers=SALES).json()
    assert read == {
        "id": iid,
        "amount": "2500.00",
        "issued_on": str(TODAY),
        "due_on": str(TODAY + timedelta(days=30)),
        "settled": "0.00",
        "open": "2500.00",
    }
    paid = client.post(
        f"/contracts/{kid}/payments",
        json={"amount": 2500, "received_on": str(TODAY), "reference": "B-77"},
        headers=FINANCE,
    )
    assert paid.status_code == 200
    done = client.get(f"/contracts/{kid}", headers=SALES).json()
    assert (done["status"], done["paid"], done["outstanding"]) == ("completed", "2500.00", "0.00")
    history = client.get(f"/contracts/{kid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history][-3:] == ["InvoiceIssued", "PaymentRecorded", "Completed"]
    assert history[-2]["data"]["allocations"] == [{"invoice_id": iid, "amount": "2500.00"}]


def test_credit_limit_refusal_carries_the_numbers_and_writes_nothing(client, position):
    cid = new_customer(client, limit="3000")
    signed_contract(client, cid)
    kid = approved_contract(client, cid)
    before = position()
    response = client.post(
        f"/contracts/{kid}/sign", json={"signed_on": str(TODAY)}, headers=MANAGER
    )
    body = assert_problem(response, 422, "credit_limit_exceeded")
    assert (body["exposure"], body["limit"], body["shortfall"]) == ("5000.00", "3000.00", "2000.00")
    assert position() == before


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, position, command):
    kid = new_contract(client)
    url = ROUTES[command].format(id=kid)
    before = position()
    for role in sorted(ROLES):
        response = client.post(url, json={}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command] or role == "admin":
            # Past the role check; the subject may still be refused in its capacity.
            assert "needs one of the roles" not in response.text, (role, response.text)
        else:
            assert_problem(response, 403, "forbidden")
    # Allowed roles sent `{}`: a bad body, or "someone" is not the owner, so nothing was
    # written; except that an admin may submit anyone's draft, and `{}` is its whole body.
    if command != "contract.submit":
        assert position() == before


def test_an_unknown_contract_is_404_before_a_bad_body(client):
    for command, path in ROUTES.items():
        if command == "contract.draft":
            continue
        response = client.post(
            path.format(id=uuid4()), json={"nonsense": 1}, headers=bearer("ada", "admin")
        )
        assert_problem(response, 404, "not_found")


def test_bad_bodies_are_422_with_each_field_and_write_nothing(client, position):
    cid = new_customer(client)
    before = position()
    response = client.post(
        "/contracts",
        json=draft_body(cid, channel="fax", payment_term_days=-1, extra="x"),
        headers=SALES,
    )
    body = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} >= {"channel", "payment_term_days", "extra"}
    unknown_customer = client.post("/contracts", json=draft_body(str(uuid4())), headers=SALES)
    assert (
        assert_problem(unknown_customer, 422, "validation_error")["errors"][0]["field"]
        == "customer_id"
    )
    kid_response = client.post(
        "/contracts",
        json=draft_body(
            cid, lines=[{"sku": "A", "quantity": 1.5, "unit_price": "1", "unit_cost": "1"}]
        ),
        headers=SALES,
    )
    assert_problem(kid_response, 422, "validation_error")
    assert position() == before


def test_state_duties_and_rules_answer_409_403_and_422(client, position):
    kid = new_contract(client)
    before = position()
    assert_problem(
        client.post(f"/contracts/{kid}/sign", json={"signed_on": str(TODAY)}, headers=MANAGER),
        409,
        "invalid_state",
    )
    assert client.post(f"/contracts/{kid}/submit", json={}, headers=SALES).status_code == 200
    before = position()
    owner_as_legal = bearer("sam", "legal")
    assert_problem(
        client.post(
            f"/contracts/{kid}/reviews/approve",
            json={"department": "legal"},
            headers=owner_as_legal,
        ),
        403,
        "segregation_of_duties",
    )
    assert_problem(
        client.post(
            f"/contracts/{kid}/reviews/approve", json={"department": "pricing"}, headers=MANAGER
        ),
        422,
        "review_not_required",
    )
    assert_problem(
        client.post(
            f"/contracts/{kid}/reviews/approve", json={"department": "legal"}, headers=FINANCE
        ),
        403,
        "forbidden",
    )
    assert_problem(
        client.post(f"/contracts/{kid}/amend", json={"notes": "x"}, headers=SALES),
        409,
        "invalid_state",
    )
    assert position() == before


def test_over_delivery_and_over_payment_and_duplicate_payment(client, position):
    kid = signed_contract(client)
    before = position()
    body = assert_problem(
        client.post(f"/contracts/{kid}/deliveries", json={"lines": {"AD-1": 3}}, headers=SALES),
        422,
        "over_delivery",
    )
    assert (body["ordered"], body["delivered"], body["requested"]) == (2, 0, 3)
    assert_problem(
        client.post(
            f"/contracts/{kid}/deliveries", json={"lines": {"AD-1": 1}}, headers=OTHER_SALES
        ),
        403,
        "forbidden",
    )
    assert_problem(
        client.post(
            f"/contracts/{kid}/payments",
            json={"amount": "1", "received_on": str(TODAY), "reference": "R"},
            headers=FINANCE,
        ),
        422,
        "over_payment",
    )
    assert_problem(
        client.post(
            f"/contracts/{kid}/invoices",
            json={"amount": "2500.01", "issued_on": str(TODAY)},
            headers=FINANCE,
        ),
        422,
        "over_invoicing",
    )
    assert_problem(
        client.post(f"/contracts/{kid}/reminders", json={"level": 1}, headers=FINANCE),
        422,
        "nothing_overdue",
    )
    assert_problem(
        client.post(
            f"/contracts/{kid}/write-offs", json={"amount": "1", "reason": "bad"}, headers=FINANCE
        ),
        422,
        "over_write_off",
    )
    assert position() == before
    client.post(
        f"/contracts/{kid}/invoices",
        json={"amount": "100", "issued_on": str(TODAY)},
        headers=FINANCE,
    )
    pay = {"amount": "40", "received_on": str(TODAY), "reference": "R-1"}
    assert client.post(f"/contracts/{kid}/payments", json=pay, headers=FINANCE).status_code == 200
    before = position()
    assert_problem(
        client.post(f"/contracts/{kid}/payments", json=pay, headers=FINANCE),
        422,
        "duplicate_payment",
    )
    assert position() == before


def test_if_match_and_idempotency_keys(client, position):
    kid = new_contract(client)
    before = position()
    stale = {**SALES, "If-Match": '"7"'}
    assert_problem(
        client.post(f"/contracts/{kid}/submit", json={}, headers=stale), 409, "version_conflict"
    )
    assert position() == before
    keyed = {**SALES, "If-Match": '"1"', "Idempotency-Key": "submit-once"}
    first = client.post(f"/contracts/{kid}/submit", json={}, headers=keyed)
    again = client.post(
        f"/contracts/{kid}/submit", json={}, headers={**SALES, "Idempotency-Key": "submit-once"}
    )
    assert first.status_code == again.status_code == 200
    assert first.json()["version"] == again.json()["version"] == 2


def test_the_directory_filters_and_pages(client):
    cid = new_customer(client)
    draft = new_contract(client, cid)
    active = signed_contract(client, cid)
    managed = client.post(
        "/contracts", json=draft_body(cid, owner_id="olga"), headers=MANAGER
    ).json()["id"]
    items = client.get("/contracts", params={"customer_id": cid}, headers=AUDITOR).json()["items"]
    assert [i["id"] for i in items] == [draft, active, managed]
    by_status = client.get(
        "/contracts", params={"customer_id": cid, "status": "active"}, headers=SALES
    )
    assert [i["id"] for i in by_status.json()["items"]] == [active]
    assert by_status.json()["items"][0]["signed_on"] == str(TODAY)
    by_owner = client.get("/contracts", params={"owner_id": "olga"}, headers=SALES).json()["items"]
    assert managed in [i["id"] for i in by_owner]
    signed_today = client.get(
        "/contracts",
        params={"customer_id": cid, "signed_from": str(TODAY), "signed_to": str(TODAY)},
        headers=SALES,
    ).json()["items"]
    assert [i["id"] for i in signed_today] == [active]
    before = client.get(
        "/contracts",
        params={"customer_id": cid, "signed_to": str(TODAY - timedelta(days=1))},
        headers=SALES,
    ).json()["items"]
    assert before == []
    first = client.get("/contracts", params={"customer_id": cid, "limit": 2}, headers=SALES).json()
    rest = client.get(
        "/contracts",
        params={"customer_id": cid, "limit": 2, "cursor": first["next_cursor"]},
        headers=SALES,
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [draft, active, managed]
    assert rest["next_cursor"] is None


def test_a_contract_as_of_a_version_and_a_time(client):
    kid = new_contract(client)
    submitted_at = datetime.now(UTC)
    client.post(f"/contracts/{kid}/submit", json={}, headers=SALES)
    assert (
        client.get(f"/contracts/{kid}", params={"version": 1}, headers=SALES).json()["status"]
        == "draft"
    )
    assert (
        client.get(
            f"/contracts/{kid}", params={"as_of": submitted_at.isoformat()}, headers=SALES
        ).json()["status"]
        == "draft"
    )
    assert client.get(f"/contracts/{kid}", headers=SALES).json()["status"] == "in_review"
    assert_problem(
        client.get(f"/contracts/{kid}", params={"version": 9}, headers=SALES), 404, "not_found"
    )
