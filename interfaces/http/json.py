"""How the HTTP layer writes values into JSON answers: the one place routers import them from.

Every helper here is also how the read models store and report the same values, so each is
defined once beside the read models and re-exported here, not copied:

- `plain` (any value as JSON carries it) and `iso_utc` (a timestamp in UTC, microseconds)
  stay in `projections.events`: the read models store event data and times with them.
- `money_text` (cents as a decimal string) and `number` (a decimal as a JSON number) stay
  in `projections.money`: the report rows of the read models are built with them.

No helper is used by the HTTP layer alone today; one that is belongs in this module.
"""

from __future__ import annotations

from projections.events import iso_utc, iso_utc_or_none, plain
from projections.money import money_text, number

__all__ = ["iso_utc", "iso_utc_or_none", "money_text", "number", "plain"]
