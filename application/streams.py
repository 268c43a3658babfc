"""Aggregates replayed from their streams of events, refusing a stream with a gap.

The library's projector (`eventsourcing.application.project_aggregate`) hands each event
to the aggregate; an event that is not the next version raises `OriginatorVersionError`
(or, when the first event is the one missing, fails an assertion), naming neither the
aggregate nor where its stream breaks. `checked_projection` checks the versions first and
raises `CorruptStream`, which says both, so the API answers `500 corrupt_stream`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanSnapshotAggregate

from domain.errors import DomainError


class CorruptStream(DomainError):
    """An aggregate's stored events skip a version: it cannot be replayed, nothing is decided."""

    code = "corrupt_stream"
    title = "Corrupt event stream"

    def __init__(self, aggregate_id: UUID, missing: int, found: int) -> None:
        super().__init__(
            f"the events of aggregate {aggregate_id} break at version {missing}: "
            f"the next one stored is version {found}",
            aggregate_id=str(aggregate_id),
            version=missing,
            found_version=found,
        )


def checked_projection(aggregate: Any, events: Iterable[Any]) -> Any:
    """The aggregate after the events, each checked to be the next version of its stream."""
    for event in events:
        starts = aggregate is None and isinstance(event, CanSnapshotAggregate)
        expected = 1 if aggregate is None else aggregate.version + 1
        if event.originator_version != expected and not starts:
            raise CorruptStream(event.originator_id, expected, event.originator_version)
        aggregate = event.mutate(aggregate)
    return aggregate
