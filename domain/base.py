"""The aggregate base of mops: every event says who caused it and when it happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.values import Cause


class MopsAggregate(Aggregate):
    """An aggregate whose events carry `actor` and business time `occurred_at`.

    The event's `timestamp` is the recording time (`recorded_at`); it is taken from
    the cause, so the back-dating check and the stored time agree to the microsecond.
    """

    class Event(Aggregate.Event):
        actor: str
        occurred_at: datetime

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _start(
        cls,
        event_class: type[Aggregate.Created],
        cause: Cause,
        *,
        id: UUID,
        occurred_at: datetime | None = None,
        **fields: Any,
    ) -> Self:
        return cls._create(
            event_class,
            id=id,
            timestamp=cause.now,
            actor=cause.actor,
            occurred_at=occurred_at or cause.now,
            **fields,
        )

    def _record(
        self,
        event_class: type[Aggregate.Event],
        cause: Cause,
        *,
        occurred_at: datetime | None = None,
        **fields: Any,
    ) -> None:
        self.trigger_event(
            event_class,
            timestamp=cause.now,
            actor=cause.actor,
            occurred_at=occurred_at or cause.now,
            **fields,
        )
