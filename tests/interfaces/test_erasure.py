"""Erasure by destroying a key (DOMAIN.md, Principles), on SQLite and PostgreSQL.

Personal fields are stored encrypted per data subject; `POST /customers/{id}/erase` and
`POST /employees/{id}/erase` destroy the subject's key, after which every read, report,
history, audit entry and rebuilt read model shows "[erased]", and the database holds no
plaintext copy of the erased values.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.customer import Customer
from domain.employee import Employee
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from tests.conftest import POSTGRES_URL, assert_problem, bearer

SALES = bearer("sam", "sales")
LEGAL = bearer("lee", "legal")
HR = bearer("hana", "hr")
FINANCE = bearer("fay", "finance")
AUDITOR = bearer("audrey", "auditor")
ERASED = "[erased]"


def marker() -> str:
    """A word that appears nowhere else in the database."""
    return f"Zq{uuid4().hex[:10]}"


def person_lead(client, *, kind: str = "person") -> tuple[str, dict[str, str]]:
    """A lead whose personal values are unique words; its id and those values."""
    values = {
        "name": f"{marker()} Wei",
        "contact": f"{marker()} Li",
        "phone": f"+86 {uuid4().int % 10**11:011d}",
        "email": f"{marker().lower()}@example.cn",
    }
    body = {
        "name": values["name"],
        "kind": kind,
        "source": "web",
        "contacts": [
            {"name": values["contact"], "phone": values["phone"], "email": values["email"]}
        ],
    }
    response = client.post("/customers", json=body, headers=SALES)
    assert response.status_code == 201, response.text
    return response.json()["id"], values


def candidate(client) -> tuple[str, str]:
    name = f"{marker()} Chen"
    body = {"name": name, "position": "analyst", "department": "sales"}
    response = client.post("/employees", json=body, headers=HR)
    assert response.status_code == 201, response.text
    return response.json()["id"], name


def raw_bytes(database) -> bytes:
    """Every byte the database holds as SQL sees it (PostgreSQL) or on disk (SQLite)."""
    if database.dialect == "sqlite":
        path = Path(database.url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    schema = database.url.rsplit("schema=", 1)[1]
    chunks = []
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
        for (table,) in tables:
            rows = connection.execute(f'SELECT t::text FROM "{schema}"."{table}" t').fetchall()
            chunks.extend(row[0].encode() for row in rows)
    assert chunks, "the schema holds no rows at all"
    return b"\n".join(chunks)


def plaintexts(values: dict[str, str]) -> list[bytes]:
    """The values as they could appear: as given, and JSON-escaped; phones by digits too."""
    found = [value.encode() for value in values.values()]
    found.append(values.get("phone", "").replace(" ", "").encode() or b"\x00never")
    return found


def read_everything(client, cid: str) -> None:
    """Let the read models catch up (queries wait for the log head)."""
    client.get("/customers", headers=SALES)
    client.get(f"/audit/events?aggregate_id={cid}", headers=AUDITOR)
    client.get("/reports/follow-ups", params={"due_by": "2100-01-01"}, headers=AUDITOR)


# The endpoints: codes and roles.


def test_erasing_a_customer_answers_200_with_id_and_version(client):
    cid, _ = person_lead(client)
    response = client.post(f"/customers/{cid}/erase", json={"reason": "asked"}, headers=LEGAL)
    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["version"]) == (cid, 2)
    again = client.post(f"/customers/{cid}/erase", json={"reason": "again"}, headers=LEGAL)
    assert assert_problem(again, 409, "invalid_state")["detail"].endswith("erased already")
    admin = bearer("ada", "admin")
    other, _ = person_lead(client)
    assert (
        client.post(f"/customers/{other}/erase", json={"reason": "x"}, headers=admin).json()[
            "version"
        ]
        == 2
    )


@pytest.mark.parametrize("role", ["sales", "sales_manager", "hr", "finance", "auditor"])
def test_a_role_other_than_legal_may_not_erase_a_customer(client, position, role):
    cid, values = person_lead(client)
    before = position()
    response = client.post(
        f"/customers/{cid}/erase", json={"reason": "x"}, headers=bearer("x", role)
    )
    assert_problem(response, 403, "forbidden")
    assert position() == before
    assert client.get(f"/customers/{cid}", headers=SALES).json()["name"] == values["name"]


def test_erase_refuses_a_bad_body_and_an_unknown_id_and_writes_nothing(client, position):
    cid, _ = person_lead(client)
    before = position()
    for body in ({}, {"reason": ""}, {"reason": "x", "extra": 1}, {"reason": 5}):
        response = client.post(f"/customers/{cid}/erase", json=body, headers=LEGAL)
        assert_problem(response, 422, "validation_error")
    eid, _ = candidate(client)
    before = position()
    assert_problem(
        client.post(f"/employees/{eid}/erase", json={}, headers=HR), 422, "validation_error"
    )
    assert_problem(
        client.post(f"/customers/{uuid4()}/erase", json={"reason": "x"}, headers=LEGAL),
        404,
        "not_found",
    )
    assert_problem(
        client.post(f"/employees/{uuid4()}/erase", json={"reason": "x"}, headers=HR),
        404,
        "not_found",
    )
    assert position() == before
    assert (
        client.get(f"/customers/{cid}/history", headers=AUDITOR).json()["items"][-1]["type"]
        == "Registered"
    )


@pytest.mark.parametrize("role", ["legal", "hr", "admin"])
def test_legal_hr_and_admin_may_erase_a_person_and_others_may_not(client, position, role):
    eid, _ = candidate(client)
    before = position()
    for refused in ("sales", "finance", "auditor", "executive"):
        response = client.post(
            f"/employees/{eid}/erase", json={"reason": "x"}, headers=bearer("x", refused)
        )
        assert_problem(response, 403, "forbidden")
    assert position() == before
    response = client.post(
        f"/employees/{eid}/erase", json={"reason": "left"}, headers=bearer("y", role)
    )
    assert response.status_code == 200, response.text
    assert client.get(f"/employees/{eid}", headers=HR).json()["name"] == ERASED


# Every read surface.


def test_every_read_of_an_erased_customer_shows_erased(client):
    cid, values = person_lead(client)
    follow_up = {"kind": "call", "notes": "talked about prices", "next_follow_up_on": "2099-01-01"}
    assert client.post(f"/customers/{cid}/follow-ups", json=follow_up, headers=SALES).is_success
    credit = {
        "rating": "A",
        "score": 80,
        "credit_limit": "1000.00",
        "max_payment_term_days": 30,
        "guarantee_required": False,
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
        "basis": "audited accounts",
    }
    assert client.post(f"/customers/{cid}/credit-assessments", json=credit, headers=FINANCE)
    name_word = values["name"].split()[0]
    listed = client.get("/customers", params={"q": name_word}, headers=SALES).json()["items"]
    assert [item["id"] for item in listed] == [cid]

    erased = client.post(f"/customers/{cid}/erase", json={"reason": "PIPL request"}, headers=LEGAL)
    assert erased.status_code == 200, erased.text

    customer = client.get(f"/customers/{cid}", headers=SALES).json()
    assert customer["name"] == ERASED
    assert customer["contacts"] == [{"name": ERASED, "phone": ERASED, "email": ERASED}]
    first = client.get(f"/customers/{cid}", params={"version": 1}, headers=SALES).json()
    assert (first["name"], first["contacts"][0]["email"]) == (ERASED, ERASED)
    history = client.get(f"/customers/{cid}/history", headers=AUDITOR).json()["items"]
    assert history[0]["data"]["name"] == ERASED
    assert history[0]["data"]["contacts"][0]["phone"] == ERASED
    assert history[1]["data"]["notes"] == "talked about prices"  # not a personal field
    assert history[-1]["type"] == "Erased"
    assert history[-1]["data"] == {"reason": "PIPL request", "kind": "person"}
    audit = client.get("/audit/events", params={"aggregate_id": cid}, headers=AUDITOR).json()
    assert audit["items"][0]["data"]["name"] == ERASED
    assert audit["items"][0]["data"]["contacts"][0]["name"] == ERASED
    assert audit["items"][-1]["type"] == "Erased"
    assert client.get("/customers", params={"q": name_word}, headers=SALES).json()["items"] == []
    listed = client.get("/customers", params={"q": "erased"}, headers=SALES).json()["items"]
    assert cid in [item["id"] for item in listed]
    due = client.get("/reports/follow-ups", params={"due_by": "2100-01-01"}, headers=AUDITOR)
    assert [i["name"] for i in due.json()["items"] if i["customer_id"] == cid] == [ERASED]
    report = client.get("/reports/credit", headers=AUDITOR).json()["items"]
    assert [row["name"] for row in report if row["customer_id"] == cid] == [ERASED]
    text = str([customer, history, audit, due.json(), report])
    assert not any(value in text for value in values.values())


def test_a_companys_name_is_not_personal_and_survives_erasure(client):
    cid, values = person_lead(client, kind="company")
    assert client.post(
        f"/customers/{cid}/profile", json={"name": values["name"] + " Ltd"}, headers=SALES
    )
    assert client.post(f"/customers/{cid}/erase", json={"reason": "x"}, headers=LEGAL).is_success
    customer = client.get(f"/customers/{cid}", headers=SALES).json()
    assert customer["name"] == values["name"] + " Ltd"
    assert customer["contacts"][0]["name"] == ERASED
    history = client.get(f"/customers/{cid}/history", headers=AUDITOR).json()["items"]
    assert history[0]["data"]["name"] == values["name"]
    assert history[1]["data"]["changes"]["name"] == values["name"] + " Ltd"
    new_contacts = {"contacts": [{"name": "New Person"}]}
    response = client.post(f"/customers/{cid}/profile", json=new_contacts, headers=SALES)
    assert_problem(response, 409, "invalid_state")


def test_every_read_of_an_erased_employee_shows_erased(client):
    eid, name = candidate(client)
    word = name.split()[0]
    assert [
        i["id"] for i in client.get("/employees", params={"q": word}, headers=HR).json()["items"]
    ] == [eid]
    assert client.post(f"/employees/{eid}/erase", json={"reason": "x"}, headers=HR).is_success
    assert client.get(f"/employees/{eid}", headers=HR).json()["name"] == ERASED
    history = client.get(f"/employees/{eid}/history", headers=HR).json()["items"]
    assert history[0]["data"]["name"] == ERASED
    audit = client.get("/audit/events", params={"aggregate_id": eid}, headers=AUDITOR).json()
    assert audit["items"][0]["data"]["name"] == ERASED
    assert client.get("/employees", params={"q": word}, headers=HR).json()["items"] == []
    listed = client.get("/employees", params={"q": "erased"}, headers=HR).json()["items"]
    assert eid in [item["id"] for item in listed]


# The bytes.


def test_the_database_holds_no_plaintext_before_or_after_erasure(client, module_database):
    cid, values = person_lead(client)
    eid, name = candidate(client)
    stored = stored_event_bytes(module_database)
    for plaintext in [*plaintexts(values), name.encode()]:
        assert plaintext not in stored  # the events hold ciphertext from the start
    read_everything(client, cid)
    client.get("/employees", headers=HR)
    before = raw_bytes(module_database)
    assert values["email"].encode() in before  # the read models of the living hold it
    assert name.encode() in before
    assert client.post(f"/customers/{cid}/erase", json={"reason": "x"}, headers=LEGAL).is_success
    assert client.post(f"/employees/{eid}/erase", json={"reason": "x"}, headers=HR).is_success
    read_everything(client, cid)
    client.get("/employees", headers=HR)
    everything = raw_bytes(module_database)
    for plaintext in [*plaintexts(values), name.encode()]:
        assert plaintext not in everything, plaintext


def stored_event_bytes(database) -> bytes:
    """The stored state of every event, as the event table holds it."""
    if database.dialect == "sqlite":
        path = database.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            rows = connection.execute("SELECT state FROM stored_events").fetchall()
        return b"\n".join(bytes(row[0]) for row in rows)
    schema = database.url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL) as connection:
        rows = connection.execute(f'SELECT state FROM "{schema}".backoffice_events').fetchall()
    return b"\n".join(bytes(row[0]) for row in rows)


# Other processes, duplicates and search for the living.


def test_another_process_shows_erased_after_an_erasure_it_did_not_handle(client, services):
    cid, values = person_lead(client)
    eid, name = candidate(client)
    other = Backoffice(services.settings.persistence_env())
    try:
        assert other.get(cid_of(cid), Customer).name == values["name"]  # now in its cache
        assert other.get(cid_of(eid), Employee).name == name
        assert client.post(f"/customers/{cid}/erase", json={"reason": "x"}, headers=LEGAL)
        assert client.post(f"/employees/{eid}/erase", json={"reason": "x"}, headers=HR)
        assert other.get(cid_of(cid), Customer).name == ERASED
        assert other.get(cid_of(cid), Customer, version=1).contacts[0]["email"] == ERASED
        assert other.get(cid_of(eid), Employee).name == ERASED
        [registered, _] = other.events.get(cid_of(cid))
        assert (registered.name, registered.contacts[0]["phone"]) == (ERASED, ERASED)
    finally:
        other.close()


def cid_of(text: str) -> UUID:
    return UUID(text)


def test_duplicates_are_found_among_the_living_and_an_erased_identity_is_free(client):
    cid, values = person_lead(client)
    same = {
        "name": "  " + values["name"].upper() + " ",
        "kind": "person",
        "source": "phone",
        "contacts": [{"name": "someone", "phone": values["phone"].replace(" ", "-")}],
    }
    duplicate = client.post("/customers", json=same, headers=SALES)
    assert assert_problem(duplicate, 422, "duplicate_customer")["existing_id"] == cid
    word = values["name"].split()[0]
    assert [
        i["id"] for i in client.get("/customers", params={"q": word}, headers=SALES).json()["items"]
    ] == [cid]
    assert client.post(f"/customers/{cid}/erase", json={"reason": "x"}, headers=LEGAL)
    again = client.post("/customers", json=same, headers=SALES)
    assert again.status_code == 201, again.text
    assert [
        i["id"] for i in client.get("/customers", params={"q": word}, headers=SALES).json()["items"]
    ] == [again.json()["id"]]


# The command line: history and a rebuild.


def test_cli_history_and_a_rebuild_show_erased(database):
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET, "COLUMNS": "400"}
    from fastapi.testclient import TestClient

    from interfaces.bootstrap import build
    from interfaces.http.app import create_app

    services = build(database.settings(), run_projections=True)
    try:
        with TestClient(create_app(services=services)) as client:
            cid, values = person_lead(client)
            assert client.post(f"/customers/{cid}/erase", json={"reason": "x"}, headers=LEGAL)
            read_everything(client, cid)
    finally:
        services.close()
    history = runner.invoke(cli, ["history", "customer", cid], env=env)
    assert history.exit_code == 0, history.output
    assert not any(value in history.output for value in values.values())
    assert '"name": ' in history.output
    rebuilt = runner.invoke(cli, ["projections", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    services = build(database.settings(), run_projections=True)
    try:
        with TestClient(create_app(services=services)) as client:
            audit = client.get("/audit/events", params={"aggregate_id": cid}, headers=AUDITOR)
            assert audit.json()["items"][0]["data"]["name"] == ERASED
            listed = client.get("/customers", headers=SALES).json()["items"]
            assert [item["name"] for item in listed] == [ERASED]
    finally:
        services.close()
    everything = raw_bytes(database)
    assert not any(plaintext in everything for plaintext in plaintexts(values))


def test_cli_history_prints_the_literal_erased(database):
    app = Backoffice(database.env())
    try:
        from application.commands.customers import EraseCustomer, RegisterLead
        from tests.conftest import as_

        outcome = app.handle(
            as_("sam", "sales"),
            RegisterLead(name=f"{marker()} Wei", kind="person", source="web"),
        )
        app.handle(as_("lee", "legal"), EraseCustomer(outcome.id, "asked"))
    finally:
        app.close()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET, "COLUMNS": "400"}
    history = CliRunner().invoke(cli, ["history", "customer", str(outcome.id)], env=env)
    assert history.exit_code == 0, history.output
    assert ERASED in history.output
