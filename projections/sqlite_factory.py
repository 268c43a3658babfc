"""The library's SQLite persistence, with connections that keep their compiled statements."""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

# How many compiled statements each connection keeps. The library opens its connections
# with `cached_statements=True`, a cache of one statement, so every statement of a
# command (the insert, the head of the chain, its link, the tracking upsert...) was
# compiled again each time: 20 % of SQLite's command rate (docs/PERFORMANCE.md).
STATEMENT_CACHE = 128


class StatementCachingSQLiteConnectionPool(SQLiteConnectionPool):
    """The library's pool of SQLite connections, each with a statement cache."""

    def _create_connection(self) -> SQLiteConnection:
        # The library's own steps (eventsourcing 9.5, sqlite.py), the cache size aside.
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=STATEMENT_CACHE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode;")
            if cursor.fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL;")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


class StatementCachingSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, whose datastore's pool caches statements."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        library_pool = self.datastore.pool  # made, not yet connected: nothing to close
        self.datastore.pool = StatementCachingSQLiteConnectionPool(
            db_name=library_pool.db_name,
            lock_timeout=library_pool.lock_timeout,
            pool_size=library_pool.pool_size,
            max_overflow=library_pool.max_overflow,
            pool_timeout=library_pool.pool_timeout,
            max_age=library_pool.max_age,
            pre_ping=library_pool.pre_ping,
        )
