"""Rebuilding in one pass (issue 16): every read model fed by one read of the log, with
batched writes, equals each read model rebuilt alone and each folded event by event, on
SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from application.backoffice import Backoffice
from application.commands.customers import QualifyCustomer, RegisterLead
from projections.audit import COLUMNS as AUDIT_COLUMNS
from projections.customer_directory import CustomerDirectoryProjection
from projections.rebuild import (
    PAGE_SIZE,
    Target,
    emptied,
    fold_log,
    folded_topics,
    read_model_factory,
    rebuild_all,
    shared_out,
    verify_all,
)
from projections.runner import READ_MODELS, close_view, fresh_view
from projections.store import COPY_ROWS
from tests.conftest import Database, SeededDemo, as_, unique

PREFIXES = ("together_", "alone_", "plain_")


@pytest.fixture
def demo_log(seeded_demo: SeededDemo) -> Iterator[tuple[Backoffice, Database]]:
    """The demo's log; the prefixed tables a test makes beside its read models go after."""
    database = seeded_demo.database
    app = Backoffice(database.env())
    yield app, database
    app.close()
    with read_model_factory(database.env()) as factory:
        for prefix in PREFIXES:
            for spec in READ_MODELS.values():
                factory.tracking_recorder(spec.view_class(database.dialect, prefix)).drop()


def tables(view: Any, spec: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of a view's tables, money as text."""
    return {
        table: [
            {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}
            for row in view.rows(table)
        ]
        for table in spec.read_model.table_names
    }


def fold_plainly(app: Backoffice, spec: Any, env: dict[str, str], dialect: str) -> Any:
    """The read model folded without a pass: every event given to the fold, in order, in
    one transaction (one each took 99 s of the suite on PostgreSQL)."""
    view = fresh_view(spec, env, dialect, prefix="plain_")
    projection = spec.projection(view=view)
    with view.batch():
        for notification in app.recorder.select_notifications(start=1, limit=10**6):
            projection.process_event(
                app.mapper.to_domain_event(notification), Tracking(app.name, notification.id)
            )
    return view


def count_calls(target: Any, method: str) -> list[tuple[Any, ...]]:
    """The calls of an object's method from now on (the method still runs)."""
    calls: list[tuple[Any, ...]] = []
    original = getattr(target, method)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    setattr(target, method, counted)
    return calls


def test_one_pass_feeds_every_read_model_and_equals_each_folded_alone(demo_log):
    app, database = demo_log
    env, dialect = database.env(), database.dialect
    head, events = app.max_position(), len(app.recorder.select_notifications(1, 10**6))
    selects = count_calls(app.recorder, "select_notifications")
    decodes = count_calls(app.mapper, "to_domain_event")
    specs = list(READ_MODELS.values())
    assert rebuild_all(app, specs, env, dialect, prefix="together_") == head
    # The log was read once, page by page, and each event decoded once, for all of them.
    assert len(selects) == -(-events // PAGE_SIZE)
    assert len(decodes) == events
    with read_model_factory(env) as factory:
        for spec in specs:
            rebuild_all(app, [spec], env, dialect, prefix="alone_")
            together = factory.tracking_recorder(spec.view_class(dialect, "together_"))
            alone = factory.tracking_recorder(spec.view_class(dialect, "alone_"))
            plain = fold_plainly(app, spec, env, dialect)
            try:
                assert tables(together, spec) == tables(plain, spec), spec.name
                assert tables(alone, spec) == tables(plain, spec), spec.name
                # Every event is tracked, also the last ones a read model does not fold.
                assert together.max_tracking_id(app.name) == head, spec.name
                assert alone.max_tracking_id(app.name) == head, spec.name
            finally:
                close_view(plain)


def test_read_models_shared_out_among_processes_equal_one_pass(demo_log):
    app, database = demo_log
    env, dialect = database.env(), database.dialect
    specs = list(READ_MODELS.values())
    groups = shared_out(specs, 2)
    assert len(groups) == 2 and sorted(s.name for g in groups for s in g) == sorted(READ_MODELS)
    progress: list[int] = []
    head = app.max_position()
    assert rebuild_all(app, specs, env, dialect, progress.append, prefix="alone_", jobs=2) == head
    assert sum(progress) == head
    rebuild_all(app, specs, env, dialect, prefix="together_")
    with read_model_factory(env) as factory:
        for spec in specs:
            together = factory.tracking_recorder(spec.view_class(dialect, "together_"))
            alone = factory.tracking_recorder(spec.view_class(dialect, "alone_"))
            assert tables(alone, spec) == tables(together, spec), spec.name
            assert alone.max_tracking_id(app.name) == head


def test_a_read_model_rebuilt_alone_reads_only_the_events_it_folds(demo_log):
    app, database = demo_log
    spec = READ_MODELS["risks"]
    topics = folded_topics(spec.projection)
    in_log = {n.topic for n in app.recorder.select_notifications(1, 10**6)}
    assert topics & in_log and in_log - topics
    decodes = count_calls(app.mapper, "to_domain_event")
    rebuild_all(app, [spec], database.env(), database.dialect, prefix="alone_")
    assert decodes and {n.topic for (n,) in decodes} <= topics
    assert len(decodes) < app.max_position()


def test_the_audit_log_folds_every_event_and_a_directory_only_its_aggregates():
    assert folded_topics(READ_MODELS["audit_log"].projection) == frozenset()
    customer_topics = folded_topics(CustomerDirectoryProjection)
    assert "domain.customer:Customer.Registered" in customer_topics
    assert "domain.contract:Contract.Drafted" not in customer_topics


def test_a_pass_resumes_each_read_model_from_its_own_position(demo_log):
    app, database = demo_log
    env, dialect = database.env(), database.dialect
    head = app.max_position()
    spec = READ_MODELS["customer_directory"]
    with read_model_factory(env) as factory:
        ahead = emptied(factory, spec.view_class(dialect, "alone_"))
        behind = emptied(factory, spec.view_class(dialect, "together_"))
        first = Target("ahead", ahead, spec.projection(view=ahead), 0, head // 2)
        fold_log(app, [first])
        assert ahead.max_tracking_id(app.name) == head // 2
        second = Target("ahead", ahead, first.projection, head // 2, head)
        fold_log(app, [second, Target("behind", behind, spec.projection(view=behind), 0, head)])
        assert tables(ahead, spec) == tables(behind, spec)
        assert ahead.max_tracking_id(app.name) == behind.max_tracking_id(app.name) == head


@pytest.fixture
def some_log(database: Database) -> Iterator[tuple[Backoffice, Database]]:
    """A few customers written and qualified, no read model folded yet."""
    app = Backoffice(database.env())
    for _ in range(4):
        lead = RegisterLead(name=unique(), kind="company", source="web", contacts=[])
        app.handle(as_("ada", "admin"), QualifyCustomer(app.handle(as_("ada", "admin"), lead).id))
    yield app, database
    app.close()


def test_verify_of_several_read_models_in_one_pass_finds_only_the_tampered_row(some_log):
    app, database = some_log
    env, dialect = database.env(), database.dialect
    names = ["audit_log", "customer_directory", "kpis"]
    specs = [READ_MODELS[name] for name in names]
    rebuild_all(app, specs, env, dialect)
    assert verify_all(app, specs, env, dialect) == {name: [] for name in names}
    with read_model_factory(env) as factory:
        live = factory.tracking_recorder(READ_MODELS["audit_log"].view_class(dialect))
        with live._transaction(commit=True) as cursor:
            cursor.execute(
                live._sql(f"UPDATE {live.table('audit_log')} SET actor = ? WHERE position = ?"),
                ["mallory", 1],
            )
    found = verify_all(app, specs, env, dialect)
    assert [(d.table, d.key) for d in found["audit_log"]] == [("audit_log", 1)]
    assert found["customer_directory"] == found["kpis"] == []


def audit_rows(positions: range) -> list[dict[str, Any]]:
    """Audit rows of made-up events, one per position."""
    made_up = {
        "aggregate_type": "Customer",
        "aggregate_id": "c1",
        "version": 1,
        "type": "Qualified",
        "recorded_at": "2026-01-01T00:00:00.000000+00:00",
        "occurred_at": "2026-01-01T00:00:00.000000+00:00",
        "actor": "ada",
        "data": "{}",
    }
    return [{**made_up, "position": position} for position in positions]


def test_reads_inside_a_batch_see_its_earlier_writes_and_a_failure_keeps_none(database):
    spec = READ_MODELS["audit_log"]
    view = fresh_view(spec, database.env(), database.dialect, prefix="alone_")
    rows = audit_rows(range(1, 60))
    assert set(rows[0]) == set(AUDIT_COLUMNS)
    assert len(rows) >= COPY_ROWS  # one long run of inserts: a COPY on PostgreSQL
    try:
        with view.batch():
            for row in rows:
                view.append(row, Tracking("Backoffice", row["position"]))
            assert [r["position"] for r in view.search(limit=100)] == list(range(1, 60))
            view.append(audit_rows(range(60, 61))[0], Tracking("Backoffice", 60))
        assert view.max_tracking_id("Backoffice") == 60
        with pytest.raises(IntegrityError), view.batch():
            for row in audit_rows(range(61, 100)):
                view.append(row, Tracking("Backoffice", row["position"]))
            view.append(rows[0], Tracking("Backoffice", 100))  # position 1 is there already
        assert view.max_tracking_id("Backoffice") == 60
        assert len(view.search(limit=1000)) == 60
    finally:
        view.drop()
        close_view(view)
