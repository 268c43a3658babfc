"""Our recorders pass the eventsourcing library's own contract tests.

The SQLite application recorder adds subscriptions; the group-commit recorders
(`projections/grouped.py`) commit many commands at once, in one round trip on PostgreSQL;
every read model is a tracking recorder with a tracking table of its own, on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    TrackingRecorderTestCase,
)

from interfaces.trust import verify_store
from projections.chain_store import chain_of
from projections.grouped import (
    GroupCommitPostgresApplicationRecorder,
    GroupCommitSQLiteApplicationRecorder,
)
from projections.runner import READ_MODELS
from projections.sqlite_factory import (
    StatementCachingSQLiteConnectionPool,
    StatementCachingSQLiteFactory,
)
from projections.subscriptions import (
    ReadyPostgresApplicationRecorder,
    SubscribableSQLiteApplicationRecorder,
)
from tests.conftest import POSTGRES_URL, _need_postgres


def join_threads_started_since(before: set[threading.Thread]) -> None:
    """Let reader threads a contract test leaves behind finish before the store closes."""
    for thread in set(threading.enumerate()) - before:
        if not thread.daemon:  # connection pools' workers are daemons and live on
            thread.join(timeout=5)


class SQLiteFile:
    def setUp(self) -> None:
        self.threads = set(threading.enumerate())
        self.folder = tempfile.mkdtemp()
        # The datastore as mops makes it: the library's, its connections caching statements.
        factory = StatementCachingSQLiteFactory({"SQLITE_DBNAME": f"{self.folder}/contract.db"})
        self.datastore = factory.datastore
        assert isinstance(self.datastore.pool, StatementCachingSQLiteConnectionPool)

    def tearDown(self) -> None:
        join_threads_started_since(self.threads)
        self.datastore.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresSchema:
    def setUp(self) -> None:
        _need_postgres()
        self.threads = set(threading.enumerate())
        self.schema = f"c_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        self.datastore = PostgresDatastore(
            dbname="test",
            host="127.0.0.1",
            port=5432,
            user="postgres",
            password="",
            schema=self.schema,
            pool_size=4,
            max_overflow=10,
        )

    def tearDown(self) -> None:
        join_threads_started_since(self.threads)
        self.datastore.close()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


class ChainHolds:
    """After each contract test, the hash chain of every event it stored holds (the
    library's tests insert from many threads at once, and refuse conflicting inserts)."""

    datastore: Any
    _chained: list[Any]

    def linked(self, recorder: Any) -> Any:
        if not hasattr(self, "_chained"):
            self._chained = []
        self._chained.append(recorder)
        return recorder

    def tearDown(self) -> None:
        for recorder in getattr(self, "_chained", []):
            verdict = verify_store(chain_of(recorder))
            assert verdict.ok, verdict
        super().tearDown()  # type: ignore[misc]


class TestSubscribableSQLiteApplicationRecorder(
    ChainHolds, SQLiteFile, ApplicationRecorderTestCase
):
    def create_recorder(self) -> SubscribableSQLiteApplicationRecorder:
        recorder = SubscribableSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        return self.linked(recorder)

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestReadyPostgresApplicationRecorder(ChainHolds, PostgresSchema, ApplicationRecorderTestCase):
    def create_recorder(self) -> ReadyPostgresApplicationRecorder:
        recorder = ReadyPostgresApplicationRecorder(self.datastore)
        recorder.create_table()
        return self.linked(recorder)

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestGroupCommitSQLiteApplicationRecorder(ChainHolds, SQLiteFile, ApplicationRecorderTestCase):
    def create_recorder(self) -> GroupCommitSQLiteApplicationRecorder:
        recorder = GroupCommitSQLiteApplicationRecorder(self.datastore)
        recorder.create_table()
        return self.linked(recorder)

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestGroupCommitPostgresApplicationRecorder(
    ChainHolds, PostgresSchema, ApplicationRecorderTestCase
):
    def create_recorder(self) -> GroupCommitPostgresApplicationRecorder:
        recorder = GroupCommitPostgresApplicationRecorder(self.datastore)
        recorder.create_table()
        return self.linked(recorder)

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


def _view_contracts(dialect: str, base: type) -> dict[str, type]:
    cases = {}
    for name, spec in READ_MODELS.items():
        view_class = spec.view_class(dialect)

        def create_recorder(self, view_class=view_class):
            view = view_class(datastore=self.datastore)
            view.create_table()
            return view

        title = "".join(part.title() for part in name.split("_"))
        cases[f"Test{dialect.title()}{title}Tracking"] = type(
            f"Test{dialect.title()}{title}Tracking",
            (base, TrackingRecorderTestCase),
            {"create_recorder": create_recorder},
        )
    return cases


globals().update(_view_contracts("sqlite", SQLiteFile))
globals().update(_view_contracts("postgres", PostgresSchema))


def test_mops_opens_sqlite_through_connections_that_cache_statements(tmp_path):
    """The application and a read model, as settings make them on SQLite."""
    from application.backoffice import Backoffice
    from interfaces.settings import Settings
    from projections.runner import construct_view

    env = Settings(database_url=f"sqlite:///{tmp_path}/mops.db").persistence_env()
    app = Backoffice(env)
    view = construct_view(READ_MODELS["customer_directory"], env, "sqlite")
    try:
        for datastore in (app.recorder.datastore, view.datastore):
            assert isinstance(datastore.pool, StatementCachingSQLiteConnectionPool)
    finally:
        view.factory.close()
        app.close()
