"""Which handler decides which command: every context's `HANDLERS`, joined."""

from __future__ import annotations

from application.commands import Command
from application.handlers import (
    Handler,
    budgets,
    campaigns,
    complaints,
    contracts,
    customers,
    employees,
    expense_claims,
    marketing_plans,
    notifications,
    opportunities,
    price_lists,
    research_reports,
    risks,
    staffing,
    training_programs,
)

HANDLERS: dict[type[Command], Handler] = {
    **customers.HANDLERS,
    **contracts.HANDLERS,
    **budgets.HANDLERS,
    **campaigns.HANDLERS,
    **complaints.HANDLERS,
    **employees.HANDLERS,
    **opportunities.HANDLERS,
    **price_lists.HANDLERS,
    **marketing_plans.HANDLERS,
    **risks.HANDLERS,
    **expense_claims.HANDLERS,
    **staffing.HANDLERS,
    **notifications.HANDLERS,
    **training_programs.HANDLERS,
    **research_reports.HANDLERS,
}
