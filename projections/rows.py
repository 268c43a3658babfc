"""A read model of one row per aggregate, folded event by event (the directories)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, ClassVar, Protocol, TypeVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.values import normalise_name
from projections.events import iso_utc
from projections.store import ReadModel, Statement

Row = dict[str, Any]

# Rows a projection wrote lately, kept so that folding the next event of an aggregate
# needs no read: the projection is the only writer of its table.
ROW_CACHE_SIZE = 10_000


def insert(table: str, columns: Sequence[str]) -> str:
    """A plain INSERT of the columns given, with a `?` for each."""
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def upsert(table: str, columns: Sequence[str], key: str = "id") -> str:
    """An INSERT that replaces the row with the same key, in SQL both databases accept."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return f"{insert(table, columns)} ON CONFLICT ({key}) DO UPDATE SET {updates}"


def insert_once(table: str, columns: Sequence[str], key: str = "id") -> str:
    """An INSERT that keeps the row already there with the same key."""
    return f"{insert(table, columns)} ON CONFLICT ({key}) DO NOTHING"


def inserts(table: str, columns: Sequence[str], rows: Iterable[Row]) -> list[Statement]:
    """One plain INSERT statement per row, its values in the order of the columns."""
    statement = insert(table, columns)
    return [(statement, [row[c] for c in columns]) for row in rows]


def update(table: str, key: str, key_value: Any, values: Row) -> Statement:
    """An UPDATE that sets the values given on the row whose key column has key_value."""
    sets = ", ".join(f"{column} = ?" for column in values)
    return f"UPDATE {table} SET {sets} WHERE {key} = ?", [*values.values(), key_value]


def named(name: str) -> Row:
    """A row's name and the key a directory's text search matches (see `name_pattern`)."""
    return {"name": name, "name_key": normalise_name(name)}


def stamp_columns(created: str) -> tuple[str, ...]:
    """The columns that date a row: its version, its creation (`<created>_at`,
    `<created>_position`) and its last recording time."""
    return ("version", f"{created}_at", f"{created}_position", "updated_at")


def created_stamps(event: Any, position: int, created: str) -> Row:
    """The values of `stamp_columns(created)` for a row its aggregate's first event makes."""
    return {
        "version": event.originator_version,
        f"{created}_at": iso_utc(event.timestamp),
        f"{created}_position": position,
        "updated_at": iso_utc(event.timestamp),
    }


def touched(row: Row, event: Any) -> Row:
    """A copy of an aggregate's row stamped with the event's version and recording time."""
    return {**row, "version": event.originator_version, "updated_at": iso_utc(event.timestamp)}


class RecentRows:
    """The rows a projection read or wrote lately, by key, the least recent dropped first.

    A projection is the only writer of its tables, so a row it wrote is the row the
    table holds: folding the next event of an aggregate then needs no read.
    """

    def __init__(self, size: int = ROW_CACHE_SIZE) -> None:
        self.size = size
        self._rows: OrderedDict[str, Row] = OrderedDict()

    def get(self, key: str, load: Callable[[str], Row | None]) -> Row | None:
        """The row of a key, from memory or else loaded (and then kept)."""
        row = self._rows.get(key)
        if row is None:
            row = load(key)
            if row is None:
                return None
        self.remember(key, row)
        return row

    def remember(self, key: str, row: Row) -> None:
        """Keep a row as the latest of its key; call it only once the row is written."""
        self._rows[key] = row
        self._rows.move_to_end(key)
        if len(self._rows) > self.size:
            self._rows.popitem(last=False)


class RowPerAggregateView(ReadModel):
    """A read model whose table `row_table` holds a row per aggregate, keyed by `id`.

    Subclasses name the table and its `columns`; `put` writes every column.
    """

    row_table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]

    def row(self, aggregate_id: str) -> Row | None:
        """The aggregate's row, or None."""
        rows = self.query(
            f"SELECT * FROM {self.table(self.row_table)} WHERE id = ?", [aggregate_id]
        )
        return rows[0] if rows else None

    def put(self, row: Row, tracking: Tracking) -> None:
        """Write the aggregate's row and the tracking position in one transaction."""
        columns = self.columns
        self.write(
            [(upsert(self.table(self.row_table), columns), [row[c] for c in columns])],
            tracking,
        )


class Fold(Protocol):
    """A pure fold of a row per aggregate: its row after one more of its events."""

    def __call__(self, row: Row | None, event: Any, position: int) -> Row | None: ...


def row_fold(
    creation: type[Any], created: Callable[[Any, int], Row]
) -> Callable[[Callable[[Row, Any], Row]], Fold]:
    """The fold `(row, event, position) -> row` of a row per aggregate, made from the
    step `(row, event) -> row` of its later events.

    The creation event makes the row with `created(event, position)`; a later event of
    an aggregate without a row leaves nothing to write (None); any other is given the
    row already stamped with its version and recording time (see `touched`).
    """

    def decorate(step: Callable[[Row, Any], Row]) -> Fold:
        @wraps(step)
        def fold(row: Row | None, event: Any, position: int) -> Row | None:
            if isinstance(event, creation):
                return created(event, position)
            if row is None:
                return None
            return step(touched(row, event), event)

        return fold

    return decorate


AnyRowPerAggregateView = TypeVar("AnyRowPerAggregateView", bound=RowPerAggregateView)


class RowPerAggregateProjection(Projection[AnyRowPerAggregateView]):
    """Folds one aggregate type's events into a row per aggregate; tracks every event.

    Subclasses give the aggregate's event base class (what it folds, unless it names
    `folded_events` itself), the event that creates a row, and the pure fold
    `(row, event, position) -> row` (None: nothing to write); the view has `row(id)`
    and `put(row, tracking)`, as a `RowPerAggregateView` has. A read model that writes
    more than the row for an event overrides `put`.
    """

    events: ClassVar[type[Any]]
    creation: ClassVar[type[Any]]
    # The events it folds; every other one it only tracks (see projections/rebuild.py).
    folded_events: ClassVar[tuple[type[Any], ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A read model that folds nothing but its aggregate's events need not name them twice.
        if "folded_events" not in cls.__dict__ and "events" in cls.__dict__:
            cls.folded_events = (cls.events,)

    def __init__(self, view: AnyRowPerAggregateView) -> None:
        super().__init__(view)
        self._rows = RecentRows()

    @staticmethod
    def fold(row: Row | None, event: Any, position: int) -> Row | None:
        """The aggregate's row after one more of its events; None leaves it as it is."""
        raise NotImplementedError

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, self.events):
            self.view.insert_tracking(tracking)
            return
        aggregate_id = str(domain_event.originator_id)
        created = isinstance(domain_event, self.creation)
        row = None if created else self._rows.get(aggregate_id, self.view.row)
        folded = self.fold(row, domain_event, tracking.notification_id)
        if folded is None:
            self.view.insert_tracking(tracking)
            return
        self.put(folded, domain_event, tracking)
        # Kept only once written: a write that fails leaves the memory as the table is.
        self._rows.remember(aggregate_id, folded)

    def put(self, row: Row, event: Any, tracking: Tracking) -> None:
        """Write an aggregate's folded row (and whatever else its event adds) and the
        tracking position in one transaction."""
        self.view.put(row, tracking)


NAME_LIKE = "name_key LIKE ? ESCAPE '\\'"


def name_pattern(q: str | None) -> str | None:
    """The LIKE pattern of a text search on a normalised name (`name_key`), or None."""
    if not q:
        return None
    escaped = normalise_name(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filters(conditions: Iterable[tuple[str, Any]]) -> tuple[list[str], list[Any]]:
    """The clauses (SQL with one `?` each) whose value is given, and those values in order.

    A condition whose value is None is left out: a filter not asked for.
    """
    given = [(clause, value) for clause, value in conditions if value is not None]
    return [clause for clause, _ in given], [value for _, value in given]


def directory_page(
    view: Any,
    table: str,
    position: str,
    *,
    limit: int,
    after: int | None,
    conditions: Sequence[tuple[str, Any]],
) -> list[Row]:
    """Rows of a directory in the order of `position`, after a cursor, filtered.

    Each condition is a SQL clause with one `?` and its value; a condition whose value
    is None is left out (a filter not asked for).
    """
    where, params = filters((*conditions, (f"{position} > ?", after)))
    chosen = f"WHERE {' AND '.join(where)}" if where else ""
    return view.query(
        f"SELECT * FROM {view.table(table)} {chosen} ORDER BY {position} LIMIT ?",
        [*params, limit],
    )
