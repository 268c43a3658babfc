"""Issue 17, point 1: one request must not stop a read model for good.

`points/award` with 2147483648 points and `complaints/{id}/escalate` with level 2147483648
answered 200, and the customer directory (resp. complaints) then failed on PostgreSQL
with "integer out of range", forever. Counts and levels are 32-bit signed wherever they
are stored; the body, the domain and the read models agree on it.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.values import MAX_COUNT
from tests.conftest import assert_problem, bearer, unique
from tests.hardening.test_extremes import every_read_model_folds

SALES = bearer("sam", "sales")
SERVICE = bearer("sue", "service")
AUDITOR = bearer("audrey", "auditor")


def new_member(client) -> str:
    """A lead enrolled in the membership programme."""
    body = {
        "name": unique(),
        "kind": "company",
        "source": "web",
        "contacts": [{"name": "Bob", "phone": str(uuid4().int)[:11]}],
    }
    created = client.post("/customers", json=body, headers=SALES)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    enrolled = client.post(f"/customers/{cid}/membership", json={"tier": "gold"}, headers=SERVICE)
    assert enrolled.status_code == 200, enrolled.text
    return cid


def new_complaint(client) -> str:
    """A complaint received about a fresh lead."""
    cid = new_member(client)
    body = {
        "customer_id": cid,
        "channel": "email",
        "category": "billing",
        "severity": "medium",
        "description": "invoice charged twice",
    }
    received = client.post("/complaints", json=body, headers=SERVICE)
    assert received.status_code == 201, received.text
    return received.json()["id"]


def read_models_folding(client) -> None:
    """The lists of both read models answer fresh; every read model reaches the head."""
    head = client.get("/health").json()["position"]
    for path in ("/customers", "/complaints"):
        listed = client.get(path, params={"wait_for": head}, headers=AUDITOR)
        assert listed.status_code == 200, listed.text
        assert "mops-read-model-lagging" not in listed.headers
    every_read_model_folds(client)


def test_points_beyond_32_bits_are_refused_and_nothing_is_stored(client, position):
    cid = new_member(client)
    before = position()
    award = client.post(
        f"/customers/{cid}/points/award",
        json={"points": 2147483648, "reason": "a typo"},
        headers=SERVICE,
    )
    body = assert_problem(award, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["points"]
    assert position() == before
    read_models_folding(client)


def test_a_balance_beyond_32_bits_is_refused_and_nothing_is_stored(client, position):
    cid = new_member(client)
    most = {"points": MAX_COUNT, "reason": "the largest award"}
    assert client.post(f"/customers/{cid}/points/award", json=most, headers=SERVICE).is_success
    before = position()
    one_more = client.post(
        f"/customers/{cid}/points/award", json={"points": 1, "reason": "one more"}, headers=SERVICE
    )
    assert_problem(one_more, 422, "validation_error")
    assert position() == before
    got = client.get(f"/customers/{cid}", headers=AUDITOR).json()
    assert got["points"] == MAX_COUNT
    read_models_folding(client)


def test_an_escalation_level_beyond_32_bits_is_refused_and_nothing_is_stored(client, position):
    kid = new_complaint(client)
    before = position()
    escalate = client.post(
        f"/complaints/{kid}/escalate",
        json={"level": 2147483648, "reason": "a typo"},
        headers=SERVICE,
    )
    body = assert_problem(escalate, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["level"]
    assert position() == before
    highest = {"level": MAX_COUNT, "reason": "the highest level"}
    assert client.post(f"/complaints/{kid}/escalate", json=highest, headers=SERVICE).is_success
    read_models_folding(client)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("points/award", {"points": 2147483648, "reason": "x"}),
        ("points/redeem", {"points": 2147483648, "reward": "x"}),
    ],
)
def test_point_amounts_beyond_32_bits_are_refused_by_the_body(client, position, path, body):
    cid = new_member(client)
    before = position()
    answer = client.post(f"/customers/{cid}/{path}", json=body, headers=SERVICE)
    assert_problem(answer, 422, "validation_error")
    assert position() == before
