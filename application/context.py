"""What a handler is given: the caller and cause, the policy, loads, and the read ports."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore

from application.messages import Request
from application.permissions import Caller
from application.policy import Policy
from application.ports import Ports, Pseudonyms
from domain.errors import NotFound, VersionConflict
from domain.values import Cause

A = TypeVar("A", bound=Aggregate)


def not_found(kind: type[Aggregate], aggregate_id: UUID) -> NotFound:
    """The refusal of an id that names no aggregate of a kind."""
    return NotFound(f"{kind.__name__.lower()} {aggregate_id} not found")


class Context:
    """One attempt at one command: decided on the state loaded here, saved by the caller."""

    def __init__(
        self,
        *,
        request: Request,
        cause: Cause,
        policy: Policy,
        ports: Ports,
        repository: Repository[UUID],
        events: EventStore[UUID],
        head: Callable[[], int],
    ) -> None:
        self.request = request
        self.cause = cause
        self.policy = policy
        self.ports = ports
        self._repository = repository
        self._events = events
        self._head = head

    @property
    def caller(self) -> Caller:
        """The authenticated subject issuing the command."""
        return self.request.caller

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """An aggregate of a kind, as stored now; `not_found` otherwise."""
        try:
            aggregate: Aggregate = self._repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise not_found(kind, aggregate_id) from None
        if not isinstance(aggregate, kind):
            raise not_found(kind, aggregate_id)
        return aggregate

    def addressed(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The aggregate the command addresses, at the version the client expects (If-Match)."""
        aggregate = self.load(aggregate_id, kind)
        expected = self.request.expected_version
        if expected is not None and aggregate.version != expected:
            raise VersionConflict(
                f"expected version {expected}, the aggregate is at version {aggregate.version}",
                current_version=aggregate.version,
            )
        return aggregate

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate of that id, of any kind, or None."""
        try:
            return self._repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def find_key(self, aggregate_id: UUID) -> Any | None:
        """A key aggregate (identity, idempotency, year) or None, from its events alone.

        Keys are never snapshotted, so asking the snapshot store first, as the
        repository does, would only add a read to every registration and replay check.
        """
        return project_aggregate(None, self._events.get(aggregate_id))

    def pseudonym(self, text: str) -> str:
        """A keyed digest of personal text (an identity key), from the store's mapper.

        The mapper keeps the deployment's secret with the data subjects' keys
        (interfaces/personal_data.py); a mapper without one gives a plain SHA-256.
        """
        mapper = self._events.mapper
        if isinstance(mapper, Pseudonyms):
            return mapper.pseudonym(text)
        return hashlib.sha256(text.encode()).hexdigest()

    def head(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self._head()
