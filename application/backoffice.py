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
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Repository,
)
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Transcoding
from eventsourcing.utils import strtobool

from application.commands import Command
from application.context import A, Context, not_found
from application.idempotency import IdempotencyRecord
from application.messages import Decision, Outcome, Request
from application.policy import Policy
from application.ports import Ports
from application.registry import HANDLERS
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


class CopySafeRepository(Repository[UUID]):
    """The library's repository, with loads of one cached aggregate taking turns.

    In eventsourcing 9.5.6 `Repository.get` fast-forwards a cached aggregate in place
    under a lock, but deep-copies it for the caller after releasing that lock. A thread
    copying while another fast-forwards the same object can fail with "dictionary
    changed size during iteration". Loads through the cache here hold a lock (one of a
    fixed set, chosen by the id) across both steps; historical loads need none.
    """

    STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        with self._stripes[hash(aggregate_id) % self.STRIPES]:
            return super().get(aggregate_id, **kwargs)


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


def utc_now() -> datetime:
    """The back office's default clock."""
    return datetime.now(UTC)


class Backoffice(Application[UUID]):
    """Every command of mops: permission, decide, save; one transaction per command."""

    name = "Backoffice"
    snapshotting_intervals = {Customer: 50, Budget: 100}
    # A cached aggregate is fast-forwarded from the store on every load (one read
    # instead of a snapshot read plus an events read), so it is never stale.
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

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

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository as `Application.construct_repository` makes it, copy-safe."""
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CopySafeRepository(
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

    # Commands.

    def handle(self, request: Request, command: Command) -> Outcome:
        """Run one command: check its permission, decide, save; decide again on a lost race."""
        request.caller.require(command.permission)
        handler = HANDLERS[type(command)]
        with in_process_turn(command.turn(self._context(request).find)):
            for attempt in range(CONFLICT_RETRIES):
                if attempt:
                    time.sleep(random.uniform(0, CONFLICT_PAUSE_SECONDS * attempt))
                replayed = self._replay(request)
                if replayed is not None:
                    return replayed
                context = self._context(request)
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
        position = max((r.notification.id for r in recordings), default=None)
        return Outcome(outcome.id, outcome.version, position, outcome.created, outcome.extra)

    def _replay(self, request: Request) -> Outcome | None:
        """The first answer to the request's idempotency key, if it was given before."""
        if request.idempotency_key is None:
            return None
        record = self._context(request).find_key(
            IdempotencyRecord.id_for(request.caller.actor, request.idempotency_key)
        )
        if record is None:
            return None
        if record.fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(
                "this idempotency key was used with a different request",
                first_id=record.outcome["id"],
            )
        return Outcome.from_record(record.outcome)

    # Queries on aggregates (the event store is the authority).

    def exists(self, aggregate_id: UUID, kind: type[Aggregate]) -> bool:
        """True when an aggregate of that kind exists."""
        try:
            return isinstance(self.repository.get(aggregate_id), kind)
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
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
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
