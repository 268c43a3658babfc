"""Where the hash chain is kept: the links table of each database, and how to read it.

`projections.chain` says what the chain is; here are the tables, the PostgreSQL trigger that
links each inserted event in its own transaction, the SQLite recorder's step that does the
same, the chaining of a log written before the chain existed (`backfill`), and the bounded
reads that verification and export walk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Composed, Identifier, Literal

from projections.chain import (
    BATCH,
    GENESIS,
    Link,
    StoredRow,
    chain_table_name,
    link_hash,
    links_for,
)


class ChainStore(Protocol):
    """The events and links of one database, read in position order up to a bound."""

    def bounds(self) -> int:
        """The highest position of an event or a link, read in one snapshot (0: empty)."""
        ...

    def events(self, after: int, stop: int) -> Iterator[StoredRow]: ...

    def links(self, after: int, stop: int) -> Iterator[Link]: ...

    def link_at(self, position: int) -> Link | None: ...

    def head(self) -> Link | None: ...

    def exists(self) -> bool:
        """Whether the links table is there (a log older than the chain has none)."""
        ...

    def backfill(self) -> int:
        """Chain a log written before the chain existed; the number of events linked."""
        ...

    def import_log(self, events: Sequence[StoredRow]) -> Link | None:
        """Store events at their positions in an empty log, linked as any event is, in one
        transaction; the new head. LogNotEmpty when the log holds an event already."""
        ...


class LogNotEmpty(Exception):
    """An import was asked of a database whose log already holds events."""


def stored_row(position: int, aggregate_id: Any, version: Any, topic: Any, state: Any) -> StoredRow:
    """A row as read, whatever an intruder made of its columns (a verification must not
    stop at a row it cannot parse: it is a changed row, and its hash says so)."""
    try:
        uuid = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
    except ValueError:
        uuid = UUID(int=0)
    data = (
        state.encode("utf-8", "surrogateescape") if isinstance(state, str) else bytes(state or b"")
    )
    number = version if isinstance(version, int) else -1
    return StoredRow(position, uuid, number, str(topic), data)


def _batches(fetch: Any, after: int, stop: int) -> Iterator[Any]:
    """Rows after `after` up to `stop`, BATCH at a time (keyset: each batch its own query)."""
    while after < stop:
        rows = fetch(after, stop)
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


# ---------------------------------------------------------------- PostgreSQL


def postgres_chain_statements(datastore: PostgresDatastore, events_table: str) -> list[Composed]:
    """The links table, and the trigger that writes a link for every event inserted."""
    names = {
        "schema": Identifier(datastore.schema),
        "events": Identifier(events_table),
        "chain": Identifier(chain_table_name(events_table)),
        "function": Identifier(f"{events_table}_link"),
        "trigger": Identifier(f"{events_table}_link"),
    }
    return [
        SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
            "position bigint PRIMARY KEY, previous bigint NOT NULL, hash bytea NOT NULL)"
        ).format(**names),
        # Runs under the library's EXCLUSIVE lock on the events table, which every writer
        # takes: links are written in position order, each after the one before it. One
        # statement reads the head and inserts the link (two statements cost a trigger
        # about twice as much: docs/PERFORMANCE.md, issue 18). Replaced in place when an
        # application opens the store, so a database chained before gets this body.
        SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}() RETURNS trigger "
            "LANGUAGE plpgsql AS $body$ "
            "BEGIN "
            "INSERT INTO {schema}.{chain} (position, previous, hash) "
            "SELECT NEW.notification_id, coalesce(head.position, 0), "
            "sha256(coalesce(head.hash, decode(repeat('00', 32), 'hex')) "
            "|| int8send(NEW.notification_id) || uuid_send(NEW.originator_id::uuid) "
            "|| int8send(NEW.originator_version::bigint) "
            "|| int4send(octet_length(convert_to(NEW.topic, 'UTF8'))) "
            "|| convert_to(NEW.topic, 'UTF8') "
            "|| int4send(octet_length(NEW.state)) || NEW.state) "
            "FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT position, hash "
            "FROM {schema}.{chain} ORDER BY position DESC LIMIT 1) AS head ON true; "
            "RETURN NULL; "
            "END $body$"
        ).format(**names),
        SQL(
            "CREATE OR REPLACE TRIGGER {trigger} AFTER INSERT ON {schema}.{events} "
            "FOR EACH ROW EXECUTE FUNCTION {schema}.{function}()"
        ).format(**names),
    ]


class PostgresChainStore:
    """The chain of a PostgreSQL events table."""

    def __init__(self, datastore: PostgresDatastore, events_table: str) -> None:
        self.datastore = datastore
        self.events_table = events_table
        schema = Identifier(datastore.schema)
        events = Identifier(events_table)
        chain = Identifier(chain_table_name(events_table))
        self._bounds = SQL(
            "SELECT greatest((SELECT max(notification_id) FROM {s}.{e}), "
            "(SELECT max(position) FROM {s}.{c})) AS stop"
        ).format(s=schema, e=events, c=chain)
        self._events = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {s}.{e} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT {n}"
        ).format(s=schema, e=events, n=BATCH)
        self._links = SQL(
            "SELECT position, previous, hash FROM {s}.{c} WHERE position > %s AND position <= %s "
            "ORDER BY position LIMIT {n}"
        ).format(s=schema, c=chain, n=BATCH)
        self._link_at = SQL(
            "SELECT position, previous, hash FROM {s}.{c} WHERE position = %s"
        ).format(s=schema, c=chain)
        self._head = SQL(
            "SELECT position, previous, hash FROM {s}.{c} ORDER BY position DESC LIMIT 1"
        ).format(s=schema, c=chain)
        self._any_link = SQL("SELECT 1 FROM {s}.{c} LIMIT 1").format(s=schema, c=chain)
        self._lock = SQL("LOCK TABLE {s}.{e} IN EXCLUSIVE MODE").format(s=schema, e=events)
        self._insert_link = SQL(
            "INSERT INTO {s}.{c} (position, previous, hash) VALUES (%s, %s, %s)"
        ).format(s=schema, c=chain)

    def _rows(self, statement: Composed | SQL, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return [tuple(row.values()) for row in curs.fetchall()]

    def bounds(self) -> int:
        [(stop,)] = self._rows(self._bounds, ())
        return int(stop or 0)

    def events(self, after: int, stop: int) -> Iterator[StoredRow]:
        for row in _batches(lambda a, s: self._rows(self._events, (a, s)), after, stop):
            yield stored_row(*row)

    def links(self, after: int, stop: int) -> Iterator[Link]:
        for position, previous, digest in _batches(
            lambda a, s: self._rows(self._links, (a, s)), after, stop
        ):
            yield Link(position, previous, bytes(digest))

    def link_at(self, position: int) -> Link | None:
        rows = self._rows(self._link_at, (position,))
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def head(self) -> Link | None:
        rows = self._rows(self._head, ())
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def exists(self) -> bool:
        name = f"{self.datastore.schema}.{chain_table_name(self.events_table)}"
        [(found,)] = self._rows(SQL("SELECT to_regclass(%s) IS NOT NULL"), (name,))
        return bool(found)

    def backfill(self) -> int:
        """Link every event when no link exists yet (a log older than the chain)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._lock)
            curs.execute(self._any_link)
            if curs.fetchone() is not None:
                return 0
            stop = self.bounds()
            links = links_for(None, self.events(0, stop))
            curs.executemany(self._insert_link, [(k.position, k.previous, k.hash) for k in links])
            return len(links)

    def import_log(self, events: Sequence[StoredRow]) -> Link | None:
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table)
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._lock)
            curs.execute(SQL("SELECT 1 FROM {s}.{e} LIMIT 1").format(s=schema, e=table))
            if curs.fetchone() is not None:
                raise LogNotEmpty("the database's log is not empty")
            # The trigger links each row as it is inserted, in position order.
            curs.executemany(
                SQL(
                    "INSERT INTO {s}.{e} (notification_id, originator_id, originator_version, "
                    "topic, state) VALUES (%s, %s, %s, %s, %s)"
                ).format(s=schema, e=table),
                [(e.position, e.aggregate_id, e.version, e.topic, e.state) for e in events],
            )
            sequence = SQL("pg_get_serial_sequence({name}, 'notification_id')").format(
                name=Literal(f"{self.datastore.schema}.{self.events_table}")
            )
            curs.execute(
                SQL("SELECT setval({seq}, greatest(%s, 1), %s)").format(seq=sequence),
                (events[-1].position if events else 1, bool(events)),
            )
            curs.execute(self._head)
            row = curs.fetchone()
            return Link(row["position"], row["previous"], bytes(row["hash"])) if row else None


# ---------------------------------------------------------------- SQLite


def sqlite_chain_statement(events_table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {chain_table_name(events_table)} ("
        "position INTEGER PRIMARY KEY, previous INTEGER NOT NULL, hash BLOB NOT NULL)"
    )


class SQLiteLinker:
    """Writes the links of one SQLite events table, in the transaction inserting the events.

    A link follows the chain's head. Reading the head costs a statement a command, so the
    linker reads it only when it cannot know it:

    - within one write transaction, the head is the link that transaction wrote last
      (from its first write to its end an SQLite transaction is the database's only
      writer); the group commit links a batch of commands after one read;
    - across transactions, the head is the link this process committed last, told by
      `committed` once the commit succeeded.

    Either is used only while the next event takes the position right after it. SQLite
    gives an event the highest position plus one, so an event of another process (or a
    connection of this one) committed in between moves the position on, and a savepoint
    rolled back frees its positions (`forget`): then the head is read as stored.
    """

    def __init__(self, events_table: str) -> None:
        chain = chain_table_name(events_table)
        self.select_head = f"SELECT position, hash FROM {chain} ORDER BY position DESC LIMIT 1"
        self.insert_link = f"INSERT INTO {chain} (position, previous, hash) VALUES (?, ?, ?)"
        # The write transaction's cursor and the link it wrote last. One slot is enough:
        # one write transaction at a time holds SQLite's lock.
        self._open: tuple[object, int, bytes] | None = None
        self._committed: tuple[int, bytes] | None = None

    @property
    def known_head(self) -> tuple[int, bytes] | None:
        """The position and hash of the link this process committed last, if any."""
        return self._committed

    def link(self, cursor: sqlite3.Cursor | Any, rows: Sequence[StoredRow]) -> None:
        """Write the links of events just inserted through `cursor`, in its transaction."""
        if not rows:
            return
        previous, digest = self._head(cursor, rows[0].position)
        links = []
        for row in rows:
            digest = link_hash(digest, row)
            links.append((row.position, previous, digest))
            previous = row.position
        if len(links) == 1:
            cursor.execute(self.insert_link, links[0])
        else:
            cursor.executemany(self.insert_link, links)
        self._open = (cursor, previous, digest)

    def _head(self, cursor: sqlite3.Cursor | Any, position: int) -> tuple[int, bytes]:
        written = self._open
        if written is not None and written[0] is cursor and written[1] + 1 == position:
            return written[1], written[2]
        committed = self._committed
        if committed is not None and committed[0] + 1 == position:
            return committed
        cursor.execute(self.select_head)
        last = cursor.fetchone()
        return (last[0], bytes(last[1])) if last else (0, GENESIS)

    def forget(self, cursor: object) -> None:
        """The transaction of `cursor` rolled back what it linked last."""
        written = self._open
        if written is not None and written[0] is cursor:
            self._open = None

    def committed(self, cursor: object) -> None:
        """The transaction of `cursor` committed: what it linked last is the head."""
        written = self._open
        if written is not None and written[0] is cursor:
            self._committed = (written[1], written[2])
            self._open = None


class SQLiteChainStore:
    """The chain of an SQLite events table (positions are the table's rowids)."""

    def __init__(self, datastore: SQLiteDatastore, events_table: str) -> None:
        self.datastore = datastore
        self.events_table = events_table
        self.chain = chain_table_name(events_table)

    def _rows(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [tuple(row) for row in c.fetchall()]

    def bounds(self) -> int:
        [(stop,)] = self._rows(
            f"SELECT max(coalesce((SELECT max(rowid) FROM {self.events_table}), 0), "
            f"coalesce((SELECT max(position) FROM {self.chain}), 0))",
            (),
        )
        return int(stop or 0)

    def events(self, after: int, stop: int) -> Iterator[StoredRow]:
        statement = (
            f"SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.events_table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT {BATCH}"
        )
        for row in _batches(lambda a, s: self._rows(statement, (a, s)), after, stop):
            yield stored_row(*row)

    def links(self, after: int, stop: int) -> Iterator[Link]:
        statement = (
            f"SELECT position, previous, hash FROM {self.chain} "
            f"WHERE position > ? AND position <= ? ORDER BY position LIMIT {BATCH}"
        )
        for position, previous, digest in _batches(
            lambda a, s: self._rows(statement, (a, s)), after, stop
        ):
            yield Link(position, previous, bytes(digest))

    def link_at(self, position: int) -> Link | None:
        rows = self._rows(
            f"SELECT position, previous, hash FROM {self.chain} WHERE position = ?", (position,)
        )
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def head(self) -> Link | None:
        rows = self._rows(
            f"SELECT position, previous, hash FROM {self.chain} ORDER BY position DESC LIMIT 1", ()
        )
        return Link(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def exists(self) -> bool:
        rows = self._rows(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (self.chain,)
        )
        return bool(rows)

    def backfill(self) -> int:
        """Link every event when no link exists yet (a log older than the chain)."""
        with self.datastore.transaction(commit=True) as c:
            # Takes SQLite's write lock first, so no event is stored while this reads.
            c.execute(f"DELETE FROM {self.chain} WHERE 0")
            c.execute(f"SELECT 1 FROM {self.chain} LIMIT 1")
            if c.fetchone() is not None:
                return 0
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table} ORDER BY rowid"
            )
            rows = [stored_row(*r) for r in c.fetchall()]
            links = links_for(None, rows)
            c.executemany(
                f"INSERT INTO {self.chain} (position, previous, hash) VALUES (?, ?, ?)",
                [(k.position, k.previous, k.hash) for k in links],
            )
            return len(links)

    def import_log(self, events: Sequence[StoredRow]) -> Link | None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.chain} WHERE 0")  # the write lock, first
            c.execute(f"SELECT 1 FROM {self.events_table} LIMIT 1")
            if c.fetchone() is not None:
                raise LogNotEmpty("the database's log is not empty")
            c.executemany(
                f"INSERT INTO {self.events_table} (rowid, originator_id, originator_version, "
                "topic, state) VALUES (?, ?, ?, ?, ?)",
                [(e.position, e.aggregate_id.hex, e.version, e.topic, e.state) for e in events],
            )
            SQLiteLinker(self.events_table).link(c, events)  # the head read: none known
            c.execute(
                f"SELECT position, previous, hash FROM {self.chain} ORDER BY position DESC LIMIT 1"
            )
            row = c.fetchone()
            return Link(row[0], row[1], bytes(row[2])) if row else None


def chain_of(recorder: object) -> ChainStore:
    """The chain kept by an application recorder of mops (projections/subscriptions.py)."""
    chain = getattr(recorder, "chain", None)
    if chain is None:
        raise TypeError(f"{type(recorder).__name__} keeps no hash chain")
    return cast(ChainStore, chain)
