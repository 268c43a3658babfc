"""Running the read models: in-process or as workers, rebuilding and verifying them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    InfrastructureFactory,
    PersistenceError,
    Tracking,
)
from eventsourcing.projection import ApplicationSubscription, Projection
from eventsourcing.utils import Environment

from projections.audit import AuditLog, AuditProjection
from projections.budget_execution import BudgetExecution, BudgetExecutionProjection
from projections.campaigns import CampaignProjection, CampaignReport
from projections.complaints import ComplaintProjection, ComplaintReport
from projections.contract_directory import ContractDirectory, ContractDirectoryProjection
from projections.credit import CreditProjection, CreditReport
from projections.customer_directory import CustomerDirectory, CustomerDirectoryProjection
from projections.employee_directory import EmployeeDirectory, EmployeeDirectoryProjection
from projections.expense_claims import ExpenseClaimDirectory, ExpenseClaimProjection
from projections.follow_ups import FollowUpProjection, FollowUps
from projections.kpis import KpiProjection, KpiReport
from projections.marketing_plans import MarketingPlanDirectory, MarketingPlanProjection
from projections.pipeline import PipelineProjection, PipelineReport
from projections.price_lists import PriceListDirectory, PriceListProjection
from projections.risks import RiskRegister, RiskRegisterProjection
from projections.sales import SalesProjection, SalesReport
from projections.store import ReadModel, dialects
from projections.subscriptions import ReadyCount

PAGE_SIZE = 500
SUPERVISE_SECONDS = 0.5
# The most events a live runner folds in one transaction (on SQLite the transaction
# holds the write lock, which commands wait for).
LIVE_BATCH_SIZE = 100

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadModelSpec:
    """A read model: its tables and the projection that folds events into them."""

    name: str
    read_model: type[ReadModel]
    projection: type[Projection[Any]]

    def view_class(self, dialect: str, prefix: str = "") -> type[ReadModel]:
        return dialects(self.read_model, prefix)[dialect]


READ_MODELS: dict[str, ReadModelSpec] = {
    spec.name: spec
    for spec in (
        ReadModelSpec("customer_directory", CustomerDirectory, CustomerDirectoryProjection),
        ReadModelSpec("audit_log", AuditLog, AuditProjection),
        ReadModelSpec("contract_directory", ContractDirectory, ContractDirectoryProjection),
        ReadModelSpec("budget_execution", BudgetExecution, BudgetExecutionProjection),
        ReadModelSpec("campaigns", CampaignReport, CampaignProjection),
        ReadModelSpec("sales", SalesReport, SalesProjection),
        ReadModelSpec("credit", CreditReport, CreditProjection),
        ReadModelSpec("employee_directory", EmployeeDirectory, EmployeeDirectoryProjection),
        ReadModelSpec("price_lists", PriceListDirectory, PriceListProjection),
        ReadModelSpec("kpis", KpiReport, KpiProjection),
        ReadModelSpec("complaints", ComplaintReport, ComplaintProjection),
        ReadModelSpec("pipeline", PipelineReport, PipelineProjection),
        ReadModelSpec("expense_claims", ExpenseClaimDirectory, ExpenseClaimProjection),
        ReadModelSpec("marketing_plans", MarketingPlanDirectory, MarketingPlanProjection),
        ReadModelSpec("risks", RiskRegister, RiskRegisterProjection),
        ReadModelSpec("follow_ups", FollowUps, FollowUpProjection),
    )
}


def construct_view(spec: ReadModelSpec, env: dict[str, str], dialect: str, prefix: str = "") -> Any:
    """A view's tables (created if missing) through the library's infrastructure factory."""
    factory = InfrastructureFactory.construct(Environment(spec.name, env))
    view: Any = factory.tracking_recorder(spec.view_class(dialect, prefix))
    view.factory = factory  # closed with the view
    return view


def close_view(view: Any) -> None:
    view.factory.close()


@dataclass
class Difference:
    """A row that differs between the live tables and a rebuild from the events."""

    table: str
    key: Any
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None


@dataclass(eq=False)
class Lane:
    """One read model fed by the shared subscription: its view, its fold, its position."""

    spec: ReadModelSpec
    view: Any
    projection: Projection[Any]
    position: int
    error: BaseException | None = None
    removed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fold(self, events: list[tuple[Any, Tracking]]) -> None:
        """Fold the events this lane has not folded yet, in one transaction."""
        with self.lock:
            todo = [(e, t) for e, t in events if t.notification_id > self.position]
            if self.removed or self.error is not None or not todo:
                return
            try:
                with self.view.batch():
                    for domain_event, tracking in todo:
                        self.projection.process_event(domain_event, tracking)
                self.position = todo[-1][1].notification_id
                return
            except Exception:
                pass
            # The batch rolled back: fold its events one by one, to stop at the failing one.
            for domain_event, tracking in todo:
                try:
                    with self.view.batch():
                        self.projection.process_event(domain_event, tracking)
                except Exception as error:
                    self.error = error
                    logger.error("projection %s failed: %r", self.spec.name, error)
                    return
                self.position = tracking.notification_id


class SharedSubscription:
    """One subscription to the log for every read model a process runs.

    The library's `ProjectionRunner` gives each projection a subscription of its own:
    with a dozen read models, every event was read and decoded a dozen times, and each
    runner held its own connections. Here one thread reads and decodes each event once
    (through the library's `ApplicationSubscription`) and folds it into every lane, each
    lane in its own transaction with its own tracking position, so a failing fold stops
    only its own read model. The subscription starts from the lowest position among the
    lanes; a lane skips what it has already folded. Adding a lane (a start or a restart
    behind the others) makes the subscription start again from the new lowest position.
    """

    def __init__(self, application_class: type[Application[Any]], env: dict[str, str]) -> None:
        self.reader = application_class(env)
        self.lanes: dict[str, Lane] = {}
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._closing = threading.Event()
        self._subscription: ApplicationSubscription[Any] | None = None
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def add(self, lane: Lane) -> None:
        with self._lock:
            self.lanes[lane.spec.name] = lane
            self._restart_subscription()

    def remove(self, name: str) -> Lane:
        with self._lock:
            lane = self.lanes.pop(name)
        with lane.lock:
            lane.removed = True
        return lane

    def _restart_subscription(self) -> None:
        self._changed.set()
        if self._subscription is not None:
            self._subscription.stop()

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                subscription = None
                with self._lock:
                    self._changed.clear()
                    live = [lane for lane in self.lanes.values() if lane.error is None]
                    if live:
                        after = min(lane.position for lane in live)
                        subscription = ApplicationSubscription(self.reader, gt=after)
                        self._subscription = subscription
                if subscription is None:
                    self._changed.wait(SUPERVISE_SECONDS)
                    continue
                try:
                    self._follow(subscription)
                finally:
                    subscription.stop()
            except Exception as error:
                # Subscribing, reading or decoding failed (a lost connection): no lane can
                # go on until the supervisor restarts it, which subscribes again.
                logger.error("projection subscription failed: %r", error)
                with self._lock:
                    for lane in self.lanes.values():
                        lane.error = lane.error or error
                self._changed.wait(SUPERVISE_SECONDS)

    def _follow(self, subscription: ApplicationSubscription[Any]) -> None:
        # Both databases' recorders subscribe with a subscription that says what it holds
        # (projections/subscriptions.py).
        held = cast(ReadyCount, subscription.subscription)
        with subscription:
            for first in subscription:
                events = [first]
                while len(events) < LIVE_BATCH_SIZE and held.ready():
                    try:
                        events.append(next(subscription))
                    except StopIteration:
                        break
                with self._lock:
                    lanes = list(self.lanes.values())
                for lane in lanes:
                    lane.fold(events)
                if self._changed.is_set() or self._closing.is_set():
                    return

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            self._restart_subscription()
        self._thread.join(timeout=10)
        self.reader.close()


class ReadSide:
    """The read models of one deployment: views to query, and their folds when running."""

    def __init__(
        self,
        application_class: type[Application[Any]],
        env: dict[str, str],
        dialect: str,
        *,
        run: bool,
        names: list[str] | None = None,
    ) -> None:
        self.application_class = application_class
        self.env = env
        self.dialect = dialect
        self.specs = [READ_MODELS[name] for name in (names or list(READ_MODELS))]
        self.views: dict[str, Any] = {}
        self.restarts: dict[str, list[str]] = {}
        self.app_name = application_class.name
        self._closing = threading.Event()
        self._lock = threading.RLock()
        self._supervisor: threading.Thread | None = None
        self._shared: SharedSubscription | None = None
        try:
            if run:
                self._shared = SharedSubscription(
                    application_class,
                    {
                        **env,
                        # The reader only reads: the event tables are created once by
                        # whoever writes (instances creating them at once race on
                        # PostgreSQL), while each view creates its own tables.
                        f"{self.app_name.upper()}_CREATE_TABLE": "n",
                        # One connection reads the log for every read model; PostgreSQL
                        # pools grow past this on demand, up to the overflow.
                        "POSTGRES_POOL_SIZE": "1",
                    },
                )
            for spec in self.specs:
                if run:
                    self.start(spec.name)
                else:
                    self.views[spec.name] = construct_view(spec, env, dialect)
        except BaseException:
            # A subscription started so far has a thread that would keep the process alive.
            self.close()
            raise
        if run:
            self._supervisor = threading.Thread(
                target=self._supervise, name="projection-supervisor", daemon=True
            )
            self._supervisor.start()

    @property
    def runners(self) -> dict[str, Lane]:
        """The read models folding in this process, by name."""
        return dict(self._shared.lanes) if self._shared is not None else {}

    def start(self, name: str) -> None:
        """Start (or restart) the fold of one read model; it resumes from its position."""
        assert self._shared is not None, "this read side does not run projections"
        spec = READ_MODELS[name]
        view = construct_view(spec, {**self.env, "POSTGRES_POOL_SIZE": "1"}, self.dialect)
        lane = Lane(
            spec, view, spec.projection(view=view), view.max_tracking_id(self.app_name) or 0
        )
        with self._lock:
            self.views[name] = view
        self._shared.add(lane)

    def stop(self, name: str) -> BaseException | None:
        """Stop the fold of one read model, as a crash or a deploy would; answer its error."""
        assert self._shared is not None, "this read side does not run projections"
        lane = self._shared.remove(name)
        close_view(lane.view)
        return lane.error

    def _supervise(self) -> None:
        """Restart a fold that failed (a lost connection, a bad deploy of a fold)."""
        assert self._shared is not None
        while not self._closing.wait(SUPERVISE_SECONDS):
            for name, lane in self.runners.items():
                if self._closing.is_set() or lane.error is None:
                    continue
                with self._lock:
                    if self._closing.is_set() or self._shared.lanes.get(name) is not lane:
                        continue
                    self.restarts.setdefault(name, []).append(repr(lane.error))
                    logger.error("projection %s failed (%r); restarting it", name, lane.error)
                    try:
                        self._restart(lane)
                    except Exception:
                        # The failed lane stays in place: the next round tries again.
                        logger.exception("projection %s could not restart; will retry", name)

    def _restart(self, lane: Lane) -> None:
        """Fold again from the view's own position, into the same view.

        The view stays open, so queries and read-your-writes waits on it carry on (a
        closed one kept PostgreSQL waiters retrying for seconds); tables it lost are made
        again.
        """
        assert self._shared is not None
        lane.view.create_table()
        position = lane.view.max_tracking_id(self.app_name) or 0
        self._shared.add(Lane(lane.spec, lane.view, lane.spec.projection(view=lane.view), position))

    def view(self, name: str) -> Any:
        """The view to query; `stop` and `start` replace it, so ask again for each query."""
        with self._lock:
            return self.views[name]

    def wait(self, name: str, position: int, timeout: float) -> bool:
        """Block until the read model has folded the log up to `position`; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.view(name)
            try:
                view.wait(self.app_name, position, timeout=max(deadline - time.monotonic(), 0))
            except TimeoutError:
                return False
            except (PersistenceError, ConnectionPoolClosedError):
                if view is self.view(name):
                    raise
                continue  # the view was replaced by a restart while we waited on it
            return True

    def status(self, max_position: int) -> list[dict[str, Any]]:
        """Each read model's position, lag behind the log and state."""
        items = []
        lanes = self.runners
        for spec in self.specs:
            position = self.view(spec.name).max_tracking_id(self.app_name) or 0
            lane = lanes.get(spec.name)
            if self._supervisor is None:
                state = "external"
            elif lane is None:
                state = "restarting"
            elif lane.error is not None:
                state = f"failed: {lane.error!r}"
            else:
                state = "running"
            restarts = self.restarts.get(spec.name, [])
            items.append(
                {
                    "name": spec.name,
                    "position": position,
                    "lag": max(max_position - position, 0),
                    "state": state,
                    "restarts": len(restarts),
                    "last_error": restarts[-1] if restarts else None,
                }
            )
        return items

    def run_forever(self) -> None:
        """Block until closed; the supervisor restarts folds that fail."""
        self._closing.wait()

    def close(self) -> None:
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.join()
        if self._shared is not None:
            for name in list(self._shared.lanes):
                self.stop(name)  # closes the lane's view
            self._shared.close()
        else:
            for view in self.views.values():
                close_view(view)
        self.views.clear()


def replay(
    app: Application[Any],
    view: Any,
    projection_class: type[Projection[Any]],
    *,
    after: int = 0,
    upto: int | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Fold the log from `after` to `upto` into a view, a page per transaction."""
    projection = projection_class(view=view)
    position = after
    while upto is None or position < upto:
        notifications = app.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, stop=upto, inclusive_of_start=False
        )
        if not notifications:
            break
        with view.batch():
            for notification in notifications:
                projection.process_event(
                    app.mapper.to_domain_event(notification), Tracking(app.name, notification.id)
                )
        position = notifications[-1].id
        progress(len(notifications))
    return position


def catch_up(app: Application[Any], spec: ReadModelSpec, view: Any) -> int:
    """Fold into a live view what the log holds beyond its position (no runner folding it).

    For a process that writes and reads one read model without projection runners, the
    demo; answers the view's position afterwards.
    """
    after = view.max_tracking_id(app.name) or 0
    return replay(app, view, spec.projection, after=after)


def fresh_view(spec: ReadModelSpec, env: dict[str, str], dialect: str, prefix: str = "") -> Any:
    """A view with empty tables: dropped, then created anew."""
    view = construct_view(spec, env, dialect, prefix)
    view.drop()
    close_view(view)
    return construct_view(spec, env, dialect, prefix)


def rebuild(
    app: Application[Any],
    spec: ReadModelSpec,
    env: dict[str, str],
    dialect: str,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Drop a read model and replay the whole log into it; answers the events replayed."""
    view = fresh_view(spec, env, dialect)
    try:
        return replay(app, view, spec.projection, progress=progress)
    finally:
        close_view(view)


def _normalised(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()} for row in rows]


def verify(
    app: Application[Any],
    spec: ReadModelSpec,
    env: dict[str, str],
    dialect: str,
    progress: Callable[[int], None] = lambda n: None,
) -> list[Difference]:
    """Rebuild a read model into scratch tables and diff them against the live ones."""
    live = construct_view(spec, env, dialect)
    scratch = fresh_view(spec, env, dialect, prefix="verify_")
    try:
        scratch_position = 0
        for _ in range(20):
            live_position = live.max_tracking_id(app.name) or 0
            scratch_position = replay(
                app,
                scratch,
                spec.projection,
                after=scratch_position,
                upto=live_position,
                progress=progress,
            )
            live_tables = {t: _normalised(live.rows(t)) for t in spec.read_model.table_names}
            if (live.max_tracking_id(app.name) or 0) == live_position:
                break
        rebuilt_tables = {t: _normalised(scratch.rows(t)) for t in spec.read_model.table_names}
        differences = []
        for table, live_rows in live_tables.items():
            keyed_live = {next(iter(r.values())): r for r in live_rows}
            keyed_rebuilt = {next(iter(r.values())): r for r in rebuilt_tables[table]}
            for key in sorted(keyed_live.keys() | keyed_rebuilt.keys(), key=str):
                if keyed_live.get(key) != keyed_rebuilt.get(key):
                    differences.append(
                        Difference(table, key, keyed_live.get(key), keyed_rebuilt.get(key))
                    )
        return differences
    finally:
        scratch.drop()
        close_view(scratch)
        close_view(live)
