"""No body, however odd, makes a customer command fail with a server error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import bearer

ADMIN = bearer("fuzz", "admin")
FIELDS = [
    "name",
    "kind",
    "source",
    "contacts",
    "region",
    "tags",
    "owner_id",
    "reason",
    "notes",
    "occurred_at",
    "next_follow_up_on",
    "rating",
    "score",
    "credit_limit",
    "max_payment_term_days",
    "guarantee_required",
    "valid_until",
    "basis",
    "amount",
    "expires_on",
    "tier",
    "points",
    "reward",
    "campaign_id",
]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["2026-02-30", "2026-11-27T10:00:00", "1e400", "NaN", "-0.001", "A"]),
    st.lists(st.text(max_size=5), max_size=3),
    st.fixed_dictionaries({"name": st.text(max_size=5)}),
)
COMMANDS = [
    "",
    "profile",
    "owner",
    "lost",
    "follow-ups",
    "credit-assessments",
    "credit-hold",
    "guarantees",
    "membership",
    "points/award",
    "points/redeem",
    "satisfaction",
    "qualify",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    command=st.sampled_from(COMMANDS),
    body=st.dictionaries(st.sampled_from(FIELDS), ODD, max_size=6),
)
def test_odd_bodies_never_make_a_server_error(client, command, body):
    customer = client.post(
        "/customers",
        json={"name": "Fuzz Target", "kind": "company", "source": "web", "contacts": []},
        headers=ADMIN,
    ).json()["id"]
    path = f"/customers/{customer}/{command}" if command else "/customers"
    response = client.post(
        path, content=json.dumps(body), headers={**ADMIN, "content-type": "application/json"}
    )
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert response.json()["code"]


CONTRACT_FIELDS = [
    "customer_id",
    "owner_id",
    "channel",
    "region",
    "lines",
    "payment_term_days",
    "delivery_due_on",
    "penalty_rate",
    "notes",
    "department",
    "comments",
    "reasons",
    "signed_on",
    "amount",
    "issued_on",
    "received_on",
    "reference",
    "level",
    "note",
    "occurred_at",
    "reason",
]
ODD_LINES = st.lists(
    st.dictionaries(
        st.sampled_from(["sku", "quantity", "unit_price", "unit_cost", "description"]),
        ODD,
        max_size=5,
    ),
    max_size=3,
)
CONTRACT_COMMANDS = [
    "",
    "amend",
    "submit",
    "reviews/approve",
    "reviews/reject",
    "sign",
    "deliveries",
    "invoices",
    "payments",
    "reminders",
    "write-offs",
    "cancel",
    "terminate",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    command=st.sampled_from(CONTRACT_COMMANDS),
    body=st.dictionaries(st.sampled_from(CONTRACT_FIELDS), st.one_of(ODD, ODD_LINES), max_size=6),
)
def test_odd_contract_bodies_never_make_a_server_error(client, command, body):
    customer = client.post(
        "/customers",
        json={"name": "Fuzz Buyer", "kind": "company", "source": "web", "contacts": []},
        headers=ADMIN,
    ).json()["id"]
    contract = client.post(
        "/contracts",
        json={
            "customer_id": customer,
            "channel": "direct",
            "lines": [{"sku": "A", "quantity": 1, "unit_price": "10", "unit_cost": "5"}],
            "payment_term_days": 30,
            "delivery_due_on": "2026-12-31",
        },
        headers=ADMIN,
    ).json()["id"]
    path = f"/contracts/{contract}/{command}" if command else "/contracts"
    response = client.post(
        path, content=json.dumps(body), headers={**ADMIN, "content-type": "application/json"}
    )
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert response.json()["code"]
