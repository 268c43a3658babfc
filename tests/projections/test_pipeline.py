"""Pipeline figures against hand-computed expectations, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice, Policy
from application.commands.opportunities import (
    AdvanceOpportunity,
    OpenOpportunity,
    RegressOpportunity,
)
from domain.contract import Contract
from domain.employee import Employee
from domain.opportunity import Opportunity
from domain.values import Cause
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from projections.pipeline import PipelineProjection
from projections.runner import READ_MODELS, close_view, fresh_view, verify
from tests.conftest import as_, bearer
from tests.factories import customer

P = Policy().stage_probabilities
AUDITOR = bearer("audrey", "auditor")


def t(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def by(actor: str, at: datetime) -> Cause:
    """A cause recorded a little after the moment, so `occurred_at=at` is back-dated."""
    return Cause(actor, at + timedelta(minutes=5))


def opened(owner, at, value, close_on):
    return Opportunity.open(
        by(owner, at),
        id=uuid4(),
        customer_id=uuid4(),
        customer_status="prospect",
        title=f"deal of {owner}",
        expected_value=Decimal(value),
        expected_close_on=close_on,
        probabilities=P,
        occurred_at=at,
    )


def advance(o, at, stage):
    o.advance(by(o.owner_id, at), to_stage=stage, probabilities=P, occurred_at=at)


def lose(o, at, reason, competitor=None):
    o.lose(
        by(o.owner_id, at),
        reason=reason,
        competitor=competitor,
        probabilities=P,
        occurred_at=at,
    )


def scenario():
    """Four opportunities of 2026 (probabilities 0.10/0.25/0.50/0.75):

    A ann: opened 01-05 (10 000, closes 03-31); -> proposal 01-20 (enters needs_analysis
      and proposal); quote 01-25 of 8 000 (the value from then); -> negotiation 02-10;
      regressed to proposal 02-20; won 03-05 from proposal with the quote: 8 000, 59 days.
    B ann: opened 01-10 (5 000, closes 02-28); lost 02-15 from qualification, price: 36 days.
    C bob: opened 02-01 (20 000, closes 04-30); -> needs_analysis 02-05; lost 02-25 from
      needs_analysis to a competitor: 24 days; reopened 03-01 (qualification).
    D bob: opened 03-10 (3 000, closes 03-31); -> negotiation 03-15.
    """
    a = opened("ann", t(1, 5), "10000.00", date(2026, 3, 31))
    advance(a, t(1, 20), "proposal")
    quote_id = uuid4()
    a.add_quote(
        by("ann", t(1, 25)),
        quote_id=quote_id,
        lines=[{"sku": "SEO-M", "quantity": 4, "unit_price": "2000.00", "unit_cost": "900"}],
        valid_until=date(2026, 3, 31),
        payment_term_days=30,
        list_prices={},
        occurred_at=t(1, 25),
    )
    advance(a, t(2, 10), "negotiation")
    a.regress(
        by("ann", t(2, 20)),
        to_stage="proposal",
        reason="budget review",
        probabilities=P,
        occurred_at=t(2, 20),
    )
    a.win(
        by("ann", t(3, 5)),
        quote_id=quote_id,
        delivery_due_on=date(2026, 5, 1),
        contract_id=uuid4(),
        customer_status="prospect",
        region=None,
        probabilities=P,
        occurred_at=t(3, 5),
    )
    b = opened("ann", t(1, 10), "5000.00", date(2026, 2, 28))
    lose(b, t(2, 15), "price")
    c = opened("bob", t(2, 1), "20000.00", date(2026, 4, 30))
    advance(c, t(2, 5), "needs_analysis")
    lose(c, t(2, 25), "competitor", "Rival Ltd")
    c.reopen(by("bob", t(3, 1)), probabilities=P, occurred_at=t(3, 1))
    d = opened("bob", t(3, 10), "3000.00", date(2026, 3, 31))
    advance(d, t(3, 15), "negotiation")
    return a, b, c, d


def project(view, *opportunities):
    events = [e for o in opportunities for e in o.collect_events()]
    projection = PipelineProjection(view)
    for position, event in enumerate(events, start=1):
        projection.process_event(event, Tracking("Backoffice", position))


def end_of(month: int, day: int) -> datetime:
    return datetime.combine(date(2026, month, day), time.max, tzinfo=UTC)


@pytest.fixture
def hand_view(module_database):
    spec = READ_MODELS["pipeline"]
    view = fresh_view(spec, module_database.env(), module_database.dialect, prefix="hand_")
    yield view
    view.drop()
    close_view(view)


def row(**figures):
    base = {
        "open_count": 0,
        "open_value": "0.00",
        "weighted_value": "0.00",
        "won_count": 0,
        "won_value": "0.00",
        "lost_count": 0,
        "win_rate": None,
        "avg_cycle_days": None,
        "entered": 0,
        "regressions": 0,
        "loss_reasons": {},
    }
    return {**base, **figures}


def test_pipeline_by_hand_at_two_dates(hand_view):
    project(hand_view, *scenario())

    # 02-15, before A's regression: A in negotiation at its quote (8 000 x 0.75), C in
    # needs_analysis (20 000 x 0.25); B lost that day.
    assert hand_view.report([], as_of=end_of(2, 15)) == [
        row(
            open_count=2,
            open_value="28000.00",
            weighted_value="11000.00",
            lost_count=1,
            win_rate=0.0,
            avg_cycle_days=36.0,
            entered=3,
            loss_reasons={"price": 1},
        )
    ]
    assert hand_view.report(["stage"], as_of=end_of(2, 15)) == [
        {"stage": "qualification", **row(lost_count=1, win_rate=0.0, avg_cycle_days=36.0)}
        | {"entered": 3, "loss_reasons": {"price": 1}},
        {"stage": "needs_analysis"}
        | row(open_count=1, open_value="20000.00", weighted_value="5000.00", entered=2),
        {"stage": "proposal"} | row(entered=1),
        {"stage": "negotiation"}
        | row(open_count=1, open_value="8000.00", weighted_value="6000.00", entered=1),
    ]

    # 03-31: A won, B lost, C lost once (its last close) and reopened: open again in
    # qualification (20 000 x 0.10); D in negotiation (3 000 x 0.75).
    assert hand_view.report([], as_of=end_of(3, 31)) == [
        row(
            open_count=2,
            open_value="23000.00",
            weighted_value="4250.00",
            won_count=1,
            won_value="8000.00",
            lost_count=2,
            win_rate=0.3333,
            avg_cycle_days=39.67,
            entered=4,
            regressions=1,
            loss_reasons={"competitor": 1, "price": 1},
        )
    ]
    assert hand_view.report(["owner"], as_of=end_of(3, 31)) == [
        {"owner_id": "ann"}
        | row(
            won_count=1,
            won_value="8000.00",
            lost_count=1,
            win_rate=0.5,
            avg_cycle_days=47.5,
            entered=2,
            regressions=1,
            loss_reasons={"price": 1},
        ),
        {"owner_id": "bob"}
        | row(
            open_count=2,
            open_value="23000.00",
            weighted_value="4250.00",
            lost_count=1,
            win_rate=0.0,
            avg_cycle_days=24.0,
            entered=2,
            loss_reasons={"competitor": 1},
        ),
    ]
    # March only: open deals expected to close in March (D), entries of March (C's
    # reopen, D), A's win; C's loss of February is out of the range.
    assert hand_view.report(
        ["month"], as_of=end_of(3, 31), day_from=date(2026, 3, 1), day_to=date(2026, 3, 31)
    ) == [
        {"month": "2026-03"}
        | row(
            open_count=1,
            open_value="3000.00",
            weighted_value="2250.00",
            won_count=1,
            won_value="8000.00",
            win_rate=1.0,
            avg_cycle_days=59.0,
            entered=2,
        )
    ]


def test_the_list_rows_follow_each_opportunity(hand_view):
    a, b, c, d = scenario()
    project(hand_view, a, b, c, d)
    rows = {r["id"]: r for r in hand_view.search(limit=10)}
    assert (rows[str(a.id)]["status"], rows[str(a.id)]["value"]) == ("won", 800000)
    assert rows[str(a.id)]["closed_from"] == "proposal"
    assert rows[str(a.id)]["contract_id"] == str(a.contract_id)
    assert (rows[str(b.id)]["loss_reason"], rows[str(c.id)]["stage"]) == ("price", "qualification")
    assert rows[str(d.id)]["weighted_value"] == 225000
    assert [r["id"] for r in hand_view.search(limit=10, owner_id="bob")] == [str(c.id), str(d.id)]
    assert [r["id"] for r in hand_view.search(limit=10, stage="negotiation")] == [str(d.id)]


def test_live_report_over_http_equals_a_rebuild(services, client, module_database):
    app = services.backoffice
    salesman = as_("pat", "sales")
    now = app.clock()
    cid = customer(app)
    oid = app.handle(
        salesman,
        OpenOpportunity(
            customer_id=cid,
            title="Trade fair",
            expected_value=Decimal("4000.00"),
            expected_close_on=(now + timedelta(days=20)).date(),
            occurred_at=now - timedelta(days=10),
        ),
    ).id
    app.handle(
        salesman, AdvanceOpportunity(oid, to_stage="proposal", occurred_at=now - timedelta(days=5))
    )
    app.handle(
        salesman,
        RegressOpportunity(oid, to_stage="needs_analysis", reason="scope change", occurred_at=now),
    )
    before = (now - timedelta(days=1)).isoformat()
    response = client.get(
        "/reports/pipeline",
        params={"group_by": "owner,stage", "as_of": before},
        headers=AUDITOR,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == before
    mine = [r for r in body["items"] if r["owner_id"] == "pat"]
    assert [(r["stage"], r["open_count"], r["weighted_value"], r["entered"]) for r in mine] == [
        ("qualification", 0, "0.00", 1),
        ("needs_analysis", 0, "0.00", 1),
        ("proposal", 1, "2000.00", 1),
    ]
    today = client.get(
        "/reports/pipeline", params={"group_by": ["owner", "stage"]}, headers=AUDITOR
    ).json()
    mine = [r for r in today["items"] if r["owner_id"] == "pat"]
    by_stage = {r["stage"]: r for r in mine}
    assert (
        by_stage["needs_analysis"]["open_count"],
        by_stage["needs_analysis"]["weighted_value"],
    ) == (
        1,
        "1000.00",
    )
    assert by_stage["proposal"]["regressions"] == 1
    bad = client.get("/reports/pipeline", params={"group_by": "region"}, headers=AUDITOR)
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    assert client.get("/reports/pipeline").status_code == 401
    spec = READ_MODELS["pipeline"]
    assert verify(app, spec, module_database.env(), module_database.dialect) == []


def test_the_demo_writes_a_pipeline_that_replays_to_the_same_rows(database):
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    runner = CliRunner()
    demo = runner.invoke(cli, ["demo", "--customers", "12", "--seed", "11"], env=env)
    assert demo.exit_code == 0, demo.output
    assert " opportunities (" in " ".join(demo.output.split())
    app = Backoffice(database.env())
    try:
        opened = app.recorder.select_notifications(
            1, 100_000, topics=[get_topic(Opportunity.Opened)]
        )
        opportunities = [app.get(n.originator_id, Opportunity) for n in opened]
        contracts = [app.get(o.contract_id, Contract) for o in opportunities if o.contract_id]
        owners = {o.owner_id for o in opportunities}
        sales_people = {
            owner
            for owner in owners
            if app.exists(UUID(owner), Employee)
            and app.get(UUID(owner), Employee).department == "sales"
        }
    finally:
        app.close()
    assert len(opportunities) >= 24
    assert {"open", "won", "lost"} <= {o.status for o in opportunities}
    assert any(o.regressions for o in opportunities)
    lost = [o for o in opportunities if o.status == "lost"]
    assert any(o.loss["competitor"] for o in lost)
    assert {c.status for c in contracts} & {"active", "completed"}
    assert any(r["department"] == "pricing" for c in contracts for r in c.required_reviews), (
        "a deep discount approved in a pricing review"
    )
    for o in opportunities:
        assert o.last_occurred_at <= datetime.now(UTC)
    assert owners <= sales_people, "owned by the demo's sales people"
    assert all(c.owner_id in sales_people for c in contracts)
    rebuilt = runner.invoke(cli, ["projections", "rebuild", "pipeline"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    verified = runner.invoke(cli, ["projections", "verify", "pipeline"], env=env)
    assert verified.exit_code == 0, verified.output
