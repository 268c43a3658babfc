"""A read model of one row per aggregate, folded event by event (the directories)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.values import normalise_name
from projections.store import ReadModel

Row = dict[str, Any]

# Rows a projection wrote lately, kept so that folding the next event of an aggregate
# needs no read: the projection is the only writer of its table.
ROW_CACHE_SIZE = 10_000


def _insert(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def upsert(table: str, columns: Sequence[str], key: str = "id") -> str:
    """An INSERT that replaces the row with the same key, in SQL both databases accept."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return f"{_insert(table, columns)} ON CONFLICT ({key}) DO UPDATE SET {updates}"


def insert_once(table: str, columns: Sequence[str], key: str = "id") -> str:
    """An INSERT that keeps the row already there with the same key."""
    return f"{_insert(table, columns)} ON CONFLICT ({key}) DO NOTHING"


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


class RowPerAggregateProjection(Projection[Any]):
    """Folds one aggregate type's events into a row per aggregate; tracks every event.

    Subclasses give the aggregate's event base class, the event that creates a row,
    and the pure fold `(row, event, position) -> row`; the view has `row(id)` and
    `put(row, tracking)`, as a `RowPerAggregateView` has.
    """

    events: ClassVar[type]
    creation: ClassVar[type]
    fold: ClassVar[Callable[[Row | None, Any, int], Row | None]]

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self._rows: OrderedDict[str, Row] = OrderedDict()

    def _row(self, aggregate_id: str) -> Row | None:
        row = self._rows.get(aggregate_id)
        if row is not None:
            self._rows.move_to_end(aggregate_id)
            return row
        return self.view.row(aggregate_id)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, self.events):
            self.view.insert_tracking(tracking)
            return
        aggregate_id = str(domain_event.originator_id)
        created = isinstance(domain_event, self.creation)
        row = None if created else self._row(aggregate_id)
        folded = type(self).fold(row, domain_event, tracking.notification_id)
        if folded is None:
            self.view.insert_tracking(tracking)
            return
        self.view.put(folded, tracking)
        # Cached only once written: a write that fails leaves the cache as the table is.
        self._rows[aggregate_id] = folded
        self._rows.move_to_end(aggregate_id)
        if len(self._rows) > ROW_CACHE_SIZE:
            self._rows.popitem(last=False)


NAME_LIKE = "name_key LIKE ? ESCAPE '\\'"


def name_pattern(q: str | None) -> str | None:
    """The LIKE pattern of a text search on a normalised name (`name_key`), or None."""
    if not q:
        return None
    escaped = normalise_name(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
    where, params = [], []
    for clause, value in (*conditions, (f"{position} > ?", after)):
        if value is not None:
            where.append(clause)
            params.append(value)
    filters = f"WHERE {' AND '.join(where)}" if where else ""
    return view.query(
        f"SELECT * FROM {view.table(table)} {filters} ORDER BY {position} LIMIT ?",
        [*params, limit],
    )
