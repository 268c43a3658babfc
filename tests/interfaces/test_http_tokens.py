"""A bearer token is checked once per process and taken until it expires, never after.

`interfaces/http/deps.py` remembers the tokens it took (their signature check is a
measurable part of a command's CPU): an expired one is refused though it was taken
before, and a token taken under one secret is not taken under another.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from interfaces.auth import Unauthenticated, mint
from interfaces.http.deps import taken_caller
from tests.conftest import assert_problem, bearer

SECRET = "tokens-test-" + "k" * 32


def test_a_token_taken_once_is_refused_once_it_has_expired(client):
    lasting = bearer("sam", "sales", ttl=timedelta(seconds=2))
    assert client.get("/customers", headers=lasting).status_code == 200
    assert client.get("/customers", headers=lasting).status_code == 200
    time.sleep(2.2)
    assert_problem(client.get("/customers", headers=lasting), 401, "unauthenticated")


def test_a_token_taken_under_one_secret_is_refused_under_another():
    header = f"Bearer {mint(SECRET, 'sam', ['sales'], timedelta(hours=1))}"
    caller = taken_caller(header, SECRET, 60 * 12)
    assert (caller.actor, caller.roles) == ("sam", frozenset({"sales"}))
    assert taken_caller(header, SECRET, 60 * 12) == caller
    with pytest.raises(Unauthenticated):
        taken_caller(header, "another-" + SECRET, 60 * 12)
    # Nor under a shorter longest lifetime than the token's.
    with pytest.raises(Unauthenticated):
        taken_caller(header, SECRET, 30)


def test_a_token_without_a_role_of_mops_is_refused_every_time(client):
    nobody = bearer("nobody")
    for _ in range(2):
        assert_problem(client.get("/customers", headers=nobody), 403, "forbidden")
