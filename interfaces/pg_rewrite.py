"""Rewrite PostgreSQL tables so that the old versions of their rows leave the files.

`VACUUM FULL` copies a table anew, but it keeps every dead row version that a transaction
still open in the same database might see (a "recently dead" tuple). A report running at
the moment of an erasure, or any other open snapshot, would keep the erased values in the
rewritten file. So the rewrite first waits, for a bounded time, until every snapshot older
than the moment it was asked for has ended, and every transaction that had begun writing by
then; then it rewrites. A session that outlives the wait is logged by its process id: the
old versions stay until the next rewrite of that table (the next erasure) or the next
routine vacuum.

Only client sessions are waited for (PostgreSQL leaves vacuum workers out when it
decides what a rewrite may drop). Sessions of other roles show no `backend_xmin` to a
role without `pg_read_all_stats`: for them the wait sees nothing and the rewrite runs at
once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import psycopg

REWRITE_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.02

log = logging.getLogger("mops.erasure")

# A session holds the horizon back with its snapshot (`backend_xmin`) and, between the
# statements of a transaction that has written, with its transaction id (`backend_xid`)
# while it holds no snapshot at all.
_OLDER_SNAPSHOTS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
    "AND ((backend_xmin IS NOT NULL AND age(backend_xmin) >= age(%(mark)s::xid)) "
    "OR (backend_xid IS NOT NULL AND age(backend_xid) >= age(%(mark)s::xid)))"
)


def rewrite_tables(
    connection: psycopg.Connection[Any],
    tables: Sequence[str],
    *,
    wait_seconds: float = REWRITE_WAIT_SECONDS,
) -> list[str]:
    """`VACUUM FULL` each table once no snapshot older than this call remains (or the wait
    is over); the tables rewritten. The connection is left in its autocommit mode."""
    autocommit = connection.autocommit
    connection.autocommit = True  # VACUUM cannot run in a transaction
    try:
        [row] = connection.execute("SELECT pg_current_xact_id()::xid::text").fetchall()
        holders = _wait_for_older_snapshots(connection, str(_first(row)), wait_seconds)
        if holders:
            log.warning(
                "rewriting %s while sessions %s still hold older snapshots: their old row "
                "versions stay until the next rewrite",
                ", ".join(tables),
                holders,
            )
        for table in tables:
            connection.execute(f"VACUUM FULL {table}")
    finally:
        connection.autocommit = autocommit
    return list(tables)


def _wait_for_older_snapshots(
    connection: psycopg.Connection[Any], mark: str, wait_seconds: float
) -> list[int]:
    deadline = time.monotonic() + wait_seconds
    while True:
        rows = connection.execute(_OLDER_SNAPSHOTS, {"mark": mark}).fetchall()
        holders = [int(_first(row)) for row in rows]
        if not holders or time.monotonic() >= deadline:
            return holders
        time.sleep(_POLL_SECONDS)


def _first(row: Any) -> Any:
    """The first column of a row, whether the connection makes tuples or dicts."""
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
