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

# The API's routers, in the order their operations appear in the OpenAPI document.
API_ROUTERS = (
    system.router,
    customers.router,
    contracts.router,
    audit.router,
    reports_sales.router,
    budgets.router,
    campaigns.router,
    reports_marketing.router,
    complaints.router,
    employees.router,
    reports_service.router,
    reports_kpis.router,
    price_lists.router,
    opportunities.router,
    reports_pipeline.router,
    marketing_plans.router,
    risks.router,
    expense_claims.router,
    reports_risks.router,
    reports_follow_ups.router,
    staffing_plans.router,
    departments.router,
    reports_recruitment.router,
    notifications.router,
    webhooks.router,
    reports_dunning.router,
    training_programs.router,
    research_reports.router,
    reports_learning.router,
)


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
    for router in API_ROUTERS:
        app.include_router(router)
    app.mount("/ui/static", pages.static_files(), name="ui-static")
    app.include_router(pages.router)
    return app
