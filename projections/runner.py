"""Running the read models: in-process or as workers, rebuilding and verifying them."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory, PersistenceError, Tracking
from eventsourcing.projection import ApplicationSubscription, Projection, ProjectionRunner
from eventsourcing.utils import Environment

from projections.audit import AuditLog, AuditProjection
from projections.budget_execution import BudgetExecution, BudgetExecutionProjection
from projections.campaigns import CampaignProjection, CampaignReport
from projections.contract_directory import ContractDirectory, ContractDirectoryProjection
from projections.credit import CreditProjection, CreditReport
from projections.customer_directory import CustomerDirectory, CustomerDirectoryProjection
from projections.sales import SalesProjection, SalesReport
from projections.store import ReadModel, dialects

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
    )
}


def construct_view(spec: ReadModelSpec, env: dict[str, str], dialect: str, prefix: str = "") -> Any:
    """A view's tables (created if missing) through the library's infrastructure factory."""
    factory = InfrastructureFactory.construct(Environment(spec.name, env))
    view = factory.tracking_recorder(spec.view_class(dialect, prefix))
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


class BatchingProjectionRunner(ProjectionRunner[Any, Any]):
    """The library's runner, folding in one transaction what the subscription holds.

    After a quiet spell each event is its own transaction, as with the library's loop;
    when events come faster than they are folded (catching up after a restart, a burst
    of commands), the ones already fetched are folded and tracked together.
    """

    @staticmethod
    def _process_events_loop(
        subscription: ApplicationSubscription[Any],
        projection: Projection[Any],
        is_stopping: threading.Event,
        runner: weakref.ReferenceType[ProjectionRunner[Any, Any]],
    ) -> None:
        try:
            for domain_event, tracking in subscription:
                with projection.view.batch():
                    projection.process_event(domain_event, tracking)
                    for _ in range(LIVE_BATCH_SIZE - 1):
                        if not subscription.subscription.ready():
                            break
                        try:
                            domain_event, tracking = next(subscription)
                        except StopIteration:
                            break
                        projection.process_event(domain_event, tracking)
        except BaseException as error:
            alive = runner()
            if alive is not None:
                alive._thread_error = error
            else:
                logger.error("projection runner gone before its error was kept: %r", error)
        finally:
            is_stopping.set()


class ReadSide:
    """The read models of one deployment: views to query, and runners when in-process."""

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
        self.runners: dict[str, ProjectionRunner[Any, Any]] = {}
        self.views: dict[str, Any] = {}
        self.restarts: dict[str, list[str]] = {}
        self.app_name = application_class.name
        self._closing = threading.Event()
        self._lock = threading.RLock()
        self._supervisor: threading.Thread | None = None
        try:
            for spec in self.specs:
                if run:
                    self.start(spec.name)
                else:
                    self.views[spec.name] = construct_view(spec, env, dialect)
        except BaseException:
            # Runners started so far have threads that would keep the process alive.
            self.close()
            raise
        if run:
            self._supervisor = threading.Thread(
                target=self._supervise, name="projection-supervisor", daemon=True
            )
            self._supervisor.start()

    def start(self, name: str) -> None:
        """Start (or restart) the runner of one read model; it resumes from its position."""
        spec = READ_MODELS[name]
        runner = BatchingProjectionRunner(
            application_class=self.application_class,
            projection_class=spec.projection,
            view_class=spec.view_class(self.dialect),
            # The runner's own copy of the application only reads: the event tables are
            # created once by whoever writes (instances creating them at once race on
            # PostgreSQL), while the view, named after its read model, creates its own.
            env={
                **self.env,
                f"{self.app_name.upper()}_CREATE_TABLE": "n",
                # A runner reads the log and writes its view one transaction at a time;
                # PostgreSQL pools grow past this on demand (queries), up to the overflow.
                "POSTGRES_POOL_SIZE": "1",
            },
        )
        runner.__enter__()
        self.runners[name] = runner
        self.views[name] = runner.view

    def stop(self, name: str) -> BaseException | None:
        """Stop the runner of one read model, as a crash or a deploy would; answer its error."""
        with self._lock:
            runner = self.runners.pop(name)
        try:
            runner.__exit__(None, None, None)
        except Exception as error:  # the runner's own failure, re-raised by the library
            return error
        finally:
            runner.view.datastore.close()
        return None

    def _supervise(self) -> None:
        """Restart a runner that failed (a lost connection, a bad deploy of a fold)."""
        while not self._closing.wait(SUPERVISE_SECONDS):
            for name, runner in list(self.runners.items()):
                if self._closing.is_set() or not runner.is_interrupted.is_set():
                    continue
                with self._lock:
                    if self._closing.is_set() or self.runners.get(name) is not runner:
                        continue
                    error = self.stop(name)
                    self.restarts.setdefault(name, []).append(repr(error))
                    logger.error("projection %s failed (%r); restarting it", name, error)
                    try:
                        self.start(name)
                    except Exception:
                        logger.exception("projection %s could not restart; will retry", name)

    def view(self, name: str) -> Any:
        """The view to query; a restart replaces it, so ask again for each query."""
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
            except PersistenceError:
                if view is self.view(name):
                    raise
                continue  # the view was replaced by a restart while we waited on it
            return True

    def status(self, max_position: int) -> list[dict[str, Any]]:
        """Each read model's position, lag behind the log and state."""
        items = []
        for spec in self.specs:
            position = self.view(spec.name).max_tracking_id(self.app_name) or 0
            runner = self.runners.get(spec.name)
            if self._supervisor is None:
                state = "external"
            elif runner is None:
                state = "restarting"
            elif runner._thread_error is not None:
                state = f"failed: {runner._thread_error!r}"
            elif runner.is_interrupted.is_set():
                state = "stopped"
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
        """Block until closed; the supervisor restarts runners that fail."""
        self._closing.wait()

    def close(self) -> None:
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.join()
        for name in list(self.runners):
            self.stop(name)
        for view in self.views.values():
            if hasattr(view, "factory"):
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
