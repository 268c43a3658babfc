"""Given events, when a command, then events: tests of pure domain logic, in memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.errors import DomainError
from domain.values import Cause

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def cause(actor: str = "alice", now: datetime = NOW) -> Cause:
    return Cause(actor, now)


def given(make: Callable[[], Any], *commands: Callable[[Any], None]) -> Any:
    """An aggregate after some commands, with nothing pending."""
    aggregate = make()
    for command in commands:
        command(aggregate)
    aggregate.collect_events()
    return aggregate


def then_events(aggregate: Any, when: Callable[[Any], None]) -> list[Any]:
    """The events the command triggers."""
    when(aggregate)
    return list(aggregate.collect_events())


def then_refused(aggregate: Any, when: Callable[[Any], None], code: str) -> DomainError:
    """The command is refused with the code, and nothing is pending."""
    version = aggregate.version
    with pytest.raises(DomainError) as refusal:
        when(aggregate)
    assert refusal.value.code == code, refusal.value.detail
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    return refusal.value
