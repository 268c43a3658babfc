"""Risk commands of the back office (DOMAIN.md, Risk).

Any role but the auditor issues them. Owner ids (of a risk, of an action) are taken as
given, as every other owner id is: not checked against the employees. The rules and
the state machine are the risk's own (domain/risk.py); an action's id is made here and
answered, as a guarantee's is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain.risk import Risk
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request


class RiskCommands:
    """The Risk commands; a part of `Backoffice`, whose machinery they use."""

    def identify_risk(
        self: Backoffice,
        request: Request,
        *,
        category: str,
        title: str,
        description: str,
        owner_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Enter a risk in the register."""

        def decide(cause: Cause) -> Decision:
            risk = Risk.identify(
                cause,
                id=uuid4(),
                category=category,
                title=title,
                description=description,
                owner_id=owner_id,
                occurred_at=occurred_at,
            )
            return risk, (), {}

        return self._run(request, "risk.identify", decide, created=True)

    def assess_risk(
        self: Backoffice,
        request: Request,
        risk_id: UUID,
        *,
        likelihood: int,
        impact: int,
        rationale: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "risk.assess",
            risk_id,
            Risk,
            lambda r, cause: r.assess(
                cause,
                likelihood=likelihood,
                impact=impact,
                rationale=rationale,
                occurred_at=occurred_at,
            ),
        )

    def add_risk_action(
        self: Backoffice,
        request: Request,
        risk_id: UUID,
        *,
        description: str,
        due_on: date,
        owner_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Plan an action on the risk; the answer's `action_id` is the new action's."""
        action_id = uuid4()

        def act(risk: Risk, cause: Cause) -> tuple[list, dict]:
            risk.add_action(
                cause,
                action_id=action_id,
                description=description,
                due_on=due_on,
                owner_id=owner_id,
                occurred_at=occurred_at,
            )
            return [], {"action_id": str(action_id)}

        return self._change(request, "risk.add_action", risk_id, Risk, act)

    def complete_risk_action(
        self: Backoffice,
        request: Request,
        risk_id: UUID,
        action_id: UUID,
        *,
        outcome: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "risk.complete_action",
            risk_id,
            Risk,
            lambda r, cause: r.complete_action(
                cause, action_id=action_id, outcome=outcome, occurred_at=occurred_at
            ),
        )

    def close_risk(
        self: Backoffice,
        request: Request,
        risk_id: UUID,
        reason: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "risk.close",
            risk_id,
            Risk,
            lambda r, cause: r.close(cause, reason, occurred_at),
        )

    def reopen_risk(
        self: Backoffice,
        request: Request,
        risk_id: UUID,
        reason: str,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "risk.reopen",
            risk_id,
            Risk,
            lambda r, cause: r.reopen(cause, reason, occurred_at),
        )
