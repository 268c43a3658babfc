"""A command's request fingerprint is computed only when it carries an Idempotency-Key.

Only a replayed key compares fingerprints; hashing every command's body without one was
2.3 % of a command's CPU under load (issue 16).
"""

from __future__ import annotations

from uuid import uuid4

import pytest

import interfaces.http.commands as commands
from tests.conftest import bearer

SALES = bearer("sam", "sales")


@pytest.fixture
def fingerprints(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fingerprints computed while the test runs."""
    computed: list[str] = []
    fingerprint = commands._fingerprint

    def counted(*args: object) -> str:
        computed.append(fingerprint(*args))  # type: ignore[arg-type]
        return computed[-1]

    monkeypatch.setattr(commands, "_fingerprint", counted)
    return computed


def lead() -> dict[str, object]:
    return {
        "name": f"Print {uuid4().hex[:8]}",
        "kind": "company",
        "source": "web",
        "contacts": [{"name": "Bob", "phone": str(uuid4().int)[:11]}],
    }


def test_no_fingerprint_without_a_key(client, fingerprints):
    answer = client.post("/customers", json=lead(), headers=SALES)
    assert answer.status_code == 201, answer.text
    assert fingerprints == []


def test_a_key_is_fingerprinted_and_its_replay_compared(client, fingerprints):
    headers = {**SALES, "Idempotency-Key": uuid4().hex}
    body = lead()
    first = client.post("/customers", json=body, headers=headers)
    again = client.post("/customers", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert len(fingerprints) == 2 and fingerprints[0] == fingerprints[1]
    other = client.post("/customers", json=lead(), headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
