"""Materialised views: SQL tables plus their tracking position, on SQLite and PostgreSQL.

A read model is written once, as a mixin of `ReadModel`, in SQL that both databases
accept (`?` placeholders, `ON CONFLICT` upserts); `dialects()` turns it into a
tracking recorder of the library for each database.
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from time import monotonic, sleep
from typing import TYPE_CHECKING, Any, ClassVar, cast

from eventsourcing.persistence import (
    IntegrityError,
    OperationalError,
    Tracking,
    TrackingRecorder,
    WaitInterruptedError,
)
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder, SQLiteTransaction
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed

from projections.leadership import tracking_channel

Statement = tuple[str, Sequence[Any]]
# A statement and the parameters of each of its runs in a row.
Run = tuple[str, list[Sequence[Any]]]
Finish = Callable[[Any], None]

# A run of at least this many rows of one plain INSERT is loaded with COPY on PostgreSQL.
COPY_ROWS = 20
PLAIN_INSERT = re.compile(r"INSERT INTO (\S+) \(([\w, ]+)\) VALUES \(\?(?:, \?)*\)")
# How often, while a query waits, the tracking tables of SQLite are looked at for what
# another process folded (nothing announces it there); nobody looks while nobody waits.
WATCH_SECONDS = 0.005

logger = logging.getLogger(__name__)


class TrackingMoved(IntegrityError):
    """A fold found its read model's position other than it had recorded: a commit of
    its was lost (the database crashed or failed over before the commit reached the disk
    or the standby), or another process folded. Folding on would leave a gap or a double;
    the fold must start again from the table's position."""


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
    # The longest pause between two looks at the tracking table while waiting.
    poll_seconds: ClassVar[float] = 0.05

    def _init_read_model(self) -> None:
        self._local = threading.local()
        self._tracked = threading.Condition()
        self._last_tracked: dict[str, int] = {}
        # Who waits (`waiting`): how to wake each, and for which upstream application.
        self._wakers: dict[Callable[[], None], str] = {}

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
            # A read inside a batch sees the batch's earlier writes.
            self._flush(batch)
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
        if getattr(self._local, "batch", None) is not None:
            # Held until the batch reads or commits, then sent together (`_flush`); only
            # the batch's last position needs recording, when the batch commits.
            self._local.pending.extend(statements)
            self._local.batch_tracking = tracking
            return
        with self._transaction(commit=True) as cursor:
            for statement, params in statements:
                cursor.execute(self._sql(statement), list(params))
            self._insert_tracking(cursor, tracking)
        self._tracked_up_to(tracking)

    @contextmanager
    def batch(self, *, after: int | None = None) -> Iterator[None]:
        """Run the reads and writes of this thread in one transaction until the block ends.

        `after`: the position the caller recorded last (0: none); the batch commits only
        if the table still holds it (`TrackingMoved` otherwise)."""
        tracking = None
        with self._transaction(commit=True) as cursor:
            self._local.batch = cursor
            self._local.batch_tracking = None
            self._local.pending = []
            try:
                yield
                tracking = self._local.batch_tracking
                self._flush(
                    cursor, finish=lambda cursor: self._finish_batch(cursor, tracking, after)
                )
            finally:
                self._local.batch = None
                self._local.pending = []
        if tracking is not None:
            self._tracked_up_to(tracking)

    def _finish_batch(self, cursor: Any, tracking: Tracking | None, after: int | None) -> None:
        """The last statements of a batch, after its writes: its tracking position."""
        if tracking is not None:
            self._record_tracking(cursor, tracking, after)

    def _record_tracking(self, cursor: Any, tracking: Tracking, after: int | None) -> None:
        """Record `tracking`; with `after`, only over that position (or, after 0, none)."""
        if after is None:
            self._insert_tracking(cursor, tracking)
            return
        cursor.execute(*self._advance_statement(tracking, after))
        self._check_advanced(cursor.fetchone(), tracking, after)
        self._announce(cursor, tracking)

    def _advance_statement(self, tracking: Tracking, after: int) -> tuple[str, list[Any]]:
        """The statement that records `tracking` over `after`, returning a row if it did."""
        table = self._tracking_table()
        if after == 0:
            statement = (
                f"INSERT INTO {table} (application_name, notification_id) VALUES (?, ?) "
                "ON CONFLICT (application_name) DO NOTHING RETURNING notification_id"
            )
            return self._sql(statement), [tracking.application_name, tracking.notification_id]
        statement = (
            f"UPDATE {table} SET notification_id = ? "
            "WHERE application_name = ? AND notification_id = ? RETURNING notification_id"
        )
        return self._sql(statement), [tracking.notification_id, tracking.application_name, after]

    def _check_advanced(self, returned: Any, tracking: Tracking, after: int) -> None:
        if returned is None:
            raise TrackingMoved(
                f"{self._tracking_table()}: the position is no longer {after}; not recording "
                f"{tracking.notification_id}"
            )

    def _announce(self, cursor: Any, tracking: Tracking) -> None:
        """Tell other processes of a tracking commit, where the database can."""

    def _flush(self, cursor: Any, finish: Finish | None = None) -> None:
        """Send the batch's pending writes, in order, each run of one statement at once.

        Rebuilds spent most of their time waiting on one round trip per statement
        (issue 16); a run of the same statement (a page of audit rows, of directory
        upserts) now goes as one `executemany`. `finish` runs after the writes (with
        them, where a dialect sends statements together).
        """
        pending, self._local.pending = self._local.pending, []
        if pending or finish is not None:
            self._execute_runs(cursor, list(runs(pending)), finish)

    def _execute_runs(self, cursor: Any, grouped: list[Run], finish: Finish | None) -> None:
        for statement, rows in grouped:
            if len(rows) == 1:
                cursor.execute(self._sql(statement), list(rows[0]))
            else:
                cursor.executemany(self._sql(statement), [list(row) for row in rows])
        if finish is not None:
            finish(cursor)

    def _tracked_up_to(self, tracking: Tracking) -> None:
        with self._tracked:
            self._last_tracked[tracking.application_name] = tracking.notification_id
            self._wake()

    def heard_tracked(self, tracking: Tracking) -> None:
        """Take note of a position another process committed, and wake who waits for it."""
        with self._tracked:
            known = self._last_tracked.get(tracking.application_name, 0)
            if tracking.notification_id > known:
                self._last_tracked[tracking.application_name] = tracking.notification_id
                self._wake()

    def _wake(self) -> None:
        """Wake every wait on this view (under `_tracked`): threads, and `waiting` blocks."""
        self._tracked.notify_all()
        for wake in self._wakers:
            try:
                wake()
            except Exception:  # a fold that committed must not fail for a waiter's sake
                logger.exception("could not wake a wait on %s", type(self).__name__)

    def waited_for(self) -> set[str]:
        """The upstream applications whose positions `waiting` blocks wait for now."""
        with self._tracked:
            return set(self._wakers.values())

    def known_position(self, application_name: str) -> int:
        """The position this process knows the view has folded (folded here, or heard of)."""
        return self._last_tracked.get(application_name, 0)

    @contextmanager
    def waiting(self, application_name: str, wake: Callable[[], None]) -> Iterator[None]:
        """While the block runs, call `wake` (in any thread) whenever a position is known.

        For a wait that does not block a thread (an event loop's): it sleeps until woken,
        by a fold of this process, a commit another process announces (PostgreSQL), or a
        look at the tracking table (SQLite, `TrackingWatch`), instead of by the clock.
        """
        with self._tracked:
            self._wakers[wake] = application_name
        self._watched()
        try:
            yield
        finally:
            with self._tracked:
                self._wakers.pop(wake, None)

    def _watched(self) -> None:
        """A wait began: have its position looked for where nothing announces it."""

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record a position with no rows to change (an event this view does not fold)."""
        self.write((), tracking)

    def insert_trackings(
        self,
        views: Sequence[ReadModel],
        trackings: Sequence[Tracking],
        afters: Sequence[int | None] | None = None,
    ) -> None:
        """Record the positions of several views of this database in one transaction (on
        this view's connection), where each of its own would cost a commit; each over the
        position in `afters` (see `batch`)."""
        expected = list(afters) if afters is not None else [None] * len(views)
        with self._transaction(commit=True) as cursor:
            self._relax_commit(cursor)
            for view, tracking, after in zip(views, trackings, expected, strict=True):
                view._record_tracking(cursor, tracking, after)
        for view, tracking in zip(views, trackings, strict=True):
            view._tracked_up_to(tracking)

    def _relax_commit(self, cursor: Any) -> None:
        """Let this transaction commit without waiting for the disk, where that is set per
        transaction: its rows commit with their tracking positions, so what a crash loses
        is folded again (a fold that finds its position gone back: `TrackingMoved`)."""

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

        Wakes at once when this process folds it, or (PostgreSQL) when the process that
        folds it announces the commit; otherwise polls the tracking table from 2 ms up to
        `poll_seconds`, since another process may be the one folding.
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
            interval = min(interval * 2, self.poll_seconds)

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


class TrackingWatch:
    """Looks at the tracking tables that waits of this process wait on, for what another
    process folded: on SQLite no commit is announced across processes.

    One thread for the whole process, however many waits: it looks every
    `WATCH_SECONDS` while a wait (`ReadModel.waiting`) is on, and sleeps, costing
    nothing, while none is; each position it finds wakes the view's waits
    (`heard_tracked`), as a PostgreSQL announcement does.
    """

    def __init__(self) -> None:
        self._views: weakref.WeakSet[ReadModel] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._someone_waits = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, view: ReadModel) -> None:
        """A wait on the view began: look at its table until its waits end."""
        with self._lock:
            self._views.add(view)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tracking-watch")
                self._thread.daemon = True
                self._thread.start()
        self._someone_waits.set()

    def _waited(self) -> list[tuple[ReadModel, set[str]]]:
        """The views waited on, each with the applications waited for; forgets the rest."""
        waited = []
        with self._lock:  # so that `add` cannot slip in between a look and a discard
            for view in list(self._views):
                names = view.waited_for()
                if names:
                    waited.append((view, names))
                else:
                    self._views.discard(view)
        return waited

    def _run(self) -> None:
        while True:
            self._someone_waits.wait()
            waited = self._waited()
            if not waited:
                self._someone_waits.clear()
                if self._waited():  # a wait began between the look and the clear
                    self._someone_waits.set()
                continue
            for view, names in waited:
                for name in names:
                    self._look(view, name)
            sleep(WATCH_SECONDS)

    @staticmethod
    def _look(view: ReadModel, application_name: str) -> None:
        try:
            position = view.max_tracking_id(application_name)
        except Exception as error:  # a view being closed: its waits end by their deadline
            logger.debug("tracking watch of %s: %r", type(view).__name__, error)
            return
        if position is not None:
            view.heard_tracked(Tracking(application_name, position))


_watch = TrackingWatch()


class SQLiteReadModel(ReadModel, NamedSQLiteTrackingRecorder):
    """A read model on SQLite, in the same database file as the events."""

    # No commit is announced across processes on SQLite: a waiting query polls, and a
    # look at a local file is cheap.
    poll_seconds: ClassVar[float] = 0.01

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self._init_read_model()

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.read_model_ddl()]

    # The library creates tables in a transaction that begins deferred: when another
    # process commits between its first read and its first write (a rebuild's other
    # worker folding), SQLite refuses the write at once ("database is locked", without
    # waiting out the lock timeout) and the transaction must begin again.
    @retry(OperationalError, max_attempts=100, wait=0.05)
    def create_table(self) -> None:
        super().create_table()

    def _watched(self) -> None:
        _watch.add(self)

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
        datastore = getattr(self._local, "datastore", None) or self.datastore
        with datastore.transaction(commit=commit) as cursor:
            yield cursor

    @contextmanager
    def through(self, datastore: Any) -> Iterator[None]:
        """Run this thread's reads and writes on another datastore of the same database
        and schema until the block ends: the folds, on the read side's own connection."""
        self._local.datastore = datastore
        try:
            yield
        finally:
            self._local.datastore = None

    def _finish_batch(self, cursor: Any, tracking: Tracking | None, after: int | None) -> None:
        self._relax_commit(cursor)
        super()._finish_batch(cursor, tracking, after)

    def _relax_commit(self, cursor: Any) -> None:
        # As SQLite's `synchronous=NORMAL` above. On a cursor of its own: see `_pipeline`.
        with cursor.connection.cursor() as setting:
            setting.execute("SET LOCAL synchronous_commit TO OFF")

    def insert_trackings(
        self,
        views: Sequence[ReadModel],
        trackings: Sequence[Tracking],
        afters: Sequence[int | None] | None = None,
    ) -> None:
        """As `ReadModel.insert_trackings`, in one statement: each view's position in a
        data-modifying CTE of its own, and the announcements with them (a dozen views
        recorded a statement at a time, even pipelined, took 2-2.6 ms of the pass)."""
        if afters is None or any(after is None for after in afters):
            super().insert_trackings(views, trackings, afters)
            return
        advanced = cast(list[int], list(afters))
        pairs = list(zip(views, trackings, strict=True))
        parts, params = [], []
        for index, ((view, tracking), after) in enumerate(zip(pairs, advanced, strict=True)):
            statement, values = view._advance_statement(tracking, after)
            parts.append(f"advanced_{index} AS ({statement})")
            params.extend(values)
        counts = ", ".join(
            f"(SELECT count(*) FROM advanced_{i}) AS advanced_{i}" for i in range(len(parts))
        )
        news = [tracking_news(view, tracking) for view, tracking in pairs]
        statement = (
            f"WITH {', '.join(parts)} SELECT {counts}, "
            "(SELECT count(pg_notify(%s, news)) FROM unnest(%s::text[]) AS news) AS announced"
        )
        params.extend([tracking_channel(self.datastore.schema), news])
        with self._transaction(commit=True) as cursor:
            self._relax_commit(cursor)
            cursor.execute(statement, params)
            # A count per view (0: its position had moved), then the announcements'.
            counts_returned = list(cursor.fetchone().values())[: len(views)]
            for view, tracking, after, count in zip(
                views, trackings, advanced, counts_returned, strict=True
            ):
                view._check_advanced(count or None, tracking, after)
        for view, tracking in zip(views, trackings, strict=True):
            view._tracked_up_to(tracking)

    def _execute_runs(self, cursor: Any, grouped: list[Run], finish: Finish | None) -> None:
        """Send the runs in as few round trips as can be: pipelined, long inserts copied.

        A long run of one plain INSERT (a page of audit rows) goes as a COPY, which
        PostgreSQL loads at about twice the rate of the same INSERTs; everything between
        two COPYs goes as one pipeline, one round trip however many statements: the
        last one with the batch's tracking position, whose RETURNING ends it.
        """
        pipelined: list[Run] = []
        for statement, rows in grouped:
            copy = copy_statement(statement) if len(rows) >= COPY_ROWS else None
            if copy is None:
                pipelined.append((statement, rows))
                continue
            self._pipeline(cursor, pipelined, None)
            pipelined = []
            with cursor.copy(self._copy_sql(copy)) as loading:
                for row in rows:
                    loading.write_row(row)
        self._pipeline(cursor, pipelined, finish)

    def _pipeline(self, cursor: Any, grouped: list[Run], finish: Finish | None) -> None:
        if not grouped and finish is None:
            return
        connection = cursor.connection
        with connection.pipeline():
            if grouped:
                # On a cursor of their own: in pipeline mode psycopg 3.3 may hand the
                # result of a statement nobody fetched (a long `executemany`) to a later
                # statement of the same cursor; the tracking insert's RETURNING then read
                # "INSERT 0 1" and failed. The batch's cursor runs only what it fetches.
                with connection.cursor() as writer:
                    ReadModel._execute_runs(self, writer, grouped, None)
            if finish is not None:
                finish(cursor)

    def _copy_sql(self, copy: tuple[str, str]) -> str:
        table, columns = copy
        return f"COPY {table} ({columns}) FROM STDIN"

    def _qualifier(self) -> str:
        return f'"{self.datastore.schema}".'

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def _tracking_table(self) -> str:
        return f'{self._qualifier()}"{self.tracking_table_name}"'

    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        super()._insert_tracking(cursor, tracking)
        self._announce(cursor, tracking)

    def _announce(self, cursor: Any, tracking: Tracking) -> None:
        # Delivered on commit, to every process LISTENing (leadership.Leadership): a
        # query waiting for this position in another process wakes at once.
        cursor.execute(
            "SELECT pg_notify(%s, %s)",
            (tracking_channel(self.datastore.schema), tracking_news(self, tracking)),
            prepare=True,
        )


def tracking_news(view: TrackingRecorder, tracking: Tracking) -> str:
    """The announcement of a view's tracking commit: its tracking table and position."""
    table = getattr(view, "tracking_table_name", "")
    return f"{table}\t{tracking.application_name}\t{tracking.notification_id}"


def read_tracking_news(payload: str) -> tuple[str, Tracking] | None:
    """The tracking table and position an announcement names; None if it is not one."""
    parts = payload.split("\t")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return parts[0], Tracking(parts[1], int(parts[2]))


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


def runs(statements: Sequence[Statement]) -> Iterator[Run]:
    """The statements in order, each run of the same SQL as one (SQL, its parameters)."""
    current: str | None = None
    rows: list[Sequence[Any]] = []
    for statement, params in statements:
        if statement != current:
            if current is not None:
                yield current, rows
            current, rows = statement, []
        rows.append(params)
    if current is not None:
        yield current, rows


def copy_statement(statement: str) -> tuple[str, str] | None:
    """(table, columns) of a plain INSERT of one row, which a COPY may do; else None."""
    match = PLAIN_INSERT.fullmatch(statement)
    return (match.group(1), match.group(2)) if match else None
