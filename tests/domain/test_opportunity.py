"""Opportunity rules, in memory: stages, quotes, the win's contract, the refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from application.backoffice import Policy
from domain.contract import Contract
from domain.errors import DomainError
from domain.opportunity import Opportunity
from domain.price_list import ListPrice
from domain.values import Cause
from tests.gwt import NOW, cause, given, then_events, then_refused

PROBABILITIES = Policy().stage_probabilities
OWNER = cause("sam")
OTHER = cause("sid")
CUSTOMER = uuid4()
TODAY = NOW.date()
LINE = {"sku": "SEO-M", "quantity": 2, "unit_price": Decimal("500.00"), "unit_cost": "200.00"}


def later(hours: float, actor: str = "sam") -> Cause:
    return Cause(actor, NOW + timedelta(hours=hours))


def opened(status="prospect", **overrides):
    fields = {
        "id": uuid4(),
        "customer_id": CUSTOMER,
        "customer_status": status,
        "title": "Spring campaign",
        "expected_value": Decimal("10000.00"),
        "expected_close_on": TODAY + timedelta(days=60),
        "probabilities": PROBABILITIES,
        **overrides,
    }
    return lambda: Opportunity.open(OWNER, **fields)


def advance(to_stage, who=OWNER, **kw):
    return lambda o: o.advance(who, to_stage=to_stage, probabilities=PROBABILITIES, **kw)


def quote(quote_id=None, lines=(LINE,), valid_until=None, who=OWNER, list_prices=None, **kw):
    return lambda o: o.add_quote(
        who,
        quote_id=quote_id or uuid4(),
        lines=list(lines),
        valid_until=valid_until or TODAY + timedelta(days=30),
        payment_term_days=30,
        list_prices=list_prices or {},
        **kw,
    )


def win(quote_id, who=OWNER, customer_status="prospect", channel="direct", **kw):
    return lambda o: o.win(
        who,
        quote_id=quote_id,
        delivery_due_on=TODAY + timedelta(days=90),
        contract_id=uuid4(),
        customer_status=customer_status,
        region="east",
        probabilities=PROBABILITIES,
        channel=channel,
        **kw,
    )


def lose(reason="price", who=OWNER, **kw):
    return lambda o: o.lose(who, reason=reason, probabilities=PROBABILITIES, **kw)


def test_opening_starts_in_qualification_with_the_stamped_probability():
    opportunity = Opportunity.open(
        OWNER,
        id=uuid4(),
        customer_id=CUSTOMER,
        customer_status="lead",
        title=" Expo ",
        expected_value=Decimal("8000"),
        expected_close_on=TODAY,
        probabilities={**PROBABILITIES, "qualification": Decimal("0.2")},
        competitors=["Rival", "Rival", "Other"],
    )
    [event] = opportunity.collect_events()
    assert isinstance(event, Opportunity.Opened)
    assert (event.stage, event.probability, event.owner_id) == (
        "qualification",
        Decimal("0.2"),
        "sam",
    )
    assert (opportunity.status, opportunity.title, opportunity.competitors) == (
        "open",
        "Expo",
        ["Rival", "Other"],
    )
    assert opportunity.weighted_value == Decimal("1600.00")


def test_a_lost_customer_gets_no_opportunity():
    with pytest.raises(DomainError) as refusal:
        opened(status="lost")()
    assert refusal.value.code == "customer_lost"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": " "}, "title"),
        ({"expected_value": Decimal("0")}, "expected_value"),
        ({"expected_value": Decimal("1.001")}, "expected_value"),
        ({"occurred_at": NOW + timedelta(minutes=1)}, "occurred_at"),
    ],
)
def test_opening_validates_its_fields(overrides, field):
    with pytest.raises(DomainError) as refusal:
        opened(**overrides)()
    assert refusal.value.code == "validation_error"
    assert refusal.value.errors[0]["field"] == field


def test_a_sales_user_opens_only_for_themselves_a_manager_for_anyone():
    with pytest.raises(DomainError) as refusal:
        opened(owner_id="sid")()
    assert refusal.value.code == "forbidden"
    assert opened(owner_id="sid", manager=True)().owner_id == "sid"


def test_advance_moves_forward_one_or_more_stages():
    opportunity = given(opened())
    [event] = then_events(opportunity, advance("proposal", note="demo given"))
    assert (event.from_stage, event.to_stage, event.probability) == (
        "qualification",
        "proposal",
        Decimal("0.50"),
    )
    assert opportunity.stage == "proposal"
    then_events(opportunity, advance("negotiation"))
    assert opportunity.probability == Decimal("0.75")


@pytest.mark.parametrize("to_stage", ["qualification", "needs_analysis"])
def test_advance_never_goes_back_or_stays(to_stage):
    opportunity = given(opened(), advance("needs_analysis"))
    then_refused(opportunity, advance(to_stage), "invalid_state")


def test_advance_to_an_unknown_stage_is_malformed():
    then_refused(given(opened()), advance("won"), "validation_error")


def test_regress_moves_back_with_a_reason_and_is_counted():
    opportunity = given(opened(), advance("negotiation"))
    [event] = then_events(
        opportunity,
        lambda o: o.regress(
            OWNER, to_stage="needs_analysis", reason="budget cut", probabilities=PROBABILITIES
        ),
    )
    assert (event.from_stage, event.to_stage, event.reason) == (
        "negotiation",
        "needs_analysis",
        "budget cut",
    )
    assert (opportunity.stage, opportunity.regressions) == ("needs_analysis", 1)
    assert opportunity.probability == Decimal("0.25")


def test_regress_never_goes_forward_and_needs_a_reason():
    opportunity = given(opened(), advance("proposal"))
    then_refused(
        opportunity,
        lambda o: o.regress(OWNER, to_stage="negotiation", reason="x", probabilities=PROBABILITIES),
        "invalid_state",
    )
    then_refused(
        opportunity,
        lambda o: o.regress(OWNER, to_stage="proposal", reason="x", probabilities=PROBABILITIES),
        "invalid_state",
    )
    then_refused(
        opportunity,
        lambda o: o.regress(
            OWNER, to_stage="qualification", reason=" ", probabilities=PROBABILITIES
        ),
        "validation_error",
    )


def test_a_quote_is_priced_from_the_list_when_no_price_is_given():
    list_id = uuid4()
    listed = {"SOC-M": ListPrice(list_id, "SOC-M", Decimal("9500.00"), Decimal("8000.00"))}
    opportunity = given(opened())
    quote_id = uuid4()
    [event] = then_events(
        opportunity,
        quote(
            quote_id,
            lines=[LINE, {"sku": "SOC-M", "quantity": 1, "unit_cost": Decimal("6200")}],
            list_prices=listed,
        ),
    )
    assert event.quote_id == quote_id and event.quoted_on == TODAY
    given_line, listed_line = event.lines
    assert (given_line["unit_price"], given_line["list_price"]) == (Decimal("500.00"), None)
    assert (listed_line["unit_price"], listed_line["price_list_id"]) == (
        Decimal("9500.00"),
        list_id,
    )
    assert event.total == Decimal("10500.00")
    # The latest quote is the opportunity's value from now on.
    assert opportunity.value == Decimal("10500.00")
    assert opportunity.weighted_value == Decimal("1050.00")


def test_a_line_without_price_nor_list_price_is_refused():
    refusal = then_refused(
        given(opened()),
        quote(lines=[{"sku": "CUSTOM", "quantity": 1, "unit_cost": "1.00"}]),
        "no_list_price",
    )
    assert refusal.facts["skus"] == ["CUSTOM"]


@pytest.mark.parametrize(
    ("lines", "valid_until"),
    [
        ([], None),
        ([{**LINE, "quantity": 0}], None),
        ([LINE, LINE], None),
        ([{**LINE, "unit_cost": "-1"}], None),
        ([LINE], TODAY - timedelta(days=1)),
    ],
)
def test_malformed_quotes_are_refused(lines, valid_until):
    then_refused(given(opened()), quote(lines=lines, valid_until=valid_until), "validation_error")


def test_negotiation_rounds_are_logged_with_business_time():
    at = NOW - timedelta(hours=2)
    opportunity = given(opened(occurred_at=NOW - timedelta(days=1)))
    then_events(
        opportunity,
        lambda o: o.record_negotiation(
            OWNER, summary="price talk", concessions="5% off", occurred_at=at
        ),
    )
    assert opportunity.negotiations[0]["occurred_at"] == at
    assert opportunity.negotiations[0]["concessions"] == "5% off"


def test_a_step_may_not_lie_before_the_previous_one():
    opportunity = given(opened())
    then_refused(
        opportunity,
        advance("proposal", occurred_at=NOW - timedelta(hours=1)),
        "validation_error",
    )


def test_win_drafts_the_contract_from_the_quote():
    quote_id = uuid4()
    opportunity = given(opened(), advance("negotiation"), quote(quote_id))
    contract = None

    def winning(o):
        nonlocal contract
        contract = win(quote_id, channel="agent")(o)

    [event] = then_events(opportunity, winning)
    assert isinstance(contract, Contract)
    assert (event.contract_id, event.value, event.from_stage) == (
        contract.id,
        Decimal("1000.00"),
        "negotiation",
    )
    assert (opportunity.status, opportunity.stage, opportunity.closed_from) == (
        "won",
        "won",
        "negotiation",
    )
    assert opportunity.contract_id == contract.id
    assert (contract.customer_id, contract.owner_id, contract.channel) == (CUSTOMER, "sam", "agent")
    assert contract.payment_term_days == 30 and contract.region == "east"
    [line] = contract.lines
    assert (line["sku"], line["quantity"], line["unit_price"], line["description"]) == (
        "SEO-M",
        2,
        Decimal("500.00"),
        "Spring campaign",
    )
    assert contract.total == Decimal("1000.00")


def test_win_refusals():
    quote_id = uuid4()
    expired = uuid4()
    opportunity = given(
        opened(occurred_at=NOW - timedelta(days=3)),
        quote(expired, valid_until=TODAY - timedelta(days=1), occurred_at=NOW - timedelta(days=2)),
        quote(quote_id),
    )
    then_refused(opportunity, win(uuid4()), "validation_error")
    then_refused(opportunity, win(expired), "quote_expired")
    then_refused(opportunity, win(quote_id, customer_status="lost"), "customer_lost")
    then_refused(opportunity, win(quote_id, channel="telepathy"), "validation_error")
    then_refused(opportunity, win(quote_id, who=OTHER), "forbidden")
    win(quote_id, who=OTHER, manager=True)(opportunity)
    assert opportunity.status == "won"


def test_lose_keeps_the_reason_and_competitor_and_reopen_returns_to_qualification():
    opportunity = given(opened(), advance("proposal"))
    [event] = then_events(opportunity, lose("competitor", competitor="Rival Ltd"))
    assert (event.reason, event.competitor, event.from_stage) == (
        "competitor",
        "Rival Ltd",
        "proposal",
    )
    assert (opportunity.status, opportunity.stage, opportunity.probability) == ("lost", "lost", 0)
    then_events(opportunity, lambda o: o.reopen(later(1), probabilities=PROBABILITIES))
    assert (opportunity.status, opportunity.stage, opportunity.probability) == (
        "open",
        "qualification",
        Decimal("0.10"),
    )


def test_lose_needs_a_known_reason():
    then_refused(given(opened()), lose("weather"), "validation_error")


def test_closed_opportunities_refuse_every_step():
    quote_id = uuid4()
    won = given(opened(), quote(quote_id), win(quote_id))
    for command in (
        advance("proposal"),
        lambda o: o.regress(
            OWNER, to_stage="qualification", reason="x", probabilities=PROBABILITIES
        ),
        quote(),
        lambda o: o.record_negotiation(OWNER, summary="x"),
        win(quote_id),
        lose(),
        lambda o: o.reopen(OWNER, probabilities=PROBABILITIES),
    ):
        then_refused(won, command, "invalid_state")
    lost = given(opened(), lose())
    then_refused(lost, advance("proposal"), "invalid_state")
    then_refused(lost, lose(), "invalid_state")


def test_only_the_owner_or_a_manager_acts_and_the_state_is_checked_first():
    opportunity = given(opened())
    then_refused(opportunity, advance("proposal", who=OTHER), "forbidden")
    then_refused(opportunity, lose(who=OTHER), "forbidden")
    then_refused(opportunity, quote(who=OTHER), "forbidden")
    then_refused(
        opportunity, lambda o: o.reopen(OTHER, probabilities=PROBABILITIES), "invalid_state"
    )
    then_events(opportunity, advance("proposal", who=OTHER, manager=True))
    assert opportunity.stage == "proposal"


def test_stamped_probabilities_do_not_follow_a_later_policy():
    opportunity = given(opened(), advance("proposal"))
    changed = {**PROBABILITIES, "negotiation": Decimal("0.9")}
    then_events(
        opportunity, lambda o: o.advance(OWNER, to_stage="negotiation", probabilities=changed)
    )
    assert opportunity.probability == Decimal("0.9")
