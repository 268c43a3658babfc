"""Idempotency keys, kept as aggregates so they survive restarts and hold under races."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

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
