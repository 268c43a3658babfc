"""Application recorders that commit the events of many commands in one transaction.

`insert_batch` takes the events of several commands, in the order they arrived, and
commits them in one transaction: each command's events are written all or none, a
command whose events conflict with what is stored (another writer got in first) is
answered None and the others are committed, and positions follow the order of the
commands. `application.group_commit` gathers the commands arriving together in a
process and hands them here.

PostgreSQL: the whole batch is one round trip — `BEGIN`, the library's `LOCK TABLE ...
IN EXCLUSIVE MODE` (so positions commit in the order they are issued and a tailing
reader never skips one), one `INSERT ... WHERE NOT EXISTS` a command, `COMMIT`, sent as
one pipeline. Under that lock no other transaction inserts into the table, so checking
that none of a command's (originator_id, originator_version) is stored and inserting its
rows in one statement is exact, and a conflict fails that command alone without
aborting the transaction. The library's own `insert_events` makes two round trips (a
sync to see a unique violation, then `COMMIT`); here it is a batch of one.

SQLite: one `BEGIN ... COMMIT`, a `SAVEPOINT` a command: a unique violation rolls back
that command alone.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from projections.subscriptions import (
    ReadyPostgresApplicationRecorder,
    SubscribableSQLiteApplicationRecorder,
    ring,
)

# The answer for one command of a batch: its events' positions, or None when it conflicted.
Positions = Sequence[int] | None


def _one(results: list[Positions], stored_events: Sequence[StoredEvent]) -> Sequence[int]:
    """The positions of a batch of one, raising the library's IntegrityError on a conflict."""
    [positions] = results
    if positions is None:
        first = stored_events[0]
        raise IntegrityError(
            f"an event of {first.originator_id} at or after version "
            f"{first.originator_version} is already stored"
        )
    return positions


@dataclass(frozen=True)
class _BatchStatements:
    """The statements of a batch's transaction, rendered."""

    begin: bytes
    locks: list[bytes]
    notify: bytes
    insert: bytes
    commit: bytes


def _rendered(statement: Any) -> bytes:
    if isinstance(statement, bytes):
        return statement
    if isinstance(statement, str):
        return statement.encode()
    return bytes(statement.as_bytes(None))


class GroupCommitPostgresApplicationRecorder(ReadyPostgresApplicationRecorder):
    """The PostgreSQL application recorder, committing in one round trip, many commands at once."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{schema}.{table}").format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name)
        )
        row_type = SQL("{schema}.{name}").format(
            schema=Identifier(self.datastore.schema), name=Identifier(self.stored_event_type_name)
        )
        self.insert_unless_stored_statement = SQL(
            "WITH new AS (SELECT * FROM unnest(%s::{row_type}[]) WITH ORDINALITY "
            "AS e(originator_id, originator_version, topic, state, n)) "
            "INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state FROM new "
            "WHERE NOT EXISTS (SELECT 1 FROM {table} AS t JOIN new "
            "ON t.originator_id = new.originator_id "
            "AND t.originator_version = new.originator_version) "
            "ORDER BY n RETURNING notification_id"
        ).format(table=table, row_type=row_type)
        self.begin_statement = SQL("BEGIN")
        self.commit_statement = SQL("COMMIT")
        # Rendered once: psycopg renders a composed statement again at every execute,
        # about 4 % of the server's GIL time under 16 clients (docs/PERFORMANCE.md).
        self._batch_sql = _BatchStatements(
            begin=self.begin_statement.as_bytes(None),
            locks=[_rendered(s) for s in self.lock_table_statements],
            notify=SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes(None),
            insert=self.insert_unless_stored_statement.as_bytes(None),
            commit=self.commit_statement.as_bytes(None),
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        return _one(self.insert_batch([stored_events]), stored_events)

    # As the library's `insert_events`: a lost connection or a lock timeout, tried again.
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_batch(self, batch: Sequence[Sequence[StoredEvent]]) -> list[Positions]:
        """Commit the events of several commands in one transaction (see the module)."""
        with self.datastore.get_connection() as conn:
            try:
                # BEGIN and COMMIT are sent as statements: psycopg's `transaction()` in
                # a pipeline syncs after BEGIN and before COMMIT, three round trips.
                with conn.pipeline(), conn.cursor() as curs:
                    sql = self._batch_sql
                    curs.execute(sql.begin, prepare=True)
                    for lock in sql.locks:  # the library's `_lock_table`
                        curs.execute(lock, prepare=True)
                    curs.execute(sql.notify)  # the library's `_notify_channel`
                    cursors = [self._insert_unless_stored(conn.cursor(), e) for e in batch]
                    curs.execute(sql.commit, prepare=True)
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()  # the failed transaction, before the pool has it back
                raise
        # The pipeline has synced: every statement has answered and COMMIT succeeded.
        positions = [self._positions(c, e) for c, e in zip(cursors, batch, strict=True)]
        ring(self.bell)  # this process's subscribers hear at once, before the NOTIFY
        return positions

    def _insert_unless_stored(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> Cursor[DictRow] | None:
        if not stored_events:
            return None
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        curs.execute(self._batch_sql.insert, (rows,), prepare=True)
        return curs

    @staticmethod
    def _positions(curs: Cursor[DictRow] | None, stored_events: Sequence[StoredEvent]) -> Positions:
        if curs is None:
            return []
        with curs:
            positions = [row["notification_id"] for row in curs.fetchall()]
        if not positions:
            return None  # another writer stored one of these first: nothing was inserted
        assert len(positions) == len(stored_events), (positions, stored_events)
        return positions


class GroupCommitSQLiteApplicationRecorder(SubscribableSQLiteApplicationRecorder):
    """The SQLite application recorder (with subscriptions), many commands at once."""

    def insert_batch(self, batch: Sequence[Sequence[StoredEvent]]) -> list[Positions]:
        """Commit the events of several commands in one transaction (see the module)."""
        results: list[Positions] = []
        with self.datastore.transaction(commit=True) as c:
            for events in batch:
                c.execute("SAVEPOINT command")
                try:
                    positions: Positions = self._insert_events(c, events) or []
                except sqlite3.IntegrityError:
                    c.execute("ROLLBACK TO command")
                    self.linker.forget(c)
                    positions = None
                c.execute("RELEASE command")
                results.append(positions)
        self.linker.committed(c)
        ring(self.datastore.pool.db_name)
        return results
