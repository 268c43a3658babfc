"""PostgreSQL on several hosts: the library's factory, told libpq's own connection options.

A `MOPS_DATABASE_URL` may list several hosts (`postgresql://u@h1:5432,h2:5432/db`) and
carry libpq's connection options in its query (`target_session_attrs=read-write`,
`connect_timeout`, `keepalives_idle`, ...). The library's `PostgresDatastore` hands
`host` and `port` to psycopg as they are, so comma-separated lists reach libpq, which
tries the hosts in turn; but it has no setting for any other libpq option. The factory
below adds them to its connection pool's parameters before the pool opens. With
`target_session_attrs=read-write` every connection goes to the one host that takes
writes: the primary of a failover cluster, whichever node that is at the time. It also
keeps the pool looking for that host without long pauses while requests wait.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from time import monotonic
from typing import Any
from urllib.parse import unquote

import psycopg
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType, strtobool
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import PoolTimeout

LIBPQ_OPTIONS = "POSTGRES_LIBPQ_OPTIONS"
# Set ("y"): every factory of this process for the same database and schema uses one
# pool, as large as the largest asked for (interfaces/settings.py: MOPS_DB_POOL_SIZE).
SHARED_POOL = "POSTGRES_SHARED_POOL"
RECONNECT_TIMEOUT = "POSTGRES_RECONNECT_TIMEOUT"
DEFAULT_PORT = "5432"

# Fail fast when a host is gone, so a request answers instead of hanging: libpq stops
# connecting to a host after connect_timeout (set from the pool's timeout); keepalives
# notice a host that vanished under an idle connection (a LISTEN) after about
# 5 + 3 x 2 s; unacknowledged writes to it give up after tcp_user_timeout (ms).
FAIL_FAST_OPTIONS = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
    "tcp_user_timeout": "10000",
}
# Said by the URL's authority and path, never by its query.
_PARTS_OF_THE_URL = frozenset({"host", "hostaddr", "port", "dbname", "user", "password"})


def _host_and_port(item: str) -> tuple[str, str]:
    if item.startswith("["):  # [::1]:5432
        host, _, rest = item[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = item.partition(":")
    if port and not port.isdigit():
        raise ValueError(f"MOPS_DATABASE_URL: bad port {port!r}")
    return unquote(host) or "127.0.0.1", port or DEFAULT_PORT


def hosts_and_ports(netloc: str) -> tuple[str, str]:
    """libpq's `host` and `port` lists of a URL's authority: `user@h1:p1,h2:p2`."""
    pairs = [_host_and_port(item) for item in netloc.rpartition("@")[2].split(",")]
    return ",".join(host for host, _ in pairs), ",".join(port for _, port in pairs)


def libpq_options(options: Mapping[str, str], connect_timeout: str) -> str:
    """A conninfo of libpq's options from a URL's query, over the fail-fast defaults."""
    misplaced = sorted(_PARTS_OF_THE_URL.intersection(options))
    if misplaced:
        names = ", ".join(misplaced)
        raise ValueError(f"MOPS_DATABASE_URL: {names} must come before the '?', not in the query")
    merged = {**FAIL_FAST_OPTIONS, "connect_timeout": connect_timeout, **options}
    try:
        return make_conninfo("", **merged)
    except psycopg.ProgrammingError as error:
        raise ValueError(f"MOPS_DATABASE_URL: {str(error).strip()}") from None


def connect_kwargs(env: Mapping[str, str]) -> dict[str, Any]:
    """psycopg's connection parameters for the database of a library environment."""
    return {
        "dbname": env.get("POSTGRES_DBNAME", "postgres"),
        "host": env.get("POSTGRES_HOST", "127.0.0.1"),
        "port": env.get("POSTGRES_PORT", DEFAULT_PORT),
        "user": env.get("POSTGRES_USER", "postgres"),
        "password": env.get("POSTGRES_PASSWORD", ""),
        **conninfo_to_dict(env.get(LIBPQ_OPTIONS, "")),
    }


class MultiHostPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, whose connections also take libpq's options.

    With `SHARED_POOL` set, the factories of one process for one database and schema
    (the application's, the read models', the personal-data keys') share one datastore,
    so the process holds at most that pool's connections whatever uses them.
    """

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        options = conninfo_to_dict(self.env.get(LIBPQ_OPTIONS) or "")
        parameters = self.datastore.pool.kwargs
        assert isinstance(parameters, dict), "the library passes its parameters as a dict"
        # The pool opens on first use: every connection it makes takes these.
        parameters.update(options)
        self._shared_key: tuple[Any, ...] | None = None
        self._given_back = False
        if strtobool(self.env.get(SHARED_POOL) or "n"):
            self._shared_key = (self.datastore.schema, *sorted(parameters.items()))
            own, self.datastore = self.datastore, _SHARED.take(self._shared_key, self.datastore)
            if own is not self.datastore:
                own.close()  # never opened: the shared one serves instead
                return
        self._configure_pool()

    def _configure_pool(self) -> None:
        # The pool replaces a lost connection in the background, trying again 1, 2, 4,
        # 8, 16 s apart... for 5 minutes, and grows by one such attempt at a time: a
        # primary back 13 s after a failover was found at 15 s (it could be 31 s).
        # Given up when a request waiting for a connection gives up (the library then
        # asks again, which starts a new attempt), attempts are at most 2 s apart.
        pool = self.datastore.pool
        pool.reconnect_timeout = float(self.env.get(RECONNECT_TIMEOUT) or pool.timeout)
        fail_fast(pool)

    def __exit__(self, *exc_info: Any) -> None:
        # The library's closes the datastore's pool, which others may share.
        self.close()

    def close(self) -> None:
        # Closed more than once (an application's `__del__` closes it again): its share
        # of a shared datastore is given back once.
        if self._shared_key is None:
            super().close()
        elif not self._given_back:
            self._given_back = True
            _SHARED.give_back(self._shared_key)


class SharedDatastores:
    """The datastores shared in this process, each closed when its last user gives it back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._datastores: dict[tuple[Any, ...], tuple[PostgresDatastore, int]] = {}

    def take(self, key: tuple[Any, ...], offered: PostgresDatastore) -> PostgresDatastore:
        """The datastore shared under `key`: the one offered when there is none yet.

        Its pool may grow to the largest size any of its users asked for (it keeps open
        what its first user asked for: growing that would need the pool open).
        """
        with self._lock:
            datastore, users = self._datastores.get(key, (offered, 0))
            self._datastores[key] = (datastore, users + 1)
            pool = datastore.pool
            if offered.pool.max_size > pool.max_size:
                pool.resize(pool.min_size, offered.pool.max_size)
            return datastore

    def give_back(self, key: tuple[Any, ...]) -> None:
        with self._lock:
            datastore, users = self._datastores[key]
            if users > 1:
                self._datastores[key] = (datastore, users - 1)
                return
            del self._datastores[key]
        datastore.close()


_SHARED = SharedDatastores()


# How long, once a request could not get a connection, others finding none idle give up at
# once: longer than the library's retries of one call (10 attempts 0.2 s apart), so that a
# request answers 503 after one wait for the pool, not ten (API.md: within 5 s).
FAIL_FAST_SECONDS = 2.5


class DatabaseUnreachable(PoolTimeout):
    """No connection: the pool's attempts to connect to the database are failing."""


class DatabaseBusy(PoolTimeout):
    """No connection: every connection the pool may hold is in use."""


def fail_fast(pool: Any) -> None:
    """Make a pool give up at once for a while after a request could not get a connection.

    The library retries a failed call ten times, each waiting the pool's timeout for a
    connection: 30 s and more while the database was away. After one wait ends without a
    connection, a request that finds no idle one fails for `FAIL_FAST_SECONDS` with the
    same reason (the database unreachable, or every connection busy); the next one after
    that waits again, which also makes the pool try to connect again.
    """
    given_up: list[tuple[float, type[PoolTimeout]]] = []
    getconn = pool.getconn

    def getconn_failing_fast(timeout: float | None = None) -> Any:
        if given_up and not pool._pool and monotonic() - given_up[0][0] < FAIL_FAST_SECONDS:
            raise given_up[0][1]("no connection was had lately; giving up at once")
        errors_before = pool.get_stats().get("connections_errors", 0)
        try:
            connection = getconn(timeout)
        except PoolTimeout as error:
            stats = pool.get_stats()
            # Room left to grow, yet no connection came: connecting is what fails.
            failing = stats.get("connections_errors", 0) > errors_before or stats.get(
                "pool_size", 0
            ) < stats.get("pool_max", 0)
            reason = DatabaseUnreachable if failing else DatabaseBusy
            given_up[:] = [(monotonic(), reason)]
            raise reason(str(error)) from None
        given_up.clear()
        return connection

    pool.getconn = getconn_failing_fast
