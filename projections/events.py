"""How events look to read models and to readers of the log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

# The library's own attributes of an event; the rest is the business fact.
_ENVELOPE = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "actor",
    "occurred_at",
}


def plain(value: Any) -> Any:
    """A value as JSON carries it: money and ids as strings, times in ISO 8601."""
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def iso_utc(moment: datetime) -> str:
    """A timestamp in UTC with microseconds, so stored times sort as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def iso_utc_or_none(moment: datetime | None) -> str | None:
    """A timestamp an aggregate may not have yet (approved, decided, closed): null until then."""
    return None if moment is None else iso_utc(moment)


def event_data(event: Any) -> dict[str, Any]:
    """The business fields of an event."""
    if isinstance(getattr(type(event), "changes", None), property):
        # Customer.ProfileUpdated, Contract.Amended and Campaign.Amended name their fields
        # since class_version 2; the log's readers keep seeing them as v1 stored them, so
        # that audit rows folded before the upgrade equal rows rebuilt after it.
        return {"changes": plain(event.changes)}
    return {k: plain(v) for k, v in vars(event).items() if k not in _ENVELOPE}


def event_names(event: Any) -> tuple[str, str]:
    """(aggregate type, event type) of an event, e.g. ("Customer", "CreditAssessed")."""
    aggregate_type, _, event_type = type(event).__qualname__.rpartition(".")
    return aggregate_type, event_type
