"""The aggregate base of mops: every event says who caused it and when it happened."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import BusinessRuleBroken
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


class FiscalYearKey(MopsAggregate):
    """A key aggregate whose id derives from a fiscal year: one holder a year.

    Saved with the new holder (a budget, a marketing plan): of two simultaneous drafts for
    one year one wins, the other is decided again, finds the key and is refused. A
    subclass names its `namespace` (a UUID), `holder` (the field of its `Claimed` event
    naming the holder), `what` the holder is, and `duplicate`, the error refusing a
    second one; its own `Claimed` event keeps the stored events' names.
    """

    # Declared for readers and the type checker only: annotations in the class body at run
    # time would make the library turn the aggregate into a dataclass with a generated
    # __init__. The class attributes are the subclass's; `fiscal_year` is set by its
    # `Claimed` event, as is the holder's id under the name `holder` gives.
    if TYPE_CHECKING:
        namespace: ClassVar[UUID]
        holder: ClassVar[str]
        what: ClassVar[str]
        duplicate: ClassVar[type[BusinessRuleBroken]]
        Claimed: ClassVar[type[MopsAggregate.Created]]
        fiscal_year: int

    @classmethod
    def id_for(cls, fiscal_year: int) -> UUID:
        """The aggregate id of a fiscal year's key."""
        return uuid5(cls.namespace, str(fiscal_year))

    @classmethod
    def claim(cls, cause: Cause, fiscal_year: int, holder_id: UUID, held: Self | None) -> Self:
        """Claim a fiscal year for a new holder, unless one holds it."""
        if held is not None:
            raise cls.duplicate(
                f"a {cls.what} for {fiscal_year} exists",
                existing_id=str(getattr(held, cls.holder)),
                fiscal_year=fiscal_year,
            )
        holder: dict[str, Any] = {cls.holder: holder_id}
        return cls._start(
            cls.Claimed, cause, id=cls.id_for(fiscal_year), fiscal_year=fiscal_year, **holder
        )
