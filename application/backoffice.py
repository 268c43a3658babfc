"""The back office application: one event log for every aggregate of mops.

`Backoffice.handle(request, command)` is the one way to change it: the command's
permission is checked once, its handler (`application.registry`) decides on fresh
state, and every aggregate the decision names is saved in one transaction.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    MutableOrImmutableAggregate,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    JSONTranscoder,
    Notification,
    RecordConflictError,
    Recording,
    Transcoding,
)
from eventsourcing.utils import strtobool

from application.commands import Command
from application.context import A, Context, not_found
from application.group_commit import BatchRecorder, GroupCommit
from application.idempotency import IdempotencyRecord, first_answer
from application.messages import Decision, Outcome, Request
from application.policy import Policy
from application.ports import Ports
from application.registry import HANDLERS
from application.streams import checked_projection
from domain.budget import Budget
from domain.customer import Customer
from domain.errors import IdempotencyKeyReused, NotFound, VersionConflict
from domain.values import Cause

# A command racing another writer on the same aggregate is decided again on fresh
# state this many times, after a short random pause that grows with each attempt
# (so racing writers spread out instead of colliding again), before answering 409.
CONFLICT_RETRIES = 12
CONFLICT_PAUSE_SECONDS = 0.002


class DateAsISO(Transcoding):
    """Stored format of `date` values in events: ISO 8601."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


# Types of the values an aggregate's state holds that are never changed in place: a
# copy of the state shares them. (`copy.deepcopy` copies UUIDs and datetimes through
# their pickle protocol, which made it most of the cost of a load.)
_UNCHANGING = frozenset(
    {str, int, float, bool, bytes, type(None), Decimal, UUID, datetime, date, dt_time, timedelta}
)


def copied_state(value: Any, memo: dict[int, Any]) -> Any:
    """A copy of one value of an aggregate's state, sharing what is never changed in place.

    Dicts, lists and sets are copied (a value shared by two of them stays shared, as
    `memo` makes `deepcopy` keep it); anything else of unknown type is deep-copied, so a
    type that is never changed in place says so with `__deepcopy__` (the budget's
    `Entries`).
    """
    kind = type(value)
    if kind in _UNCHANGING or isinstance(value, Enum):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if kind is dict:
        copied: Any = {}
        memo[id(value)] = copied
        for key, item in value.items():
            copied[key] = copied_state(item, memo)
    elif kind is list:
        copied = []
        memo[id(value)] = copied
        copied.extend(copied_state(item, memo) for item in value)
    elif kind is tuple:
        copied = tuple(copied_state(item, memo) for item in value)
    elif kind is set:
        copied = set(value)  # members are hashable, so never changed in place
    else:
        return deepcopy(value, memo)
    return copied


def copy_state(aggregate: Any) -> None:
    """Replace each value of the aggregate's state by its copy (see `copied_state`)."""
    state = vars(aggregate)
    memo: dict[int, Any] = {}
    for name, value in state.items():
        if type(value) not in _UNCHANGING:  # most are: skip the call
            state[name] = copied_state(value, memo)


class _CopyBeforeChange:
    """A lent aggregate's `trigger_event`: its state is copied before the first change.

    It sits in the lent aggregate's `__dict__`, where Python looks before the class, and
    takes itself out once it has copied. All of them compare equal, so two aggregates
    lent in the same state do too.
    """

    __slots__ = ("lent",)

    def __init__(self, lent: Aggregate) -> None:
        self.lent = lent

    def __call__(self, event_class: type[Any], **kwargs: Any) -> None:
        lent = self.lent
        detach(lent)
        lent.trigger_event(event_class, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _CopyBeforeChange)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<copy before change>"


def lend(published: Aggregate) -> Aggregate:
    """A new aggregate object sharing a cached aggregate's state until it is first changed.

    Its `__dict__` holds the hook, so it is not for `Snapshot.take`: the back office takes
    snapshots of historical loads (`version=`), which reconstruct and are never lent.
    """
    lent = object.__new__(type(published))
    state = vars(lent)
    state.update(vars(published))
    state["_pending_events"] = []
    state["trigger_event"] = _CopyBeforeChange(lent)
    return lent


def detach(aggregate: Aggregate) -> Aggregate:
    """The aggregate, given a state of its own if it was lent one (see `lend`)."""
    if vars(aggregate).pop("trigger_event", None) is not None:
        copy_state(aggregate)
    return aggregate


def copied(aggregate: Aggregate) -> Aggregate:
    """A new aggregate object with a copy of the aggregate's state (see `copied_state`)."""
    copy = object.__new__(type(aggregate))
    vars(copy).update(vars(aggregate))
    copy_state(copy)
    return copy


class CopyOnWriteRepository(Repository[UUID]):
    """The library's repository, whose cached aggregates are never changed: copy-on-write.

    In eventsourcing 9.5.6 `Repository.get` fast-forwards a cached aggregate in place, under
    a lock, and deep-copies it for every caller (a command may change what it loads). Here
    a cached aggregate is published once and never changed after: a load that finds newer
    events in the store applies them to a copy and publishes that; a caller is lent a new
    object sharing the published state (`lend`), which copies it only before its first
    change. So a load copies nothing, no lock is held while reading the store, and a
    refused command leaves the cache as it was. A saved decision is published as it
    stands (`publish`): the next load finds nothing newer to apply. Historical loads
    (`version=`) reconstruct, as the library does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._publishing = threading.Lock()

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        # A gap in a stream is CorruptStream.
        projector = kwargs.setdefault("projector_func", checked_projection)
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        current = self._current(aggregate_id, projector)
        if not (self.deepcopy_from_cache and kwargs.get("deepcopy_from_cache", True)):
            return current  # the caller will not change it
        return lend(current)

    def _current(self, aggregate_id: UUID, projector: Any) -> Aggregate:
        """The aggregate as stored now, published in the cache."""
        assert self.cache is not None
        try:
            cached: Any = self.cache.get(aggregate_id)
        except KeyError:
            aggregate: Aggregate = self._reconstruct_aggregate(aggregate_id, None, projector)
            self.publish(aggregate)
            return aggregate
        if not self.fastforward:
            return cached
        newer = list(self.event_store.get(originator_id=aggregate_id, gt=cached.version))
        if not newer:
            return cached
        advanced = projector(copied(cached), newer)
        if advanced is None:
            raise AggregateNotFoundError(aggregate_id)
        self.publish(advanced)
        return advanced

    def publish(self, aggregate: Aggregate, *, if_cached: bool = False) -> None:
        """Cache an aggregate as stored, unless a newer state is cached; never change it after.

        With `if_cached`, only in place of an older state: the back office publishes what
        a command saved, and a new aggregate waits for its first load.
        """
        if self.cache is None or "trigger_event" in vars(aggregate):
            return  # no cache, or lent and never changed
        with self._publishing:
            try:
                cached: Any = self.cache.get(aggregate.id)
            except KeyError:
                if if_cached:
                    return
                cached = None
            if cached is None or cached.version < aggregate.version:
                self.cache.put(aggregate.id, aggregate)


_TURNS_GUARD = threading.Lock()
_TURNS: dict[UUID, threading.Lock] = {}


@contextmanager
def in_process_turn(aggregate_id: UUID | None) -> Iterator[None]:
    """Hold one aggregate's in-process turn (see `Command.turn`); no turn for None."""
    if aggregate_id is None:
        yield
        return
    with _TURNS_GUARD:
        lock = _TURNS.setdefault(aggregate_id, threading.Lock())
    with lock:
        yield


def _recorded_at(event: DomainEventProtocol[UUID]) -> datetime:
    """When a stored event was recorded: every event of this log is an aggregate's."""
    assert isinstance(event, Aggregate.Event)
    return event.timestamp


class _CollectedEvents(ProcessingEvent[UUID]):
    """The library's processing event, telling an aggregate by its class.

    The library asks two runtime-checkable protocols of every object saved, which
    costs Python 3.11 about 11 µs an aggregate on every command (docs/PERFORMANCE.md);
    anything but an aggregate still goes the library's way, in the order given."""

    def collect_events(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> None:
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


def utc_now() -> datetime:
    """The back office's default clock."""
    return datetime.now(UTC)


class Backoffice(Application[UUID]):
    """Every command of mops: permission, decide, save; a command's events in one transaction."""

    name = "Backoffice"
    snapshotting_intervals = {Customer: 50, Budget: 100}
    # The library's default projector asks a runtime-checkable protocol of every event
    # it replays for a snapshot; this one checks the versions instead (application.streams).
    snapshotting_projectors = {Customer: checked_projection, Budget: checked_projection}
    # A cached aggregate is fast-forwarded from the store on every load (one read
    # instead of a snapshot read plus an events read), so it is never stale.
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000"}
    # "y": the commands of this process arriving together commit in one transaction
    # (`application.group_commit`), when the recorder can (`BatchRecorder`).
    GROUP_COMMIT = "GROUP_COMMIT"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        policy: Policy | None = None,
        clock: Callable[[], datetime] = utc_now,
        ports: Ports | None = None,
    ) -> None:
        super().__init__(env)
        self.policy = policy or Policy()
        self.clock = clock
        self.ports = ports or Ports()
        self.group_commit: GroupCommit | None = None
        if strtobool(self.env.get(self.GROUP_COMMIT, "y")) and isinstance(
            self.recorder, BatchRecorder
        ):
            self.group_commit = GroupCommit(self.recorder)

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository as the library makes it, but copy-on-write."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CopyOnWriteRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's `save` (eventsourcing 9.5, application.py), with the events
        collected by `_CollectedEvents`."""
        processing_event = _CollectedEvents()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in the library, still called there
        return recordings

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """The library's `_record`, through the group commit when there is one."""
        if self.group_commit is None or processing_event.tracking is not None:
            return super()._record(processing_event)
        events = processing_event.events
        stored = [self.mapper.to_stored_event(event) for event in events]
        positions = self.group_commit.insert(stored) if stored else []
        if self.repository.cache and not self.repository.fastforward:  # as the library does
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return [
            Recording(
                event,
                Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=position,
                ),
            )
            for event, s, position in zip(events, stored, positions, strict=True)
        ]

    # Commands.

    def handle(self, request: Request, command: Command) -> Outcome:
        """Run one command: check its permission, decide, save; decide again on a lost race."""
        request.caller.require(command.permission)
        handler = HANDLERS[type(command)]
        with in_process_turn(command.turn(self._context(request).find)):
            for attempt in range(CONFLICT_RETRIES):
                if attempt:
                    time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * attempt))
                context = self._context(request)
                replayed = self._replay(context)
                if replayed is not None:
                    return replayed
                outcome = self._save(request, context.cause, command, handler(command, context))
                if outcome is not None:
                    return outcome
        raise VersionConflict("too many concurrent changes; try again")

    def _context(self, request: Request) -> Context:
        return Context(
            request=request,
            cause=Cause(request.caller.actor, self.clock(), self.policy.backdating),
            policy=self.policy,
            ports=self.ports,
            repository=self.repository,
            events=self.events,
            head=self.max_position,
        )

    def _save(
        self, request: Request, cause: Cause, command: Command, decision: Decision
    ) -> Outcome | None:
        """Save a decision in one transaction; None when another writer got in first."""
        primary = decision.aggregate
        outcome = Outcome(
            primary.id, primary.version, created=command.creates, extra=dict(decision.extra)
        )
        pending: list[Aggregate] = [primary, *decision.others]
        if request.idempotency_key is not None:
            pending.append(
                IdempotencyRecord.record(
                    cause, request.idempotency_key, request.fingerprint, outcome.as_record()
                )
            )
        try:
            recordings = self.save(*pending)
        except RecordConflictError:
            if request.expected_version is not None:
                raise VersionConflict(
                    "the aggregate was changed by another command; read it again"
                ) from None
            return None
        if isinstance(self.repository, CopyOnWriteRepository):
            for aggregate in pending:
                self.repository.publish(aggregate, if_cached=True)
        position = max((r.notification.id for r in recordings), default=None)
        return Outcome(outcome.id, outcome.version, position, outcome.created, outcome.extra)

    def _replay(self, context: Context) -> Outcome | None:
        """The first answer to the request's idempotency key, if it was given before."""
        request = context.request
        if request.idempotency_key is None:
            return None
        record = context.find_key(
            IdempotencyRecord.id_for(request.caller.actor, request.idempotency_key)
        )
        if record is None:
            return None
        if record.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was used with a different request",
                first_id=record.outcome["id"],
            )
        return first_answer(record, self.recorder)

    # Queries on aggregates (the event store is the authority).

    def exists(self, aggregate_id: UUID, kind: type[Aggregate]) -> bool:
        """True when an aggregate of that kind exists."""
        try:
            return isinstance(self.repository.get(aggregate_id, deepcopy_from_cache=False), kind)
        except AggregateNotFoundError:
            return False

    def get(
        self,
        aggregate_id: UUID,
        kind: type[A],
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> A:
        """An aggregate's current state, or its state at a version or a recording time."""
        if as_of is not None:
            version = self._version_as_of(aggregate_id, as_of)
            if version is None:
                raise NotFound(f"{kind.__name__.lower()} {aggregate_id} did not exist then")
        if version is not None and version < 1:
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} has no version {version}")
        try:
            # The caller's own copy: a query may change what it is given (a command
            # changes what it loads only through events, which copy the state first).
            aggregate: Aggregate = detach(self.repository.get(aggregate_id, version=version))
        except AggregateNotFoundError:
            raise not_found(kind, aggregate_id) from None
        if not isinstance(aggregate, kind) or (
            version is not None and aggregate.version != version
        ):
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} has no version {version}")
        return aggregate

    def _version_as_of(self, aggregate_id: UUID, as_of: datetime) -> int | None:
        """The last version recorded by a time: a binary search, one event read a step."""

        def recorded_at(version: int) -> datetime:
            [event] = self.events.get(aggregate_id, gt=version - 1, lte=version)
            return _recorded_at(event)

        newest = list(self.events.get(aggregate_id, desc=True, limit=1))
        if not newest:
            return None
        low, high = 0, newest[0].originator_version  # recorded_at(low) <= as_of, unless 0
        if _recorded_at(newest[0]) <= as_of:
            return high
        while high - low > 1:
            middle = (low + high) // 2
            if recorded_at(middle) <= as_of:
                low = middle
            else:
                high = middle
        return low or None

    def max_position(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0
