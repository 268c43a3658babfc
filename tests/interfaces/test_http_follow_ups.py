"""`GET /reports/follow-ups` over HTTP, on SQLite and PostgreSQL.

Each test registers its customers under an owner of its own, so the owner filter keeps
the tests apart in the module's database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.permissions import ROLES
from interfaces.http.reads import encode_cursor
from tests.conftest import assert_problem, bearer, unique

AUDITOR = bearer("audrey", "auditor")
MANAGER = bearer("mia", "sales_manager")


def today():
    return datetime.now(UTC).date()


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


@pytest.fixture
def rep():
    """A sales rep of this test only: (subject, headers)."""
    subject = f"rep-{uuid4().hex[:8]}"
    return subject, bearer(subject, "sales")


def register(client, headers, name=None):
    response = client.post(
        "/customers",
        json={"name": name or unique(), "kind": "company", "source": "web", "contacts": []},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def follow_up(client, headers, customer_id, next_on=None, occurred_at=None):
    body = {"kind": "call", "notes": "talked"}
    if next_on is not None:
        body["next_follow_up_on"] = next_on
    if occurred_at is not None:
        body["occurred_at"] = occurred_at.isoformat()
    response = client.post(f"/customers/{customer_id}/follow-ups", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def report(client, **params):
    response = client.get("/reports/follow-ups", params=params, headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_report_needs_a_token(client):
    response = client.get("/reports/follow-ups", params={"due_by": days(0)})
    assert_problem(response, 401, "unauthenticated")


def test_due_by_is_required_and_must_be_a_date(client):
    for params in ({}, {"due_by": "soon"}, {"due_by": "2026-02-30"}):
        body = assert_problem(
            client.get("/reports/follow-ups", params=params, headers=AUDITOR),
            422,
            "validation_error",
        )
        assert [e["field"] for e in body["errors"]] == ["due_by"]
    for params, field in (({"limit": 0}, "limit"), ({"cursor": "nonsense"}, "cursor")):
        body = assert_problem(
            client.get(
                "/reports/follow-ups", params={"due_by": days(0), **params}, headers=AUDITOR
            ),
            422,
            "validation_error",
        )
        assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_reads_it(client, role):
    response = client.get(
        "/reports/follow-ups", params={"due_by": days(0)}, headers=bearer(f"u-{role}", role)
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items", "next_cursor"}


def test_a_follow_up_shows_at_once_and_a_later_one_replaces_or_clears_it(client, rep):
    owner, headers = rep
    name = unique("Zed")
    customer_id = register(client, headers, name)
    contacted = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    follow_up(client, headers, customer_id, days(3), contacted)
    assert report(client, due_by=days(3), owner_id=owner) == {
        "items": [
            {
                "customer_id": customer_id,
                "name": name,
                "owner_id": owner,
                "next_follow_up_on": days(3),
                "last_contact_at": contacted.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00"),
                "status": "lead",
            }
        ],
        "next_cursor": None,
    }
    assert report(client, due_by=days(2), owner_id=owner)["items"] == []
    # Back-dated behind the last contact: replaces nothing.
    follow_up(client, headers, customer_id, days(1), contacted - timedelta(days=1))
    [item] = report(client, due_by=days(10), owner_id=owner)["items"]
    assert item["next_follow_up_on"] == days(3)
    follow_up(client, headers, customer_id, days(1))
    [item] = report(client, due_by=days(1), owner_id=owner)["items"]
    assert item["last_contact_at"] > contacted.isoformat()
    follow_up(client, headers, customer_id)
    assert report(client, due_by=days(365), owner_id=owner)["items"] == []


def test_an_owner_change_moves_the_customer_to_the_new_owner(client, app, rep):
    owner, headers = rep
    customer_id = register(client, headers)
    follow_up(client, headers, customer_id, days(0))
    new_owner = f"rep-{uuid4().hex[:8]}"
    response = client.post(
        f"/customers/{customer_id}/owner", json={"owner_id": new_owner}, headers=MANAGER
    )
    assert response.status_code == 200, response.text
    assert report(client, due_by=days(0), owner_id=owner)["items"] == []
    [item] = report(client, due_by=days(0), owner_id=new_owner)["items"]
    assert (item["customer_id"], item["owner_id"]) == (customer_id, new_owner)


def test_lost_customers_are_left_out_and_come_back_when_reopened(client, rep):
    owner, headers = rep
    customer_id = register(client, headers)
    wrote = follow_up(client, headers, customer_id, days(0))
    assert report(client, due_by=days(0), owner_id=owner, wait_for=wrote["position"])["items"]
    response = client.post(
        f"/customers/{customer_id}/lost", json={"reason": "gone"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert report(client, due_by=days(0), owner_id=owner)["items"] == []
    response = client.post(f"/customers/{customer_id}/reopen", json={}, headers=headers)
    assert response.status_code == 200, response.text
    [item] = report(client, due_by=days(0), owner_id=owner)["items"]
    assert (item["customer_id"], item["status"]) == (customer_id, "lead")


def test_pages_by_date_then_name(client, rep):
    owner, headers = rep
    for name, next_on in (("b", days(2)), ("A", days(2)), ("c", days(1))):
        follow_up(client, headers, register(client, headers, f"{name} {uuid4().hex[:6]}"), next_on)
    first = report(client, due_by=days(2), owner_id=owner, limit=2)
    assert first["next_cursor"] == encode_cursor(2)
    second = report(client, due_by=days(2), owner_id=owner, limit=2, cursor=first["next_cursor"])
    assert second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert [(i["name"][0], i["next_follow_up_on"]) for i in items] == [
        ("c", days(1)),
        ("A", days(2)),
        ("b", days(2)),
    ]
