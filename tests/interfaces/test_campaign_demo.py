"""`mops demo` writes an approved budget and a dozen campaigns that the read models replay."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.budget import Budget
from domain.campaign import Campaign
from domain.customer import Customer
from domain.values import ONLINE_CHANNELS
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli


def test_demo_writes_a_budget_and_campaigns_and_verify_passes(database):
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    demo = runner.invoke(cli, ["demo", "--customers", "5", "--seed", "4"], env=env)
    assert demo.exit_code == 0, demo.output
    output = " ".join(demo.output.split())
    assert " approved, 13 campaigns (" in output

    app = Backoffice(database.env())
    try:

        def all_of(event_class):
            notifications = app.recorder.select_notifications(
                1, 100_000, topics=[get_topic(event_class)]
            )
            return [n.originator_id for n in notifications]

        [budget_id] = all_of(Budget.Drafted)
        budget = app.get(budget_id, Budget)
        campaigns = [app.get(cid, Campaign) for cid in all_of(Campaign.Drafted)]
        histories = {c.id: [type(e).__name__ for e in app.events.get(c.id)] for c in campaigns}
        sourced = [app.get(cid, Customer) for cid in all_of(Customer.Registered)]
    finally:
        app.close()

    today = datetime.now(UTC).date()
    assert budget.status == "approved" and budget.fiscal_year in (today.year, today.year - 1)
    assert len(campaigns) >= 12
    channels = {channel for c in campaigns for channel in c.channels}
    assert channels & ONLINE_CHANNELS and channels - ONLINE_CHANNELS
    # Over budget with an approved overrun: spend beyond the campaign's amount.
    assert sum(c.spend > c.budget_amount for c in campaigns) >= 1
    assert sum(o["status"] == "approved" for o in budget.overruns.values()) >= 1
    rejected = [h for h in histories.values() if "Rejected" in h]
    assert len(rejected) == 1 and rejected[0].index("Rejected") < rejected[0].index("Approved")
    statuses = Counter(c.status for c in campaigns)
    assert statuses["cancelled"] == 1 and statuses["completed"] + statuses["evaluated"] >= 6
    for campaign in campaigns:
        if campaign.status != "cancelled" and campaign.starts_on <= today <= campaign.ends_on:
            assert campaign.status == "running"
    campaign_ids = {c.id for c in campaigns}
    assert sum(c.campaign_id in campaign_ids for c in sourced) >= 12
    for line in budget.lines.values():
        assert budget.available(line["category"], line["period"]) >= 0

    verified = runner.invoke(
        cli, ["projections", "verify", "budget_execution", "campaigns", "--allow-stopped"], env=env
    )
    assert verified.exit_code == 0, verified.output
