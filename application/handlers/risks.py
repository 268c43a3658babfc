"""Handlers of the Risk commands: `(command, context) -> Decision` each.

Owner ids (of a risk, of an action) are taken as given, as every other owner id is: not
checked against the employees. An action's id is made here and answered, as a
guarantee's is.
"""

from __future__ import annotations

from uuid import uuid4

from application.commands.risks import (
    AddRiskAction,
    AssessRisk,
    CloseRisk,
    CompleteRiskAction,
    IdentifyRisk,
    ReopenRisk,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.risk import Risk


def identify_risk(cmd: IdentifyRisk, ctx: Context) -> Decision:
    """Enter a new risk in the register."""
    risk = Risk.identify(
        ctx.cause,
        id=uuid4(),
        category=cmd.category,
        title=cmd.title,
        description=cmd.description,
        owner_id=cmd.owner_id,
        occurred_at=cmd.occurred_at,
    )
    return Decision(risk)


def assess_risk(cmd: AssessRisk, ctx: Context) -> Decision:
    """Assess the risk the command addresses."""
    risk = ctx.addressed(cmd.risk_id, Risk)
    risk.assess(
        ctx.cause,
        likelihood=cmd.likelihood,
        impact=cmd.impact,
        rationale=cmd.rationale,
        occurred_at=cmd.occurred_at,
    )
    return Decision(risk)


def add_risk_action(cmd: AddRiskAction, ctx: Context) -> Decision:
    """The answer names the new action (`action_id`)."""
    risk = ctx.addressed(cmd.risk_id, Risk)
    action_id = uuid4()
    risk.add_action(
        ctx.cause,
        action_id=action_id,
        description=cmd.description,
        due_on=cmd.due_on,
        owner_id=cmd.owner_id,
        occurred_at=cmd.occurred_at,
    )
    return Decision(risk, extra={"action_id": str(action_id)})


def complete_risk_action(cmd: CompleteRiskAction, ctx: Context) -> Decision:
    """Complete an action of the risk; an action the risk lacks is `not_found`."""
    risk = ctx.addressed(cmd.risk_id, Risk)
    risk.complete_action(
        ctx.cause, action_id=cmd.action_id, outcome=cmd.outcome, occurred_at=cmd.occurred_at
    )
    return Decision(risk)


def close_risk(cmd: CloseRisk, ctx: Context) -> Decision:
    """Close the risk the command addresses."""
    risk = ctx.addressed(cmd.risk_id, Risk)
    risk.close(ctx.cause, cmd.reason, cmd.occurred_at)
    return Decision(risk)


def reopen_risk(cmd: ReopenRisk, ctx: Context) -> Decision:
    """Reopen the risk the command addresses."""
    risk = ctx.addressed(cmd.risk_id, Risk)
    risk.reopen(ctx.cause, cmd.reason, cmd.occurred_at)
    return Decision(risk)


HANDLERS: Handlers = {
    IdentifyRisk: identify_risk,
    AssessRisk: assess_risk,
    AddRiskAction: add_risk_action,
    CompleteRiskAction: complete_risk_action,
    CloseRisk: close_risk,
    ReopenRisk: reopen_risk,
}
