"""Group commit: commands arriving together commit in one transaction, each still its own.

The writer (`application.group_commit`) with a recorder standing in for a database; the
recorders (`projections.grouped`) and the back office on SQLite and PostgreSQL: a
conflict fails its command alone, a command's events are written all or none, 16
writer threads on overlapping aggregates lose and double nothing, and a reader tailing
the log meanwhile sees every position once, in order.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from application.backoffice import CONFLICT_RETRIES, Backoffice
from application.commands.customers import RecordFollowUp
from application.group_commit import GroupCommit, _Queued
from domain.customer import Customer
from domain.errors import VersionConflict
from interfaces.settings import Settings
from tests import factories
from tests.conftest import as_

SALES = as_("sam", "sales")
WRITERS = 16


def stored(aggregate_id: UUID, *versions: int) -> list[StoredEvent]:
    return [StoredEvent(aggregate_id, v, "test:Event", b"{}") for v in versions]


class FakeRecorder:
    """Commits in memory; refuses a stored (id, version) and fails a batch holding `poison`."""

    def __init__(self) -> None:
        self.rows: list[tuple[UUID | str, int]] = []
        self.batches: list[int] = []
        self.poison: UUID | None = None
        self.gate = threading.Event()
        self.gate.set()

    def insert_batch(self, batch: Sequence[Sequence[StoredEvent]]) -> list[Sequence[int] | None]:
        self.gate.wait()
        if any(e.originator_id == self.poison for events in batch for e in events):
            raise RuntimeError("poisoned")
        self.batches.append(len(batch))
        results: list[Sequence[int] | None] = []
        for events in batch:
            keys = [(e.originator_id, e.originator_version) for e in events]
            if any(key in self.rows for key in keys):  # checked before any is added
                results.append(None)
                continue
            self.rows.extend(keys)
            results.append(list(range(len(self.rows) - len(keys) + 1, len(self.rows) + 1)))
        return results


def queued_behind_a_transaction(
    writer: GroupCommit, recorder: FakeRecorder, commands: list[list[StoredEvent]]
) -> list[Sequence[int] | BaseException]:
    """Run the commands on threads while a first transaction is held open; their answers."""
    answers: list[Sequence[int] | BaseException] = [[] for _ in commands]

    def command(index: int) -> None:
        try:
            answers[index] = writer.insert(commands[index])
        except IntegrityError as conflict:
            answers[index] = conflict

    recorder.gate.clear()
    first = threading.Thread(target=writer.insert, args=(stored(uuid4(), 1),))
    first.start()
    while writer.transactions == 0:
        time.sleep(0.001)
    threads = [threading.Thread(target=command, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
        while len(writer._queue) < threads.index(thread) + 1:  # queue them in this order
            time.sleep(0.001)
    recorder.gate.set()
    for thread in [first, *threads]:
        thread.join()
    return answers


def test_commands_queued_behind_a_transaction_commit_together_in_order():
    recorder = FakeRecorder()
    writer = GroupCommit(recorder)
    ids = [uuid4() for _ in range(5)]
    answers = queued_behind_a_transaction(writer, recorder, [stored(i, 1, 2) for i in ids])
    assert recorder.batches == [1, 5]
    assert (writer.transactions, writer.commands) == (2, 6)
    assert answers == [[2 + 2 * n, 3 + 2 * n] for n in range(5)]
    assert recorder.rows[1:] == [(i, v) for i in ids for v in (1, 2)]


def test_a_conflict_fails_its_command_alone():
    recorder = FakeRecorder()
    writer = GroupCommit(recorder)
    taken = uuid4()
    writer.insert(stored(taken, 1))
    one, two = uuid4(), uuid4()
    answers = queued_behind_a_transaction(
        writer, recorder, [stored(one, 1), stored(taken, 2, 1), stored(two, 1)]
    )
    assert recorder.batches == [1, 1, 3]
    assert answers[0] == [3] and answers[2] == [4]
    assert isinstance(answers[1], IntegrityError)
    assert (taken, 2) not in recorder.rows  # all or none of a command


def test_a_batch_failing_otherwise_commits_each_command_alone():
    recorder = FakeRecorder()
    writer = GroupCommit(recorder)
    recorder.poison = uuid4()
    good, bad = _Queued(stored(uuid4(), 1)), _Queued(stored(recorder.poison, 1))
    writer._queue.extend([good, bad])
    writer._write_queue()
    assert good.done and good.positions == [1] and good.error is None
    assert bad.done and isinstance(bad.error, RuntimeError)
    assert recorder.rows == [(good.stored_events[0].originator_id, 1)]


# The recorders, on both databases.


@pytest.fixture
def office(database):
    app = Backoffice(database.env())
    yield app
    app.close()


def test_the_recorder_commits_a_batch_with_a_conflict_in_it(office):
    recorder = office.recorder
    taken, one, two = uuid4(), uuid4(), uuid4()
    recorder.insert_events(stored(taken, 1))
    start = office.max_position()
    results = recorder.insert_batch(
        [stored(one, 1, 2), stored(two, 1), stored(taken, 1, 2), stored(one, 3)]
    )
    assert results == [[start + 1, start + 2], [start + 3], None, [start + 4]]
    # The conflicting command wrote none of its events, not even the free version 2.
    assert [
        (n.originator_id, n.originator_version) for n in recorder.select_notifications(1, 10)
    ] == [
        (taken, 1),
        (one, 1),
        (one, 2),
        (two, 1),
        (one, 3),
    ]
    with pytest.raises(IntegrityError):
        recorder.insert_events(stored(two, 1))


def test_group_commit_is_a_setting(database):
    assert database.env()["GROUP_COMMIT"] == "y"
    off = Backoffice(Settings(database_url=database.url, group_commit=False).persistence_env())
    on = Backoffice(database.env())
    try:
        assert off.group_commit is None and on.group_commit is not None
    finally:
        off.close()
        on.close()


def test_sixteen_writers_on_overlapping_customers_lose_and_double_nothing(office):
    conflicted = conflicts_of(office)
    answered_409 = write_concurrently(office)
    # Commands shared transactions; some lost a race in one and were decided again.
    assert office.group_commit is not None
    assert office.group_commit.transactions < office.group_commit.commands
    assert len(conflicted) > CONFLICT_RETRIES * answered_409


def test_without_group_commit_too(database):
    office = Backoffice(Settings(database_url=database.url, group_commit=False).persistence_env())
    try:
        write_concurrently(office)
    finally:
        office.close()


def write_concurrently(office: Backoffice, per_writer: int = 12) -> int:
    """16 threads record follow-ups on 8 customers while a reader tails the log.

    Every command answered is in the log once, and a reader tailing it saw every position
    once, in order; the number answered 409 (lost every race, as may happen without group
    commit) is returned.
    """
    customers = [factories.customer(office) for _ in range(8)]
    done: list[UUID] = []
    answered_409: list[UUID] = []
    reader = Tail(office)

    def write() -> None:
        for _ in range(per_writer):
            cid = random.choice(customers)
            try:
                office.handle(SALES, RecordFollowUp(cid, kind="call", notes="x"))
            except VersionConflict:
                answered_409.append(cid)
            else:
                done.append(cid)

    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    reader.stop()
    assert len(done) + len(answered_409) == WRITERS * per_writer
    assert len(answered_409) < len(done) / 4
    for cid in customers:
        customer = office.get(cid, Customer)
        assert customer.follow_ups == done.count(cid)
        assert customer.version == 1 + done.count(cid)
    assert reader.seen == [n.id for n in office.recorder.select_notifications(1, 10_000)]
    return len(answered_409)


def conflicts_of(office: Backoffice) -> list[UUID | str]:
    """The aggregate of each command the group commit fails on a conflict, as it fails."""
    assert office.group_commit is not None
    insert = office.group_commit.insert
    conflicted: list[UUID | str] = []

    def counting(stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        try:
            return insert(stored_events)
        except IntegrityError:
            conflicted.append(stored_events[0].originator_id)
            raise

    office.group_commit.insert = counting  # type: ignore[method-assign]
    return conflicted


class Tail:
    """A thread reading the log from its start, page after page, as it grows."""

    def __init__(self, office: Backoffice) -> None:
        self.office = office
        self.seen: list[int] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        last_pass = False
        while True:
            after = self.seen[-1] if self.seen else 0
            page = self.office.recorder.select_notifications(after + 1, 50)
            self.seen.extend(n.id for n in page)
            if not page:
                if last_pass:
                    return
                last_pass = self._stopping.is_set()  # one more look after the writers stop
                time.sleep(0.001)

    def stop(self) -> None:
        """Read to the end of the log, then stop."""
        self._stopping.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive()


def test_a_transaction_failing_on_postgres_leaves_the_others_committed(office, database):
    if database.dialect != "postgres":
        pytest.skip("SQLite stores a NUL in text; PostgreSQL refuses it, failing the batch")
    assert office.group_commit is not None
    good, bad = _Queued(stored(uuid4(), 1)), _Queued(stored(uuid4(), 1))
    bad.stored_events = [StoredEvent(uuid4(), 1, "no\x00topic", b"{}")]
    office.group_commit._queue.extend([good, bad])
    office.group_commit._write_queue()
    assert good.error is None and good.positions
    assert bad.error is not None and bad.positions is None
    # The failed transaction was rolled back before its connection went back to the pool.
    after = stored(uuid4(), 1)
    [position] = office.recorder.insert_events(after)
    logged = [(n.originator_id, n.id) for n in office.recorder.select_notifications(1, 10)]
    assert logged == [
        (good.stored_events[0].originator_id, good.positions[0]),
        (after[0].originator_id, position),
    ]
