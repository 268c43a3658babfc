"""Handlers of the MarketingPlan commands: `(command, context) -> Decision` each.

One plan a fiscal year: the draft is saved with its year's key (`MarketingPlanYear`, a
uuid5 of the year) in one `save()`, so of two racing drafts for a year one wins and the
other, decided again, is refused `duplicate_plan`. See `domain/marketing_plan.py`.
"""

from __future__ import annotations

from uuid import uuid4

from application.commands.marketing_plans import (
    AmendMarketingPlan,
    ApproveMarketingPlan,
    DraftMarketingPlan,
    RecordPlanMeasurement,
    ReturnMarketingPlan,
    ReviseMarketingPlan,
    SubmitMarketingPlan,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.marketing_plan import MarketingPlan, MarketingPlanYear


def draft_marketing_plan(cmd: DraftMarketingPlan, ctx: Context) -> Decision:
    """The plan claims its fiscal year: a second draft for the year is refused."""
    plan = MarketingPlan.draft(
        ctx.cause,
        id=uuid4(),
        fiscal_year=cmd.fiscal_year,
        strategies=cmd.strategies,
        targets=cmd.targets,
    )
    held = ctx.find_key(MarketingPlanYear.id_for(cmd.fiscal_year))
    return Decision(plan, (MarketingPlanYear.claim(ctx.cause, cmd.fiscal_year, plan.id, held),))


def amend_marketing_plan(cmd: AmendMarketingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, MarketingPlan)
    plan.amend(ctx.cause, strategies=cmd.strategies, targets=cmd.targets)
    return Decision(plan)


def submit_marketing_plan(cmd: SubmitMarketingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, MarketingPlan)
    plan.submit(ctx.cause)
    return Decision(plan)


def approve_marketing_plan(cmd: ApproveMarketingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, MarketingPlan)
    plan.approve(ctx.cause)
    return Decision(plan)


def return_marketing_plan(cmd: ReturnMarketingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, MarketingPlan)
    plan.return_(ctx.cause, cmd.comments)
    return Decision(plan)


def revise_marketing_plan(cmd: ReviseMarketingPlan, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, MarketingPlan)
    plan.revise(ctx.cause)
    return Decision(plan)


def record_plan_measurement(cmd: RecordPlanMeasurement, ctx: Context) -> Decision:
    plan = ctx.addressed(cmd.plan_id, MarketingPlan)
    plan.record_measurement(
        ctx.cause,
        metric=cmd.metric,
        period=cmd.period,
        value=cmd.value,
        source=cmd.source,
        method=cmd.method,
        occurred_at=cmd.occurred_at,
    )
    return Decision(plan)


HANDLERS: Handlers = {
    DraftMarketingPlan: draft_marketing_plan,
    AmendMarketingPlan: amend_marketing_plan,
    SubmitMarketingPlan: submit_marketing_plan,
    ApproveMarketingPlan: approve_marketing_plan,
    ReturnMarketingPlan: return_marketing_plan,
    ReviseMarketingPlan: revise_marketing_plan,
    RecordPlanMeasurement: record_plan_measurement,
}
