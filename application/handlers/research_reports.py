"""Handlers of the ResearchReport commands: `(command, context) -> Decision` each.

Accepting publishes the report and records its market measurements on the marketing plan
of each year they measure, found through the plan's year key (`MarketingPlanYear`); the
plans are saved with the report in one transaction.
"""

from __future__ import annotations

from uuid import uuid4

from application.commands.research_reports import (
    AcceptResearchReport,
    AmendResearchReport,
    DraftResearchReport,
    ReturnResearchReport,
    SubmitResearchReport,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.marketing_plan import MarketingPlan, MarketingPlanYear
from domain.research_report import ResearchReport


def draft_research_report(cmd: DraftResearchReport, ctx: Context) -> Decision:
    return Decision(ResearchReport.draft(ctx.cause, id=uuid4(), **cmd.fields))


def amend_research_report(cmd: AmendResearchReport, ctx: Context) -> Decision:
    report = ctx.addressed(cmd.report_id, ResearchReport)
    report.amend(ctx.cause, **cmd.changes)
    return Decision(report)


def submit_research_report(cmd: SubmitResearchReport, ctx: Context) -> Decision:
    report = ctx.addressed(cmd.report_id, ResearchReport)
    report.submit(ctx.cause)
    return Decision(report)


def _plan_of(ctx: Context, year: int) -> MarketingPlan | None:
    key = ctx.find_key(MarketingPlanYear.id_for(year))
    if key is None:
        return None
    plan = ctx.find(key.plan_id)
    return plan if isinstance(plan, MarketingPlan) else None


def accept_research_report(cmd: AcceptResearchReport, ctx: Context) -> Decision:
    """The measurements go on the plans of their years, saved with the report."""
    report = ctx.addressed(cmd.report_id, ResearchReport)
    plans = {year: _plan_of(ctx, year) for year in report.plan_years()}
    report.accept(ctx.cause, plans)
    return Decision(report, tuple(p for p in plans.values() if p is not None))


def return_research_report(cmd: ReturnResearchReport, ctx: Context) -> Decision:
    report = ctx.addressed(cmd.report_id, ResearchReport)
    report.return_(ctx.cause, cmd.comments)
    return Decision(report)


HANDLERS: Handlers = {
    DraftResearchReport: draft_research_report,
    AmendResearchReport: amend_research_report,
    SubmitResearchReport: submit_research_report,
    AcceptResearchReport: accept_research_report,
    ReturnResearchReport: return_research_report,
}
