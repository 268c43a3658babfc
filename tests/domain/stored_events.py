"""Events as an earlier version of their class stored them, written into a real store.

For the upcast tests of versioned events (`class_version`, `upcast_vN_vN+1`): the record
is what that version wrote, so reading it back runs the library's own upcasting.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

# The library's own fields of a stored event, kept out of `business_fields`.
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "actor", "occurred_at"}


def store_v1(
    app: Application[UUID],
    event_class: type,
    originator_id: UUID,
    originator_version: int,
    state: dict[str, Any],
) -> None:
    """Insert an event of `event_class` whose stored state is v1's: no `class_version`."""
    assert "class_version" not in state
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=originator_id,
                originator_version=originator_version,
                topic=get_topic(event_class),
                state=app.mapper.transcoder.encode(state),
            )
        ]
    )


def stored_state(app: Application[UUID], originator_id: UUID, version: int) -> dict[str, Any]:
    """The decoded state of one stored event, as the record holds it."""
    [record] = app.recorder.select_events(originator_id, gt=version - 1, lte=version)
    state: dict[str, Any] = app.mapper.transcoder.decode(record.state)
    return state


def business_fields(event: Any) -> dict[str, Any]:
    """An event's fields without its envelope."""
    return {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
