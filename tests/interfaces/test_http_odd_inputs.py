"""Inputs the fuzz tests found answered 500: each is now a validation error (422)."""

from __future__ import annotations

import base64

import pytest

from interfaces.http.reads import encode_cursor
from tests.conftest import assert_problem, bearer

ADMIN = bearer("fuzz", "admin")


def _raw_cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize("path", ["/complaints", "/employees", "/opportunities", "/price-lists"])
@pytest.mark.parametrize(
    "cursor",
    [
        # Past the 64-bit positions of both databases: SQLite raised OverflowError.
        encode_cursor(2**63),
        encode_cursor(2**70),
        encode_cursor(-(2**70)),
        encode_cursor(-1),
        _raw_cursor(b'{"after": true}'),
        # Nested deeper than the JSON parser recurses: RecursionError.
        _raw_cursor(b'{"after": ' + b"[" * 5000 + b"}"),
    ],
)
def test_a_cursor_out_of_range_is_a_validation_error(client, path, cursor):
    body = assert_problem(
        client.get(path, params={"cursor": cursor}, headers=ADMIN), 422, "validation_error"
    )
    assert body["errors"][0]["field"] == "cursor"


def test_the_largest_cursor_still_answers_an_empty_page(client):
    response = client.get("/complaints", params={"cursor": encode_cursor(2**63 - 1)}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


@pytest.mark.parametrize("path", ["/reports/complaints", "/reports/pipeline"])
@pytest.mark.parametrize(
    "as_of",
    # Times on the calendar whose UTC lies off it: astimezone raised OverflowError.
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"],
)
def test_an_as_of_off_the_calendar_in_utc_is_a_validation_error(client, path, as_of):
    body = assert_problem(
        client.get(path, params={"as_of": as_of}, headers=ADMIN), 422, "validation_error"
    )
    assert body["errors"][0]["field"] == "as_of"


def test_company_kpis_refuse_an_as_of_off_the_calendar(client):
    response = client.get(
        "/reports/kpis/company",
        params={"period": "2026", "as_of": "0001-01-01T00:00:00+01:00"},
        headers=ADMIN,
    )
    assert assert_problem(response, 422, "validation_error")["errors"][0]["field"] == "as_of"


@pytest.mark.parametrize(
    "raw",
    [
        # Nested deeper than the JSON parser recurses: RecursionError.
        b'{"name": ' + b"[" * 100_000 + b"}",
        # More digits than Python converts to an int: a ValueError, not a JSONDecodeError.
        b'{"name": ' + b"9" * 5000 + b"}",
    ],
)
@pytest.mark.parametrize("path", ["/complaints", "/employees", "/opportunities", "/price-lists"])
def test_a_body_json_cannot_parse_is_a_validation_error(client, services, path, raw):
    before = services.backoffice.max_position()
    response = client.post(path, content=raw, headers={**ADMIN, "content-type": "application/json"})
    assert assert_problem(response, 422, "validation_error")["errors"][0]["field"] == "body"
    assert services.backoffice.max_position() == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/complaints", "status"),
        ("/complaints", "assignee_id"),
        ("/employees", "q"),
        ("/opportunities", "owner_id"),
        ("/price-lists", "sku"),
    ],
)
def test_a_filter_with_a_nul_is_a_validation_error(client, path, field):
    """PostgreSQL raised DataError on a NUL in a text parameter."""
    body = assert_problem(
        client.get(path, params={field: "a\x00b"}, headers=ADMIN), 422, "validation_error"
    )
    assert body["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/employees", {"name": "N\x00ul", "position": "clerk", "department": "ops"}, "name"),
        (
            "/customers",
            {"name": "Acme", "kind": "company", "source": "web", "contacts": [{"name": "a\x00"}]},
            "contacts.0.name",
        ),
        ("/price-lists", {"name": "List", "valid_from": "2026-01-01", "x\x00": 1}, "body"),
    ],
)
def test_a_nul_in_a_command_body_is_refused_and_writes_nothing(client, services, path, body, field):
    """PostgreSQL text columns refuse NUL: one stored would stop a read model for good."""
    before = services.backoffice.max_position()
    problem = assert_problem(client.post(path, json=body, headers=ADMIN), 422, "validation_error")
    assert problem["errors"][0]["field"] == field
    assert services.backoffice.max_position() == before
    states = {
        s["name"]: s["state"] for s in client.get("/projections", headers=ADMIN).json()["items"]
    }
    assert set(states.values()) == {"running"}


@pytest.mark.parametrize(
    "path", ["/marketing-plans", "/risks", "/expense-claims", "/reports/follow-ups"]
)
@pytest.mark.parametrize("cursor", [encode_cursor(2**70), encode_cursor(-1)])
def test_a_cursor_out_of_range_on_the_plan_risk_and_claim_lists(client, path, cursor):
    params = {"cursor": cursor, "due_by": "2026-01-01"}
    body = assert_problem(client.get(path, params=params, headers=ADMIN), 422, "validation_error")
    assert body["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/marketing-plans", "status"),
        ("/risks", "owner_id"),
        ("/risks", "category"),
        ("/expense-claims", "claimant_id"),
        ("/expense-claims", "expense_type"),
        ("/reports/follow-ups", "owner_id"),
    ],
)
def test_a_nul_in_a_plan_risk_claim_or_follow_up_filter(client, path, field):
    params = {field: "a\x00b", "due_by": "2026-01-01"}
    body = assert_problem(client.get(path, params=params, headers=ADMIN), 422, "validation_error")
    assert body["errors"][0]["field"] == field


@pytest.mark.parametrize("path", ["/budgets", "/marketing-plans"])
@pytest.mark.parametrize("year", [2**40, 2**70, -(2**40)])
def test_a_fiscal_year_past_any_column_answers_an_empty_page_or_a_validation_error(
    client, path, year
):
    response = client.get(path, params={"fiscal_year": year}, headers=ADMIN)
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert_problem(response, 422, "validation_error")
