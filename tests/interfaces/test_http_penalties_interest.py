"""`/contracts/{id}/penalties/{pid}/waive` and `/contracts/{id}/interest` over HTTP, on
SQLite and PostgreSQL, in API.md's order of checks; refusals write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from tests.conftest import bearer
from tests.interfaces.test_http_contracts import (
    FINANCE,
    LEGAL,
    MANAGER,
    SALES,
    TODAY,
    new_customer,
)
from tests.interfaces.test_http_customers import assert_problem

OTHER_MANAGER = bearer("max", "sales_manager")
SELLING_MANAGER = bearer("mia", "sales", "sales_manager")


def late_contract(client, owner=SALES, term=0):
    cid = new_customer(client, limit="100000")
    body = {
        "customer_id": cid,
        "channel": "direct",
        "lines": [{"sku": "AD-1", "quantity": 2, "unit_price": "1000.00", "unit_cost": "400"}],
        "payment_term_days": term,
        "delivery_due_on": str(TODAY - timedelta(days=10)),
        "penalty_rate": "0.001",
    }
    kid = client.post("/contracts", json=body, headers=owner).json()["id"]
    assert client.post(f"/contracts/{kid}/submit", json={}, headers=owner).status_code == 200
    for department, who in (("legal", LEGAL), ("finance", FINANCE)):
        client.post(
            f"/contracts/{kid}/reviews/approve", json={"department": department}, headers=who
        )
    signed = client.post(
        f"/contracts/{kid}/sign", json={"signed_on": str(TODAY)}, headers=OTHER_MANAGER
    )
    assert signed.status_code == 200, signed.text
    return kid


def midnight():
    return datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC).isoformat()


def test_a_late_delivery_answers_its_penalty_and_a_manager_waives_it(client, position):
    kid = late_contract(client)
    delivered = client.post(
        f"/contracts/{kid}/deliveries",
        json={"lines": {"AD-1": 2}, "occurred_at": midnight()},
        headers=SALES,
    )
    assert delivered.status_code == 200, delivered.text
    penalty = delivered.json()["penalty"]
    # 0.001 a day x 10 days x 2000.00 = 20.00.
    assert (penalty["amount"], penalty["days_late"]) == ("20.00", 10)
    url = f"/contracts/{kid}/penalties/{penalty['id']}/waive"
    before = position()
    assert_problem(client.post(url, json={"reason": "x"}), 401, "unauthenticated")
    assert_problem(client.post(url, json={"reason": "x"}, headers=SALES), 403, "forbidden")
    assert_problem(
        client.post(
            f"/contracts/{uuid4()}/penalties/{penalty['id']}/waive", json={}, headers=MANAGER
        ),
        404,
        "not_found",
    )
    assert_problem(
        client.post(f"/contracts/{kid}/penalties/{uuid4()}/waive", json={}, headers=MANAGER),
        404,
        "not_found",
    )
    assert_problem(client.post(url, json={}, headers=MANAGER), 422, "validation_error")
    assert_problem(
        client.post(url, json={"reason": "x"}, headers={**MANAGER, "If-Match": '"1"'}),
        409,
        "version_conflict",
    )
    assert position() == before
    answered = client.post(url, json={"reason": "our delay"}, headers=MANAGER)
    assert answered.status_code == 200, answered.text
    assert_problem(
        client.post(url, json={"reason": "again"}, headers=MANAGER), 409, "invalid_state"
    )
    got = client.get(f"/contracts/{kid}", headers=SALES).json()
    assert got["penalties"][0]["waived"] is True
    assert got["penalties_credited"] == "0.00"


def test_the_owner_may_not_waive_its_own_penalty(client, position):
    kid = late_contract(client, owner=SELLING_MANAGER)
    delivered = client.post(
        f"/contracts/{kid}/deliveries",
        json={"lines": {"AD-1": 1}, "occurred_at": midnight()},
        headers=SELLING_MANAGER,
    )
    pid = delivered.json()["penalty"]["id"]
    before = position()
    response = client.post(
        f"/contracts/{kid}/penalties/{pid}/waive", json={"reason": "mine"}, headers=SELLING_MANAGER
    )
    assert_problem(response, 403, "segregation_of_duties")
    assert position() == before


def test_interest_answers_201_with_the_debit_note_and_refusals_write_nothing(client, position):
    kid = late_contract(client)
    url = f"/contracts/{kid}/interest"
    issued = TODAY - timedelta(days=20)
    client.post(
        f"/contracts/{kid}/invoices",
        json={"amount": "2000.00", "issued_on": str(issued)},
        headers=FINANCE,
    )
    client.post(
        f"/contracts/{kid}/payments",
        json={
            "amount": "500.00",
            "received_on": str(TODAY - timedelta(days=10)),
            "reference": "P-1",
        },
        headers=FINANCE,
    )
    before = position()
    assert_problem(client.post(url, json={"through": str(TODAY)}, headers=SALES), 403, "forbidden")
    assert_problem(
        client.post(f"/contracts/{uuid4()}/interest", json={}, headers=FINANCE), 404, "not_found"
    )
    assert_problem(
        client.post(url, json={"through": "soon"}, headers=FINANCE), 422, "validation_error"
    )
    assert_problem(
        client.post(url, json={"through": str(TODAY + timedelta(days=1))}, headers=FINANCE),
        422,
        "validation_error",
    )
    assert position() == before
    through = TODAY - timedelta(days=5)
    response = client.post(url, json={"through": str(through)}, headers=FINANCE)
    assert response.status_code == 201, response.text
    body = response.json()
    # 9 days x 2000.00 + 6 days x 1500.00, x 0.0005 = 13.50.
    assert body["amount"] == "13.50"
    assert response.headers["Location"].endswith(f"/interest/{body['id']}")
    note = client.get(response.headers["Location"], headers=SALES).json()
    assert (note["amount"], note["due_on"], note["open"]) == ("13.50", str(through), "13.50")
    before = position()
    again = client.post(url, json={"through": str(through)}, headers=FINANCE)
    assert_problem(again, 422, "nothing_overdue")
    assert position() == before
