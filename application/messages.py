"""What goes in and out of the back office: a request, a handler's decision, an outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.permissions import Caller


@dataclass(frozen=True)
class Request:
    """Who asks, and the request's optimistic-concurrency and idempotency headers."""

    caller: Caller
    expected_version: int | None = None
    idempotency_key: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class Decision:
    """What a handler decided: the aggregates to save in one transaction.

    `aggregate` is the one the command addresses (or creates): the answer carries its
    id and version. `others` are saved in the same `save()`. `extra` adds fields to
    the answer, such as the id of a sub-entity the command created (`invoice_id`).
    """

    aggregate: Aggregate
    others: tuple[Aggregate, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a command answers: the aggregate's id and new version, and the log position."""

    id: UUID
    version: int
    position: int | None = None
    created: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        """The outcome as an idempotency record keeps it (without the position)."""
        return {
            "id": str(self.id),
            "version": self.version,
            "created": self.created,
            "extra": self.extra,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Outcome:
        """The outcome an idempotency record kept."""
        return cls(
            id=UUID(record["id"]),
            version=record["version"],
            created=record["created"],
            extra=record["extra"],
        )
