"""Campaign commands through the application: the campaign and its budget in one transaction."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from application.commands.budgets import (
    ApproveBudget,
    ApproveOverrun,
    DraftBudget,
    RequestOverrun,
    SubmitBudget,
)
from application.commands.campaigns import (
    AmendCampaign,
    ApproveCampaign,
    CancelCampaign,
    CompleteCampaign,
    DraftCampaign,
    EvaluateCampaign,
    LaunchCampaign,
    RecordCampaignResult,
    RejectCampaign,
    SubmitCampaign,
)
from application.commands.customers import RegisterLead
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
    bid = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=next(_years),
            lines=[{"category": "promotion", "period": "Q3", "amount": promotion}],
        ),
    ).id
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
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
    return app.handle(who, DraftCampaign(**fields)).id


def running(app, bid, **overrides):
    cid = draft(app, bid, **overrides)
    app.handle(OWNER, SubmitCampaign(cid))
    app.handle(EXEC, ApproveCampaign(cid))
    app.handle(OWNER, LaunchCampaign(cid))
    return cid


def result(app, cid, spend, who=OWNER, **more):
    return app.handle(
        who,
        RecordCampaignResult(
            cid, channel=more.pop("channel", "search"), spend=Decimal(spend), **more
        ),
    )


def test_every_campaign_command_is_stored_and_moves_its_budget(app):
    bid = approved_budget(app)
    created = app.handle(
        OWNER,
        DraftCampaign(
            name="Autumn fair",
            objective="leads",
            channels=["exhibition"],
            starts_on=date(2026, 7, 1),
            ends_on=date(2026, 9, 30),
            budget_amount=Decimal("7000"),
            budget_id=bid,
            budget_period="Q3",
        ),
    )
    cid = created.id
    assert created.created and created.version == 1
    steps = [
        lambda: app.handle(OWNER, SubmitCampaign(cid)),
        lambda: app.handle(MANAGER, RejectCampaign(cid, "cheaper please")),
        lambda: app.handle(
            OWNER,
            AmendCampaign(
                cid, {"budget_amount": Decimal("6000"), "channels": ["exhibition", "social"]}
            ),
        ),
        lambda: app.handle(OWNER, SubmitCampaign(cid)),
        lambda: app.handle(EXEC, ApproveCampaign(cid)),
        lambda: app.handle(OWNER, LaunchCampaign(cid)),
        lambda: app.handle(
            OWNER,
            RecordCampaignResult(
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
        ),
        lambda: app.handle(MANAGER, CompleteCampaign(cid)),
        lambda: app.handle(OWNER, EvaluateCampaign(cid, "worth it", 4)),
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
    app.handle(OWNER, SubmitCampaign(cid))
    budget_version = app.get(bid, Budget).version
    campaign_version = app.get(cid, Campaign).version
    refusal = refused(app, "budget_exceeded", lambda: app.handle(EXEC, ApproveCampaign(cid)))
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
    refused(
        app,
        "validation_error",
        lambda: app.handle(OWNER, AmendCampaign(cid, {"budget_id": uuid4()})),
    )
    refused(app, "forbidden", lambda: app.handle(OTHER, SubmitCampaign(cid)))
    refused(app, "invalid_state", lambda: app.handle(EXEC, ApproveCampaign(cid)))
    refused(app, "invalid_state", lambda: app.handle(OWNER, LaunchCampaign(cid)))
    refused(app, "not_found", lambda: app.handle(OWNER, SubmitCampaign(uuid4())))
    app.handle(MANAGER, SubmitCampaign(cid))
    refused(app, "segregation_of_duties", lambda: app.handle(MANAGER, ApproveCampaign(cid)))
    refused(app, "segregation_of_duties", lambda: app.handle(MANAGER, RejectCampaign(cid, "x")))
    refused(
        app, "segregation_of_duties", lambda: app.handle(as_("mark", "admin"), ApproveCampaign(cid))
    )
    refused(app, "forbidden", lambda: app.handle(OTHER, ApproveCampaign(cid)))
    refused(app, "invalid_state", lambda: app.handle(OWNER, AmendCampaign(cid, {"name": "later"})))
    app.handle(EXEC, ApproveCampaign(cid))
    refused(app, "invalid_state", lambda: result(app, cid, "10"))
    app.handle(OWNER, LaunchCampaign(cid))
    refused(app, "forbidden", lambda: result(app, cid, "10", who=OTHER))
    refused(app, "validation_error", lambda: result(app, cid, "10", channel="email"))
    refused(app, "validation_error", lambda: result(app, cid, "-1"))
    refused(app, "invalid_state", lambda: app.handle(OWNER, EvaluateCampaign(cid, "early", 3)))
    app.handle(OWNER, CompleteCampaign(cid))
    refused(app, "validation_error", lambda: app.handle(OWNER, EvaluateCampaign(cid, "x", 0)))
    refused(app, "invalid_state", lambda: app.handle(OWNER, CancelCampaign(cid, "too late")))


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
    oid = app.handle(
        OWNER,
        RequestOverrun(
            bid, category="promotion", period="Q3", amount=Decimal(1500), justification="hit"
        ),
    ).extra["overrun_id"]
    refused(app, "budget_exceeded", lambda: result(app, cid, "2000.01"))
    app.handle(EXEC, ApproveOverrun(bid, oid))
    result(app, cid, "3500.00", leads=10)
    budget = app.get(bid, Budget)
    assert budget.available("promotion", "Q3") == Decimal("0.00")
    assert budget.lines["promotion|Q3"]["spent"] == Decimal("8500.00")
    assert app.get(cid, Campaign).spend == Decimal("8500.00")


def test_cancelling_releases_the_rest_of_the_commitment(app):
    bid = approved_budget(app)
    cid = running(app, bid)
    result(app, cid, "1000")
    outcome = app.handle(OWNER, CancelCampaign(cid, "venue lost"))
    assert outcome.version == 6
    budget = app.get(bid, Budget)
    assert budget.commitments[str(cid)]["open"] == Decimal("0.00")
    assert budget.available("promotion", "Q3") == Decimal("9000.00")
    draft_only = draft(app, bid)
    before = app.get(bid, Budget).version
    app.handle(MANAGER, CancelCampaign(draft_only, "not needed"))
    assert app.get(bid, Budget).version == before


def test_campaign_sourced_leads_name_the_campaign(app):
    bid = approved_budget(app)
    cid = running(app, bid)
    lead = app.handle(
        OWNER,
        RegisterLead(
            name="Fair visitor", kind="person", source="campaign", campaign_id=cid, contacts=[]
        ),
    )
    assert app.get(lead.id, Customer).campaign_id == cid
