"""The marketing plan's figures in the company KPIs, worked by hand, on both databases.

The fold is fed the plan's own events (made by its commands at chosen times) and
customer events made by hand, so that every figure below can be worked out on paper.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from application.commands.customers import ReopenCustomer
from application.commands.marketing_plans import (
    ApproveMarketingPlan,
    DraftMarketingPlan,
    RecordPlanMeasurement,
    ReviseMarketingPlan,
    SubmitMarketingPlan,
)
from domain.customer import Customer
from domain.marketing_plan import MarketingPlan
from domain.values import Cause
from projections.kpis import KpiProjection
from projections.runner import READ_MODELS, close_view, fresh_view, verify
from tests.conftest import as_, bearer
from tests.factories import contract, customer
from tests.projections.test_kpis import at, drafted, ev, registered, signed

A, B, C, D, F = (uuid4() for _ in range(5))
CA, CB, CC, CD = (uuid4() for _ in range(4))
LATER = datetime(2026, 12, 31, tzinfo=UTC)
YEAR_WINDOW = timedelta(days=400)


def cause(actor: str, when: datetime) -> Cause:
    return Cause(actor, when, YEAR_WINDOW)


def customer_events() -> list[Any]:
    """A converts on 10 Feb; B, qualified, on 5 Mar; C is lost on 20 Feb, reopened on
    15 Apr and converts on 3 May; D is marked lost on 28 Mar, then a contract signed on
    26 Mar (recorded on 2 Apr) converts it; F is lost and stays lost."""
    return [
        *(registered(c, "sam") for c in (A, B, C, D, F)),
        *(drafted(k, c, "sam", "1000.00", 30) for k, c in ((CA, A), (CB, B), (CC, C), (CD, D))),
        signed(CA, A, date(2026, 2, 10), "1000.00"),
        ev(Customer.Converted, A, at(2, 10), contract_id=CA),
        ev(Customer.Qualified, B, at(1, 15)),
        ev(Customer.MarkedLost, C, at(2, 20), reason="went quiet"),
        ev(Customer.MarkedLost, F, at(1, 20), reason="no budget"),
        signed(CB, B, date(2026, 3, 5), "1000.00"),
        ev(Customer.Converted, B, at(3, 5), contract_id=CB),
        ev(Customer.MarkedLost, D, at(3, 28), reason="no answer"),
        # Signed on 26 March, recorded on 2 April, after D was marked lost.
        signed(CD, D, date(2026, 3, 26), "1000.00"),
        ev(Customer.Converted, D, at(4, 2), contract_id=CD),
        ev(Customer.Reopened, C, at(4, 15)),
        # Folded before its contract's signing: it takes the signing's day.
        ev(Customer.Converted, C, at(5, 3), contract_id=CC),
        signed(CC, C, date(2026, 5, 3), "1000.00"),
    ]


TARGETS = [
    {"period": "Q1", "market_share": "10", "brand_awareness": "30.5", "customer_count": 2},
    {"period": "Q2", "market_share": "11"},
    {"period": "Q4", "market_share": "13", "brand_awareness": "40", "customer_count": 5},
]


def plan_events(approve_second_revision: bool = False) -> list[Any]:
    """The 2026 plan approved on 6 January; its measurements; revision 2 raises Q4's share
    to 14 and waits for approval (approved on 3 July only if asked); 2027 is only
    submitted."""
    plan = MarketingPlan.draft(
        cause("mia", at(1, 5)),
        id=uuid4(),
        fiscal_year=2026,
        strategies={"product": "Bundles"},
        targets=TARGETS,
    )
    plan.submit(cause("mia", at(1, 5)))
    plan.approve(cause("eve", at(1, 6)))

    def measure(recorded: datetime, metric: str, period: str, value: str, occurred: datetime):
        plan.record_measurement(
            cause("mia", recorded),
            metric=metric,
            period=period,
            value=Decimal(value),
            source="survey",
            occurred_at=occurred,
        )

    measure(at(3, 20), "market_share", "Q1", "9.5", at(3, 20))
    measure(at(4, 10), "market_share", "Q1", "9.80", at(4, 10))
    # Recorded after the April one, but done in March.
    measure(at(4, 20), "market_share", "Q1", "9.1", at(3, 25))
    # Two surveys dated alike: the one recorded later counts.
    measure(at(4, 1), "brand_awareness", "Q1", "28", at(3, 31, 23))
    measure(at(4, 2), "brand_awareness", "Q1", "29", at(3, 31, 23))
    measure(at(6, 30), "market_share", "Q2", "10.7", at(6, 30))
    plan.revise(cause("mia", at(7, 1)))
    raised = [*TARGETS[:2], {**TARGETS[2], "market_share": "14"}]
    plan.amend(cause("mia", at(7, 1)), targets=raised)
    plan.submit(cause("mia", at(7, 2)))
    if approve_second_revision:
        plan.approve(cause("max", at(7, 3)))
    later = MarketingPlan.draft(
        cause("mia", at(8, 1)),
        id=uuid4(),
        fiscal_year=2027,
        strategies={"price": "Hold"},
        targets=[{"period": "Q1", "market_share": "20", "customer_count": 9}],
    )
    later.submit(cause("mia", at(8, 1)))
    return [*plan.collect_events(), *later.collect_events()]


def folded(module_database, prefix: str, events: list[Any]) -> Any:
    spec = READ_MODELS["kpis"]
    view = fresh_view(spec, module_database.env(), module_database.dialect, prefix=prefix)
    projection = KpiProjection(view)
    for position, event in enumerate(events, start=1):
        projection.process_event(event, Tracking("Backoffice", position))
    return view


@pytest.fixture(scope="module")
def kpis(module_database):
    view = folded(module_database, "plan_", [*customer_events(), *plan_events()])
    yield view
    view.drop()
    close_view(view)


def plan_figures(kpis, period: str) -> dict[str, Any]:
    row = kpis.company(period, LATER)
    return {
        k: row[k]
        for k in (
            "market_share",
            "market_share_target",
            "brand_awareness",
            "brand_awareness_target",
            "customer_count",
            "customer_count_target",
        )
    }


def test_a_quarter_shows_its_targets_its_latest_measurements_and_customers_at_its_end(kpis):
    assert plan_figures(kpis, "2026-Q1") == {
        # Latest by when the research was done: 10 April's 9.80, not 20 April's record.
        "market_share": 9.8,
        "market_share_target": 10,
        # Dated alike: the one recorded later.
        "brand_awareness": 29,
        "brand_awareness_target": 30.5,
        # A, B and D (signed on 26 March after it was marked lost); C lost on 20 February.
        "customer_count": 3,
        "customer_count_target": 2,
    }
    assert plan_figures(kpis, "2026-Q2") == {
        "market_share": 10.7,
        "market_share_target": 11,
        "brand_awareness": None,
        "brand_awareness_target": None,
        # C won back on 3 May.
        "customer_count": 4,
        "customer_count_target": None,
    }
    # Q3 has no targets and no measurements; the count still stands.
    assert plan_figures(kpis, "2026-Q3") == {
        "market_share": None,
        "market_share_target": None,
        "brand_awareness": None,
        "brand_awareness_target": None,
        "customer_count": 4,
        "customer_count_target": None,
    }


def test_a_month_shows_its_quarters_targets_and_what_was_measured_by_its_end(kpis):
    assert plan_figures(kpis, "2026-03") == {
        # Of Q1, dated on or before 31 March: 20 March's 9.5 and 25 March's 9.1.
        "market_share": 9.1,
        "market_share_target": 10,
        "brand_awareness": 29,
        "brand_awareness_target": 30.5,
        "customer_count": 3,
        "customer_count_target": 2,
    }
    assert plan_figures(kpis, "2026-02") == {
        "market_share": None,
        "market_share_target": 10,
        "brand_awareness": None,
        "brand_awareness_target": 30.5,
        # Only A: C was lost on 20 February, D not yet signed.
        "customer_count": 1,
        "customer_count_target": 2,
    }
    assert plan_figures(kpis, "2026-01")["customer_count"] == 0
    april = plan_figures(kpis, "2026-04")
    # Q2's only measurement is dated 30 June; C, reopened on 15 April, is a lead.
    assert (april["market_share"], april["market_share_target"]) == (None, 11)
    assert april["customer_count"] == 3
    assert plan_figures(kpis, "2026-06")["market_share"] == 10.7


def test_a_year_shows_q4s_targets_and_the_latest_quarter_measured(kpis):
    assert plan_figures(kpis, "2026") == {
        # Q2 is the latest quarter with a market share; Q1 with a brand awareness.
        "market_share": 10.7,
        # Revision 2 (14) waits for approval: revision 1 is in force.
        "market_share_target": 13,
        "brand_awareness": 29,
        "brand_awareness_target": 40,
        "customer_count": 4,
        "customer_count_target": 5,
    }


def test_without_an_approved_plan_the_figures_are_null(kpis):
    for period in ("2027", "2027-Q1", "2025-03"):
        assert set(plan_figures(kpis, period).values()) == {None}, period


def test_the_approval_of_a_later_revision_puts_its_targets_in_force(module_database):
    view = folded(module_database, "plan2_", [*customer_events(), *plan_events(True)])
    try:
        year = plan_figures(view, "2026")
        assert (year["market_share_target"], year["market_share"]) == (14, 10.7)
        assert plan_figures(view, "2026-Q1")["market_share_target"] == 10
    finally:
        view.drop()
        close_view(view)


MARKETING = as_("mia", "marketing")
EXEC = as_("eve", "executive")


def test_live_tables_equal_a_rebuild_and_the_report_answers_the_figures(
    services, client, module_database
):
    app = services.backoffice
    plan_id = app.handle(
        MARKETING,
        DraftMarketingPlan(
            fiscal_year=1990,
            strategies={"channel": "Dealers"},
            targets=[{"period": "Q3", "market_share": Decimal("7.25"), "customer_count": 3}],
        ),
    ).id
    app.handle(MARKETING, SubmitMarketingPlan(plan_id))
    app.handle(EXEC, ApproveMarketingPlan(plan_id))
    app.handle(
        MARKETING,
        RecordPlanMeasurement(
            plan_id, metric="market_share", period="Q3", value="6.5", source="panel"
        ),
    )
    app.handle(MARKETING, ReviseMarketingPlan(plan_id))
    lost = customer(app, lost=True)
    app.handle(as_("sam", "sales"), ReopenCustomer(lost))
    contract(app, customer(app))
    response = client.get(
        "/reports/kpis/company", params={"period": "1990-Q3"}, headers=bearer("eve", "executive")
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["items"]
    # Measured now, long after July 1990: the quarter shows it, its months would not.
    assert {k: row[k] for k in ("market_share", "market_share_target", "customer_count")} == {
        "market_share": 6.5,
        "market_share_target": 7.25,
        "customer_count": 0,
    }
    assert row["customer_count_target"] == 3
    for name in ("kpis", "marketing_plans"):
        assert services.read_side.wait(name, app.max_position(), timeout=20)
        differences = verify(app, READ_MODELS[name], module_database.env(), module_database.dialect)
        assert differences == [], name
