"""Group commit: the commands of a process arriving together commit in one transaction.

Each command is decided in its own thread, on fresh state, as before. Its events are then
handed to the back office's one `GroupCommit`, which writes whatever has queued up since
the last transaction in the next one (`BatchRecorder.insert_batch`, in
`projections/grouped.py`). There is no writer thread: the first command to find no
transaction in flight writes the queue, its own events included, while the commands
arriving meanwhile queue behind it; whichever of them gets the turn next writes all of
them. A lone command therefore commits at once, in a batch of one, and under load a
transaction carries as many commands as arrived during the one before.

Each command stays atomic and optimistically checked: a conflict (another writer stored
one of its events first) fails that command alone, with the library's `IntegrityError`
as before, and `Backoffice.handle` decides it again. Positions follow the order in
which the commands queued.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from eventsourcing.persistence import IntegrityError, StoredEvent

# At most this many commands in one transaction (the rest wait for the next one).
MAX_BATCH = 200


@runtime_checkable
class BatchRecorder(Protocol):
    """A recorder that commits the events of several commands in one transaction."""

    def insert_batch(self, batch: Sequence[Sequence[StoredEvent]]) -> list[Sequence[int] | None]:
        """Each command's positions, or None for a command that conflicted."""


@dataclass
class _Queued:
    """One command's events, waiting for the transaction that commits them."""

    stored_events: Sequence[StoredEvent]
    done: bool = False
    positions: Sequence[int] | None = None
    error: BaseException | None = None


class GroupCommit:
    """The writer of one back office: commits the events of queued commands together."""

    def __init__(self, recorder: BatchRecorder) -> None:
        self.recorder = recorder
        self._queue: list[_Queued] = []
        self._queue_lock = threading.Lock()
        self._writing = threading.Lock()  # one transaction in flight at a time
        self.transactions = 0  # counted for the benchmark and the tests
        self.commands = 0

    def insert(self, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        """The positions of one command's events once committed; IntegrityError on conflict."""
        queued = _Queued(stored_events)
        with self._queue_lock:
            self._queue.append(queued)
        while not queued.done:
            with self._writing:
                if not queued.done:
                    self._write_queue()
        if queued.error is not None:
            raise queued.error
        if queued.positions is None:
            raise IntegrityError("another writer stored an event of this command first")
        return queued.positions

    def _write_queue(self) -> None:
        with self._queue_lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            results = self._insert(batch) if batch else []
            for queued, positions in zip(batch, results, strict=True):
                queued.positions = positions
        except BaseException as error:  # every command of the batch fails with it
            for queued in batch:
                queued.error = queued.error or error
            if not isinstance(error, Exception):
                raise  # an interrupt, in the thread that was writing
        finally:
            for queued in batch:  # none is left waiting, whatever happened
                queued.done = True

    def _insert(self, batch: list[_Queued]) -> list[Sequence[int] | None]:
        """Each command's positions; after a failed batch, each command alone."""
        self.transactions += 1
        self.commands += len(batch)
        try:
            return self.recorder.insert_batch([q.stored_events for q in batch])
        except Exception:
            if len(batch) == 1:
                raise
        # Something other than a conflict failed the transaction (none was committed):
        # commit each command in one of its own, so that it fails only its own command.
        results: list[Sequence[int] | None] = []
        for queued in batch:
            try:
                [positions] = self.recorder.insert_batch([queued.stored_events])
            except Exception as error:
                queued.error = error
                positions = None
            results.append(positions)
        return results
