"""Handlers as functions: `(command, context) -> Decision`, one module per context.

A handler loads what it needs through the `Context`, calls the aggregates' command
methods (which decide and record events) and returns the aggregates to save together.
Each module ends with `HANDLERS`, mapping its command classes to their handlers;
`application.registry` joins them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from application.commands import Command
from application.context import Context
from application.messages import Decision

Handler = Callable[[Any, Context], Decision]
Handlers = Mapping[type[Command], Handler]
