"""Loading one cached aggregate from many threads while it grows, on both databases."""

from __future__ import annotations

import threading

from eventsourcing.domain import Aggregate, event

from application.backoffice import Backoffice


class Ledger(Aggregate):
    """An aggregate whose events add many entries to a dict, in place, as Budget's do."""

    @event("Opened")
    def __init__(self) -> None:
        self.entries: dict[int, int] = {}

    @event("Added")
    def add(self, start: int) -> None:
        for n in range(start, start + 500):
            self.entries[n] = n


def test_loads_racing_a_fast_forward_never_see_a_half_applied_aggregate(database):
    """The library deep-copies a cached aggregate outside its fast-forward lock."""
    reader, writer = Backoffice(database.env()), Backoffice(database.env())
    ledger = Ledger()
    writer.save(ledger)
    stop = threading.Event()
    errors: list[str] = []
    seen: list[int] = []

    def write() -> None:
        try:
            for round_ in range(1, 121):
                ledger.add(round_ * 500)
                writer.save(ledger)
        finally:
            stop.set()

    def read() -> None:
        while not stop.is_set():
            try:
                copy = reader.repository.get(ledger.id)
            except Exception as error:  # the failure this test is about, whatever its type
                errors.append(repr(error))
                return
            seen.append(len(copy.entries))
            if len(copy.entries) != 500 * (copy.version - 1):
                errors.append(f"version {copy.version} with {len(copy.entries)} entries")

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        reader.close()
        writer.close()
    assert errors == []
    assert seen and max(seen) <= 500 * 120


def test_save_records_aggregates_and_loose_events_in_the_order_given(database):
    """`Backoffice.save` tells an aggregate by its class; a domain event given on its own,
    and None, still go the library's way, in the order given."""
    app = Backoffice(database.env())
    try:
        first, second = Ledger(), Ledger()
        second.add(0)
        [loose] = Ledger().collect_events()
        recordings = app.save(first, None, loose, second)
        assert [
            (r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings
        ] == [
            (first.id, 1),
            (loose.originator_id, 1),
            (second.id, 1),
            (second.id, 2),
        ]
        assert app.repository.get(second.id).entries == second.entries
        positions = [r.notification.id for r in recordings]
        assert positions == sorted(set(positions)) and len(positions) == 4
    finally:
        app.close()
