"""Materialised views: SQL tables plus their tracking position, on SQLite and PostgreSQL.

A read model is written once, as a mixin of `ReadModel`, in SQL that both databases
accept (`?` placeholders, `ON CONFLICT` upserts); `dialects()` turns it into a
tracking recorder of the library for each database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar

from eventsourcing.persistence import Tracking, TrackingRecorder, WaitInterruptedError
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder, SQLiteTransaction
from psycopg.sql import SQL, Composed

Statement = tuple[str, Sequence[Any]]


class NamedSQLiteTrackingRecorder(SQLiteTrackingRecorder):
    """The library's SQLite tracking recorder with a table of its own per view.

    The library's SQLite recorder keeps every tracker in one `tracking` table keyed by
    the upstream application's name, so two views of one application would overwrite
    each other's positions.
    """

    tracking_table_name: ClassVar[str] = "tracking"

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = self.tracking_table_name
        self.insert_tracking_statement = (
            f"INSERT INTO {table} "
            "VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE "
            "SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id "
            "RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.tracking_table_name} ("
            "application_name TEXT, notification_id INTEGER, "
            "PRIMARY KEY (application_name)) WITHOUT ROWID"
        ]


class ImmediateSQLiteTransaction(SQLiteTransaction):
    """The library's SQLite transaction, begun with BEGIN IMMEDIATE."""

    def __enter__(self) -> Any:
        cursor = self.connection.cursor()
        # A view is rebuilt from the events, and its rows commit with their tracking
        # position: a view transaction lost to a power cut is folded again, so it need
        # not wait for the disk. The events' own commits keep the library's setting.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class ReadModel(TrackingRecorder):
    """A set of SQL tables folded from events, and the position they were folded to.

    Subclasses name their tables in `table_names` and give `schema` as DDL in which
    `{p}` stands before every table name (schema-qualified where the database has
    schemas) and `{n}` before every index name; a prefix of its own (`verify_`) lets a
    scratch copy live beside the live tables.
    """

    name: ClassVar[str] = ""
    prefix: ClassVar[str] = ""
    table_names: ClassVar[tuple[str, ...]] = ()
    schema: ClassVar[tuple[str, ...]] = ()

    def _init_read_model(self) -> None:
        self._local = threading.local()
        self._tracked = threading.Condition()
        self._last_tracked: dict[str, int] = {}

    if TYPE_CHECKING:
        # Given by the library's recorder of each dialect, which follows this class in
        # the dialect classes' order: defined here, they would stand in front of it.
        def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None: ...

        def max_tracking_id(self, application_name: str) -> int | None: ...

    def _qualifier(self) -> str:
        return ""

    def table(self, name: str) -> str:
        """The real name of one of this view's tables."""
        return f"{self._qualifier()}{self.prefix}{name}"

    def read_model_ddl(self) -> list[str]:
        p = f"{self._qualifier()}{self.prefix}"
        return [statement.format(p=p, n=self.prefix) for statement in self.schema]

    # Database specifics, given by the dialect classes below.

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        raise NotImplementedError

    def _sql(self, statement: str) -> str:
        return statement

    # Reading and writing.

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            yield batch
        else:
            with self._transaction(commit=commit) as cursor:
                yield cursor

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a SELECT, as dicts."""
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), list(params))
            return [dict(row) for row in cursor.fetchall()]

    def write(self, statements: Sequence[Statement], tracking: Tracking) -> None:
        """Apply the statements and record the tracking position, all in one transaction."""
        batch = getattr(self._local, "batch", None)
        with self._cursor(commit=True) as cursor:
            for statement, params in statements:
                cursor.execute(self._sql(statement), list(params))
            if batch is None:
                self._insert_tracking(cursor, tracking)
            else:
                # Only the batch's last position needs recording, when the batch commits.
                self._local.batch_tracking = tracking
        if batch is None:
            self._tracked_up_to(tracking)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run the reads and writes of this thread in one transaction until the block ends."""
        tracking = None
        with self._transaction(commit=True) as cursor:
            self._local.batch = cursor
            self._local.batch_tracking = None
            try:
                yield
                tracking = self._local.batch_tracking
                if tracking is not None:
                    self._insert_tracking(cursor, tracking)
            finally:
                self._local.batch = None
        if tracking is not None:
            self._tracked_up_to(tracking)

    def _tracked_up_to(self, tracking: Tracking) -> None:
        with self._tracked:
            self._last_tracked[tracking.application_name] = tracking.notification_id
            self._tracked.notify_all()

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position with no rows to change (an event this view does not fold)."""
        self.write((), tracking)

    def has_tracking_id(self, application_name: str, notification_id: int | None) -> bool:
        if notification_id is None:
            return True
        if self._last_tracked.get(application_name, 0) >= notification_id:
            return True
        return super().has_tracking_id(application_name, notification_id)

    def wait(
        self,
        application_name: str,
        notification_id: int | None,
        timeout: float = 1.0,
        interrupt: threading.Event | None = None,
    ) -> None:
        """Block until the view has folded the given position.

        Wakes at once when this process folds it; otherwise polls the tracking table
        from 2 ms, since another process may be the one folding.
        """
        deadline = monotonic() + timeout
        interval = 0.002
        while not self.has_tracking_id(application_name, notification_id):
            if interrupt is not None and interrupt.is_set():
                raise WaitInterruptedError
            remaining = deadline - monotonic()
            if remaining <= 0:
                msg = f"Timed out waiting for {application_name} {notification_id}"
                raise TimeoutError(msg)
            with self._tracked:
                # Checked again under the lock, so a fold finishing now is not missed.
                if self._last_tracked.get(application_name, 0) >= (notification_id or 0):
                    return
                self._tracked.wait(min(interval, remaining))
            interval = min(interval * 2, 0.05)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """Every row of one of this view's tables, in key order."""
        return self.query(f"SELECT * FROM {self.table(name)} ORDER BY 1")

    def drop(self) -> None:
        """Drop this view's tables and its tracking table."""
        tables = [self.table(name) for name in self.table_names]
        with self._transaction(commit=True) as cursor:
            for table in (*tables, self._tracking_table()):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        with self._tracked:
            self._last_tracked.clear()

    def _tracking_table(self) -> str:
        raise NotImplementedError


class SQLiteReadModel(ReadModel, NamedSQLiteTrackingRecorder):
    """A read model on SQLite, in the same database file as the events."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._init_read_model()

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.read_model_ddl()]

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        if not commit:
            with self.datastore.transaction(commit=False) as cursor:
                yield cursor
            return
        # A write transaction takes the write lock at BEGIN: one that first reads (a
        # batch folding a row it read) and then writes would fail at once with
        # "database is locked" if another connection wrote in between, instead of
        # waiting its turn.
        with (
            self.datastore.get_connection(commit=True) as connection,
            ImmediateSQLiteTransaction(connection, commit=True) as cursor,
            cursor,
        ):
            yield cursor

    def _tracking_table(self) -> str:
        return self.tracking_table_name


class PostgresReadModel(ReadModel, PostgresTrackingRecorder):
    """A read model on PostgreSQL, in the same database and schema as the events."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        kwargs["tracking_table_name"] = f"{self.prefix}{self.name}_tracking"
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(Composed([SQL(s)]) for s in self.read_model_ddl())
        self._init_read_model()

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _qualifier(self) -> str:
        return f'"{self.datastore.schema}".'

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def _tracking_table(self) -> str:
        return f'{self._qualifier()}"{self.tracking_table_name}"'


@cache
def dialects(read_model: type[ReadModel], prefix: str = "") -> dict[str, type[ReadModel]]:
    """The read model as a tracking recorder of each database, keyed by dialect."""
    suffix = prefix.strip("_").title()
    return {
        "sqlite": type(
            f"SQLite{read_model.__name__}{suffix}",
            (read_model, SQLiteReadModel),
            {"prefix": prefix, "tracking_table_name": f"{prefix}{read_model.name}_tracking"},
        ),
        "postgres": type(
            f"Postgres{read_model.__name__}{suffix}",
            (read_model, PostgresReadModel),
            {"prefix": prefix},
        ),
    }
