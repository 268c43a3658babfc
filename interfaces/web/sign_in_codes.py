"""One-time sign-in links: `mops token --link` prints `MOPS_PUBLIC_URL/ui/sign-in?code=…`.

The link carries a random code, never the token: the code's SHA-256 and the token it opens
are kept in `mops_sign_in_codes` in the deployment's database for ten minutes. The first
use takes the token (an update that only one request can win, on either database, whatever
process answers it) and blanks it; a second use, or one after ten minutes, finds nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.persistence import IntegrityError, ProgrammingError

LIFETIME = timedelta(minutes=10)
TABLE = "mops_sign_in_codes"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class SignInCodes:
    """The codes table of one database, reached through the library's datastore."""

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore
        self.postgres = not type(datastore).__module__.endswith("sqlite")
        schema = getattr(datastore, "schema", "") if self.postgres else ""
        self.table = f'"{schema}".{TABLE}' if schema else TABLE
        self._made = False

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if not self._made:
            try:
                with self.datastore.transaction(commit=True) as cursor:
                    cursor.execute(
                        f"CREATE TABLE IF NOT EXISTS {self.table} (digest TEXT PRIMARY KEY, "
                        "token TEXT, expires_at TEXT NOT NULL)"
                    )
            except (IntegrityError, ProgrammingError):
                pass  # made by another process at the same moment
            self._made = True
        with self.datastore.transaction(commit=True) as cursor:
            yield cursor

    def _run(self, cursor: Any, statement: str, params: tuple[Any, ...]) -> None:
        cursor.execute(statement.replace("?", "%s") if self.postgres else statement, params)

    def issue(self, token: str, now: datetime | None = None) -> str:
        """A new code opening `token` once, within ten minutes."""
        code = secrets.token_urlsafe(24)
        expires = ((now or datetime.now(UTC)) + LIFETIME).isoformat()
        with self._cursor() as cursor:
            self._run(cursor, f"DELETE FROM {self.table} WHERE expires_at < ?", (expires,))
            self._run(
                cursor,
                f"INSERT INTO {self.table} (digest, token, expires_at) VALUES (?, ?, ?)",
                (_digest(code), token, expires),
            )
        return code

    def redeem(self, code: str, now: datetime | None = None) -> str | None:
        """The token a code opens, the first time it is used within its ten minutes."""
        moment = (now or datetime.now(UTC)).isoformat()
        with self._cursor() as cursor:
            self._run(
                cursor,
                f"SELECT token FROM {self.table} WHERE digest = ? AND token IS NOT NULL "
                "AND expires_at >= ?",
                (_digest(code), moment),
            )
            row = cursor.fetchone()
            if row is None:
                return None
            token = row["token"] if isinstance(row, dict) else row[0]
            # Only the update that finds the token still there wins it.
            self._run(
                cursor,
                f"UPDATE {self.table} SET token = NULL WHERE digest = ? AND token = ?",
                (_digest(code), token),
            )
            raw = getattr(cursor, "sqlite_cursor", cursor)  # the library wraps sqlite3's
            return str(token) if raw.rowcount == 1 else None


def codes_of(application: Any) -> SignInCodes:
    """The codes table of an application's database (its factory's datastore)."""
    return SignInCodes(application.factory.datastore)
