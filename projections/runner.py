"""Running the read models: in-process or as workers, rebuilding and verifying them."""

from __future__ import annotations

import functools
import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    InfrastructureFactory,
    PersistenceError,
)
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment

from projections.audit import AuditLog, AuditProjection
from projections.budget_execution import BudgetExecution, BudgetExecutionProjection
from projections.campaigns import CampaignProjection, CampaignReport
from projections.competitors import CompetitorProjection, CompetitorReport
from projections.complaints import ComplaintProjection, ComplaintReport
from projections.contract_directory import ContractDirectory, ContractDirectoryProjection
from projections.credit import CreditProjection, CreditReport
from projections.customer_directory import CustomerDirectory, CustomerDirectoryProjection
from projections.employee_directory import EmployeeDirectory, EmployeeDirectoryProjection
from projections.expense_claims import ExpenseClaimDirectory, ExpenseClaimProjection
from projections.follow_ups import FollowUpProjection, FollowUps
from projections.kpis import KpiProjection, KpiReport
from projections.lanes import SUPERVISE_SECONDS, Lane, SharedSubscription
from projections.leadership import Leadership, lease_for, postgres_schema, table_creation_lock
from projections.marketing_plans import MarketingPlanDirectory, MarketingPlanProjection
from projections.notice_clock import NoticeClock, NoticeSettings
from projections.notifications import NotificationProjection, Notifications
from projections.pipeline import PipelineProjection, PipelineReport
from projections.postgres import SHARED_POOL, connect_kwargs
from projections.price_lists import PriceListDirectory, PriceListProjection
from projections.rebuild import PAGE_SIZE as PAGE_SIZE
from projections.rebuild import Difference as Difference
from projections.rebuild import catch_up
from projections.rebuild import fresh_view as fresh_view
from projections.rebuild import rebuild as rebuild
from projections.rebuild import replay as replay
from projections.rebuild import verify as verify
from projections.recruitment import RecruitmentProjection, RecruitmentReport
from projections.risks import RiskRegister, RiskRegisterProjection
from projections.sales import SalesProjection, SalesReport
from projections.staffing_plans import StaffingPlanDirectory, StaffingPlanProjection
from projections.store import ReadModel, dialects, read_tracking_news
from projections.subscriptions import postgres_bell, ring
from projections.training import TrainingProjection, TrainingReport
from projections.warnings import WARNING_READ_MODELS

# How long the read side's reading of the log waits for its one connection, which the
# folds of a batch hold meanwhile (PostgreSQL).
READER_WAIT_SECONDS = 60

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
        ReadModelSpec("staffing_plans", StaffingPlanDirectory, StaffingPlanProjection),
        ReadModelSpec("recruitment", RecruitmentReport, RecruitmentProjection),
        ReadModelSpec("training", TrainingReport, TrainingProjection),
        ReadModelSpec("competitors", CompetitorReport, CompetitorProjection),
        ReadModelSpec("notifications", Notifications, NotificationProjection),
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


class ReadSide:
    """The read models of one deployment: views to query, and their folds where they run.

    Every process has the views. With `run` it is also a candidate for running the
    folds of its database's read side, which one process at a time does (leadership.py):
    the folds start here when it takes the lease and stop when it loses it. A read model
    stopped by hand (`stop`) stays stopped until `start`.
    """

    def __init__(
        self,
        application_class: type[Application[Any]],
        env: dict[str, str],
        dialect: str,
        *,
        run: bool,
        names: list[str] | None = None,
        notices: NoticeSettings | None = None,
    ) -> None:
        self.application_class = application_class
        # The notifications' tick and webhook deliveries run where the folds run.
        self.notice_settings = notices or NoticeSettings()
        self._clock: NoticeClock | None = None
        self.env = env
        self.dialect = dialect
        self.candidate = run
        self.specs = [READ_MODELS[name] for name in (names or list(READ_MODELS))]
        self.views: dict[str, Any] = {}
        self.restarts: dict[str, int] = {}
        self.last_errors: dict[str, str] = {}
        # The last failure of each fold, (position of the event, error), kept across its
        # restarts: a fold failing on an event fails again on it, every restart.
        self.failures: dict[str, tuple[int | None, str]] = {}
        self.app_name = application_class.name
        self._closing = threading.Event()
        self._lock = threading.RLock()
        self._supervisor: threading.Thread | None = None
        self._shared: SharedSubscription | None = None
        self._stopped: set[str] = set()
        self._factories: list[InfrastructureFactory[Any]] = []
        self._by_tracking_table: dict[str, Any] = {}
        self.leadership: Leadership | None = None
        self.log_bell = ""
        try:
            self._construct_views()
            channel = f"{self.app_name.lower()}_events"  # the library's name of the log
            # Rung when another process's commit is announced on the log's channel: the
            # bell this process's subscriptions listen to (the recorder's `bell`).
            self.log_bell = postgres_bell(
                connect_kwargs(env)["dbname"], postgres_schema(env), channel
            )
            self.leadership = Leadership(
                lease_for(env, dialect, channel, functools.partial(ring, self.log_bell)),
                candidate=run,
                elected=self._elected,
                deposed=self._deposed,
                heard=self._heard,
            )
            self.leadership.start()
        except BaseException:
            # A subscription started so far has a thread that would keep the process alive.
            self.close()
            raise
        if run:
            self._supervisor = threading.Thread(
                target=self._supervise, name="projection-supervisor", daemon=True
            )
            self._supervisor.start()

    def _construct_views(self) -> None:
        """Open every view, creating its tables if missing (one process at a time)."""
        with table_creation_lock(self.env, self.dialect):
            if self.dialect == "postgres":
                # One pool for every view: a pool per view held a dozen and more idle
                # PostgreSQL connections per process.
                factory = InfrastructureFactory.construct(Environment("read_models", self.env))
                self._factories.append(factory)
                for spec in self.specs:
                    view_class = spec.view_class(self.dialect)
                    self.views[spec.name] = factory.tracking_recorder(view_class)
            else:
                for spec in self.specs:
                    view = construct_view(spec, self.env, self.dialect)
                    self._factories.append(view.factory)
                    self.views[spec.name] = view
        self._by_tracking_table = {v.tracking_table_name: v for v in self.views.values()}
        for name in ("credit", "notifications"):  # each shows or raises dunning levels
            if name in self.views:
                self.views[name].dunning_days = self.notice_settings.dunning_days

    @property
    def runners(self) -> dict[str, Lane]:
        """The read models folding in this process, by name."""
        shared = self._shared
        return dict(shared.lanes) if shared is not None else {}

    @property
    def leading(self) -> bool:
        """True while this process runs the read side of its database."""
        return self.leadership is not None and self.leadership.leading

    def _elected(self) -> bool:
        """This process took the lease: fold every read model not stopped by hand.

        Declines (False) when the read side is closing.
        """
        with self._lock:
            if self._closing.is_set():
                return False
            self._shared = SharedSubscription(
                self.application_class,
                {
                    **self.env,
                    # The reader only reads: the event tables were made by whoever wrote.
                    f"{self.app_name.upper()}_CREATE_TABLE": "n",
                    # The read side's own connection, beside the process's pool: it
                    # reads the log and writes every fold, one after the other (the
                    # lease's connection hears of new events), so a read of the log may
                    # wait for a long batch of folds.
                    SHARED_POOL: "n",
                    "POSTGRES_POOL_SIZE": "1",
                    "POSTGRES_MAX_OVERFLOW": "0",
                    "POSTGRES_CONNECT_TIMEOUT": str(READER_WAIT_SECONDS),
                },
            )
            try:
                for spec in self.specs:
                    if spec.name not in self._stopped:
                        self._add_lane(spec.name)
                self._start_clock()
            except BaseException:
                self._deposed()
                raise
            return True

    def _deposed(self) -> None:
        """The lease is lost or given up: stop every fold of this process."""
        with self._lock:
            shared, self._shared = self._shared, None
            clock, self._clock = self._clock, None
        if clock is not None:
            clock.stop()
        if shared is not None:
            for name in list(shared.lanes):
                shared.remove(name)
            shared.close()

    def _start_clock(self) -> None:
        """Start the notifications' clock (projections/notice_clock.py) with the folds."""
        view = self.views.get("notifications")
        if view is None:
            return
        reports = {"budget_execution", "risks", *WARNING_READ_MODELS} <= self.views.keys()

        def lane_lock() -> Any:
            lane = self.runners.get("notifications")
            return lane.lock if lane is not None else nullcontext()

        views = self.view if reports else None
        self._clock = NoticeClock(view, self.notice_settings, lock=lane_lock, views=views)
        self._clock.start()

    def _heard(self, payload: str) -> None:
        """Another process committed a position: wake the queries waiting for it here."""
        news = read_tracking_news(payload)
        if news is not None and (view := self._by_tracking_table.get(news[0])) is not None:
            view.heard_tracked(news[1])

    def _add_lane(self, name: str) -> None:
        assert self._shared is not None
        spec = READ_MODELS[name]
        view = self.views[name]
        position = view.max_tracking_id(self.app_name) or 0
        reader: Any = self._shared.reader.recorder
        datastore = reader.datastore if self.dialect == "postgres" else None
        self._shared.add(Lane(spec, view, spec.projection(view=view), position, datastore))

    def start(self, name: str) -> None:
        """Start (or restart) the fold of one read model; it resumes from its position."""
        assert self.candidate, "this read side does not run projections"
        with self._lock:
            self._stopped.discard(name)
            if self._shared is not None and name not in self._shared.lanes:
                self._add_lane(name)

    def stop(self, name: str) -> BaseException | None:
        """Stop the fold of one read model, as a crash or a deploy would; answer its error."""
        assert self.candidate, "this read side does not run projections"
        with self._lock:
            self._stopped.add(name)
            if self._shared is None or name not in self._shared.lanes:
                return None
            return self._shared.remove(name).error

    def _supervise(self) -> None:
        """Restart a fold that failed (a lost connection, a bad deploy of a fold)."""
        while not self._closing.wait(SUPERVISE_SECONDS):
            for name, lane in self.runners.items():
                if self._closing.is_set() or lane.error is None:
                    continue
                with self._lock:
                    shared = self._shared
                    if self._closing.is_set() or shared is None:
                        continue
                    if shared.lanes.get(name) is not lane:
                        continue
                    self._note_failure(name, lane)
                    try:
                        self._restart(lane)
                    except Exception:
                        # The failed lane stays in place: the next round tries again.
                        logger.exception("projection %s could not restart; will retry", name)

    def _note_failure(self, name: str, lane: Lane) -> None:
        """Count a restart; log a failure once, not at every restart that meets it again."""
        failure = (lane.failed_at, repr(lane.error))
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self.last_errors[name] = failure[1]
        if self.failures.get(name) != failure:
            self.failures[name] = failure
            where = "" if lane.failed_at is None else f" at position {lane.failed_at}"
            logger.error(
                "projection %s failed%s: %s; restarting it every %s s until it folds",
                name,
                where,
                failure[1],
                SUPERVISE_SECONDS,
            )

    def _restart(self, lane: Lane) -> None:
        """Fold again from the view's own position, into the same view.

        The view stays open, so queries and read-your-writes waits on it carry on (a
        closed one kept PostgreSQL waiters retrying for seconds); tables it lost are made
        again.
        """
        assert self._shared is not None
        lane.view.create_table()
        position = lane.view.max_tracking_id(self.app_name) or 0
        projection = lane.spec.projection(view=lane.view)
        self._shared.add(Lane(lane.spec, lane.view, projection, position, lane.datastore))

    def view(self, name: str) -> Any:
        """The view to query."""
        with self._lock:
            return self.views[name]

    def known(self, name: str, position: int) -> bool:
        """Whether this process knows, without asking the database, that the read model
        has folded `position` (folded here, or announced by the process that folds it)."""
        return bool(self.view(name).known_position(self.app_name) >= position)

    def wait(self, name: str, position: int, timeout: float) -> bool:
        """Block until the read model has folded the log up to `position`; False on timeout.

        Whichever process folds it: this one wakes at once, or when the folding process
        announces its commit (PostgreSQL), or at its next look (SQLite).
        """
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
                continue  # the view was replaced while we waited on it
            return True

    def catch_up_here(self, name: str, app: Application[Any]) -> bool:
        """Fold into a read model what the log holds beyond it, unless a process runs the
        read side (then it does); for a process that runs no folds, the demo."""
        assert self.leadership is not None
        with self.leadership.held_briefly() as held:
            if held:
                catch_up(app, READ_MODELS[name], self.view(name))
        return held

    def status(self, max_position: int) -> list[dict[str, Any]]:
        """Each read model's position, lag behind the log, state, and who folds it.

        A fold that failed on an event stays "failed", naming the event's position and the
        error, until it folds past that event, though its restarts come and go between.
        """
        holder = self.leadership.holder() if self.leadership is not None else None
        leading = self.leading
        lanes = self.runners
        items = []
        for spec in self.specs:
            position = self.view(spec.name).max_tracking_id(self.app_name) or 0
            lane = lanes.get(spec.name)
            last_error = self.last_errors.get(spec.name)
            failed_at, failure = self.failures.get(spec.name, (None, None))
            if lane is not None and lane.error is not None:
                state, last_error, failed_at = "failed", repr(lane.error), lane.failed_at
            elif lane is not None and failed_at is not None and position < failed_at:
                state, last_error = "failed", failure
            elif lane is not None or (holder is not None and not leading):
                state, failed_at = "running", None  # here, or in the process that holds it
            else:
                state, failed_at = "stopped", None
            items.append(
                {
                    "name": spec.name,
                    "position": position,
                    "lag": max(max_position - position, 0),
                    "state": state,
                    "restarts": self.restarts.get(spec.name, 0),
                    "last_error": last_error,
                    "failed_at_position": failed_at,
                    "holder": None if state == "stopped" else holder,
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
        if self.leadership is not None:
            self.leadership.close()  # stops the folds, then gives the lease up
        else:
            self._deposed()
        for factory in self._factories:
            factory.close()
        self._factories.clear()
        self.views.clear()


def create_tables(
    application_class: type[Application[Any]],
    env: dict[str, str],
    dialect: str,
    *,
    read_models: bool = True,
) -> None:
    """Create the event store's tables, and the read models', one process at a time."""
    with table_creation_lock(env, dialect):
        application_class(env).close()
        if read_models:
            for spec in READ_MODELS.values():
                close_view(construct_view(spec, env, dialect))
