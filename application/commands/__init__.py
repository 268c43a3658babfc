"""Commands as data: one frozen dataclass per command of DOMAIN.md, one module per context.

Each command names the permission it needs (a key of `application.permissions.COMMAND_ROLES`)
and carries what its handler needs and nothing else. `Backoffice.handle` checks the
permission once and runs the handler that `application.registry` maps it to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

# A look-up of a stored aggregate of any kind by its id; None when there is none.
Find = Callable[[UUID], Aggregate | None]


@dataclass(frozen=True)
class Command:
    """A request to change the back office, as data; its handler decides."""

    # The key of `COMMAND_ROLES` naming the roles that may issue it.
    permission: ClassVar[str]
    # True when the command creates the aggregate it answers with (HTTP 201).
    creates: ClassVar[bool] = False

    def turn(self, find: Find) -> UUID | None:
        """The aggregate whose in-process turn the command takes, or None.

        Commands on a hot aggregate (a budget) take turns within one process, so that
        racing threads queue instead of losing most optimistic races to each other.
        `find` serves a command that changes a hot aggregate named by the one it
        addresses (a campaign's budget).
        """
        return None
