"""Budget execution and campaign figures against hand-computed expectations, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from application.commands.budgets import ApproveBudget, DraftBudget, SubmitBudget
from application.commands.campaigns import (
    ApproveCampaign,
    DraftCampaign,
    LaunchCampaign,
    RecordCampaignResult,
    SubmitCampaign,
)
from application.commands.customers import RegisterLead
from domain.budget import Budget
from domain.values import Cause
from projections.budget_execution import BudgetExecutionProjection
from projections.campaigns import report_item
from projections.runner import READ_MODELS, close_view, fresh_view
from tests.conftest import as_

STANDARDS = {"travel": Decimal("20000.00")}


def at(day: int, month: int = 2) -> Cause:
    return Cause("fiona", datetime(2026, month, day, tzinfo=UTC))


def by(actor: str, cause: Cause) -> Cause:
    return Cause(actor, cause.now, cause.backdating)


@pytest.fixture
def hand_view(module_database):
    spec = READ_MODELS["budget_execution"]
    env, dialect = module_database.env(), module_database.dialect
    view = fresh_view(spec, env, dialect, prefix="hand_")
    yield view
    view.drop()
    close_view(view)


def line(report, category, period):
    return next(x for x in report["lines"] if (x["category"], x["period"]) == (category, period))


def test_budget_execution_by_hand(hand_view):
    t0, t1, t2, t3 = at(10), at(12), at(16), at(20)
    budget = Budget.draft(
        t0,
        id=uuid4(),
        fiscal_year=2026,
        lines=[
            {"category": "promotion", "period": "Q1", "amount": "12000.00"},
            {"category": "sales", "period": "Q1", "amount": "6000.00"},
        ],
    )
    budget.submit(t0)
    budget.approve(by("eve", t0))
    budget.commit(t0, category="promotion", period="Q1", amount=Decimal(5000), reference="fair")
    budget.record_expense(
        t1,
        STANDARDS,
        category="promotion",
        period="Q1",
        amount=Decimal(3000),
        expense_type="advertising",
        reference="fair",
        description="banners",
    )
    budget.record_expense(
        t2,
        STANDARDS,
        category="promotion",
        period="Q1",
        amount=Decimal(1500),
        expense_type="event",
        description="booth",
        occurred_at=datetime(2026, 2, 14, tzinfo=UTC),
    )
    budget.reallocate(
        by("eve", t2),
        from_category="sales",
        from_period="Q1",
        to_category="promotion",
        to_period="Q1",
        amount=Decimal(1000),
        reason="fair",
    )
    overrun = uuid4()
    budget.request_overrun(
        by("sam", t2),
        overrun_id=overrun,
        category="promotion",
        period="Q1",
        amount=Decimal(2000),
        justification="second fair",
    )
    budget.approve_overrun(by("eve", t2), overrun)
    budget.record_expense(
        t3,
        STANDARDS,
        category="sales",
        period="Q1",
        amount=Decimal(800),
        expense_type="travel",
        description="visit",
    )
    budget.release_commitment(t3, "fair")
    projection = BudgetExecutionProjection(hand_view)
    for position, event in enumerate(budget.collect_events(), start=1):
        projection.process_event(event, Tracking("Backoffice", position))

    # Halfway through Q1 (45 of 90 days): the commitment, the consumed part and the
    # back-dated booth count; the reallocation, overrun, travel and release do not yet.
    early = hand_view.report(str(budget.id), datetime(2026, 2, 15, tzinfo=UTC))
    assert (early["fiscal_year"], early["status"]) == (2026, "approved")
    assert line(early, "promotion", "Q1") == {
        "category": "promotion",
        "period": "Q1",
        "planned": "12000.00",
        "adjustments": "0.00",
        "overruns_approved": "0.00",
        "committed": "2000.00",
        "spent": "4500.00",
        "available": "5500.00",
        "utilisation": 0.5417,
        "deviation": "-1500.00",
    }
    assert line(early, "sales", "Q1")["deviation"] == "-3000.00"
    assert line(early, "sales", "Q1")["utilisation"] == 0.0
    assert line(early, "personnel", "Q4")["utilisation"] is None
    assert early["by_expense_type"]["advertising"] == "3000.00"
    assert early["by_expense_type"]["event"] == "1500.00"
    assert early["by_expense_type"]["travel"] == "0.00"
    assert len(early["lines"]) == 16

    late = hand_view.report(str(budget.id), datetime(2026, 4, 30, tzinfo=UTC))
    assert line(late, "promotion", "Q1") == {
        "category": "promotion",
        "period": "Q1",
        "planned": "12000.00",
        "adjustments": "1000.00",
        "overruns_approved": "2000.00",
        "committed": "0.00",
        "spent": "4500.00",
        "available": "10500.00",
        "utilisation": 0.3,
        "deviation": "-10500.00",
    }
    sales = line(late, "sales", "Q1")
    assert (sales["adjustments"], sales["spent"], sales["available"]) == (
        "-1000.00",
        "800.00",
        "4200.00",
    )
    assert (sales["utilisation"], sales["deviation"]) == (0.16, "-4200.00")
    assert late["by_expense_type"]["travel"] == "800.00"
    # The read model agrees with the aggregate once everything counts.
    for key in budget.lines:
        category, period = key.split("|")
        assert line(late, category, period)["available"] == str(budget.available(category, period))
    [overrun_row] = hand_view.overruns(str(budget.id))
    assert (overrun_row["status"], overrun_row["amount"]) == ("approved", "2000.00")


def test_campaign_figures_by_hand(services):
    app, read_side = services.backoffice, services.read_side
    finance, owner = as_("fiona", "finance"), as_("mark", "marketing")
    bid = app.handle(
        finance,
        DraftBudget(
            fiscal_year=2026, lines=[{"category": "promotion", "period": "Q4", "amount": "20000"}]
        ),
    ).id
    app.handle(finance, SubmitBudget(bid))
    app.handle(as_("eve", "executive"), ApproveBudget(bid))
    cid = app.handle(
        owner,
        DraftCampaign(
            name="Winter launch",
            objective="leads",
            channels=["social", "search"],
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 12, 31),
            budget_amount=Decimal("8000"),
            budget_id=bid,
            budget_period="Q4",
            targets={"impressions": 100000, "leads": 50, "conversions": 10, "revenue": "60000"},
        ),
    ).id
    app.handle(owner, SubmitCampaign(cid))
    app.handle(as_("eve", "executive"), ApproveCampaign(cid))
    app.handle(owner, LaunchCampaign(cid))
    for channel, spend, impressions, clicks, leads, conversions, revenue in (
        ("social", "3000", 40000, 1200, 20, 4, "20000"),
        ("search", "2000", 10000, 500, 10, 2, "16000"),
    ):
        app.handle(
            owner,
            RecordCampaignResult(
                cid,
                channel=channel,
                spend=Decimal(spend),
                impressions=impressions,
                clicks=clicks,
                leads=leads,
                conversions=conversions,
                attributed_revenue=Decimal(revenue),
            ),
        )
    for n in range(2):
        app.handle(
            owner,
            RegisterLead(
                name=f"Visitor {n}", kind="person", source="campaign", campaign_id=cid, contacts=[]
            ),
        )
    assert read_side.wait("campaigns", app.max_position(), timeout=10)
    view = read_side.view("campaigns")
    row = view.row(str(cid))
    item = report_item(row, view.attributed([str(cid)]).get(str(cid), 0))
    assert item == {
        "campaign_id": str(cid),
        "name": "Winter launch",
        "status": "running",
        "owner_id": "mark",
        "budget_id": str(bid),
        "budget": "8000.00",
        "spend": "5000.00",
        "impressions": 50000,
        "clicks": 1700,
        "leads": 30,
        "attributed_leads": 2,
        "conversions": 6,
        "attributed_revenue": "36000.00",
        "cost_per_lead": 156.25,
        "roi": 6.2,
        "attainment": {"conversions": 0.6, "impressions": 0.5, "leads": 0.64, "revenue": 0.6},
        "rating": None,
        "position": row["drafted_position"],
    }
    assert read_side.wait("budget_execution", app.max_position(), timeout=10)
    report = read_side.view("budget_execution").report(str(bid), datetime.now(UTC))
    promotion = line(report, "promotion", "Q4")
    assert (promotion["committed"], promotion["spent"], promotion["available"]) == (
        "3000.00",
        "5000.00",
        "12000.00",
    )
    assert report["by_expense_type"]["advertising"] == "5000.00"
