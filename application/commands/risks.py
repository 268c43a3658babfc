"""Risk commands (DOMAIN.md, Risk): the register, assessments and the actions treating a risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from application.commands import Command


@dataclass(frozen=True)
class IdentifyRisk(Command):
    """Enter a risk in the register; its owner is whoever identifies it unless named."""

    permission = "risk.identify"
    creates = True
    category: str
    title: str
    description: str
    owner_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AssessRisk(Command):
    """Assess (or reassess) the open risk: its likelihood and impact give its level."""

    permission = "risk.assess"
    risk_id: UUID
    likelihood: int
    impact: int
    rationale: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class AddRiskAction(Command):
    """Plan an action treating the assessed risk; answers the new action's id."""

    permission = "risk.add_action"
    risk_id: UUID
    description: str
    due_on: date
    owner_id: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class CompleteRiskAction(Command):
    """Record an action of the risk as done, with its outcome."""

    permission = "risk.complete_action"
    risk_id: UUID
    action_id: UUID
    outcome: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class CloseRisk(Command):
    """Close the risk being mitigated, saying why."""

    permission = "risk.close"
    risk_id: UUID
    reason: str
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class ReopenRisk(Command):
    """Reopen a closed risk: mitigating while an action is open, else assessed."""

    permission = "risk.reopen"
    risk_id: UUID
    reason: str
    occurred_at: datetime | None = None
