"""Kept keys and erasures across processes: a process that read a subject's key before
another process erased the subject never decrypts that subject's old events afterwards
(interfaces/personal_data.py, "Keys cached, erasures looked for")."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.backoffice import Backoffice
from application.commands.customers import EraseCustomer, RegisterLead
from interfaces.personal_data import destroy_key
from interfaces.pg_rewrite import REWRITE_WAIT_SECONDS
from tests.conftest import POSTGRES_URL, Database, as_, unique
from tests.interfaces.test_erasure import (
    HR,
    LEGAL,
    candidate,
    person_lead,
    plaintexts,
    read_everything,
)

READER = textwrap.dedent(
    """
    import json, sys
    from uuid import UUID
    from application.backoffice import Backoffice
    from interfaces.personal_data import forget_erased_keys
    env, subject = json.loads(sys.argv[1]), UUID(sys.argv[2])
    app = Backoffice(env)
    def read():
        forget_erased_keys(app.mapper)
        print(json.dumps(app.repository.get(subject, version=1).name), flush=True)
    read()                 # decrypts: the key is now kept in this process
    sys.stdin.readline()   # the other process erases meanwhile
    read()
    app.close()
    """
)


def test_a_process_holding_a_key_shows_erased_after_another_erases(database: Database) -> None:
    env = database.env()
    app = Backoffice(env)
    name = unique("Chen")
    try:
        subject = app.handle(
            as_("sam", "sales"), RegisterLead(name=name, kind="person", source="web")
        ).id
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, json.dumps(env), str(subject)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None and reader.stdin is not None
        assert json.loads(reader.stdout.readline()) == name
        # Saved only: the key is not destroyed (as after a crash before the erase route
        # destroys it), so only the Erased event can tell the reader.
        app.handle(as_("lee", "legal"), EraseCustomer(subject, "asked"))
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert json.loads(reader.stdout.readline()) == "[erased]"
        assert reader.wait(timeout=30) == 0
    finally:
        app.close()


def _key_table_file_bytes(database: Database) -> bytes:
    """The raw bytes of the keys table as stored on disk (SQLite: the database file and its
    WAL after a checkpoint; PostgreSQL: the table's relation file, read by the server)."""
    if database.dialect == "sqlite":
        path = database.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return b"".join(Path(p).read_bytes() for p in (path, f"{path}-wal") if Path(p).exists())
    schema = database.url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute("CHECKPOINT")
        [(blob,)] = connection.execute(
            "SELECT pg_read_binary_file(pg_relation_filepath(%s))",
            (f'"{schema}".mops_subject_keys',),
        ).fetchall()
    return bytes(blob)


def _erased_lead(app: Backoffice) -> tuple[UUID, bytes]:
    """A lead who is a person, erased (its key not yet destroyed), and its key's text."""
    subject = app.handle(
        as_("sam", "sales"), RegisterLead(name=unique("Wu"), kind="person", source="web")
    ).id
    key_text = app.mapper.keys.store.living()[0]["secret"].encode()  # type: ignore[attr-defined]
    app.handle(as_("lee", "legal"), EraseCustomer(subject, "asked"))
    return subject, key_text


def test_a_destroyed_key_is_gone_from_the_table_files(database: Database) -> None:
    app = Backoffice(database.env())
    try:
        subject, key_text = _erased_lead(app)
        assert key_text in _key_table_file_bytes(database)  # the search can find it
        destroy_key(app.mapper, subject)
        assert key_text not in _key_table_file_bytes(database)
    finally:
        app.close()


def _hold_a_snapshot(session: psycopg.Connection[Any]) -> None:
    session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    session.execute("SELECT 1").fetchall()  # the snapshot is taken, and held


def _hold_a_transaction_id(session: psycopg.Connection[Any]) -> None:
    session.execute("SELECT pg_current_xact_id()").fetchall()  # an xid; no snapshot now


@pytest.mark.parametrize("hold", [_hold_a_snapshot, _hold_a_transaction_id])
def test_the_keys_table_is_rewritten_only_after_an_older_session_ends(
    database: Database, hold: Callable[[psycopg.Connection[Any]], None]
) -> None:
    """VACUUM FULL keeps a dead row that an open snapshot may still see, or that a
    transaction which began writing before it holds back between its statements: the
    rewrite waits for those older than the destruction, so the key leaves the file anyway."""
    if database.dialect != "postgres":
        pytest.skip("PostgreSQL only: SQLite overwrites deleted content in place")
    app = Backoffice(database.env())
    try:
        subject, key_text = _erased_lead(app)
        with psycopg.connect(POSTGRES_URL) as session:
            hold(session)
            destroying = threading.Thread(target=destroy_key, args=(app.mapper, subject))
            destroying.start()
            destroying.join(timeout=1.0)
            assert destroying.is_alive()  # waiting for the session's transaction to end
            session.rollback()
        destroying.join(timeout=REWRITE_WAIT_SECONDS)
        assert not destroying.is_alive()
        assert key_text not in _key_table_file_bytes(database)
    finally:
        app.close()


def _relation_file_bytes(database: Database) -> bytes:
    """SQLite: the database file and its WAL after a checkpoint. PostgreSQL: every file of
    every relation of the test's schema (tables, their indexes and TOAST), as the server
    stores them, after a checkpoint."""
    if database.dialect == "sqlite":
        return _key_table_file_bytes(database)  # the whole file: every table is in it
    schema = database.url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute("CHECKPOINT")
        rows = connection.execute(
            "SELECT pg_read_binary_file(pg_relation_filepath(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN (%s, 'pg_toast') AND pg_relation_filepath(c.oid) IS NOT NULL "
            "AND c.relkind IN ('r', 'i', 't') AND pg_relation_size(c.oid) > 0 "
            "AND (n.nspname = %s OR c.oid IN (SELECT reltoastrelid FROM pg_class k "
            "JOIN pg_namespace m ON m.oid = k.relnamespace WHERE m.nspname = %s))",
            (schema, schema, schema),
        ).fetchall()
    return b"".join(bytes(blob) for (blob,) in rows)


def _holders(database: Database, plaintext: bytes) -> list[str]:
    schema = database.url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT c.relname, pg_read_binary_file(pg_relation_filepath(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND c.relkind IN ('r', 'i', 't') AND pg_relation_size(c.oid) > 0",
            (schema,),
        ).fetchall()
    return [name for name, blob in rows if plaintext in bytes(blob)]


def test_after_an_erasure_no_file_of_the_database_holds_the_old_values(
    client, module_database: Database
) -> None:
    cid, values = person_lead(client)
    eid, name = candidate(client)
    read_everything(client, cid)
    client.get("/employees", headers=HR)
    before = _relation_file_bytes(module_database)
    assert values["email"].encode() in before and name.encode() in before  # findable
    assert client.post(f"/customers/{cid}/erase", json={"reason": "x"}, headers=LEGAL).is_success
    assert client.post(f"/employees/{eid}/erase", json={"reason": "x"}, headers=HR).is_success
    after = _relation_file_bytes(module_database)
    for plaintext in [*plaintexts(values), name.encode()]:
        assert plaintext not in after, (plaintext, _holders(module_database, plaintext))
