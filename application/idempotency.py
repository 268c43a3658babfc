"""Idempotency keys, kept as aggregates so they survive restarts and hold under races."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import NAMESPACE_URL, UUID, uuid5

from application.messages import Outcome
from domain.base import MopsAggregate
from domain.values import Cause

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "mops:idempotency-key")


class IdempotencyRecord(MopsAggregate):
    """The first answer given to one subject's idempotency key.

    Its id is derived from subject and key and it is saved in the same transaction as
    the command's events: two simultaneous requests with one key write once.
    """

    # Declared state, assigned only by the event's apply method. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        key: str
        fingerprint: str
        outcome: dict[str, Any]

    class Recorded(MopsAggregate.Created):
        key: str
        fingerprint: str
        outcome: dict[str, Any]

        def apply(self, record: IdempotencyRecord) -> None:
            record.key = self.key
            record.fingerprint = self.fingerprint
            record.outcome = self.outcome

    @staticmethod
    def id_for(subject: str, key: str) -> UUID:
        """The aggregate id of one subject's key."""
        return uuid5(IDEMPOTENCY_NAMESPACE, f"{subject}\x1f{key}")

    @classmethod
    def record(
        cls, cause: Cause, key: str, fingerprint: str, outcome: dict[str, Any]
    ) -> IdempotencyRecord:
        """Remember the answer to a key."""
        return cls._start(
            cls.Recorded,
            cause,
            id=cls.id_for(cause.actor, key),
            key=key,
            fingerprint=fingerprint,
            outcome=outcome,
        )


@runtime_checkable
class EventPositions(Protocol):
    """A recorder that tells the log position of one stored event."""

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The position of an aggregate's event of that version, or None."""


def first_answer(record: IdempotencyRecord, recorder: object) -> Outcome:
    """The answer first given to a key, its `position` included.

    The record is saved last of the command's aggregates, in the same transaction, so its
    event has the highest position of the command's events: the one the first answer
    gave. The position is not in the record, since it is known only once saved.
    """
    outcome = Outcome.from_record(record.outcome)
    if not isinstance(recorder, EventPositions):
        return outcome
    return replace(outcome, position=recorder.position_of(record.id, 1))
