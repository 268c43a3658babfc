"""What the reports' answers share: the `as_of` they echo and their pages.

Each report keeps its query parameters in its own signature, not in a dependency: the
web pages (interfaces/web/api.py) call a report's route function in-process with the
parameters FastAPI lists for the route itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interfaces.http.json import iso_utc
from interfaces.http.reads import encode_cursor


def echo_as_of(as_of: str | None, content: dict[str, Any]) -> dict[str, Any]:
    """A report's content with `as_of` first, as passed, when it was passed."""
    return content if as_of is None else {"as_of": as_of, **content}


def as_of_echo(as_of: str | None, at: datetime) -> str:
    """The `as_of` a report answers always: as passed, or the moment it was computed for."""
    return as_of if as_of is not None else iso_utc(at)


def fetched_page(rows: list[dict[str, Any]], offset: int, size: int) -> dict[str, Any]:
    """The page of rows fetched from `offset` with one more than `size`, and the cursor to
    the next page when that one more came."""
    more = len(rows) > size
    return {"items": rows[:size], "next_cursor": encode_cursor(offset + size) if more else None}
