"""Who runs the read side of a database: one process at a time, by a lease.

Every process that may fold the read models is a candidate; the one that holds the
lease folds, the others only answer queries from the same tables. On PostgreSQL the
lease is a session advisory lock held on a connection of its own, which also LISTENs
for the positions the holder commits (`store.PostgresReadModel` sends them with each
tracking commit), so a waiting query in any process wakes at once. On SQLite it is an
exclusive `flock` of a file beside the database. Either way the operating system or the
database server releases it when the holder dies, however it dies (kill -9 included),
and a candidate takes it over at its next try.

Creating tables is serialised the same way (a second advisory lock, a second file):
two processes creating one database's tables at once fail on PostgreSQL
(UniqueViolation, "tuple concurrently updated") and on SQLite ("database is locked").
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import psycopg

from projections.postgres import connect_kwargs

# How often a candidate tries to take the lease, and how often the holder's name is read.
RETRY_SECONDS = 1.0
# How long the PostgreSQL listener waits for news at a time (so it stops promptly).
LISTEN_SECONDS = 0.1
# The first key of mops's advisory locks ("mops" in ASCII); the second names the schema.
READ_SIDE_LOCK = 0x6D6F7073
TABLES_LOCK = READ_SIDE_LOCK + 1
# Held by the transaction that creates the event store's tables (subscriptions.py).
EVENT_TABLES_LOCK = READ_SIDE_LOCK + 2
APPLICATION_NAME_PREFIX = "mops read side "
SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; "
    "SET tcp_keepalives_count = 2; SET tcp_user_timeout = 3000"
)

logger = logging.getLogger(__name__)


def process_identity() -> str:
    """This process as a holder is named: pid@host."""
    return f"{os.getpid()}@{socket.gethostname()}"


def schema_key(schema: str) -> int:
    """The second key of an advisory lock: the schema, hashed into a positive int4."""
    return zlib.crc32(schema.encode()) & 0x7FFFFFFF


def tracking_channel(schema: str) -> str:
    """The channel on which read models of a schema announce their tracking commits."""
    return f"mops_tracking_{schema_key(schema):08x}"


def postgres_schema(env: dict[str, str]) -> str:
    return env.get("POSTGRES_SCHEMA", "").strip() or "public"


def sqlite_lock_path(env: dict[str, str], purpose: str) -> str | None:
    """The lock file beside an SQLite database; None for a database in memory."""
    name = env.get("SQLITE_DBNAME", "")
    if name.startswith("file:"):
        if "mode=memory" in name:
            return None
        name = name[len("file:") :].split("?", 1)[0]
    if not name or name == ":memory:":
        return None
    return f"{os.path.abspath(name)}.{purpose}.lock"


class Lease(Protocol):
    """The right to run a database's read side, held by one process at a time."""

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True if this lease holds it now."""
        ...

    def release(self) -> None:
        """Give the lease up (a no-op when not held)."""
        ...

    def holder(self) -> str | None:
        """Who holds the lease (pid@host), None when nobody does."""
        ...

    def listen(self, timeout: float, heard: Callable[[str], None], stop: threading.Event) -> None:
        """Wait up to `timeout`, handing on each tracking commit announced meanwhile."""
        ...

    def close(self) -> None:
        """Release the lease and what it holds open."""
        ...


class FileLease:
    """A lease as an exclusive `flock` of a file beside the SQLite database.

    `flock` locks belong to an open file, so two leases of one process exclude each
    other as two processes do; the kernel drops the lock when the process dies. The
    holder writes its name into the file, for the others to read.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._held = True
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, process_identity().encode(), 0)
        return True

    def release(self) -> None:
        if self._held:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._held = False

    def holder(self) -> str | None:
        if self._held:
            return process_identity()
        # A shared lock is granted only when nobody holds the exclusive one: the name in
        # the file is then a dead holder's, or none.
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return os.pread(fd, 256, 0).decode(errors="replace") or "unknown"
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def listen(self, timeout: float, heard: Callable[[str], None], stop: threading.Event) -> None:
        # Nothing is announced on SQLite: a waiting query polls the tracking table.
        stop.wait(timeout)

    def close(self) -> None:
        self.release()
        os.close(self._fd)


class MemoryLease:
    """A lease for a database in memory, which no other process can open."""

    def __init__(self) -> None:
        self._held = False

    def try_acquire(self) -> bool:
        self._held = True
        return True

    def release(self) -> None:
        self._held = False

    def holder(self) -> str | None:
        return process_identity() if self._held else None

    def listen(self, timeout: float, heard: Callable[[str], None], stop: threading.Event) -> None:
        stop.wait(timeout)

    def close(self) -> None:
        self._held = False


class AdvisoryLease:
    """A lease as a PostgreSQL advisory lock, on a connection that also LISTENs.

    The connection names itself (`application_name`) after this process, so anyone can
    read who holds the lock from `pg_locks`. A lost connection loses the lock with it:
    every call then raises `psycopg.OperationalError`, and the next connects anew.
    """

    def __init__(
        self,
        env: dict[str, str],
        events_channel: str | None = None,
        on_events: Callable[[], None] | None = None,
    ) -> None:
        self._connect_kwargs = connect_kwargs(env)
        self._key = schema_key(postgres_schema(env))
        self._channel = tracking_channel(postgres_schema(env))
        # The log's own channel, for the read side's subscription in this process: it
        # needs no connection of its own to hear of new events (subscriptions.py).
        self._events_channel = events_channel
        self._on_events = on_events
        self._connection: psycopg.Connection[Any] | None = None
        self._held = False
        # The listener and a reader of the holder may connect at once: one connection.
        self._connecting = threading.Lock()

    def _connected(self) -> psycopg.Connection[Any]:
        with self._connecting:
            if self._connection is None or self._connection.closed:
                self._held = False
                connection = psycopg.connect(
                    **self._connect_kwargs,
                    autocommit=True,
                    application_name=f"{APPLICATION_NAME_PREFIX}{process_identity()}"[:63],
                )
                # The server keeps the lock while it thinks this process is there: have
                # it look, so a host that vanished without a word loses it in seconds.
                connection.execute(SERVER_KEEPALIVES)
                connection.execute(f'LISTEN "{self._channel}"')
                if self._events_channel is not None:
                    connection.execute(f'LISTEN "{self._events_channel}"')
                self._connection = connection
            return self._connection

    def _call(self, statement: str, params: tuple[Any, ...]) -> Any:
        try:
            row = self._connected().execute(statement, params).fetchone()
        except psycopg.Error:
            self._drop_connection()
            raise
        return row[0] if row else None

    def _drop_connection(self) -> None:
        with self._connecting:
            self._held = False
            if self._connection is not None:
                with contextlib.suppress(psycopg.Error):
                    self._connection.close()
            self._connection = None

    def try_acquire(self) -> bool:
        if not self._held:
            self._held = bool(
                self._call("SELECT pg_try_advisory_lock(%s, %s)", (READ_SIDE_LOCK, self._key))
            )
        return self._held

    def release(self) -> None:
        if self._held:
            self._held = False
            with contextlib.suppress(psycopg.Error):
                self._call("SELECT pg_advisory_unlock(%s, %s)", (READ_SIDE_LOCK, self._key))

    def holder(self) -> str | None:
        if self._held:
            # The lock lives as long as its connection: ask, so a lost one is noticed.
            self._call("SELECT 1", ())
            return process_identity() if self._held else None
        name = self._call(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
            " AND l.classid = %s AND l.objid = %s"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (READ_SIDE_LOCK, self._key),
        )
        if name is None:
            return None
        return str(name).removeprefix(APPLICATION_NAME_PREFIX) or "unknown"

    def listen(self, timeout: float, heard: Callable[[str], None], stop: threading.Event) -> None:
        try:
            for notify in self._connected().notifies(timeout=timeout):
                if notify.channel == self._events_channel and self._on_events is not None:
                    self._on_events()
                else:
                    heard(notify.payload)
        except psycopg.Error:
            self._drop_connection()
            raise

    def close(self) -> None:
        self.release()
        self._drop_connection()


def lease_for(
    env: dict[str, str],
    dialect: str,
    events_channel: str | None = None,
    on_events: Callable[[], None] | None = None,
) -> Lease:
    """The read side's lease of the database this environment names; on PostgreSQL it
    also calls `on_events` whenever the log's `events_channel` is notified."""
    if dialect == "postgres":
        return AdvisoryLease(env, events_channel, on_events)
    path = sqlite_lock_path(env, "read-side")
    return MemoryLease() if path is None else FileLease(path)


@contextlib.contextmanager
def table_creation_lock(env: dict[str, str], dialect: str) -> Iterator[None]:
    """Hold the database's table-creation lock: one process creates tables at a time."""
    if dialect == "postgres":
        with psycopg.connect(**connect_kwargs(env), autocommit=True) as connection:
            key = (TABLES_LOCK, schema_key(postgres_schema(env)))
            connection.execute("SET lock_timeout = '60s'")
            connection.execute("SELECT pg_advisory_lock(%s, %s)", key)
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        return
    path = sqlite_lock_path(env, "tables")
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file drops its lock


class Leadership:
    """A process's part in running its database's read side.

    A candidate tries to take the lease now and then every `RETRY_SECONDS` while another
    holds it; once it holds it, `elected` starts the folds, and `deposed` stops them when
    the lease is lost (its PostgreSQL connection broke) or given up on close. Every
    process, candidate or not, hears the tracking commits announced on PostgreSQL and
    hands them to `heard`.
    """

    def __init__(
        self,
        lease: Lease,
        *,
        candidate: bool,
        elected: Callable[[], bool],
        deposed: Callable[[], None],
        heard: Callable[[str], None],
    ) -> None:
        self.lease = lease
        self.candidate = candidate
        self.leading = False
        self._elected = elected
        self._deposed = deposed
        self._heard = heard
        self._holder: str | None = None
        self._lease_lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="read-side-lease", daemon=True)

    def start(self) -> None:
        """Stand once now (a lone process leads from its first moment), then keep trying."""
        self._campaign()
        self._thread.start()

    def holder(self) -> str | None:
        """Who runs the read side (pid@host) now; None when nobody does."""
        if self.leading:
            return process_identity()
        with self._lease_lock:
            try:
                self._holder = self.lease.holder()
            except psycopg.Error as error:
                logger.warning("read side lease: %r", error)  # the keeper reconnects
        return self._holder

    @contextlib.contextmanager
    def held_briefly(self) -> Iterator[bool]:
        """Hold the lease for a block if nobody does (for a process that is no candidate)."""
        assert not self.candidate, "a candidate holds the lease by standing"
        with self._lease_lock:
            try:
                held = self.lease.try_acquire()
            except psycopg.Error:
                held = False
            try:
                yield held
            finally:
                if held:
                    self.lease.release()

    def _campaign(self) -> None:
        with self._lease_lock:
            try:
                if self.candidate and not self.leading and self.lease.try_acquire():
                    self._take_office()
                self._holder = self.lease.holder()
            except (psycopg.Error, OSError) as error:
                logger.warning("read side lease: %r", error)
                self._step_down()
                self._holder = None

    def _take_office(self) -> None:
        try:
            accepted = self._elected()
        except Exception:
            logger.exception("could not start the read side; will try again")
            accepted = False
        if not accepted:
            self.lease.release()
            return
        self.leading = True
        logger.info("this process (%s) runs the read side", process_identity())

    def _step_down(self) -> None:
        if self.leading:
            self.leading = False
            self._deposed()

    def _run(self) -> None:
        next_campaign = time.monotonic() + RETRY_SECONDS
        while not self._closing.is_set():
            try:
                self.lease.listen(LISTEN_SECONDS, self._heard, self._closing)
            except psycopg.Error as error:
                logger.warning("read side listener: %r", error)
                with self._lease_lock:
                    self._step_down()
                self._closing.wait(RETRY_SECONDS)
            except Exception:
                # This thread must outlive any surprise: it is how the process stands.
                logger.exception("read side listener failed; carrying on")
                self._closing.wait(RETRY_SECONDS)
            if not self._closing.is_set() and time.monotonic() >= next_campaign:
                next_campaign = time.monotonic() + RETRY_SECONDS
                self._campaign()

    def close(self) -> None:
        """Stop standing; stop the folds before the lease goes, so none overlaps the next."""
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lease_lock:
            self._step_down()
            self.lease.close()
