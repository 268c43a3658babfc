"""After an erasure: rewrite the PostgreSQL tables that held the subject's plain text.

The read models that copy personal fields fold `Customer.Erased` / `Employee.Erased` by
overwriting them with "[erased]" (and the audit log rewrites the subject's rows). On
PostgreSQL an update leaves the row's old version in the table's pages (a dead tuple) until
they are reused, and an index keeps the old keys likewise: the old values would still be in
the database's files. So, once those read models have folded the erasure, their tables are
rewritten (`VACUUM FULL`, which also rebuilds their indexes). SQLite overwrites deleted
content in place (`PRAGMA secure_delete`, see interfaces/personal_data.py).

The rewrite takes an exclusive lock on each table for as long as it runs: a legal request
that stops queries of those read models for that time (seconds for a large audit log).
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from interfaces.bootstrap import Services
from interfaces.pg_rewrite import rewrite_tables

# The read models that hold personal fields and fold an erasure.
READ_MODELS_WITH_PERSONAL_FIELDS = (
    "customer_directory",
    "employee_directory",
    "audit_log",
    "credit",
    "follow_ups",
    "notifications",  # its own copy of the credit facts, names included
)

log = logging.getLogger("mops.erasure")


def compact_after_erasure(services: Services, position: int) -> list[str]:
    """On PostgreSQL, once the read models have folded the erasure at `position`, rewrite
    their tables; the tables rewritten (none on SQLite, or when a read model did not fold
    it within the read wait, which is logged)."""
    if services.settings.dialect != "postgres":
        return []
    wait = services.settings.read_wait_seconds
    rewritten: list[str] = []
    for name in READ_MODELS_WITH_PERSONAL_FIELDS:
        if not services.read_side.wait(name, position, timeout=wait):
            log.warning(
                "erasure at %s: %s not folded in %.0f s, not compacted", position, name, wait
            )
            continue
        view = services.read_side.view(name)
        try:
            rewritten += _vacuum_full(view, [view.table(t) for t in view.table_names])
        except psycopg.Error as error:  # the erasure stands; only the rewrite is missing
            log.warning("erasure at %s: %s not compacted: %s", position, name, error)
    return rewritten


def _vacuum_full(view: Any, tables: list[str]) -> list[str]:
    with view.datastore.get_connection() as connection:
        return rewrite_tables(connection, tables)
