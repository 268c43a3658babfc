"""Risk rules, in memory: levels, the state machine, actions and the refusals."""

from __future__ import annotations

from dataclasses import is_dataclass
from datetime import date, timedelta
from uuid import uuid4

import pytest

from domain.risk import Risk, level_of
from domain.values import Cause
from tests.gwt import NOW, cause, given, then_events, then_refused

ANNA = cause("anna")


def later(hours: float, actor: str = "anna") -> Cause:
    return Cause(actor, NOW + timedelta(hours=hours))


def identified(**overrides):
    fields = {
        "id": uuid4(),
        "category": "credit",
        "title": "Key distributor slow to pay",
        "description": "Two invoices past 60 days",
        **overrides,
    }
    return lambda: Risk.identify(ANNA, **fields)


def assess(likelihood=3, impact=4, at=1):
    return lambda r: r.assess(
        later(at), likelihood=likelihood, impact=impact, rationale="payment history"
    )


def add_action(action_id=None, at=2, due_on=date(2026, 7, 1), **fields):
    return lambda r: r.add_action(
        later(at),
        action_id=action_id or uuid4(),
        description="ask for a bank guarantee",
        due_on=due_on,
        **fields,
    )


def mitigating(action_id=None):
    return given(identified(), assess(), add_action(action_id))


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [
        (1, 1, "low"),
        (2, 2, "low"),
        (1, 4, "low"),
        (1, 5, "medium"),
        (3, 3, "medium"),
        (2, 5, "high"),
        (4, 4, "high"),
        (3, 5, "high"),
        (4, 5, "critical"),
        (5, 5, "critical"),
    ],
)
def test_the_level_follows_the_bands_of_likelihood_times_impact(likelihood, impact, level):
    assert level_of(likelihood, impact) == level


def test_identifying_enters_the_risk_owned_by_whoever_identified_it():
    risk = Risk.identify(
        ANNA, id=uuid4(), category="market", title="New rival", description="Price war"
    )
    [event] = risk.collect_events()
    assert isinstance(event, Risk.Identified)
    assert (event.owner_id, event.actor, event.occurred_at) == ("anna", "anna", NOW)
    assert (risk.status, risk.category, risk.current_assessment) == ("identified", "market", None)


def test_a_named_owner_and_a_back_dated_identification_are_kept():
    back = NOW - timedelta(days=10)
    risk = given(identified(owner_id="emp-7", occurred_at=back))
    assert (risk.owner_id, risk.identified_at) == ("emp-7", back)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"title": "  "}, "title"),
        ({"description": ""}, "description"),
        ({"owner_id": " "}, "owner_id"),
        ({"occurred_at": NOW + timedelta(minutes=1)}, "occurred_at"),
        ({"occurred_at": NOW - timedelta(days=40)}, "occurred_at"),
    ],
)
def test_identifying_refuses_bad_fields(overrides, field):
    with pytest.raises(Exception) as refusal:
        identified(**overrides)()
    assert refusal.value.code == "validation_error"
    assert refusal.value.errors[0]["field"] == field


def test_assessing_moves_identified_to_assessed_with_its_level():
    risk = given(identified())
    [event] = then_events(risk, assess(4, 5))
    assert isinstance(event, Risk.Assessed)
    assert (event.likelihood, event.impact, event.level) == (4, 5, "critical")
    assert risk.status == "assessed"


def test_every_reassessment_is_kept_and_keeps_the_state():
    risk = mitigating()
    then_events(risk, assess(2, 2, at=3))
    assert risk.status == "mitigating"
    assert [(a["likelihood"], a["impact"], a["level"]) for a in risk.assessments] == [
        (3, 4, "high"),
        (2, 2, "low"),
    ]
    assert risk.current_assessment["level"] == "low"


@pytest.mark.parametrize(
    ("likelihood", "impact", "field"),
    [(0, 3, "likelihood"), (6, 3, "likelihood"), (3, 0, "impact"), (3, True, "impact")],
)
def test_likelihood_and_impact_lie_between_1_and_5(likelihood, impact, field):
    error = then_refused(given(identified()), assess(likelihood, impact), "validation_error")
    assert error.errors[0]["field"] == field


def test_an_action_moves_the_assessed_risk_to_mitigating_and_belongs_to_its_owner():
    risk = given(identified(owner_id="emp-7"), assess())
    aid = uuid4()
    [event] = then_events(risk, add_action(aid, due_on=date(2020, 1, 1)))
    assert (event.action_id, event.owner_id, event.due_on) == (aid, "emp-7", date(2020, 1, 1))
    assert risk.status == "mitigating"
    assert risk.actions[str(aid)]["completed_at"] is None


def test_an_action_may_name_its_own_owner():
    risk = given(identified(), assess())
    [event] = then_events(risk, add_action(owner_id="emp-9"))
    assert event.owner_id == "emp-9"


def test_an_action_before_any_assessment_is_refused():
    error = then_refused(given(identified()), add_action(), "invalid_state")
    assert "assess" in error.detail


def test_completing_an_action_records_its_outcome_and_the_risk_stays_mitigating():
    aid = uuid4()
    risk = mitigating(aid)
    [event] = then_events(
        risk, lambda r: r.complete_action(later(3), action_id=aid, outcome="guarantee signed")
    )
    assert (event.action_id, event.outcome) == (aid, "guarantee signed")
    assert risk.status == "mitigating"
    assert risk.actions[str(aid)]["completed_at"] == NOW + timedelta(hours=3)
    assert risk.open_actions == []


def test_completing_twice_or_an_unknown_action_is_refused():
    aid = uuid4()
    risk = mitigating(aid)
    risk.complete_action(later(3), action_id=aid, outcome="done")
    risk.collect_events()
    then_refused(
        risk, lambda r: r.complete_action(later(4), action_id=aid, outcome="x"), "invalid_state"
    )
    then_refused(
        risk, lambda r: r.complete_action(later(4), action_id=uuid4(), outcome="x"), "not_found"
    )


def test_close_only_from_mitigating():
    then_refused(given(identified()), lambda r: r.close(later(1), "gone"), "invalid_state")
    then_refused(given(identified(), assess()), lambda r: r.close(later(2), "x"), "invalid_state")
    risk = mitigating()
    [event] = then_events(risk, lambda r: r.close(later(3), "distributor paid"))
    assert (event.reason, risk.status, risk.close_reason) == (
        "distributor paid",
        "closed",
        "distributor paid",
    )
    then_refused(risk, lambda r: r.close(later(4), "again"), "invalid_state")


def test_a_closed_risk_takes_no_assessment_action_or_completion():
    aid = uuid4()
    risk = mitigating(aid)
    risk.close(later(3), "accepted")
    risk.collect_events()
    then_refused(risk, assess(at=4), "invalid_state")
    then_refused(risk, add_action(at=4), "invalid_state")
    then_refused(
        risk, lambda r: r.complete_action(later(4), action_id=aid, outcome="x"), "invalid_state"
    )


def test_reopening_goes_back_to_mitigating_while_an_action_is_open():
    risk = mitigating()
    risk.close(later(3), "accepted")
    risk.collect_events()
    [event] = then_events(risk, lambda r: r.reopen(later(4), "rival cut prices again"))
    assert (event.status, risk.status, risk.closed_at) == ("mitigating", "mitigating", None)


def test_reopening_goes_back_to_assessed_when_every_action_is_done():
    aid = uuid4()
    risk = mitigating(aid)
    risk.complete_action(later(3), action_id=aid, outcome="done")
    risk.close(later(4), "treated")
    risk.collect_events()
    [event] = then_events(risk, lambda r: r.reopen(later(5), "back again"))
    assert (event.status, risk.status) == ("assessed", "assessed")
    assert [r["reason"] for r in risk.reopens] == ["back again"]


def test_reopening_an_open_risk_is_refused():
    then_refused(mitigating(), lambda r: r.reopen(later(3), "x"), "invalid_state")
    then_refused(given(identified()), lambda r: r.reopen(later(3), "x"), "invalid_state")


def test_a_step_dated_before_the_previous_one_is_refused():
    risk = given(identified(), assess(at=5))
    error = then_refused(
        risk,
        lambda r: r.assess(
            later(6), likelihood=1, impact=1, rationale="x", occurred_at=NOW + timedelta(hours=4)
        ),
        "validation_error",
    )
    assert error.errors[0]["field"] == "occurred_at"


@pytest.mark.parametrize(
    "when",
    [
        lambda r: r.add_action(
            later(3), action_id=uuid4(), description=" ", due_on=date(2026, 7, 1)
        ),
        lambda r: r.add_action(later(3), action_id=uuid4(), description="x", due_on="2026-07-01"),
        lambda r: r.close(later(3), ""),
        lambda r: r.assess(later(3), likelihood=2, impact=2, rationale=" "),
    ],
)
def test_blank_or_malformed_fields_are_refused(when):
    then_refused(mitigating(), when, "validation_error")


def test_declared_state_leaves_the_risk_a_plain_aggregate():
    # The library makes an aggregate class with class annotations a dataclass, whose
    # generated __init__ would break creation: the state is declared for type checkers only.
    assert not is_dataclass(Risk)
