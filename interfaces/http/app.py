"""The FastAPI application of mops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from interfaces.bootstrap import Services, build
from interfaces.http import errors, openapi
from interfaces.http.exports import install as install_exports
from interfaces.http.metrics import Metrics
from interfaces.http.middleware import BodyLimit, RequestLog
from interfaces.http.reads import storable_parameters
from interfaces.http.routers import (
    audit,
    budgets,
    campaigns,
    complaints,
    contracts,
    customers,
    departments,
    employees,
    expense_claims,
    marketing_plans,
    notifications,
    opportunities,
    price_lists,
    reports_dunning,
    reports_follow_ups,
    reports_kpis,
    reports_learning,
    reports_marketing,
    reports_pipeline,
    reports_recruitment,
    reports_risks,
    reports_sales,
    reports_service,
    research_reports,
    risks,
    staffing_plans,
    system,
    training_programs,
    webhooks,
)
from interfaces.settings import Settings
from interfaces.web import routes as pages


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    dev: bool = False,
) -> FastAPI:
    """The HTTP API of API.md; builds its services in the lifespan unless given them."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build(settings or Settings(), dev=dev)
        try:
            yield
        finally:
            if owned:
                app.state.services.close()

    app = FastAPI(
        title="mops",
        version="0.1.0",
        summary="Event-sourced back office of a marketing company",
        lifespan=lifespan,
        dependencies=[Depends(storable_parameters)],
        **openapi.WITHOUT_CDN_DOCS,
    )
    openapi.install(app)
    # Inside `errors.install`'s UnexpectedErrors: a body cut short at the limit is no error.
    app.add_middleware(BodyLimit)
    install_exports(app)  # lists and reports as CSV or xlsx too (exports.py)
    errors.install(app)
    # Outermost: every answer, errors and 413 included, carries the request id and is
    # logged and counted once.
    app.state.metrics = Metrics(lambda: getattr(app.state, "services", None))
    app.add_middleware(RequestLog, metrics=app.state.metrics)
    app.include_router(system.router)
    app.include_router(customers.router)
    app.include_router(contracts.router)
    app.include_router(audit.router)
    app.include_router(reports_sales.router)
    app.include_router(budgets.router)
    app.include_router(campaigns.router)
    app.include_router(reports_marketing.router)
    app.include_router(complaints.router)
    app.include_router(employees.router)
    app.include_router(reports_service.router)
    app.include_router(reports_kpis.router)
    app.include_router(price_lists.router)
    app.include_router(opportunities.router)
    app.include_router(reports_pipeline.router)
    app.include_router(marketing_plans.router)
    app.include_router(risks.router)
    app.include_router(expense_claims.router)
    app.include_router(reports_risks.router)
    app.include_router(reports_follow_ups.router)
    app.include_router(staffing_plans.router)
    app.include_router(departments.router)
    app.include_router(reports_recruitment.router)
    app.include_router(notifications.router)
    app.include_router(webhooks.router)
    app.include_router(reports_dunning.router)
    app.include_router(training_programs.router)
    app.include_router(research_reports.router)
    app.include_router(reports_learning.router)
    app.mount("/ui/static", pages.static_files(), name="ui-static")
    app.include_router(pages.router)
    return app
