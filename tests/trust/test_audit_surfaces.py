"""The auditor's surfaces of the chain: `mops audit verify|seal`, `mops export|import`,
`mops upgrade`, `GET /audit/verify` and `GET /audit/seal`, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.customers import EraseCustomer, RecordFollowUp, RegisterLead
from domain.errors import DomainError
from interfaces.bootstrap import DEV_JWT_SECRET, Services, build
from interfaces.cli import cli
from interfaces.http.app import create_app
from interfaces.trust import new_signing_key
from projections.chain_store import chain_of
from tests.conftest import Database, as_, assert_problem, bearer, new_database
from tests.factories import customer, employee
from tests.trust.test_chain import events_table, raw

KEY = new_signing_key()


@pytest.fixture
def written(database: Database) -> Iterator[Services]:
    """A database with a few customers and an employee, and its services (with a key)."""
    wired = build(database.settings(signing_key=KEY), run_projections=False)
    for _ in range(3):
        customer(wired.backoffice)
    employee(wired.backoffice)
    yield wired
    wired.close()


def env(database: Database, **more: str) -> dict[str, str | None]:
    # No signing key unless a test gives one (None unsets what another test's in-process
    # `serve --dev` may have left in os.environ).
    return {
        "MOPS_DATABASE_URL": database.url,
        "MOPS_JWT_SECRET": DEV_JWT_SECRET,
        "MOPS_SIGNING_KEY": None,
        **more,
    }


def run(database: Database, *args: str, **more: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env(database, **more))


def test_cli_verify_passes_then_names_a_changed_position(
    written: Services, database: Database
) -> None:
    ok = run(database, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "events/s" in ok.output and "ok: the chain holds" in ok.output
    column = "rowid" if database.dialect == "sqlite" else "notification_id"
    with raw(database) as db:
        db.execute(
            f"UPDATE {events_table(written.backoffice)} "
            f"SET originator_version = originator_version + 7 WHERE {column} = 4"
        )
    broken = run(database, "audit", "verify")
    assert broken.exit_code == 1
    assert "broken at position 4: changed" in " ".join(broken.output.split())


def test_cli_seal_then_verify_against_it(
    written: Services, database: Database, tmp_path: Path
) -> None:
    sealed = run(database, "audit", "seal", MOPS_SIGNING_KEY=KEY)
    assert sealed.exit_code == 0, sealed.output
    kept = json.loads(sealed.output)
    assert kept["position"] == written.backoffice.max_position()
    path = tmp_path / "seal.json"
    path.write_text(sealed.output)
    customer(written.backoffice)  # the log grows after the seal: the seal still holds
    ok = run(database, "audit", "verify", "--seal", str(path), MOPS_SIGNING_KEY=KEY)
    assert ok.exit_code == 0, ok.output
    assert f"the seal of position {kept['position']} holds" in ok.output
    path.write_text(json.dumps({**kept, "hash": "00" * 32}))
    forged = run(database, "audit", "verify", "--seal", str(path), MOPS_SIGNING_KEY=KEY)
    assert forged.exit_code == 1
    assert "signature" in forged.output


def test_cli_seal_without_a_key_is_one_clear_line(written: Services, database: Database) -> None:
    refused = run(database, "audit", "seal")
    assert refused.exit_code == 2
    assert "MOPS_SIGNING_KEY is not set" in refused.output
    assert "Traceback" not in refused.output


def test_export_then_import_into_an_empty_database_of_either_kind(
    written: Services,
    database: Database,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    exported = tmp_path / "log.jsonl"
    assert run(database, "export", "--to", str(exported)).exit_code == 0
    head = written.backoffice.max_position()
    other_kind = "postgres" if database.dialect == "sqlite" else "sqlite"
    target = new_database(other_kind, tmp_path_factory)
    try:
        loaded = run(target, "import", str(exported))
        assert loaded.exit_code == 0, loaded.output
        assert f"imported {head} events" in loaded.output
        verified = run(target, "audit", "verify")
        assert verified.exit_code == 0, verified.output
        assert f"to position {head}" in verified.output
        again = run(target, "import", str(exported))
        assert again.exit_code == 1 and "not empty" in again.output
    finally:
        target.close()


def test_an_edited_export_is_refused_with_nothing_written(
    written: Services,
    database: Database,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    exported = tmp_path / "log.jsonl"
    assert run(database, "export", "--to", str(exported)).exit_code == 0
    lines = exported.read_text().splitlines()
    line = json.loads(lines[3])
    line["version"] += 1
    lines[3] = json.dumps(line)
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines) + "\n")
    target = new_database(database.dialect, tmp_path_factory)
    try:
        refused = run(target, "import", str(edited))
        assert refused.exit_code == 1
        assert "refused, nothing written: line 4" in " ".join(refused.output.split())
        store = Backoffice(target.env())
        try:
            assert not store.max_position()
            assert chain_of(store.recorder).head() is None
        finally:
            store.close()
    finally:
        target.close()


def test_upgrade_is_idempotent(written: Services, database: Database) -> None:
    first = run(database, "upgrade")
    assert first.exit_code == 0 and "chained already" in first.output
    with raw(database) as db:
        db.execute(f"DELETE FROM {events_table(written.backoffice)}_chain")
    second = run(database, "upgrade")
    assert f"{written.backoffice.max_position()} events chained" in second.output
    assert run(database, "audit", "verify").exit_code == 0


@pytest.fixture
def client(written: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=written)) as test_client:
        yield test_client


def test_http_verify_for_the_auditors_roles(client: TestClient, written: Services) -> None:
    for role in ("auditor", "executive", "admin"):
        answer = client.get("/audit/verify", headers=bearer("ada", role))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["ok"] is True
        assert body["verified_to"] == body["head"]["position"] == written.backoffice.max_position()
        assert len(body["head"]["hash"]) == 64
    assert_problem(client.get("/audit/verify", headers=bearer("sam", "sales")), 403, "forbidden")
    assert_problem(client.get("/audit/seal", headers=bearer("sam", "sales")), 403, "forbidden")


def test_http_verify_names_the_break(
    client: TestClient, written: Services, database: Database
) -> None:
    column = "rowid" if database.dialect == "sqlite" else "notification_id"
    with raw(database) as db:
        db.execute(f"DELETE FROM {events_table(written.backoffice)} WHERE {column} = 3")
    body = client.get("/audit/verify", headers=bearer("ada", "auditor")).json()
    assert (body["ok"], body["broken_at"], body["problem"], body["verified_to"]) == (
        False,
        3,
        "missing",
        2,
    )


def test_http_seal_is_signed_as_api_md_says(client: TestClient, written: Services) -> None:
    answer = client.get("/audit/seal", headers=bearer("ada", "auditor"))
    assert answer.status_code == 200, answer.text
    kept = answer.json()
    assert set(kept) == {"position", "hash", "sealed_at", "public_key", "signature"}
    signed = json.dumps(
        {"hash": kept["hash"], "position": kept["position"], "sealed_at": kept["sealed_at"]},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(kept["public_key"]))
    public.verify(base64.b64decode(kept["signature"]), signed)  # raises when it does not hold
    assert kept["position"] == written.backoffice.max_position()


def test_http_seal_without_a_key_answers_503_problem(database: Database) -> None:
    wired = build(database.settings(), run_projections=False)
    try:
        with TestClient(create_app(services=wired)) as keyless:
            answer = keyless.get("/audit/seal", headers=bearer("ada", "auditor"))
            assert_problem(answer, 503, "signing_key_missing")
    finally:
        wired.close()


def test_an_export_carries_the_keys_of_the_living_and_not_of_the_erased(
    written: Services,
    database: Database,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    app = written.backoffice
    sales, legal = as_("sam", "sales"), as_("lee", "legal")
    living_name, erased_name = f"Wang {uuid4().hex[:8]}", f"Zhao {uuid4().hex[:8]}"
    living = app.handle(
        sales,
        RegisterLead(
            name=living_name,
            kind="person",
            source="web",
            contacts=[{"name": living_name, "phone": "+86 139 5550 0101", "email": None}],
        ),
    ).id
    erased = app.handle(sales, RegisterLead(name=erased_name, kind="person", source="web")).id
    app.handle(legal, EraseCustomer(erased, "asked"))
    exported = tmp_path / "log.jsonl"
    assert run(database, "export", "--to", str(exported)).exit_code == 0
    text = exported.read_text()
    assert living_name not in text and erased_name not in text  # ciphertext only
    other_kind = "postgres" if database.dialect == "sqlite" else "sqlite"
    target = new_database(other_kind, tmp_path_factory)
    try:
        loaded = run(target, "import", str(exported))
        assert loaded.exit_code == 0, loaded.output
        moved = Backoffice(target.env())
        try:
            assert moved.repository.get(living).name == living_name
            assert moved.repository.get(erased).name == "[erased]"
            with pytest.raises(DomainError) as duplicate:  # identities found under their key
                again = RegisterLead(
                    name=living_name.upper(),
                    kind="person",
                    source="phone",
                    contacts=[{"name": "x", "phone": "+86-139-5550-0101", "email": None}],
                )
                moved.handle(sales, again)
            assert duplicate.value.code == "duplicate_customer"
        finally:
            moved.close()
    finally:
        target.close()


def test_a_forged_snapshot_is_found(written: Services, database: Database) -> None:
    """Snapshots are not chained; verify replays each one's events and compares."""
    app = written.backoffice
    subject = customer(app)
    for n in range(55):  # Customers are snapshotted every 50 events
        app.handle(as_("sam", "sales"), RecordFollowUp(subject, kind="call", notes=f"call {n}"))
    assert app.snapshots is not None
    [snapshot] = list(app.snapshots.get(subject))
    assert run(database, "audit", "verify").exit_code == 0
    forged = type(snapshot)(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state={**snapshot.state, "points": 99_999},
    )
    stored = app.mapper.to_stored_event(forged)
    table = app.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    marker = "?" if database.dialect == "sqlite" else "%s"
    key = subject.hex if database.dialect == "sqlite" else subject
    with raw(database) as db:
        db.execute(
            f"UPDATE {table} SET state = {marker} WHERE originator_id = {marker} "
            f"AND originator_version = {marker}",
            (stored.state, key, snapshot.originator_version),
        )
    found = run(database, "audit", "verify")
    assert found.exit_code == 1
    assert f"snapshot: {subject} at version {snapshot.originator_version}" in found.output
    assert "points" in found.output
