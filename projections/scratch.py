"""Read models as they were known at a past moment (record time: a report's `known_at`).

DOMAIN.md, Principles, "Two clocks in every report": `known_at` answers exactly as the
service would have answered at that moment, ignoring everything recorded later,
back-dated facts included. A read model's rows are a fold of the log, so the answer is
the same query put to a scratch copy of the read model folded only from the events
recorded by then (the domain event's `timestamp`, which history and audit show as
`recorded_at`): an in-memory SQLite database holding the read model's own tables,
folded by its own projection, as `projections/rebuild.py` folds a rebuild.

Which events were recorded by `known_at`. Recording times are taken before the commit
(the clock reading of the command's decision), so they do not strictly grow with the
position: of two commands deciding at once, the later reading may commit first. Every
event whose timestamp is at or before `known_at` counts, wherever it stands in the log;
the others do not. Reading stops at the first event recorded more than `SKEW` (60 s)
after `known_at`: the log is taken never to run back by more than that (a decision
takes milliseconds; its retries read the clock again), so nothing beyond it can have
been recorded by `known_at`. For the same reason the search starts with a bisection of
the log for a position recorded `SKEW` before `known_at`, all of whose predecessors
count, and reads event by event only from there on.

`Cutoff` names the events counted: every position up to `last`, less those in
`skipped` (recorded after `known_at`, committed before one that was not). Scratch
copies are cached by (read model, cutoff), the least recently used dropped beyond
`CACHE_SIZE`: repeated questions about one moment, and about moments with nothing
recorded between them, fold nothing again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import uuid4

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore

from projections.rebuild import PAGE_SIZE, ReadModelKind, Target, folded_topics, select_topics

# How far recording times may run back along the log (see the module's docstring).
SKEW = timedelta(seconds=60)
# Scratch copies kept, each one read model folded up to one cutoff.
CACHE_SIZE = 8


@dataclass(frozen=True)
class Cutoff:
    """The events recorded by a moment: positions up to `last`, less `skipped`."""

    last: int
    skipped: tuple[int, ...] = ()

    def covers(self, head: int) -> bool:
        """Whether it counts every event up to the head: the live read model answers."""
        return self.last >= head and not self.skipped


def _recorded(app: Application[Any], position: int) -> tuple[int, datetime] | None:
    """The first event at or after a position: its position and recording time."""
    found = app.recorder.select_notifications(start=position, limit=1)
    if not found:
        return None
    return found[0].id, _timestamp(app, found[0])


def _timestamp(app: Application[Any], notification: Any) -> datetime:
    """When a stored event was recorded (the domain event's `timestamp`)."""
    event: Any = app.mapper.to_domain_event(notification)
    return cast(datetime, event.timestamp)


def _settled(app: Application[Any], before: datetime, head: int) -> int:
    """A position recorded by `before` (0 if none found): it and all before it count.

    A bisection of the log by recording time; the log need not be sorted by it for the
    answer to hold, only never run back by more than `SKEW`.
    """
    low, high = 0, head + 1
    while high - low > 1:
        middle = (low + high) // 2
        found = _recorded(app, middle)
        if found is None or found[0] >= high:
            high = middle
        elif found[1] <= before:
            low = found[0]
        else:
            high = found[0]
    return low


def cutoff(app: Application[Any], known_at: datetime, head: int) -> Cutoff:
    """The events of the log up to `head` recorded at or before `known_at`."""
    last = _settled(app, known_at - SKEW, head)
    position, skipped = last, list[int]()
    while position < head:
        page = app.recorder.select_notifications(
            start=position, limit=PAGE_SIZE, stop=head, inclusive_of_start=False
        )
        if not page:
            break
        for notification in page:
            recorded_at = _timestamp(app, notification)
            if recorded_at <= known_at:
                last = notification.id
            elif recorded_at > known_at + SKEW:
                return Cutoff(last, tuple(p for p in skipped if p < last))
            else:
                skipped.append(notification.id)
        position = page[-1].id
    return Cutoff(last, tuple(p for p in skipped if p < last))


def scratch_view(spec: ReadModelKind) -> Any:
    """An empty copy of a read model's tables in a database of its own, in memory.

    One connection, named so that it is shared (an unnamed in-memory database is one
    per connection); the database lives as long as the view.
    """
    name = f"file:mops-known-at-{uuid4().hex}?mode=memory&cache=shared"
    datastore = SQLiteDatastore(name, pool_size=1, max_overflow=0, pool_timeout=30.0)
    view_class: Any = spec.view_class("sqlite")
    view = view_class(datastore)
    view.create_table()
    return view


def fold_cutoff(app: Application[Any], specs: Sequence[ReadModelKind], cut: Cutoff) -> list[Any]:
    """Scratch copies of the read models folded from the events of the cutoff, in one pass."""
    targets = []
    for spec in specs:
        view = scratch_view(spec)
        topics = folded_topics(spec.projection)
        targets.append(Target(spec.name, view, spec.projection(view=view), 0, cut.last, topics))
    skipped = set(cut.skipped)
    wanted = select_topics(targets)
    position = 0
    while position < cut.last:
        notifications = app.recorder.select_notifications(
            start=position,
            limit=PAGE_SIZE,
            stop=cut.last,
            topics=wanted,
            inclusive_of_start=False,
        )
        last = notifications[-1].id if len(notifications) == PAGE_SIZE else cut.last
        page = [
            (app.mapper.to_domain_event(n), Tracking(app.name, n.id), n.topic)
            for n in notifications
            if n.id not in skipped
        ]
        for target in targets:
            target.fold(app.name, page, last)
        position = last
    return [target.view for target in targets]


class ScratchCopies:
    """Scratch copies of read models by cutoff, the least recently used dropped first."""

    def __init__(self, app: Application[Any], size: int = CACHE_SIZE) -> None:
        self.app = app
        self.size = size
        self._copies: OrderedDict[tuple[str, Cutoff], Any] = OrderedDict()
        # One fold at a time: two questions about one moment fold it once.
        self._lock = threading.Lock()
        self._generation = 0

    def views(self, specs: Sequence[ReadModelKind], cut: Cutoff) -> dict[str, Any]:
        """A scratch copy of each read model as of the cutoff, folded where not cached."""
        # A copy folded before an erasure holds the subject's decrypted fields: an erasure
        # since (the mapper's erasure generation moved) makes every copy stale.
        generation = getattr(self.app.mapper, "erasure_generation", lambda: 0)()
        with self._lock:
            if generation != self._generation:
                self._copies.clear()
                self._generation = generation
            found = {}
            for spec in specs:
                view = self._copies.get((spec.name, cut))
                if view is not None:
                    self._copies.move_to_end((spec.name, cut))
                    found[spec.name] = view
            missing = [spec for spec in specs if spec.name not in found]
            if missing:
                for spec, view in zip(missing, fold_cutoff(self.app, missing, cut), strict=True):
                    found[spec.name] = self._copies[(spec.name, cut)] = view
            # Dropped ones close when no query holds them any more (the datastore's own
            # finaliser): one may still be read by a request that took it just before.
            while len(self._copies) > max(self.size, len(specs)):
                self._copies.popitem(last=False)
            return found


_copies: weakref.WeakKeyDictionary[Application[Any], ScratchCopies] = weakref.WeakKeyDictionary()
_copies_lock = threading.Lock()


def copies_of(app: Application[Any]) -> ScratchCopies:
    """The scratch copies of one application's read models (one cache per application)."""
    with _copies_lock:
        copies = _copies.get(app)
        if copies is None:
            copies = _copies[app] = ScratchCopies(app)
        return copies
