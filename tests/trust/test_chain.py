"""The hash chain: written with every event, on SQLite and PostgreSQL, and every tampering
with the events table found with its position (DOMAIN.md, "A log that proves itself")."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from application.backoffice import Backoffice
from interfaces.bootstrap import Services, build
from interfaces.trust import load_signing_key, new_signing_key, seal, seal_problem, verify_store
from projections.chain import GENESIS, link_hash, links_for
from projections.chain_store import ChainStore, chain_of
from tests.conftest import POSTGRES_URL, Database
from tests.factories import customer, employee


@pytest.fixture
def services(database: Database) -> Iterator[Services]:
    wired = build(database.settings(), run_projections=False)
    yield wired
    wired.close()


def chain(app: Backoffice) -> ChainStore:
    return chain_of(app.recorder)


@contextmanager
def raw(database: Database) -> Iterator[Any]:
    """A connection of an intruder's own to the database, in autocommit."""
    if database.dialect == "sqlite":
        connection = sqlite3.connect(database.url[len("sqlite:///") :], isolation_level=None)
        try:
            yield connection
        finally:
            connection.close()
        return
    schema = database.url.split("schema=")[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"SET search_path TO {schema}")
        yield connection


def write_some(app: Backoffice) -> None:
    for _ in range(3):
        customer(app)
    employee(app)


def test_every_event_is_linked_and_the_chain_holds(services: Services) -> None:
    app = services.backoffice
    write_some(app)
    verdict = verify_store(chain(app))
    assert verdict.ok, verdict
    assert verdict.events == app.max_position() > 0
    assert verdict.head is not None and verdict.head.position == app.max_position()


def test_the_chain_is_the_documented_function_of_the_events(services: Services) -> None:
    """Recomputed from its definition alone, over what the database stores."""
    app = services.backoffice
    write_some(app)
    store = chain(app)
    stop = store.bounds()
    events, links = list(store.events(0, stop)), list(store.links(0, stop))
    previous = GENESIS
    for event, link in zip(events, links, strict=True):
        assert link.position == event.position
        assert link.hash == link_hash(previous, event)
        previous = link.hash
    assert links == links_for(None, events)


def test_concurrent_writers_keep_the_chain_in_position_order(services: Services) -> None:
    app = services.backoffice
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(5):
                customer(app)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = verify_store(chain(app))
    assert verdict.ok, verdict
    assert verdict.events == app.max_position() >= 30


def events_table(app: Backoffice) -> str:
    return str(app.recorder.events_table_name)  # type: ignore[attr-defined]


def test_an_update_is_found_at_its_position(services: Services, database: Database) -> None:
    app = services.backoffice
    write_some(app)
    target = app.max_position() // 2
    with raw(database) as db:
        column = "rowid" if database.dialect == "sqlite" else "notification_id"
        db.execute(
            f"UPDATE {events_table(app)} SET originator_version = originator_version + 1000 "
            f"WHERE {column} = {target}"
        )
    verdict = verify_store(chain(app))
    assert (verdict.ok, verdict.broken_at, verdict.problem) == (False, target, "changed")
    assert verdict.verified_to == target - 1


def test_a_changed_state_is_found(services: Services, database: Database) -> None:
    app = services.backoffice
    write_some(app)
    target = 2
    with raw(database) as db:
        column = "rowid" if database.dialect == "sqlite" else "notification_id"
        concatenated = "state || X'20'" if database.dialect == "sqlite" else "state || '\\x20'"
        db.execute(f"UPDATE {events_table(app)} SET state = {concatenated} WHERE {column} = 2")
    verdict = verify_store(chain(app))
    assert (verdict.broken_at, verdict.problem) == (target, "changed")


def test_a_delete_is_found_at_its_position(services: Services, database: Database) -> None:
    app = services.backoffice
    write_some(app)
    target = app.max_position() - 3
    column = "rowid" if database.dialect == "sqlite" else "notification_id"
    with raw(database) as db:
        db.execute(f"DELETE FROM {events_table(app)} WHERE {column} = {target}")
    verdict = verify_store(chain(app))
    assert (verdict.broken_at, verdict.problem) == (target, "missing")


def test_a_delete_of_the_event_and_its_link_is_found(
    services: Services, database: Database
) -> None:
    app = services.backoffice
    write_some(app)
    target = 3
    column = "rowid" if database.dialect == "sqlite" else "notification_id"
    with raw(database) as db:
        db.execute(f"DELETE FROM {events_table(app)} WHERE {column} = {target}")
        db.execute(f"DELETE FROM {events_table(app)}_chain WHERE position = {target}")
    verdict = verify_store(chain(app))
    assert (verdict.broken_at, verdict.problem) == (target, "missing")


def test_an_insert_is_found_at_its_position(services: Services, database: Database) -> None:
    app = services.backoffice
    write_some(app)
    head = app.max_position()
    table = events_table(app)
    with raw(database) as db:
        if database.dialect == "sqlite":
            # A copy of event 2 as another aggregate's, slipped in after the head.
            db.execute(
                f"INSERT INTO {table} (rowid, originator_id, originator_version, topic, state) "
                f"SELECT {head + 1}, lower(hex(randomblob(16))), 1, topic, state "
                f"FROM {table} WHERE rowid = 2"
            )
            target = head + 1
        else:
            # Into a gap in the positions (a rolled-back transaction leaves one): the
            # trigger links it, but after the head, which a verification sees.
            db.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'notification_id'))")
            customer(app)
            target = head + 1
            db.execute(
                f"INSERT INTO {table} (notification_id, originator_id, originator_version, "
                f"topic, state) SELECT {target}, gen_random_uuid(), 1, topic, state "
                f"FROM {table} WHERE notification_id = 2"
            )
    verdict = verify_store(chain(app))
    assert (verdict.broken_at, verdict.problem) == (target, "inserted"), verdict


def test_an_unlinked_insert_is_found(services: Services, database: Database) -> None:
    """An event stored past the head with no link (on PostgreSQL, with triggers off)."""
    app = services.backoffice
    write_some(app)
    table = events_table(app)
    target = app.max_position() + 5
    column = "rowid" if database.dialect == "sqlite" else "notification_id"
    uuid = "lower(hex(randomblob(16)))" if database.dialect == "sqlite" else "gen_random_uuid()"
    with raw(database) as db:
        if database.dialect == "postgres":
            db.execute("SET session_replication_role = replica")  # as an intruder would
        db.execute(
            f"INSERT INTO {table} ({column}, originator_id, originator_version, topic, state) "
            f"SELECT {target}, {uuid}, 1, topic, state FROM {table} WHERE {column} = 2"
        )
    verdict = verify_store(chain(app))
    assert (verdict.broken_at, verdict.problem) == (target, "inserted")


def test_a_recomputed_chain_passes_verify_but_not_a_seal(
    services: Services, database: Database
) -> None:
    app = services.backoffice
    write_some(app)
    key = load_signing_key(new_signing_key())
    kept = seal(chain(app), key)
    assert seal_problem(chain(app), kept, key) is None
    table = events_table(app)
    column = "rowid" if database.dialect == "sqlite" else "notification_id"
    store = chain(app)
    with raw(database) as db:
        db.execute(
            f"UPDATE {table} SET originator_version = originator_version + 1000 WHERE {column} = 2"
        )
        # The intruder recomputes every link from the forged event on.
        recomputed = links_for(None, store.events(0, store.bounds()))
        db.execute(f"DELETE FROM {table}_chain")
        marker = "?" if database.dialect == "sqlite" else "%s"
        for link in recomputed:
            db.execute(
                f"INSERT INTO {table}_chain (position, previous, hash) "
                f"VALUES ({marker}, {marker}, {marker})",
                (link.position, link.previous, link.hash),
            )
    assert verify_store(store).ok  # the chain alone cannot tell
    problem = seal_problem(store, kept, key)
    assert problem is not None and "rewritten" in problem


def test_a_seal_signed_by_another_key_or_edited_is_refused(services: Services) -> None:
    app = services.backoffice
    write_some(app)
    ours, theirs = (load_signing_key(new_signing_key()) for _ in range(2))
    store = chain(app)
    foreign = seal(store, theirs)
    assert "key other than" in (seal_problem(store, foreign, ours) or "")
    edited = {**seal(store, ours), "position": 1}
    assert "signature" in (seal_problem(store, edited, ours) or "")


def test_upgrade_chains_a_log_written_before_the_chain(
    services: Services, database: Database
) -> None:
    app = services.backoffice
    write_some(app)
    before = verify_store(chain(app))
    with raw(database) as db:
        db.execute(f"DELETE FROM {events_table(app)}_chain")
    assert verify_store(chain(app)).problem == "inserted"
    assert chain(app).backfill() == before.events
    assert chain(app).backfill() == 0  # idempotent
    after = verify_store(chain(app))
    assert after.ok and after.head == before.head


def test_a_log_older_than_the_chain_is_chained_when_this_version_first_opens_it(
    services: Services, database: Database
) -> None:
    app = services.backoffice
    write_some(app)
    before = verify_store(chain(app))
    with raw(database) as db:
        db.execute(f"DROP TABLE {events_table(app)}_chain")
    reopened = Backoffice(database.env())
    try:
        after = verify_store(chain(reopened))
        assert after.ok and after.head == before.head and after.events == before.events
    finally:
        reopened.close()
