"""Replaying the log into read models: one pass over the log feeds every one of them.

A rebuild used to read and decode the whole log once per read model, and to send each
event's rows one statement, one round trip, at a time (issue 16: the log was read at 0.12
of a plain select-and-decode). A pass here reads each page of the log once, decodes each
event once and folds the page into every read model it feeds, each in a transaction of its
own that commits the page's rows with the read model's tracking position; inside it the
writes wait and go to the database together (`store.ReadModel.batch`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import Environment, get_topic

from projections.leadership import table_creation_lock
from projections.store import ReadModel

# Events read (and then folded) per page; each read model commits once per page.
PAGE_SIZE = 1000
# How often verify folds again when the live read model moved while it was compared.
VERIFY_ROUNDS = 20
# How much work each read model's fold is, relatively (ms per 12 847 events of the demo,
# SQLite, bench/rebuild.py); only to share the read models out among processes.
FOLD_COST = {
    "audit_log": 75,
    "kpis": 45,
    "pipeline": 40,
    "sales": 29,
    "contract_directory": 25,
    "credit": 23,
    "customer_directory": 22,
    "follow_ups": 13,
    "complaints": 9,
}

Progress = Callable[[int], None]
# A decoded event of a page, its position and its stored topic.
PageEvent = tuple[Any, Tracking, str]


def no_progress(positions: int) -> None:
    """Report nothing."""


class ReadModelKind(Protocol):
    """What a pass needs to know of a read model (`runner.ReadModelSpec` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def read_model(self) -> type[ReadModel]: ...

    @property
    def projection(self) -> type[Projection[Any]]: ...

    def view_class(self, dialect: str, prefix: str = "") -> type[ReadModel]: ...


@dataclass(eq=False)
class Target:
    """A read model a pass feeds: its view, its fold, how far it is and how far it goes.

    `position` is what it has folded; `recorded` what its tracking table says, which
    lags while pages bring nothing for it to fold (no transaction is spent on them).
    `topics`, when given, are the stored topics of the only events its fold changes rows
    for; the others are skipped without calling the fold.
    """

    name: str
    view: Any
    projection: Projection[Any]
    position: int
    upto: int
    topics: frozenset[str] = frozenset()
    recorded: int = -1

    def __post_init__(self) -> None:
        if self.recorded < 0:
            self.recorded = self.position

    def fold(self, app_name: str, page: Sequence[PageEvent], last: int) -> None:
        """Fold the page's events this read model still needs, in one transaction."""
        end = min(last, self.upto)
        if end <= self.position:
            return
        todo = self.wanted(page, end)
        if todo:
            process = self.projection.process_event  # looked up once: a dispatch wrapper
            with self.view.batch():
                for event, tracking in todo:
                    process(event, tracking)
                self.view.insert_tracking(Tracking(app_name, end))
            self.recorded = end
        self.position = end

    def wanted(self, page: Sequence[PageEvent], end: int) -> list[tuple[Any, Tracking]]:
        """The page's events after this read model's position, up to `end`, of its topics."""
        start, topics = self.position, self.topics
        within = page
        if page and not start < page[0][1].notification_id <= page[-1][1].notification_id <= end:
            within = [item for item in page if start < item[1].notification_id <= end]
        if not topics:
            return [(event, tracking) for event, tracking, _ in within]
        return [(event, tracking) for event, tracking, topic in within if topic in topics]

    def settle(self, app_name: str) -> None:
        """Record the position reached, if pages with nothing to fold left it unrecorded."""
        if self.recorded < self.position:
            self.view.insert_tracking(Tracking(app_name, self.position))
            self.recorded = self.position


def select_topics(targets: Sequence[Target]) -> tuple[str, ...]:
    """The topics a pass must select: those its targets want, or () for every event."""
    if any(not target.topics for target in targets):
        return ()
    return tuple(sorted(set().union(*(target.topics for target in targets))))


def fold_log(
    app: Application[Any],
    targets: Sequence[Target],
    *,
    progress: Progress = no_progress,
    page_size: int = PAGE_SIZE,
) -> None:
    """Fold the log into every target in one pass: each page read and decoded once."""
    behind = [target for target in targets if target.position < target.upto]
    if not behind:
        return
    position = min(target.position for target in behind)
    upto = max(target.upto for target in behind)
    topics = select_topics(behind)
    while position < upto:
        notifications = app.recorder.select_notifications(
            start=position, limit=page_size, stop=upto, topics=topics, inclusive_of_start=False
        )
        last = notifications[-1].id if len(notifications) == page_size else upto
        page = [
            (app.mapper.to_domain_event(n), Tracking(app.name, n.id), n.topic)
            for n in notifications
        ]
        for target in behind:
            target.fold(app.name, page, last)
        progress(last - position)
        position = last
    for target in behind:
        target.settle(app.name)


def topics_of(event_classes: Iterable[type[Any]]) -> frozenset[str]:
    """The stored topics of the event classes and of all their subclasses."""
    topics, todo, seen = set(), list(event_classes), set()
    while todo:
        event_class = todo.pop()
        if event_class not in seen:
            seen.add(event_class)
            topics.add(get_topic(event_class))
            todo.extend(event_class.__subclasses__())
    return frozenset(topics)


def folded_topics(projection_class: type[Projection[Any]]) -> frozenset[str]:
    """The topics of the events a projection folds; empty when it folds every event.

    A projection names them in `folded_events` (classes, their subclasses included);
    it only tracks the others. Not the library's `Projection.topics`: a library runner
    would then subscribe to those alone, and a read model's position would stop at the
    last event it folds, while mops tracks every event (read-your-writes waits on it).
    """
    return topics_of(folded_event_classes(projection_class))


def folded_event_classes(projection_class: type[Projection[Any]]) -> tuple[type[Any], ...]:
    """The event classes a projection names in `folded_events`; empty when it folds all."""
    return tuple(getattr(projection_class, "folded_events", ()))


@contextmanager
def read_model_factory(env: dict[str, str]) -> Iterator[InfrastructureFactory[Any]]:
    """One connection pool for every view of a pass (a pass uses one at a time)."""
    factory = InfrastructureFactory.construct(
        Environment("read_models", {**env, "POSTGRES_POOL_SIZE": "1"})
    )
    try:
        yield factory
    finally:
        factory.close()


def emptied(factory: InfrastructureFactory[Any], view_class: type[ReadModel]) -> Any:
    """A view of the factory with its tables dropped and made anew, empty."""
    old: Any = factory.tracking_recorder(view_class)
    old.drop()
    # A new recorder: the library's SQLite one remembers the tables it found at creation.
    return factory.tracking_recorder(view_class)


def fresh_view(spec: ReadModelKind, env: dict[str, str], dialect: str, prefix: str = "") -> Any:
    """A view with empty tables, dropped and created anew; `runner.close_view` closes it."""
    factory = InfrastructureFactory.construct(Environment(spec.name, env))
    view = emptied(factory, spec.view_class(dialect, prefix))
    view.factory = factory  # closed with the view
    return view


def replay(
    app: Application[Any],
    view: Any,
    projection_class: type[Projection[Any]],
    *,
    after: int = 0,
    upto: int | None = None,
    progress: Progress = no_progress,
) -> int:
    """Fold the log from `after` to `upto` (its head now if None) into one view."""
    head = (app.recorder.max_notification_id() or 0) if upto is None else upto
    target = Target(
        projection_class.name,
        view,
        projection_class(view=view),
        after,
        head,
        folded_topics(projection_class),
    )
    fold_log(app, [target], progress=progress)
    return target.position


def catch_up(app: Application[Any], spec: ReadModelKind, view: Any) -> int:
    """Fold into a live view what the log holds beyond its position (no runner folding it).

    For a process that writes and reads one read model without projection runners, the
    demo; answers the view's position afterwards.
    """
    after = view.max_tracking_id(app.name) or 0
    return replay(app, view, spec.projection, after=after)


def rebuild_all(
    app: Application[Any],
    specs: Sequence[ReadModelKind],
    env: dict[str, str],
    dialect: str,
    progress: Progress = no_progress,
    *,
    prefix: str = "",
    jobs: int = 1,
) -> int:
    """Drop read models and fold the log into them in one pass; answers the position.

    The log is folded as it stands when the rebuild starts; what is appended meanwhile is
    for the runners (`mops projections run`, `mops serve`) to fold. Each read model is
    given only the events its projection folds (`folded_topics`), and when none of them
    folds every event, only those are read. With `jobs` above 1 the read models are
    shared out among that many processes, each making one pass of its own. With a
    `prefix`, into copies of the tables.
    """
    head = app.recorder.max_notification_id() or 0
    groups = shared_out(specs, jobs)
    if len(groups) > 1:
        rebuild_in_processes(type(app), groups, env, dialect, head, prefix, progress)
    else:
        rebuild_group(app, specs, env, dialect, head, prefix, progress)
    return head


def rebuild_group(
    app: Application[Any],
    specs: Sequence[ReadModelKind],
    env: dict[str, str],
    dialect: str,
    head: int,
    prefix: str,
    progress: Progress,
) -> None:
    """Drop the read models and fold the log up to `head` into them, in one pass."""
    with read_model_factory(env) as factory:
        targets = []
        # Processes rebuilding other read models at once drop and create tables too.
        with table_creation_lock(env, dialect):
            for spec in specs:
                view = emptied(factory, spec.view_class(dialect, prefix))
                topics = folded_topics(spec.projection)
                targets.append(Target(spec.name, view, spec.projection(view=view), 0, head, topics))
        fold_log(app, targets, progress=progress)


def shared_out(specs: Sequence[ReadModelKind], jobs: int) -> list[list[ReadModelKind]]:
    """The read models in at most `jobs` groups of about equal folding work."""
    groups: list[list[ReadModelKind]] = [[] for _ in range(max(1, min(jobs, len(specs))))]
    work = [0] * len(groups)
    for spec in sorted(specs, key=lambda spec: -FOLD_COST.get(spec.name, 1)):
        lightest = work.index(min(work))
        groups[lightest].append(spec)
        work[lightest] += FOLD_COST.get(spec.name, 1)
    return [group for group in groups if group]


# What a pass of each process has folded so far, shared with the parent (set in a worker).
_advanced: Any = None


def _start_worker(advanced: Any) -> None:
    global _advanced
    _advanced = advanced


def _rebuild_in_worker(
    application_class: type[Application[Any]],
    specs: list[ReadModelKind],
    env: dict[str, str],
    dialect: str,
    head: int,
    prefix: str,
    index: int,
) -> None:
    def advanced(positions: int) -> None:
        _advanced[index] += positions  # this process alone writes its slot

    # Constructing the application creates its tables, as the other workers' do: two at
    # once deadlocked on PostgreSQL (the chain trigger's function against its table).
    with table_creation_lock(env, dialect):
        app = application_class(env)
    try:
        rebuild_group(app, specs, env, dialect, head, prefix, advanced)
    finally:
        app.close()


def rebuild_in_processes(
    application_class: type[Application[Any]],
    groups: list[list[ReadModelKind]],
    env: dict[str, str],
    dialect: str,
    head: int,
    prefix: str,
    progress: Progress,
) -> None:
    """Rebuild each group of read models in a process of its own, at the same time.

    Processes, not threads: folding is Python, which runs one thread at a time. Each
    reads and decodes the log for its own group; the progress is the slowest one's.
    """
    context = multiprocessing.get_context("spawn")  # no pool or lock of ours is copied
    advanced = context.RawArray("q", len(groups))
    with ProcessPoolExecutor(
        len(groups), mp_context=context, initializer=_start_worker, initargs=(advanced,)
    ) as pool:
        futures = [
            pool.submit(_rebuild_in_worker, application_class, group, env, dialect, head, prefix, i)
            for i, group in enumerate(groups)
        ]
        reported, running = 0, set(futures)
        while running:
            done, running = wait(running, timeout=0.2, return_when=FIRST_EXCEPTION)
            reported = _report(advanced, reported, progress)
            if any(future.exception() for future in done):
                break
        for future in futures:
            future.result()  # a worker's error, raised here


def _report(advanced: Any, reported: int, progress: Progress) -> int:
    """Report how far the slowest process has come since `reported`; answers how far."""
    now = min(advanced)
    if now > reported:
        progress(now - reported)
    return max(now, reported)


def rebuild(
    app: Application[Any],
    spec: ReadModelKind,
    env: dict[str, str],
    dialect: str,
    progress: Progress = no_progress,
) -> int:
    """Drop a read model and replay the whole log into it; answers the position reached."""
    return rebuild_all(app, [spec], env, dialect, progress)


@dataclass
class Difference:
    """A row that differs between the live tables and a rebuild from the events."""

    table: str
    key: Any
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None


def _normalised(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()} for row in rows]


def differences(
    spec: ReadModelKind, live: dict[str, list[dict[str, Any]]], rebuilt: Any
) -> list[Difference]:
    """The rows of the live tables (read beforehand) that differ from a rebuilt view's."""
    found = []
    for table, live_rows in live.items():
        keyed_live = {next(iter(r.values())): r for r in live_rows}
        keyed_rebuilt = {next(iter(r.values())): r for r in _normalised(rebuilt.rows(table))}
        for key in sorted(keyed_live.keys() | keyed_rebuilt.keys(), key=str):
            if keyed_live.get(key) != keyed_rebuilt.get(key):
                found.append(Difference(table, key, keyed_live.get(key), keyed_rebuilt.get(key)))
    return found


def verify_all(
    app: Application[Any],
    specs: Sequence[ReadModelKind],
    env: dict[str, str],
    dialect: str,
    progress: Progress = no_progress,
) -> dict[str, list[Difference]]:
    """Rebuild read models into scratch tables in one pass and diff them with the live ones.

    Each is rebuilt up to the position its live tables are at; a live read model that
    moves while it is read is caught up with and read again.
    """
    with read_model_factory(env) as factory:
        lives = {spec.name: factory.tracking_recorder(spec.view_class(dialect)) for spec in specs}
        targets = {}
        for spec in specs:
            scratch = emptied(factory, spec.view_class(dialect, "verify_"))
            live_position = lives[spec.name].max_tracking_id(app.name) or 0
            targets[spec.name] = Target(
                spec.name,
                scratch,
                spec.projection(view=scratch),
                0,
                live_position,
                folded_topics(spec.projection),
            )
        try:
            return _compare(app, specs, lives, targets, progress)
        finally:
            for target in targets.values():
                target.view.drop()


def _compare(
    app: Application[Any],
    specs: Sequence[ReadModelKind],
    lives: dict[str, Any],
    targets: dict[str, Target],
    progress: Progress,
) -> dict[str, list[Difference]]:
    """Fold the scratch views up to their live views and diff them, live ones read still."""
    found: dict[str, list[Difference]] = {}
    pending = list(specs)
    for round_ in range(VERIFY_ROUNDS):
        fold_log(app, [targets[spec.name] for spec in pending], progress=progress)
        moved = []
        for spec in pending:
            live, target = lives[spec.name], targets[spec.name]
            tables = {t: _normalised(live.rows(t)) for t in spec.read_model.table_names}
            now = live.max_tracking_id(app.name) or 0
            if now != target.upto and round_ < VERIFY_ROUNDS - 1:
                target.upto = now
                moved.append(spec)
                continue
            found[spec.name] = differences(spec, tables, target.view)
        if not moved:
            break
        pending = moved
    return found


def verify(
    app: Application[Any],
    spec: ReadModelKind,
    env: dict[str, str],
    dialect: str,
    progress: Progress = no_progress,
) -> list[Difference]:
    """Rebuild a read model into scratch tables and diff them against the live ones."""
    return verify_all(app, [spec], env, dialect, progress)[spec.name]
