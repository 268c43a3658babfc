"""The hash chain as issue 18's cut of its cost left it: the same bytes hashed as before,
one chain however many processes write, and a database chained by the former PostgreSQL
trigger still verifying once an application has replaced it."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from application.backoffice import Backoffice
from interfaces.trust import verify_store
from projections.chain import GENESIS, StoredRow, link_hash, links_for
from projections.chain_store import chain_of
from tests.conftest import POSTGRES_URL, Database, new_database
from tests.factories import customer


def test_the_hashed_bytes_are_those_chained_before() -> None:
    """Digests computed by the chain's first version, kept here: a faster hash of the
    same definition must give them, or every log chained before would fail to verify."""
    rows = [
        StoredRow(
            1,
            UUID("12345678-1234-5678-1234-567812345678"),
            1,
            "domain.customer:Customer.Registered",
            '{"name":"é"}'.encode(),
        ),
        StoredRow(7, UUID(int=5), 2**40, "tópico", b""),
    ]
    first = "1237eccda544973d625aafd86a73d03122a6888d5942262c0c0b2c91db2fbeaa"
    second = "c95243b48ecbfd3a421c3d3ff4f6da0f0d7b76abb95eacd3a8be11993afd31a2"
    assert link_hash(GENESIS, rows[0]).hex() == first
    assert link_hash(bytes.fromhex(first), rows[1]).hex() == second
    assert [(k.position, k.previous, k.hash.hex()) for k in links_for(None, rows)] == [
        (1, 0, first),
        (7, 1, second),
    ]


def write_customers(env: dict[str, str], count: int) -> None:
    """Another process's writes (its own application, pool and connections)."""
    app = Backoffice(env)
    try:
        for _ in range(count):
            customer(app)
    finally:
        app.close()


def test_two_processes_writing_one_database_keep_one_chain(database: Database) -> None:
    """Each writer links after the head it reads in its own transaction: commits of the
    other process in between are seen, never linked over."""
    app = Backoffice(database.env())
    try:
        customer(app)
        other = multiprocessing.get_context("spawn").Process(
            target=write_customers, args=(database.env(), 12)
        )
        other.start()
        for _ in range(12):
            customer(app)
        other.join(timeout=120)
        assert other.exitcode == 0
        customer(app)  # after the other process's last commit
        verdict = verify_store(chain_of(app.recorder))
        assert verdict.ok, verdict
        assert verdict.events == app.max_position()
        # Two events a customer (the customer and its identity), 26 customers.
        assert verdict.events >= 52
    finally:
        app.close()


# The PostgreSQL trigger function as the chain's first version made it: two statements.
# (Names qualified with the schema, as the application's are: the search path of the
# connections that insert is not the test's.)
FORMER_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.{table}_link() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE previous_position bigint; previous_hash bytea; topic_bytes bytea;
BEGIN
SELECT position, hash INTO previous_position, previous_hash
FROM {schema}.{table}_chain ORDER BY position DESC LIMIT 1;
IF previous_position IS NULL THEN
previous_position := 0; previous_hash := decode(repeat('00', 32), 'hex');
END IF;
topic_bytes := convert_to(NEW.topic, 'UTF8');
INSERT INTO {schema}.{table}_chain (position, previous, hash) VALUES (
NEW.notification_id, previous_position, sha256(previous_hash
|| int8send(NEW.notification_id) || uuid_send(NEW.originator_id::uuid)
|| int8send(NEW.originator_version::bigint)
|| int4send(octet_length(topic_bytes)) || topic_bytes
|| int4send(octet_length(NEW.state)) || NEW.state));
RETURN NULL;
END $body$
"""


def test_a_database_chained_by_the_former_trigger_gets_the_new_one_and_verifies(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    database = new_database("postgres", tmp_path_factory)
    try:
        former_trigger_then_new(database)
    finally:
        database.close()


def former_trigger_then_new(database: Database) -> None:
    schema = database.url.split("schema=")[1]
    app = Backoffice(database.env())
    table = str(app.recorder.events_table_name)  # type: ignore[attr-defined]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(FORMER_FUNCTION.format(schema=schema, table=table))
        for _ in range(3):
            customer(app)  # linked by the former function
        app.close()
        reopened = Backoffice(database.env())  # replaces the function as it opens
        try:
            for _ in range(3):
                customer(reopened)
            [(source,)] = db.execute(
                "SELECT prosrc FROM pg_proc WHERE proname = %s AND pronamespace = %s::regnamespace",
                (f"{table}_link", schema),
            ).fetchall()
            assert "INTO previous_position" not in source
            verdict = verify_store(chain_of(reopened.recorder))
            assert verdict.ok, verdict
            assert verdict.events == reopened.max_position() >= 12
        finally:
            reopened.close()


def stored(count: int) -> list[StoredEvent]:
    aggregate = uuid4()
    return [StoredEvent(aggregate, v, "tests:Event", b"{}") for v in range(1, count + 1)]


@pytest.fixture
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    app = Backoffice(new_database("sqlite", tmp_path_factory).env())
    yield app
    app.close()


def test_a_batch_links_each_command_after_the_one_before(sqlite_app: Backoffice) -> None:
    """The group commit's batch: links after the first follow the head the transaction
    linked last, without reading it; a conflicting command in between changes nothing."""
    recorder = sqlite_app.recorder
    taken = stored(1)
    recorder.insert_events(taken)
    answers = recorder.insert_batch([stored(2), taken, stored(1), stored(3)])  # type: ignore[attr-defined]
    assert [a is None for a in answers] == [False, True, False, False]
    verdict = verify_store(chain_of(recorder))
    assert verdict.ok, verdict
    assert verdict.events == sqlite_app.max_position() == 7


def test_a_link_rolled_back_in_its_transaction_is_not_linked_over(
    sqlite_app: Backoffice,
) -> None:
    """A savepoint rolled back after its events were linked frees their positions: the
    next events of the transaction take them, and are linked after the head as stored."""
    recorder: Any = sqlite_app.recorder
    recorder.insert_events(stored(1))
    with recorder.datastore.transaction(commit=True) as cursor:
        recorder._insert_events(cursor, stored(2))
        cursor.execute("SAVEPOINT undone")
        recorder._insert_events(cursor, stored(2))  # positions 4 and 5, linked
        cursor.execute("ROLLBACK TO undone")
        cursor.execute("RELEASE undone")
        recorder._insert_events(cursor, stored(3))  # positions 4 to 6 again
    verdict = verify_store(chain_of(recorder))
    assert verdict.ok, verdict
    assert verdict.events == sqlite_app.max_position() == 6


@pytest.fixture
def sqlite_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return new_database("sqlite", tmp_path_factory).env()


def head_of(app: Backoffice) -> tuple[int, bytes]:
    head = chain_of(app.recorder).head()
    assert head is not None
    return head.position, head.hash


def test_the_head_a_process_committed_is_followed_until_another_writer_moves_on(
    sqlite_env: dict[str, str],
) -> None:
    """Across transactions a process links after the head it committed last, without
    reading it; once another writer (here a second application on the same file) has
    committed, the next event takes a later position and the head is read as stored."""
    app, other = Backoffice(sqlite_env), Backoffice(sqlite_env)
    try:
        app.recorder.insert_events(stored(2))
        assert app.recorder.linker.known_head == head_of(app)  # type: ignore[attr-defined]
        app.recorder.insert_events(stored(1))
        other.recorder.insert_events(stored(3))
        app.recorder.insert_events(stored(1))
        app.recorder.insert_batch([stored(1), stored(2)])  # type: ignore[attr-defined]
        other.recorder.insert_events(stored(1))
        app.recorder.insert_batch([stored(2)])  # type: ignore[attr-defined]
        assert app.recorder.linker.known_head == head_of(app)  # type: ignore[attr-defined]
        verdict = verify_store(chain_of(app.recorder))
        assert verdict.ok, verdict
        assert verdict.events == app.max_position() == 13
    finally:
        app.close()
        other.close()


def test_a_transaction_rolled_back_after_linking_leaves_no_head_behind(
    sqlite_env: dict[str, str],
) -> None:
    """Events linked in a transaction that then rolls back free their positions; another
    writer takes them; the next link follows that writer's events, not the undone ones."""
    app, other = Backoffice(sqlite_env), Backoffice(sqlite_env)
    recorder: Any = app.recorder
    try:
        recorder.insert_events(stored(1))
        with pytest.raises(RuntimeError), recorder.datastore.transaction(commit=True) as cursor:
            recorder._insert_events(cursor, stored(2))  # positions 2 and 3, linked
            raise RuntimeError("the command failed after its insert")
        assert app.max_position() == 1
        other.recorder.insert_events(stored(2))  # positions 2 and 3 again
        recorder.insert_events(stored(1))
        verdict = verify_store(chain_of(recorder))
        assert verdict.ok, verdict
        assert verdict.events == 4
    finally:
        app.close()
        other.close()


def test_a_link_rolled_back_to_its_savepoint_is_never_the_known_head(
    sqlite_env: dict[str, str],
) -> None:
    """The group commit's rolled-back command: what the linker had written in it is
    forgotten, so the transaction's commit leaves the head it committed before."""
    app = Backoffice(sqlite_env)
    recorder: Any = app.recorder
    try:
        recorder.insert_events(stored(1))
        committed = recorder.linker.known_head
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute("SAVEPOINT command")
            recorder._insert_events(cursor, stored(1))
            cursor.execute("ROLLBACK TO command")
            recorder.linker.forget(cursor)
            cursor.execute("RELEASE command")
        recorder.linker.committed(cursor)
        assert recorder.linker.known_head == committed == head_of(app)
    finally:
        app.close()
