"""The live read side: one subscription to the log feeding every read model's fold."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, cast

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.projection import ApplicationSubscription, Projection

from projections.rebuild import ReadModelKind, folded_event_classes
from projections.store import TrackingMoved
from projections.subscriptions import ReadyCount

# How long the subscription's thread sleeps before it looks again for lanes to feed.
SUPERVISE_SECONDS = 0.5
# The most events a live runner folds in one transaction (on SQLite the transaction
# holds the write lock, which commands wait for).
LIVE_BATCH_SIZE = 100

logger = logging.getLogger(__name__)

Folded = list[tuple[Any, Tracking]]


@dataclass(eq=False)
class Lane:
    """One read model fed by the shared subscription: its view, its fold, its position.

    `position` is what it has folded; `recorded` what its tracking table says. A batch
    with no event the fold changes rows for (its projection's `folded_events`) costs
    no transaction of its own: the position is recorded with the other lanes' in one
    transaction when the pass ends (`record_positions`), and waits learn of it then.

    Every commit of a lane records its position only over the one it recorded last: a
    commit the database lost (PostgreSQL commits folds without waiting for the disk or a
    standby, so a crash or a failover may lose the last ones) makes the next fail with
    `TrackingMoved`, and the supervisor starts the lane again from its table, instead of
    folding on past the lost events.
    """

    spec: ReadModelKind
    view: Any
    projection: Projection[Any]
    position: int
    # PostgreSQL: the read side's datastore, which the folds write through (not the pool
    # that commands and queries share).
    datastore: Any = None
    error: BaseException | None = None
    failed_at: int | None = None
    removed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    recorded: int = -1
    folded: tuple[type[Any], ...] = ()

    def __post_init__(self) -> None:
        if self.recorded < 0:
            self.recorded = self.position
        self.folded = folded_event_classes(self.spec.projection)

    def fold(self, events: Folded) -> None:
        """Fold the events this lane has not folded yet, in one transaction."""
        with self.lock:
            todo = [(e, t) for e, t in events if t.notification_id > self.position]
            if self.removed or self.error is not None or not todo:
                return
            wanted = self._wanted(todo)
            last = todo[-1][1]
            if not wanted:
                # Known to waits once recorded (`record_positions`), as the table says:
                # a wait that returns finds its position in the tracking table too.
                self.position = last.notification_id
                return
            try:
                with self._written(), self.view.batch(after=self.recorded):
                    for domain_event, tracking in wanted:
                        self.projection.process_event(domain_event, tracking)
                    self.view.insert_tracking(last)
                self.position = self.recorded = last.notification_id
                return
            except TrackingMoved as error:
                self._moved(error)
                return
            except Exception:
                pass
            self._fold_one_by_one(wanted, last)

    def _wanted(self, todo: Folded) -> Folded:
        if not self.folded:
            return todo
        return [(e, t) for e, t in todo if isinstance(e, self.folded)]

    def _fold_one_by_one(self, wanted: Folded, last: Tracking) -> None:
        # The batch rolled back: fold its events one by one, to stop at the failing one,
        # with a fold whose caches of recent rows hold nothing of the rolled-back batch.
        self.projection = self.spec.projection(view=self.view)
        for domain_event, tracking in wanted:
            try:
                with self._written(), self.view.batch(after=self.recorded):
                    self.projection.process_event(domain_event, tracking)
            except TrackingMoved as error:
                self._moved(error)
                return
            except Exception as error:
                self.projection = self.spec.projection(view=self.view)
                self.error = error
                self.failed_at = tracking.notification_id
                # The supervisor logs it, once for as long as it fails the same way.
                logger.debug("projection %s failed: %r", self.spec.name, error)
                return
            self.position = self.recorded = tracking.notification_id
        self.position = last.notification_id

    def _moved(self, error: TrackingMoved) -> None:
        # Not this fold's fault: the supervisor restarts the lane from the table's position.
        self.projection = self.spec.projection(view=self.view)
        self.error = error
        logger.warning("projection %s: %s; folding again from its table", self.spec.name, error)

    def _written(self) -> contextlib.AbstractContextManager[None]:
        if self.datastore is None:
            return contextlib.nullcontext()
        return cast(contextlib.AbstractContextManager[None], self.view.through(self.datastore))


def record_positions(lanes: list[Lane], application_name: str) -> None:
    """Record in one transaction the positions that lanes reached without a fold."""
    held = [lane for lane in lanes if lane.recorded < lane.position]
    for lane in held:
        lane.lock.acquire()
    try:
        behind = [lane for lane in held if not lane.removed and lane.error is None]
        if behind:
            first = behind[0]
            positions = [Tracking(application_name, lane.position) for lane in behind]
            with first._written():
                first.view.insert_trackings(
                    [lane.view for lane in behind], positions, [lane.recorded for lane in behind]
                )
            for lane, tracking in zip(behind, positions, strict=True):
                lane.recorded = tracking.notification_id
    finally:
        for lane in held:
            lane.lock.release()


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
                events = [first, *self._ready(subscription, held, LIVE_BATCH_SIZE - 1)]
                with self._lock:
                    lanes = list(self.lanes.values())
                for done, lane in enumerate(lanes, start=1):
                    lane.fold(events)
                    # What arrived during this pass joins it: the lanes still to come fold
                    # it with the rest, those done fold it now. A command answered while
                    # the pass ran is then read back within this pass, not after the next
                    # (with 21 read models a pass takes tens of ms on PostgreSQL).
                    fresh = self._ready(subscription, held, LIVE_BATCH_SIZE - len(events))
                    if fresh:
                        events.extend(fresh)
                        for early in lanes[:done]:
                            early.fold(fresh)
                record_positions(lanes, events[-1][1].application_name)
                if self._changed.is_set() or self._closing.is_set():
                    return

    @staticmethod
    def _ready(
        subscription: ApplicationSubscription[Any], held: ReadyCount, most: int
    ) -> list[Any]:
        """What the subscription holds already, up to `most` events, without waiting."""
        events: list[Any] = []
        while len(events) < most and held.ready():
            try:
                events.append(next(subscription))
            except StopIteration:
                break
        return events

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            self._restart_subscription()
        self._thread.join(timeout=10)
        self.reader.close()
