"""Read models on SQLite and PostgreSQL: folding, resuming, rebuilding, verifying."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import OperationalError, Tracking

from application.backoffice import Backoffice
from application.commands.customers import QualifyCustomer, RegisterLead
from domain.customer import Customer
from domain.values import Cause
from projections import customer_directory
from projections.audit import audit_row
from projections.runner import READ_MODELS, ReadSide, close_view, construct_view, replay, verify
from tests.conftest import as_, new_database, unique

SALES = as_("sam", "sales")
SERVICE = as_("sue", "service")
FINANCE = as_("fiona", "finance")
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def test_the_directory_fold_follows_a_customer():
    cause = Cause("sam", NOW)
    customer = Customer.register(
        cause,
        id=uuid4(),
        name="Acme  Trading",
        kind="company",
        source="web",
        contacts=[],
        tags=["vip"],
    )
    customer.qualify(cause)
    customer.assess_credit(
        cause,
        rating="B",
        score=70,
        credit_limit=Decimal("10"),
        max_payment_term_days=30,
        guarantee_required=False,
        valid_until=date(2027, 1, 1),
        basis="x",
    )
    customer.enroll_membership(cause, "gold")
    customer.award_points(cause, 30, "buy")
    customer.redeem_points(cause, 10, "mug")
    customer.update_profile(cause, name="Acme Global", region="east")
    row = None
    for position, event in enumerate(customer.collect_events(), start=1):
        row = customer_directory.fold(row, event, position)
    assert row["name"] == "Acme Global"
    assert row["name_key"] == "acme global"
    assert (row["status"], row["rating"], row["tier"], row["points"]) == (
        "prospect",
        "B",
        "gold",
        20,
    )
    assert (row["region"], json.loads(row["tags"]), row["version"]) == ("east", ["vip"], 7)
    assert row["registered_position"] == 1


def test_the_audit_row_keeps_who_when_and_the_fact():
    cause = Cause("sam", NOW)
    customer = Customer.register(
        cause, id=uuid4(), name="A", kind="person", source="web", contacts=[]
    )
    customer.record_follow_up(cause, kind="call", notes="hi", occurred_at=NOW - timedelta(hours=2))
    _registered, follow_up = customer.collect_events()
    row = audit_row(follow_up, 42)
    assert row["aggregate_type"] == "Customer"
    assert row["type"] == "FollowUpRecorded"
    assert row["actor"] == "sam"
    assert row["recorded_at"] == "2026-06-15T09:30:00.000000+00:00"
    assert row["occurred_at"] == "2026-06-15T07:30:00.000000+00:00"
    assert json.loads(row["data"]) == {"kind": "call", "notes": "hi", "next_follow_up_on": None}


def test_an_upgraded_change_event_keeps_the_audit_shape_it_had():
    cause = Cause("sam", NOW)
    customer = Customer.register(
        cause, id=uuid4(), name="A", kind="person", source="web", contacts=[]
    )
    customer.update_profile(cause, region="east", tags=["vip"])
    _registered, updated = customer.collect_events()
    row = audit_row(updated, 43)
    assert row["type"] == "ProfileUpdated"
    assert json.loads(row["data"]) == {"changes": {"region": "east", "tags": ["vip"]}}


def write_some(app: Backoffice, count: int) -> None:
    for _ in range(count):
        cid = app.handle(
            SALES,
            RegisterLead(
                name=unique(),
                kind="company",
                source="web",
                contacts=[{"name": "x", "phone": str(uuid4().int)[:9], "email": None}],
            ),
        ).id
        app.handle(SALES, QualifyCustomer(cid))


def audited_positions(app: Backoffice) -> list[int]:
    """Positions of every business event in the log (bookkeeping aggregates left out)."""
    positions = []
    for notification in app.recorder.select_notifications(start=1, limit=100_000):
        if audit_row(app.mapper.to_domain_event(notification), notification.id) is not None:
            positions.append(notification.id)
    return positions


@pytest.fixture
def deployment(database):
    app = Backoffice(database.env())
    read_side = ReadSide(Backoffice, database.env(), database.dialect, run=True)
    yield app, read_side, database
    read_side.close()
    app.close()


def test_a_stopped_projection_resumes_without_gaps_or_doubles(deployment):
    app, read_side, _ = deployment
    write_some(app, 5)
    assert read_side.wait("audit_log", app.max_position(), timeout=10)
    read_side.stop("audit_log")
    write_some(app, 5)
    read_side.start("audit_log")
    assert read_side.wait("audit_log", app.max_position(), timeout=10)
    rows = read_side.view("audit_log").search(limit=1000)
    assert [r["position"] for r in rows] == audited_positions(app)
    status = {s["name"]: s for s in read_side.status(app.max_position())}
    assert status["audit_log"]["lag"] == 0
    assert status["audit_log"]["state"] == "running"


def test_a_crash_inside_a_fold_applies_nothing_and_the_replay_resumes(deployment):
    app, read_side, database = deployment
    read_side.stop("audit_log")
    write_some(app, 4)
    spec = READ_MODELS["audit_log"]
    positions = audited_positions(app)
    crash_at = positions[3]

    class Crash(Exception):
        pass

    live_class = spec.view_class(database.dialect)

    class CrashingView(live_class):
        def _insert_tracking(self, cursor, tracking: Tracking) -> None:
            # The event's rows are written in this transaction; the process dies before commit.
            if tracking.notification_id == crash_at:
                raise Crash
            super()._insert_tracking(cursor, tracking)

    factory_view = construct_view(spec, database.env(), database.dialect)
    view = CrashingView(datastore=factory_view.datastore)
    projection = spec.projection(view)
    try:
        with pytest.raises(Crash):
            after = view.max_tracking_id(app.name) or 0
            for notification in app.recorder.select_notifications(start=after + 1, limit=1000):
                projection.process_event(
                    app.mapper.to_domain_event(notification), Tracking(app.name, notification.id)
                )
        assert view.max_tracking_id(app.name) == crash_at - 1
        before_crash = [p for p in positions if p < crash_at]
        assert [r["position"] for r in view.search(limit=1000)] == before_crash
        replay(app, factory_view, spec.projection, after=view.max_tracking_id(app.name))
        assert [r["position"] for r in factory_view.search(limit=1000)] == positions
    finally:
        close_view(factory_view)


def test_verify_finds_a_tampered_row_and_nothing_on_an_honest_one(deployment):
    app, read_side, database = deployment
    write_some(app, 3)
    for name in READ_MODELS:
        assert read_side.wait(name, app.max_position(), timeout=10)
    spec = READ_MODELS["customer_directory"]
    assert verify(app, spec, database.env(), database.dialect) == []
    view = read_side.view("customer_directory")
    victim = view.search(limit=1)[0]
    with view._transaction(commit=True) as cursor:
        cursor.execute(
            view._sql(f"UPDATE {view.table('customer_directory')} SET points = 999 WHERE id = ?"),
            [victim["id"]],
        )
    differences = verify(app, spec, database.env(), database.dialect)
    assert [(d.table, d.key) for d in differences] == [("customer_directory", victim["id"])]
    assert differences[0].live["points"] == 999
    assert differences[0].rebuilt["points"] == 0


def test_a_failed_runner_is_restarted_and_catches_up(deployment):
    app, read_side, _ = deployment
    write_some(app, 2)
    assert read_side.wait("customer_directory", app.max_position(), timeout=10)
    view = read_side.view("customer_directory")
    # The read model's table vanishes under the running fold: its next write fails.
    with view._transaction(commit=True) as cursor:
        cursor.execute(f"DROP TABLE {view.table('customer_directory')}")
    write_some(app, 2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = {s["name"]: s for s in read_side.status(app.max_position())}["customer_directory"]
        if status["restarts"] and status["state"] == "running" and status["lag"] == 0:
            break
        time.sleep(0.05)
    assert status["restarts"] >= 1 and status["last_error"]
    assert (status["state"], status["lag"]) == ("running", 0)
    # The restart made the table anew and folded the events from where tracking stood.
    assert len(read_side.view("customer_directory").search(limit=100)) == 2


def test_a_fold_whose_last_commit_the_database_lost_folds_again_from_its_table(deployment):
    """As a failover that lost the fold's last commit (rows and position together) leaves
    it: the fold's next commit is refused and it starts again from the table, no gap."""
    app, read_side, _ = deployment
    write_some(app, 2)
    kept = app.max_position()
    assert read_side.wait("audit_log", kept, timeout=10)
    write_some(app, 2)
    assert read_side.wait("audit_log", app.max_position(), timeout=10)
    view = read_side.view("audit_log")
    with read_side.runners["audit_log"].lock, view._transaction(commit=True) as cursor:
        cursor.execute(
            view._sql(f"DELETE FROM {view.table('audit_log')} WHERE position > ?"), [kept]
        )
        cursor.execute(
            view._sql(f"UPDATE {view._tracking_table()} SET notification_id = ?"), [kept]
        )
    write_some(app, 2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        positions = [r["position"] for r in view.search(limit=1000)]
        if positions == audited_positions(app):
            break
        time.sleep(0.05)
    assert sorted(positions) == audited_positions(app)
    status = {s["name"]: s for s in read_side.status(app.max_position())}["audit_log"]
    assert status["restarts"] >= 1 and "no longer" in status["last_error"]


class PoisonedDirectoryProjection(customer_directory.CustomerDirectoryProjection):
    """A fold that fails on every qualification, as a bad deploy of a fold would."""

    def process_event(self, domain_event, tracking):
        if isinstance(domain_event, Customer.Qualified):
            raise RuntimeError("poisoned fold")
        super().process_event(domain_event, tracking)


class PoisonedSpec(type(READ_MODELS["customer_directory"])):
    def view_class(self, dialect, prefix=""):
        return super().view_class(dialect, prefix or "poisoned_")


def test_a_failing_fold_stops_only_its_own_read_model(database, monkeypatch):
    spec = PoisonedSpec(
        "poisoned", customer_directory.CustomerDirectory, PoisonedDirectoryProjection
    )
    monkeypatch.setitem(READ_MODELS, "poisoned", spec)
    app = Backoffice(database.env())
    read_side = ReadSide(
        Backoffice, database.env(), database.dialect, run=True, names=["poisoned", "audit_log"]
    )
    try:
        write_some(app, 3)
        # The healthy read model folds the whole log while the poisoned one keeps failing.
        assert read_side.wait("audit_log", app.max_position(), timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            poisoned = {s["name"]: s for s in read_side.status(app.max_position())}["poisoned"]
            if poisoned["restarts"] >= 2:
                break
            time.sleep(0.05)
        assert poisoned["restarts"] >= 2
        assert "poisoned fold" in poisoned["last_error"]
        assert poisoned["lag"] > 0
        # It stopped at the first qualification: the registration before it was folded.
        assert len(read_side.view("poisoned").search(limit=100)) == 1
        write_some(app, 1)
        assert read_side.wait("audit_log", app.max_position(), timeout=10)
        assert [r["position"] for r in read_side.view("audit_log").search(limit=1000)] == (
            audited_positions(app)
        )
    finally:
        read_side.close()
        view = construct_view(spec, database.env(), database.dialect)
        view.drop()
        close_view(view)
        app.close()


def test_a_subscription_that_cannot_start_is_retried_and_the_read_models_catch_up(
    database, monkeypatch
):
    """Subscribing fails once (the database is briefly unreachable): the folds resume."""
    from projections import lanes

    library_subscription = lanes.ApplicationSubscription
    failures = []

    def subscribe_failing_once(*args, **kwargs):
        if not failures:
            failures.append("refused")
            raise OperationalError("connection refused")
        return library_subscription(*args, **kwargs)

    monkeypatch.setattr(lanes, "ApplicationSubscription", subscribe_failing_once)
    app = Backoffice(database.env())
    read_side = ReadSide(
        Backoffice, database.env(), database.dialect, run=True, names=["audit_log"]
    )
    try:
        write_some(app, 2)
        assert read_side.wait("audit_log", app.max_position(), timeout=20)
        assert failures == ["refused"]
        status = read_side.status(app.max_position())[0]
        assert (status["state"], status["lag"]) == ("running", 0)
        assert status["restarts"] >= 1 and "connection refused" in status["last_error"]
    finally:
        read_side.close()
        app.close()


def test_a_read_model_with_nothing_to_fold_records_its_position_without_a_fold(database):
    """Customer events pass the contract directory by: no transaction of its own, yet
    waits on it return and its tracking table reaches the log's head."""
    names = ["customer_directory", "contract_directory", "price_lists"]
    app = Backoffice(database.env())
    read_side = ReadSide(Backoffice, database.env(), database.dialect, run=True, names=names)
    try:
        write_some(app, 1)
        assert all(read_side.wait(name, app.max_position(), timeout=20) for name in names)
        contracts = read_side.view("contract_directory")
        batches: list[None] = []
        library_batch = contracts.batch

        def counted_batch():
            batches.append(None)
            return library_batch()

        contracts.batch = counted_batch
        write_some(app, 3)
        head = app.max_position()
        assert all(read_side.wait(name, head, timeout=20) for name in names)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            read_side.view(name).max_tracking_id(app.name) != head for name in names
        ):
            time.sleep(0.01)
        assert [read_side.view(name).max_tracking_id(app.name) for name in names] == [head] * 3
        assert batches == []
        customers = read_side.view("customer_directory").rows("customer_directory")
        assert len(customers) == 4
    finally:
        read_side.close()
        app.close()


def test_the_read_side_rings_the_bell_its_log_subscription_listens_to(tmp_path_factory):
    """Another process's commit, announced on the log's channel, wakes this process's
    subscription: both name the bell alike (PostgreSQL; SQLite rings no bell)."""
    database = new_database("postgres", tmp_path_factory)
    app = Backoffice(database.env())
    read_side = ReadSide(Backoffice, database.env(), database.dialect, run=False)
    try:
        assert read_side.log_bell == app.recorder.bell
    finally:
        read_side.close()
        app.close()
        database.close()


def test_recording_positions_leaves_no_lane_locked_whatever_its_state(database):
    """A lane that skipped events, then failed or was removed before the pass ended, is
    not recorded, and its lock is free again (the supervisor takes it to restart it)."""
    from projections.lanes import Lane, record_positions

    app = Backoffice(database.env())
    spec = READ_MODELS["contract_directory"]
    views = [construct_view(spec, database.env(), database.dialect) for _ in range(3)]
    try:
        write_some(app, 1)
        events = [
            (app.mapper.to_domain_event(n), Tracking(app.name, n.id))
            for n in app.recorder.select_notifications(1, 1000)
        ]
        lanes = [Lane(spec, view, spec.projection(view=view), 0) for view in views]
        for lane in lanes:
            lane.fold(events)  # customer events only: nothing the contract directory folds
        assert [(lane.position, lane.recorded) for lane in lanes] == [
            (events[-1][1].notification_id, 0)
        ] * 3
        lanes[1].error = RuntimeError("failed meanwhile")
        lanes[2].removed = True
        record_positions(lanes, app.name)
        assert [lane.recorded for lane in lanes] == [events[-1][1].notification_id, 0, 0]
        assert all(lane.lock.acquire(timeout=1) for lane in lanes)
        assert views[0].max_tracking_id(app.name) == events[-1][1].notification_id
    finally:
        for view in views:
            close_view(view)
        app.close()


def test_recording_positions_over_a_moved_position_is_refused_and_records_nothing(database):
    """A position recorded meanwhile by someone else (or lost) is not written over: the
    pass fails, and the read side starts its lanes again from their tables."""
    from projections.lanes import Lane, record_positions
    from projections.store import TrackingMoved

    app = Backoffice(database.env())
    spec = READ_MODELS["contract_directory"]
    view = construct_view(spec, database.env(), database.dialect)
    try:
        write_some(app, 1)
        events = [
            (app.mapper.to_domain_event(n), Tracking(app.name, n.id))
            for n in app.recorder.select_notifications(1, 1000)
        ]
        lane = Lane(spec, view, spec.projection(view=view), 0)
        lane.fold(events)
        view.insert_tracking(Tracking(app.name, 1))  # another writer, unknown to the lane
        with pytest.raises(TrackingMoved):
            record_positions([lane], app.name)
        assert lane.recorded == 0
        assert lane.lock.acquire(timeout=1)
        assert view.max_tracking_id(app.name) == 1
    finally:
        close_view(view)
        app.close()
