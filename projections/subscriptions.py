"""Subscriptions to the event log that can tell what they already hold.

For SQLite, whose recorder offers no subscription in 9.5: the recorder below rings a
process-wide bell after each commit, so a subscriber in the same process wakes at once,
and a subscriber also polls, to see what another process wrote.

For both databases, a subscription says how much it has fetched and not yet handed out
(`ready()`), so a projection runner can fold a burst of events in one transaction
without ever blocking inside it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    ListenNotifySubscription,
    OperationalError,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresSubscription,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier, Literal

from projections.chain import StoredRow
from projections.chain_store import (
    PostgresChainStore,
    SQLiteChainStore,
    SQLiteLinker,
    postgres_chain_statements,
    sqlite_chain_statement,
)
from projections.leadership import EVENT_TABLES_LOCK, schema_key

# How often a subscription looks for what another process wrote (on SQLite nothing
# else tells it): the read side runs in one process of many, and a query answered by
# another waits for it (read-your-writes across processes within tens of ms).
POLL_INTERVAL_SECONDS = 0.02
# How often a PostgreSQL subscription looks for new events when no bell rang.
FALLBACK_POLL_SECONDS = 1.0

_listeners: dict[str, weakref.WeakSet[threading.Event]] = {}
# Reentrant: an allocation made while holding it may run the garbage collector, whose
# `__del__` of an unreachable subscription stops it, and so unlistens, in this thread.
# With a plain lock that deadlocked the thread (and every thread waiting on it).
_listeners_lock = threading.RLock()


def _listen(db_name: str, has_been_notified: threading.Event) -> None:
    with _listeners_lock:
        _listeners.setdefault(db_name, weakref.WeakSet()).add(has_been_notified)


def _unlisten(db_name: str, has_been_notified: threading.Event) -> None:
    with _listeners_lock:
        listeners = _listeners.get(db_name)
        if listeners is not None:
            listeners.discard(has_been_notified)


def ring(db_name: str) -> None:
    """Wake every subscriber in this process to the database's new events."""
    with _listeners_lock:
        listeners = list(_listeners.get(db_name, ()))
    for has_been_notified in listeners:
        has_been_notified.set()


class ReadyCount:
    """A `ListenNotifySubscription` that counts what it holds, fetched and not handed out."""

    _notifications: Sequence[Any]
    _notifications_index: int
    _notifications_queue: Any

    def ready(self) -> bool:
        """True when the next notification can be had without waiting."""
        return (
            self._notifications_index < len(self._notifications)
            or not self._notifications_queue.empty()
        )


def postgres_bell(dbname: str, schema: str, channel: str) -> str:
    """The name of the bell rung in this process when a PostgreSQL events table is
    notified of new events."""
    return f"postgres:{dbname}/{schema or 'public'}/{channel}"


class ReadyPostgresSubscription(ReadyCount, PostgresSubscription):
    """The library's LISTEN/NOTIFY subscription, which says what it holds, and hears of
    new events without a connection of its own.

    The library's holds a pooled connection to LISTEN for as long as it runs. Here the
    read side's lease connection, which every process holds anyway, LISTENs for the log's
    channel too and rings the table's bell (leadership.py, runner.py): the read side then
    needs two connections in all, the lease and the one that reads the log.
    """

    _recorder: ReadyPostgresApplicationRecorder

    def __init__(
        self,
        recorder: ReadyPostgresApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        self._stopping = threading.Event()  # before the threads the library starts
        super().__init__(recorder=recorder, gt=gt, topics=topics)

    def _listen(self) -> None:
        bell = self._recorder.bell
        _listen(bell, self._has_been_notified)
        # What was committed between the first pull and now rang nobody: pull again.
        self._has_been_notified.set()
        # And now and then, whatever rang: a notification lost with a lease's connection
        # (or a process whose lease does not listen) delays the folds, it does not stop them.
        while not self._has_been_stopped:
            self._stopping.wait(FALLBACK_POLL_SECONDS)
            self._has_been_notified.set()
        _unlisten(bell, self._has_been_notified)

    def stop(self) -> None:
        super().stop()
        self._stopping.set()


class ReadyPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder, with that subscription, whose events
    are linked in the hash chain by a trigger (projections/chain_store.py)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.extend(
            postgres_chain_statements(datastore, self.events_table_name)
        )
        # Two processes replacing the chain's function and trigger at once deadlock (one
        # locks the function, the other the table): their create transactions take turns.
        turn = SQL("SELECT pg_advisory_xact_lock({a}, {b})").format(
            a=Literal(EVENT_TABLES_LOCK), b=Literal(schema_key(datastore.schema))
        )
        self.sql_create_statements.insert(0, turn)
        self.chain = PostgresChainStore(datastore, self.events_table_name)
        self._selects: dict[tuple[bool, bool, bool, bool], bytes] = {}

    def create_table(self) -> None:
        # The first start of this version chains the log it finds; later, links gone
        # from an existing table are for `verify` to report, and `mops upgrade` to redo.
        chained = self.chain.exists()
        super().create_table()
        if not chained:
            self.chain.backfill()

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return ReadyPostgresSubscription(recorder=self, gt=gt, topics=topics)

    @property
    def bell(self) -> str:
        """The bell this process's subscriptions to this log listen to."""
        dbname = str(self.datastore.pool.kwargs.get("dbname", ""))  # type: ignore[union-attr]
        return postgres_bell(dbname, self.datastore.schema, self.channel_name)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super().insert_events(stored_events, **kwargs)
        ring(self.bell)  # this process's subscribers hear at once, before the NOTIFY
        return positions

    # As the library's: a lost connection, tried again.
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's `select_events` (eventsourcing 9.5, postgres.py), its statement
        rendered once a shape: psycopg renders a composed statement at every execute,
        and every command loads its aggregate through here (docs/PERFORMANCE.md)."""
        params = [originator_id, *(v for v in (gt, lte, limit) if v is not None)]
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._selects.get(shape)
        if statement is None:
            statement = self._selects[shape] = self._select_statement(*shape).as_bytes(None)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def _select_statement(self, gt: bool, lte: bool, desc: bool, limit: bool) -> Composed:
        statement = Composed([self.select_events_statement])
        if gt:
            statement += SQL(" AND originator_version > %s")
        if lte:
            statement += SQL(" AND originator_version <= %s")
        statement += SQL(
            " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC"
        )
        if limit:
            statement += SQL(" LIMIT %s")
        return statement

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The log position of an aggregate's event of that version, or None."""
        statement = SQL(
            "SELECT notification_id FROM {s}.{e} WHERE originator_id = %s "
            "AND originator_version = %s"
        ).format(s=Identifier(self.datastore.schema), e=Identifier(self.events_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, (originator_id, version))
            row = curs.fetchone()
        return None if row is None else int(row["notification_id"])


def _uuid(originator_id: UUID | str) -> UUID:
    return originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))


class SubscribableSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The library's SQLite application recorder, plus subscriptions, whose events are
    linked in the hash chain in the inserting transaction (projections/chain_store.py)."""

    def __init__(
        self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name)
        self.linker = SQLiteLinker(events_table_name)

    @property
    def chain(self) -> SQLiteChainStore:
        return SQLiteChainStore(self.datastore, self.events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            sqlite_chain_statement(self.events_table_name),
        ]

    def create_table(self) -> None:
        # The first start of this version chains the log it finds; later, links gone
        # from an existing table are for `verify` to report, and `mops upgrade` to redo.
        chained = self.chain.exists()
        super().create_table()
        if not chained:
            self.chain.backfill()

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if positions:
            rows = [
                StoredRow(p, _uuid(e.originator_id), e.originator_version, e.topic, e.state)
                for p, e in zip(positions, stored_events, strict=True)
            ]
            self.linker.link(c, rows)
        return positions

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.transaction(commit=True) as c:
            notification_ids = self._insert_events(c, stored_events, **kwargs)
        self.linker.committed(c)
        ring(self.datastore.pool.db_name)
        return notification_ids

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return SQLiteSubscription(recorder=self, gt=gt, topics=topics)

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The log position of an aggregate's event of that version, or None."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} "
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])


class SQLiteSubscription(
    ReadyCount, ListenNotifySubscription[SubscribableSQLiteApplicationRecorder]
):
    """Pulls new notifications when rung by a commit in this process, or every poll."""

    def __init__(
        self,
        recorder: SubscribableSQLiteApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._db_name = recorder.datastore.pool.db_name
        _listen(self._db_name, self._has_been_notified)
        self._stopped = threading.Event()
        self._poll_thread = threading.Thread(target=self._poll, daemon=True)
        self._poll_thread.start()

    def stop(self) -> None:
        """Stop pulling; idempotent (the library stops a subscription again on `__del__`)."""
        super().stop()
        if self._stopped.is_set():
            return
        self._stopped.set()
        _unlisten(self._db_name, self._has_been_notified)

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()

    def _poll(self) -> None:
        while not self._stopped.wait(POLL_INTERVAL_SECONDS):
            self._has_been_notified.set()
