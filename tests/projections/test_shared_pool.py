"""One pool per process and database (projections/postgres.py, `SHARED_POOL`): the
application, the read models and the personal-data keys draw on the same connections,
and one user closing (once or twice) leaves the others working."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from pydantic import ValidationError

from interfaces.settings import Settings
from projections.postgres import SHARED_POOL
from tests.conftest import DEV_JWT_SECRET, Database, new_database


@pytest.fixture
def env(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    database: Database = new_database("postgres", tmp_path_factory)
    try:
        settings = Settings(database_url=database.url, jwt_secret=DEV_JWT_SECRET, db_pool_size=3)
        yield settings.persistence_env()
    finally:
        database.close()


def construct(name: str, env: dict[str, str]) -> InfrastructureFactory:
    return InfrastructureFactory.construct(Environment(name, env))


def answers(factory: InfrastructureFactory) -> bool:
    with factory.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT 1 AS one")
        return cursor.fetchone()["one"] == 1


def test_factories_of_one_database_share_one_pool_of_mops_db_pool_size(env):
    first, second = construct("Backoffice", env), construct("read_models", env)
    own = construct("reader", {**env, SHARED_POOL: "n"})
    try:
        assert first.datastore is second.datastore  # type: ignore[attr-defined]
        assert own.datastore is not first.datastore  # type: ignore[attr-defined]
        assert first.datastore.pool.max_size == 3  # type: ignore[attr-defined]
        assert answers(first) and answers(second) and answers(own)
    finally:
        own.close()
        second.close()
        first.close()


def test_closing_one_user_twice_leaves_the_others_working(env):
    first, second = construct("Backoffice", env), construct("read_models", env)
    pool = first.datastore.pool  # type: ignore[attr-defined]
    second.close()
    second.close()  # an application's __del__ closes its factory again
    assert answers(first)
    first.close()
    assert pool.closed
    again = construct("Backoffice", env)
    try:
        assert again.datastore.pool is not pool  # type: ignore[attr-defined]
        assert answers(again)
    finally:
        again.close()


def test_a_user_asking_for_a_larger_pool_grows_the_shared_one(env):
    small = construct("reader", {**env, "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"})
    large = construct("Backoffice", env)
    try:
        assert small.datastore is large.datastore  # type: ignore[attr-defined]
        assert large.datastore.pool.max_size == 3  # type: ignore[attr-defined]
    finally:
        large.close()
        small.close()


def pool_sizes(url_query: str, **settings: object) -> tuple[str, str]:
    url = f"postgresql://postgres@127.0.0.1:5432/test{url_query}"
    env = Settings(database_url=url, jwt_secret=DEV_JWT_SECRET, **settings).persistence_env()
    return env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]


def test_the_pool_is_capped_at_mops_db_pool_size_and_the_url_may_only_lower_it():
    assert pool_sizes("") == ("2", "8")
    assert pool_sizes("", db_pool_size=4) == ("2", "2")
    assert pool_sizes("?pool_size=20") == ("10", "0")
    assert pool_sizes("?pool_size=1&max_overflow=2") == ("1", "2")
    assert pool_sizes("?max_overflow=50") == ("2", "8")


def test_a_pool_size_that_is_no_whole_number_is_refused_by_name():
    with pytest.raises(ValueError, match="pool_size must be a whole number"):
        pool_sizes("?pool_size=many")
    with pytest.raises(ValueError, match="max_overflow must be a whole number"):
        pool_sizes("?max_overflow=-1")
    with pytest.raises(ValidationError, match="db_pool_size"):
        pool_sizes("", db_pool_size=1)
