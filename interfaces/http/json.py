"""How the HTTP layer writes values into JSON answers: the one place routers import them from.

Every helper here is also how the read models store and report the same values, so each is
defined once beside the read models and re-exported here, not copied:

- `plain` (any value as JSON carries it) and `iso_utc` (a timestamp in UTC, microseconds)
  stay in `projections.events`: the read models store event data and times with them.
- `money_text` (cents as a decimal string) and `number` (a decimal as a JSON number) stay
  in `projections.money`: the report rows of the read models are built with them.

A helper the HTTP layer alone uses is defined here: `iso_utc_or_none`.
"""

from __future__ import annotations

from datetime import datetime

from projections.events import iso_utc, plain
from projections.money import money_text, number

__all__ = ["iso_utc", "iso_utc_or_none", "money_text", "number", "plain"]


def iso_utc_or_none(value: datetime | None) -> str | None:
    """A timestamp an aggregate may not have yet (approved, decided, closed): null until then."""
    return None if value is None else iso_utc(value)
