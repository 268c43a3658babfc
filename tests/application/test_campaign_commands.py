"""Campaign commands through the application: the campaign and its budget in one transaction."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from domain.budget import Budget
from domain.campaign import Campaign
from domain.customer import Customer
from tests.conftest import as_, refused

FINANCE = as_("fiona", "finance")
EXEC = as_("eve", "executive")
OWNER = as_("mark", "marketing")
OTHER = as_("mona", "marketing")
MANAGER = as_("mia", "sales_manager")

_years = itertools.count(2101 - 60)


def approved_budget(app, promotion="10000.00"):
    bid = app.draft_budget(
        FINANCE,
        fiscal_year=next(_years),
        lines=[{"category": "promotion", "period": "Q3", "amount": promotion}],
    ).id
    app.submit_budget(FINANCE, bid)
    app.approve_budget(EXEC, bid)
    return bid


def draft(app, bid, who=OWNER, **overrides):
    fields = {
        "name": "Autumn fair",
        "objective": "leads",
        "channels": ["exhibition", "search"],
        "starts_on": date(2026, 7, 1),
        "ends_on": date(2026, 9, 30),
        "budget_amount": Decimal("6000.00"),
        "budget_id": bid,
        "budget_period": "Q3",
        "targets": {"leads": 50, "revenue": "80000"},
    }
    fields.update(overrides)
    return app.draft_campaign(who, **fields).id


def running(app, bid, **overrides):
    cid = draft(app, bid, **overrides)
    app.submit_campaign(OWNER, cid)
    app.approve_campaign(EXEC, cid)
    app.launch_campaign(OWNER, cid)
    return cid


def result(app, cid, spend, who=OWNER, **more):
    return app.record_campaign_result(
        who, cid, channel=more.pop("channel", "search"), spend=Decimal(spend), **more
    )


def test_every_campaign_command_is_stored_and_moves_its_budget(app):
    bid = approved_budget(app)
    created = app.draft_campaign(
        OWNER,
        name="Autumn fair",
        objective="leads",
        channels=["exhibition"],
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 9, 30),
        budget_amount=Decimal("7000"),
        budget_id=bid,
        budget_period="Q3",
    )
    cid = created.id
    assert created.created and created.version == 1
    steps = [
        lambda: app.submit_campaign(OWNER, cid),
        lambda: app.reject_campaign(MANAGER, cid, "cheaper please"),
        lambda: app.amend_campaign(
            OWNER, cid, budget_amount=Decimal("6000"), channels=["exhibition", "social"]
        ),
        lambda: app.submit_campaign(OWNER, cid),
        lambda: app.approve_campaign(EXEC, cid),
        lambda: app.launch_campaign(OWNER, cid),
        lambda: app.record_campaign_result(
            OWNER,
            cid,
            channel="social",
            spend=Decimal("2500.00"),
            impressions=20000,
            clicks=800,
            leads=25,
            conversions=3,
            attributed_revenue=Decimal("30000"),
            feedback="good",
            occurred_at=datetime.now(UTC) - timedelta(days=1),
        ),
        lambda: app.complete_campaign(MANAGER, cid),
        lambda: app.evaluate_campaign(OWNER, cid, "worth it", 4),
    ]
    for version, step in enumerate(steps, start=2):
        outcome = step()
        assert (outcome.id, outcome.version) == (cid, version)
        assert outcome.position == app.max_position()
    campaign = app.get(cid, Campaign)
    assert (campaign.status, campaign.spend, campaign.released) == (
        "evaluated",
        Decimal("2500.00"),
        Decimal("3500.00"),
    )
    budget = app.get(bid, Budget)
    assert budget.commitments[str(cid)]["released"] is True
    assert budget.available("promotion", "Q3") == Decimal("7500.00")
    # Approve, result and complete wrote the budget in the campaign's transactions.
    kinds = [type(e).__name__ for e in app.events.get(bid)]
    assert kinds[-3:] == ["Committed", "ExpenseRecorded", "CommitmentReleased"]


def test_a_failed_approval_changes_neither_aggregate(app):
    bid = approved_budget(app, promotion="5000.00")
    cid = draft(app, bid)
    app.submit_campaign(OWNER, cid)
    budget_version = app.get(bid, Budget).version
    campaign_version = app.get(cid, Campaign).version
    refusal = refused(app, "budget_exceeded", lambda: app.approve_campaign(EXEC, cid))
    assert refusal.facts["available"] == Decimal("5000.00")
    assert app.get(bid, Budget).version == budget_version
    assert app.get(bid, Budget).commitments == {}
    assert (app.get(cid, Campaign).version, app.get(cid, Campaign).status) == (
        campaign_version,
        "pending_approval",
    )


def test_campaign_refusals_answer_their_code_and_store_nothing(app):
    bid = approved_budget(app)
    refused(app, "validation_error", lambda: draft(app, uuid4()))
    refused(app, "validation_error", lambda: draft(app, bid, channels=["tv"]))
    refused(app, "forbidden", lambda: draft(app, bid, who=FINANCE))
    refused(app, "forbidden", lambda: draft(app, bid, owner_id="mona"))
    cid = draft(app, bid)
    refused(app, "validation_error", lambda: app.amend_campaign(OWNER, cid, budget_id=uuid4()))
    refused(app, "forbidden", lambda: app.submit_campaign(OTHER, cid))
    refused(app, "invalid_state", lambda: app.approve_campaign(EXEC, cid))
    refused(app, "invalid_state", lambda: app.launch_campaign(OWNER, cid))
    refused(app, "not_found", lambda: app.submit_campaign(OWNER, uuid4()))
    app.submit_campaign(MANAGER, cid)
    refused(app, "segregation_of_duties", lambda: app.approve_campaign(MANAGER, cid))
    refused(app, "segregation_of_duties", lambda: app.reject_campaign(MANAGER, cid, "x"))
    refused(app, "segregation_of_duties", lambda: app.approve_campaign(as_("mark", "admin"), cid))
    refused(app, "forbidden", lambda: app.approve_campaign(OTHER, cid))
    refused(app, "invalid_state", lambda: app.amend_campaign(OWNER, cid, name="later"))
    app.approve_campaign(EXEC, cid)
    refused(app, "invalid_state", lambda: result(app, cid, "10"))
    app.launch_campaign(OWNER, cid)
    refused(app, "forbidden", lambda: result(app, cid, "10", who=OTHER))
    refused(app, "validation_error", lambda: result(app, cid, "10", channel="email"))
    refused(app, "validation_error", lambda: result(app, cid, "-1"))
    refused(app, "invalid_state", lambda: app.evaluate_campaign(OWNER, cid, "early", 3))
    app.complete_campaign(OWNER, cid)
    refused(app, "validation_error", lambda: app.evaluate_campaign(OWNER, cid, "x", 0))
    refused(app, "invalid_state", lambda: app.cancel_campaign(OWNER, cid, "too late"))


def test_spend_beyond_the_commitment_needs_room_or_an_approved_overrun(app):
    bid = approved_budget(app, promotion="7000.00")
    cid = running(app, bid)
    result(app, cid, "5000")
    before = (app.get(bid, Budget).version, app.get(cid, Campaign).version)
    refusal = refused(app, "budget_exceeded", lambda: result(app, cid, "2000.01"))
    assert (refusal.facts["available"], refusal.facts["requested"]) == (
        Decimal("1000.00"),
        Decimal("1000.01"),
    )
    assert (app.get(bid, Budget).version, app.get(cid, Campaign).version) == before
    oid = app.request_overrun(
        OWNER, bid, category="promotion", period="Q3", amount=Decimal(1500), justification="hit"
    ).extra["overrun_id"]
    refused(app, "budget_exceeded", lambda: result(app, cid, "2000.01"))
    app.approve_overrun(EXEC, bid, oid)
    result(app, cid, "3500.00", leads=10)
    budget = app.get(bid, Budget)
    assert budget.available("promotion", "Q3") == Decimal("0.00")
    assert budget.lines["promotion|Q3"]["spent"] == Decimal("8500.00")
    assert app.get(cid, Campaign).spend == Decimal("8500.00")


def test_cancelling_releases_the_rest_of_the_commitment(app):
    bid = approved_budget(app)
    cid = running(app, bid)
    result(app, cid, "1000")
    outcome = app.cancel_campaign(OWNER, cid, "venue lost")
    assert outcome.version == 6
    budget = app.get(bid, Budget)
    assert budget.commitments[str(cid)]["open"] == Decimal("0.00")
    assert budget.available("promotion", "Q3") == Decimal("9000.00")
    draft_only = draft(app, bid)
    before = app.get(bid, Budget).version
    app.cancel_campaign(MANAGER, draft_only, "not needed")
    assert app.get(bid, Budget).version == before


def test_campaign_sourced_leads_name_the_campaign(app):
    bid = approved_budget(app)
    cid = running(app, bid)
    lead = app.register_lead(
        OWNER, name="Fair visitor", kind="person", source="campaign", campaign_id=cid, contacts=[]
    )
    assert app.get(lead.id, Customer).campaign_id == cid
