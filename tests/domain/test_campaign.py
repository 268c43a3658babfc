"""Campaign rules, in memory, with the budget it draws on; its stored events, in SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from application.backoffice import Backoffice
from domain.budget import Budget
from domain.campaign import Campaign
from domain.errors import DomainError
from tests.gwt import NOW, cause, given, then_events, then_refused

OWNER = cause("mark")
OTHER_MARKETER = cause("mona")
MANAGER = cause("mia")
EXEC = cause("eve")
STANDARDS = {"entertainment": Decimal("5000.00")}


def budget(amount="10000.00"):
    return given(
        lambda: Budget.draft(
            cause("fiona"),
            id=uuid4(),
            fiscal_year=2026,
            lines=[{"category": "promotion", "period": "Q2", "amount": amount}],
        ),
        lambda b: b.submit(cause("fiona")),
        lambda b: b.approve(EXEC),
    )


def draft(the_budget, **overrides):
    fields = {
        "id": uuid4(),
        "name": "Spring fair",
        "objective": "leads in the south",
        "channels": ["exhibition", "social"],
        "starts_on": date(2026, 4, 1),
        "ends_on": date(2026, 6, 30),
        "budget_amount": Decimal("6000.00"),
        "budget_id": the_budget.id,
        "budget_period": "Q2",
        "targets": {"leads": 40, "revenue": "50000"},
    }
    fields.update(overrides)
    return lambda: Campaign.draft(OWNER, **fields)


def result(spend, **more):
    fields = {"channel": "social", "spend": Decimal(spend), **more}
    return lambda c, b: c.record_result(OWNER, b, STANDARDS, **fields)


def running(the_budget):
    campaign = given(draft(the_budget), lambda c: c.submit(OWNER))
    campaign.approve(MANAGER, the_budget)
    campaign.launch(OWNER)
    campaign.collect_events()
    the_budget.collect_events()
    return campaign


def test_a_draft_is_owned_by_its_author_and_validated():
    the_budget = budget()
    campaign = given(draft(the_budget))
    assert (campaign.owner_id, campaign.status, campaign.targets["revenue"]) == (
        "mark",
        "draft",
        Decimal("50000.00"),
    )
    for fields, field in [
        ({"channels": []}, "channels"),
        ({"channels": ["tv"]}, "channels.0"),
        ({"ends_on": date(2026, 3, 1)}, "ends_on"),
        ({"budget_amount": Decimal(0)}, "budget_amount"),
        ({"budget_period": "Q9"}, "budget_period"),
        ({"targets": {"likes": 3}}, "targets.likes"),
    ]:
        with pytest.raises(DomainError) as refusal:
            draft(the_budget, **fields)()
        assert refusal.value.code == "validation_error"
        assert field in {e["field"] for e in refusal.value.errors}
    with pytest.raises(DomainError) as refusal:
        draft(the_budget, owner_id="someone-else")()
    assert refusal.value.code == "forbidden"
    ours = Campaign.draft(
        MANAGER, may_act_for_others=True, **{**_fields(the_budget), "owner_id": "mark"}
    )
    assert ours.owner_id == "mark"


def _fields(the_budget):
    return {
        "id": uuid4(),
        "name": "x",
        "objective": "y",
        "channels": ["email"],
        "starts_on": date(2026, 4, 1),
        "ends_on": date(2026, 4, 2),
        "budget_amount": Decimal(1),
        "budget_id": the_budget.id,
        "budget_period": "Q2",
    }


def test_only_the_owner_or_a_manager_acts_on_a_campaign():
    campaign = given(draft(budget()))
    then_refused(campaign, lambda c: c.submit(OTHER_MARKETER), "forbidden")
    then_refused(campaign, lambda c: c.amend(OTHER_MARKETER, name="Mine"), "forbidden")
    then_refused(campaign, lambda c: c.amend(OWNER, owner_id="mona"), "forbidden")
    then_events(campaign, lambda c: c.amend(MANAGER, may_act_for_others=True, name="Summer"))
    then_events(campaign, lambda c: c.submit(MANAGER, may_act_for_others=True))
    assert (campaign.name, campaign.submitted_by) == ("Summer", "mia")


def test_approval_commits_the_budget_and_is_not_for_owner_or_submitter():
    the_budget = budget()
    campaign = given(draft(the_budget), lambda c: c.submit(OWNER))
    then_refused(campaign, lambda c: c.approve(OWNER, the_budget), "segregation_of_duties")
    assert the_budget.collect_events() == []
    [approved] = then_events(campaign, lambda c: c.approve(EXEC, the_budget))
    [committed] = the_budget.collect_events()
    assert isinstance(committed, Budget.Committed)
    assert (committed.reference, committed.amount) == (str(campaign.id), Decimal("6000.00"))
    assert approved.committed == Decimal("6000.00")
    assert the_budget.available("promotion", "Q2") == Decimal("4000.00")


def test_approval_beyond_the_line_changes_neither():
    the_budget = budget("5999.99")
    campaign = given(draft(the_budget), lambda c: c.submit(OWNER))
    refusal = then_refused(campaign, lambda c: c.approve(EXEC, the_budget), "budget_exceeded")
    assert refusal.facts["shortfall"] == Decimal("0.01")
    assert the_budget.collect_events() == []
    assert the_budget.commitments == {}


def test_a_rejected_campaign_returns_to_draft_for_revision():
    the_budget = budget()
    campaign = given(draft(the_budget), lambda c: c.submit(OWNER))
    then_refused(campaign, lambda c: c.reject(OWNER, "no"), "segregation_of_duties")
    then_events(campaign, lambda c: c.reject(EXEC, "too costly"))
    assert (campaign.status, campaign.rejection) == ("draft", "too costly")
    then_events(campaign, lambda c: c.amend(OWNER, budget_amount=Decimal("4000")))
    then_events(campaign, lambda c: c.submit(OWNER))
    then_events(campaign, lambda c: c.approve(EXEC, the_budget))
    assert the_budget.commitments[str(campaign.id)]["amount"] == Decimal("4000.00")


def test_results_book_spend_against_the_commitment_then_the_line():
    the_budget = budget()
    campaign = running(the_budget)
    then_events(
        campaign,
        lambda c: result("2500", impressions=10000, clicks=300, leads=12)(c, the_budget),
    )
    [expense] = the_budget.collect_events()
    assert (expense.expense_type, expense.consumed, expense.reference) == (
        "advertising",
        Decimal("2500.00"),
        str(campaign.id),
    )
    then_events(campaign, lambda c: result("4500")(c, the_budget))
    [expense] = the_budget.collect_events()
    assert expense.consumed == Decimal("3500.00")
    assert the_budget.available("promotion", "Q2") == Decimal("3000.00")
    then_refused(campaign, lambda c: result("3000.01")(c, the_budget), "budget_exceeded")
    assert the_budget.collect_events() == []
    then_refused(
        campaign, lambda c: result("1", channel="search")(c, the_budget), "validation_error"
    )
    then_refused(
        campaign,
        lambda c: result("1", occurred_at=NOW - timedelta(days=60))(c, the_budget),
        "validation_error",
    )
    then_events(campaign, lambda c: result("0", leads=3)(c, the_budget))
    assert the_budget.collect_events() == []
    assert (campaign.spend, campaign.leads, campaign.results) == (Decimal("7000.00"), 15, 3)


def test_completing_releases_the_rest_and_evaluation_follows():
    the_budget = budget()
    campaign = running(the_budget)
    result("1000")(campaign, the_budget)
    campaign.collect_events()
    [completed] = then_events(campaign, lambda c: c.complete(OWNER, the_budget))
    assert completed.released == Decimal("5000.00")
    assert the_budget.available("promotion", "Q2") == Decimal("9000.00")
    then_refused(campaign, lambda c: c.evaluate(OWNER, "good", 6), "validation_error")
    then_events(campaign, lambda c: c.evaluate(OWNER, "good reach", 4))
    assert campaign.evaluation == {"summary": "good reach", "rating": 4}
    then_refused(campaign, lambda c: c.cancel(OWNER, the_budget, "late"), "invalid_state")


def test_cancelling_releases_what_is_left():
    the_budget = budget()
    campaign = running(the_budget)
    result("1500")(campaign, the_budget)
    campaign.collect_events()
    the_budget.collect_events()
    [cancelled] = then_events(campaign, lambda c: c.cancel(OWNER, the_budget, "venue closed"))
    assert cancelled.released == Decimal("4500.00")
    [released] = the_budget.collect_events()
    assert isinstance(released, Budget.CommitmentReleased)
    then_refused(campaign, lambda c: c.launch(OWNER), "invalid_state")


def test_the_state_machine_refuses_commands_out_of_turn():
    the_budget = budget()
    campaign = given(draft(the_budget))
    then_refused(campaign, lambda c: c.approve(EXEC, the_budget), "invalid_state")
    then_refused(campaign, lambda c: c.launch(OWNER), "invalid_state")
    then_refused(campaign, lambda c: result("1")(c, the_budget), "invalid_state")
    then_refused(campaign, lambda c: c.complete(OWNER, the_budget), "invalid_state")
    then_refused(campaign, lambda c: c.evaluate(OWNER, "x", 3), "invalid_state")
    then_events(campaign, lambda c: c.cancel(OWNER, the_budget, "not needed"))
    assert the_budget.collect_events() == []


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Callable[[], Backoffice]]:
    """Applications on one SQLite file: each new one reads the stored events afresh."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "m.db")}
    opened: list[Backoffice] = []

    def open_one() -> Backoffice:
        opened.append(Backoffice(env))
        return opened[-1]

    yield open_one
    for app in opened:
        app.close()


def test_an_amendment_stored_as_v1_still_replays(office: Callable[[], Backoffice]) -> None:
    """v1 of Campaign.Amended carried `changes: {field: value}`; v2 has explicit fields."""
    writer = office()
    campaign = draft(budget())()
    writer.save(campaign)
    changes = {
        "name": "Summer fair",
        "ends_on": date(2026, 7, 31),
        "budget_amount": Decimal("4000.00"),
        "channels": ["email"],
        "targets": {"leads": 10},
    }
    v1_state = {"timestamp": NOW, "actor": "mark", "occurred_at": NOW, "changes": changes}
    writer.recorder.insert_events(
        [
            StoredEvent(
                originator_id=campaign.id,
                originator_version=2,
                topic=get_topic(Campaign.Amended),
                state=writer.mapper.transcoder.encode(v1_state),
            )
        ]
    )

    reader = office()
    replayed: Campaign = reader.repository.get(campaign.id)
    assert (replayed.version, replayed.name, replayed.objective) == (
        2,
        "Summer fair",
        "leads in the south",
    )
    assert (replayed.starts_on, replayed.ends_on) == (date(2026, 4, 1), date(2026, 7, 31))
    assert (replayed.budget_amount, replayed.channels, replayed.targets) == (
        Decimal("4000.00"),
        ["email"],
        {"leads": 10},
    )
    [_, amended] = reader.events.get(campaign.id)
    assert isinstance(amended, Campaign.Amended)
    assert amended.changed == list(changes)
    assert amended.changes == changes
    assert (amended.objective, amended.owner_id) == (None, None)


def test_an_amendment_is_stored_as_v2_and_replays(office: Callable[[], Backoffice]) -> None:
    """A new amendment stores its explicit fields and `class_version` 2, not `changes`."""
    writer = office()
    campaign = draft(budget())()
    campaign.amend(OWNER, objective="more leads", starts_on=date(2026, 4, 2))
    writer.save(campaign)

    reader = office()
    [record] = reader.recorder.select_events(campaign.id, gt=1)
    stored = reader.mapper.transcoder.decode(record.state)
    assert (stored["class_version"], stored["changed"]) == (2, ["objective", "starts_on"])
    assert "changes" not in stored
    [_, amended] = reader.events.get(campaign.id)
    assert isinstance(amended, Campaign.Amended)
    assert amended.changes == {"objective": "more leads", "starts_on": date(2026, 4, 2)}
    replayed: Campaign = reader.repository.get(campaign.id)
    assert (replayed.objective, replayed.starts_on, replayed.name) == (
        "more leads",
        date(2026, 4, 2),
        "Spring fair",
    )
