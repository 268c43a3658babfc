"""ResearchReport commands through the application, on SQLite and PostgreSQL.

Publishing records the report's market measurements on the approved marketing plan of
their year in the same transaction; every refusal answers its code and stores nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from application.commands.marketing_plans import (
    ApproveMarketingPlan,
    DraftMarketingPlan,
    SubmitMarketingPlan,
)
from application.commands.research_reports import (
    AcceptResearchReport,
    AmendResearchReport,
    DraftResearchReport,
    ReturnResearchReport,
    SubmitResearchReport,
)
from domain.marketing_plan import MarketingPlan
from domain.research_report import ResearchReport
from tests.conftest import as_, refused

MARKETING = as_("mark", "marketing")
MANAGER = as_("mia", "sales_manager")
EXEC = as_("eve", "executive")
HR = as_("hana", "hr")

THIS_YEAR = datetime.now(UTC).year


@pytest.fixture(scope="module")
def plan_id(services):
    """The approved marketing plan of this year (one a year in the module's database)."""
    app = services.backoffice
    pid = app.handle(
        MARKETING,
        DraftMarketingPlan(
            fiscal_year=THIS_YEAR,
            strategies={"product": "lead with service"},
            targets=[{"period": "Q1", "market_share": "12"}],
        ),
    ).id
    app.handle(MARKETING, SubmitMarketingPlan(pid))
    app.handle(EXEC, ApproveMarketingPlan(pid))
    return pid


def fields(**overrides):
    body = {
        "title": "Market study",
        "topic": "agencies in the north",
        "method": "survey",
        "fieldwork_from": date(THIS_YEAR, 1, 5),
        "fieldwork_to": date(THIS_YEAR, 1, 20),
        "region": "north",
        "sample_size": 400,
        "market_size": "1200000.00",
        "growth_rate": "0.08",
        "competitors": [
            {
                "name": "Bluewave Media",
                "market_share": "21.5",
                "price_position": "low",
                "strengths": ["price"],
                "weaknesses": ["service"],
            }
        ],
        "swot": {"strengths": ["service"], "threats": ["price war"]},
        "customer_needs": ["faster reporting"],
        "findings": "prices drive choice",
        "recommendations": ["bundle reporting"],
        "measurements": [
            {"metric": "market_share", "period": f"{THIS_YEAR}-Q1", "value": "14.2"},
            {"metric": "satisfaction", "period": f"{THIS_YEAR}-Q1", "value": "78"},
        ],
    }
    body.update(overrides)
    return body


def test_publishing_records_the_market_measurements_on_the_years_plan(app, plan_id):
    rid = app.handle(MARKETING, DraftResearchReport(fields())).id
    app.handle(MARKETING, SubmitResearchReport(rid))
    app.handle(EXEC, ReturnResearchReport(rid, "add a panel"))
    app.handle(MARKETING, AmendResearchReport(rid, {"method": "mixed"}))
    app.handle(MARKETING, SubmitResearchReport(rid))
    before = len(app.get(plan_id, MarketingPlan).measurements)
    outcome = app.handle(EXEC, AcceptResearchReport(rid))
    report = app.get(rid, ResearchReport)
    assert (report.status, report.version, outcome.version) == ("published", 6, 6)
    assert report.plans_measured == {str(THIS_YEAR): str(plan_id)}
    plan = app.get(plan_id, MarketingPlan)
    # Only the market share goes on the plan: satisfaction stays on the report.
    assert len(plan.measurements) == before + 1
    measured = plan.measurements[-1]
    assert (measured["metric"], measured["period"], measured["value"]) == (
        "market_share",
        "Q1",
        Decimal("14.2"),
    )
    assert measured["source"] == f"research report {rid}"
    assert measured["method"] == "mixed"


def test_a_report_without_plan_measurements_needs_no_plan(app):
    body = fields(
        measurements=[{"metric": "satisfaction", "period": "1999-Q1", "value": "70"}],
        fieldwork_from=date(THIS_YEAR, 1, 1),
    )
    rid = app.handle(MANAGER, DraftResearchReport(body)).id
    app.handle(MANAGER, SubmitResearchReport(rid))
    app.handle(EXEC, AcceptResearchReport(rid))
    assert app.get(rid, ResearchReport).status == "published"


def test_every_refusal_answers_its_code_and_stores_nothing(app):
    refused(app, "forbidden", lambda: app.handle(HR, DraftResearchReport(fields())))
    for bad in (
        {"method": "guess"},
        {"fieldwork_to": date(THIS_YEAR - 1, 1, 1)},
        {"competitors": [{"name": "A", "price_position": "mid"}]},
        {"competitors": [{"name": "A"}, {"name": " a "}]},
        {"measurements": [{"metric": "market_share", "period": "2026-Q5", "value": "1"}]},
        {"measurements": [{"metric": "market_share", "period": "2026-Q1", "value": "101"}]},
        {"swot": {"hopes": ["x"]}},
        {"findings": " "},
        {"colour": "red"},
    ):
        refused(
            app,
            "validation_error",
            lambda bad=bad: app.handle(MARKETING, DraftResearchReport(fields(**bad))),
        )
    refused(app, "not_found", lambda: app.handle(MARKETING, SubmitResearchReport(uuid4())))
    rid = app.handle(
        MARKETING,
        DraftResearchReport(
            fields(measurements=[{"metric": "brand_awareness", "period": "1990-Q2", "value": "30"}])
        ),
    ).id
    refused(app, "invalid_state", lambda: app.handle(EXEC, AcceptResearchReport(rid)))
    refused(app, "invalid_state", lambda: app.handle(EXEC, ReturnResearchReport(rid, "no")))
    app.handle(MARKETING, SubmitResearchReport(rid))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(MARKETING, AmendResearchReport(rid, {"title": "x"})),
    )
    refused(app, "forbidden", lambda: app.handle(MARKETING, AcceptResearchReport(rid)))
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(as_("mark", "executive"), AcceptResearchReport(rid)),
    )
    # No marketing plan for 1990 to record the brand awareness on.
    problem = refused(app, "no_approved_plan", lambda: app.handle(EXEC, AcceptResearchReport(rid)))
    assert problem.facts["fiscal_year"] == 1990
