"""Typed ports: what a handler may read beyond the aggregates it loads.

A port is given to the back office when it is built (the composition root wires the
read model behind it); a handler reaches it through its `Context`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class KpiAttainment(Protocol):
    """An employee's KPI attainment for a period, from the `kpis` read model.

    `head` is the log position the reading must include: the port answers None when
    the read model cannot catch up to it, so a command is refused rather than decided
    on stale figures.
    """

    def __call__(self, employee_id: str, period: str, head: int) -> Mapping[str, Any] | None: ...


def no_kpi_attainment(employee_id: str, period: str, head: int) -> Mapping[str, Any] | None:
    """The port of a back office built without a read side: no reading."""
    return None


@runtime_checkable
class Pseudonyms(Protocol):
    """What turns personal text into a keyed digest (the event store's mapper does)."""

    def pseudonym(self, text: str) -> str: ...


@dataclass(frozen=True)
class Ports:
    """The read ports of one back office."""

    kpi_attainment: KpiAttainment = no_kpi_attainment
