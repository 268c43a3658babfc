"""MarketingPlan rules and the fiscal-year key, in memory."""

from __future__ import annotations

from dataclasses import is_dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import ValidationFailed
from domain.marketing_plan import MarketingPlan, MarketingPlanYear, targets_for
from tests.gwt import NOW, cause, given, then_events, then_refused

MIA = cause("mia")  # marketing
EVE = cause("eve")  # executive
MAX = cause("max")  # another executive

STRATEGIES = {"product": "Two new bundles", "promotion": "Trade fairs twice a year"}
TARGETS = [
    {"period": "Q2", "market_share": Decimal("12.50"), "customer_count": 40},
    {"period": "Q1", "brand_awareness": "35", "market_share": Decimal("11")},
]


def new_plan(strategies=STRATEGIES, targets=TARGETS, year=2026):
    return lambda: MarketingPlan.draft(
        MIA, id=uuid4(), fiscal_year=year, strategies=strategies, targets=targets
    )


def submit(who=MIA):
    return lambda p: p.submit(who)


def approve(who=EVE):
    return lambda p: p.approve(who)


def return_(who=EVE, comments="Aim higher in Q4"):
    return lambda p: p.return_(who, comments)


def revise(who=MIA):
    return lambda p: p.revise(who)


def measure(period="Q2", value="11.8", metric="market_share", occurred_at=None, **more):
    return lambda p: p.record_measurement(
        MIA,
        metric=metric,
        period=period,
        value=value,
        source="industry report",
        occurred_at=occurred_at,
        **more,
    )


def approved_plan():
    return given(new_plan(), submit(), approve())


def test_drafting_keeps_strategies_and_targets_by_quarter_percentages_as_given():
    plan = new_plan()()
    [drafted] = plan.collect_events()
    assert drafted.fiscal_year == 2026
    assert drafted.strategies == STRATEGIES
    assert drafted.targets == [
        {
            "period": "Q1",
            "market_share": Decimal("11"),
            "brand_awareness": Decimal("35"),
            "customer_count": None,
        },
        {
            "period": "Q2",
            "market_share": Decimal("12.50"),
            "brand_awareness": None,
            "customer_count": 40,
        },
    ]
    assert str(drafted.targets[1]["market_share"]) == "12.50"
    assert (plan.status, plan.revision, plan.approved, plan.revisions) == ("draft", 1, None, [])


@pytest.mark.parametrize(
    "strategies, targets, field",
    [
        ({"place": "x"}, [], "strategies.place"),
        ({"price": "  "}, [], "strategies.price"),
        ({}, [{"period": "Q5", "market_share": 1}], "targets.0.period"),
        ({}, [{"period": "Q1", "market_share": "100.01"}], "targets.0.market_share"),
        ({}, [{"period": "Q1", "brand_awareness": -1}], "targets.0.brand_awareness"),
        ({}, [{"period": "Q1", "market_share": "1.23456"}], "targets.0.market_share"),
        ({}, [{"period": "Q1", "market_share": 0.5}], "targets.0.market_share"),
        ({}, [{"period": "Q1", "market_share": "NaN"}], "targets.0.market_share"),
        ({}, [{"period": "Q1", "customer_count": -1}], "targets.0.customer_count"),
        ({}, [{"period": "Q1", "customer_count": 2.5}], "targets.0.customer_count"),
        ({}, [{"period": "Q1", "customer_count": True}], "targets.0.customer_count"),
        ({}, [{"period": "Q1"}], "targets.0"),
        ({}, [{"period": "Q1", "customer_count": 1, "units": 3}], "targets.0.units"),
        (
            {},
            [{"period": "Q3", "customer_count": 1}, {"period": "Q3", "customer_count": 2}],
            "targets.1.period",
        ),
    ],
)
def test_malformed_strategies_and_targets_are_refused(strategies, targets, field):
    with pytest.raises(Exception) as refusal:
        new_plan(strategies, targets)()
    assert refusal.value.code == "validation_error"
    assert field in [e["field"] for e in refusal.value.errors]


@pytest.mark.parametrize("year", [1899, 9999, True])
def test_a_fiscal_year_out_of_range_is_refused(year):
    with pytest.raises(Exception) as refusal:
        new_plan(year=year)()
    assert refusal.value.code == "validation_error"


def test_a_percentage_with_more_than_four_places_is_refused():
    with pytest.raises(ValidationFailed) as refusal:
        new_plan({}, [{"period": "Q1", "market_share": "12.34567"}])()
    assert [e["field"] for e in refusal.value.errors] == ["targets.0.market_share"]
    then_refused(approved_plan(), measure(value="11.80001"), "validation_error")


def test_declared_state_leaves_the_plan_and_its_key_plain_aggregates():
    # The library makes an aggregate class with class annotations a dataclass, whose
    # generated __init__ would break creation: the state is declared for type checkers only.
    assert not is_dataclass(MarketingPlan)
    assert not is_dataclass(MarketingPlanYear)


def test_the_bounds_of_a_percentage_are_allowed():
    plan = new_plan({}, [{"period": "Q4", "market_share": "0", "brand_awareness": "100.0000"}])()
    assert plan.targets[0]["brand_awareness"] == Decimal("100.0000")


def test_amending_a_draft_replaces_what_it_names_as_a_whole():
    plan = given(new_plan())
    [amended] = then_events(plan, lambda p: p.amend(MIA, strategies={"price": "Hold prices"}))
    assert amended.strategies == {"price": "Hold prices"}
    assert amended.targets == plan.targets
    assert [t["period"] for t in amended.targets] == ["Q1", "Q2"]
    then_events(plan, lambda p: p.amend(MIA, targets=[{"period": "Q4", "customer_count": 60}]))
    assert plan.strategies == {"price": "Hold prices"}
    assert plan.targets_by_quarter == {
        "Q4": {"period": "Q4", "market_share": None, "brand_awareness": None, "customer_count": 60}
    }


def test_amending_with_nothing_or_outside_draft_is_refused():
    then_refused(given(new_plan()), lambda p: p.amend(MIA), "validation_error")
    pending = given(new_plan(), submit())
    then_refused(pending, lambda p: p.amend(MIA, strategies={}), "invalid_state")
    then_refused(approved_plan(), lambda p: p.amend(MIA, strategies={}), "invalid_state")


def test_submitting_puts_the_revision_before_an_executive():
    plan = given(new_plan())
    [submitted] = then_events(plan, submit())
    assert submitted.revision == 1
    assert (plan.status, plan.submitted_by) == ("pending_approval", "mia")
    then_refused(plan, submit(), "invalid_state")


def test_a_plan_without_a_strategy_or_a_target_is_not_submitted():
    refusal = then_refused(given(new_plan({}, [])), submit(), "validation_error")
    assert {e["field"] for e in refusal.errors} == {"strategies", "targets"}
    then_refused(given(new_plan(targets=[])), submit(), "validation_error")


def test_approval_puts_the_revision_in_force_and_records_what_was_approved():
    plan = given(new_plan(), submit())
    [approved] = then_events(plan, approve())
    assert (approved.revision, approved.strategies, approved.targets) == (
        1,
        plan.strategies,
        plan.targets,
    )
    assert plan.status == "approved"
    assert plan.approved == {
        "revision": 1,
        "strategies": STRATEGIES,
        "targets": plan.targets,
        "approved_at": NOW,
        "approved_by": "eve",
    }
    assert plan.revisions == [
        {
            "revision": 1,
            "version": 3,
            "submitted_by": "mia",
            "approved_at": NOW,
            "approved_by": "eve",
        }
    ]


def test_the_submitter_may_neither_approve_nor_return_the_revision():
    plan = given(new_plan(), lambda p: p.submit(EVE))
    refusal = then_refused(plan, approve(EVE), "segregation_of_duties")
    assert refusal.facts["submitted_by"] == "eve"
    then_refused(plan, return_(EVE), "segregation_of_duties")
    then_events(plan, approve(MAX))


def test_return_sends_the_revision_back_to_draft_with_comments():
    plan = given(new_plan(), submit())
    [returned] = then_events(plan, return_())
    assert (returned.revision, returned.comments) == (1, "Aim higher in Q4")
    assert plan.status == "draft"
    assert plan.returned["comments"] == "Aim higher in Q4"
    assert plan.submitted_by is None
    then_events(plan, submit())
    then_events(plan, approve())
    assert plan.returned is None


def test_return_needs_comments_and_a_pending_plan():
    pending = given(new_plan(), submit())
    then_refused(pending, return_(comments="  "), "validation_error")
    then_refused(given(new_plan()), return_(), "invalid_state")
    then_refused(approved_plan(), return_(), "invalid_state")


@pytest.mark.parametrize(
    "steps, command",
    [
        ((), approve()),
        ((), revise()),
        ((submit(),), revise()),
        ((submit(), approve()), approve()),
        ((submit(), approve()), submit()),
    ],
)
def test_transitions_the_machine_does_not_allow_are_refused(steps, command):
    then_refused(given(new_plan(), *steps), command, "invalid_state")


def test_a_revision_keeps_the_approved_one_in_force_until_it_is_approved():
    plan = approved_plan()
    [revised] = then_events(plan, revise())
    assert revised.revision == 2
    assert (plan.status, plan.revision) == ("draft", 2)
    in_force = plan.approved
    assert in_force["revision"] == 1
    then_events(plan, lambda p: p.amend(MIA, targets=[{"period": "Q4", "market_share": "15"}]))
    then_events(plan, submit())
    assert plan.approved == in_force
    then_events(plan, return_())
    assert plan.approved == in_force
    then_events(plan, submit())
    then_events(plan, approve(MAX))
    assert plan.approved["revision"] == 2
    assert plan.approved["targets"] == [
        {"period": "Q4", "market_share": Decimal("15"), "brand_awareness": None,
         "customer_count": None}
    ]  # fmt: skip
    assert [(r["revision"], r["approved_by"]) for r in plan.revisions] == [(1, "eve"), (2, "max")]


def test_measurements_need_an_approved_revision():
    then_refused(given(new_plan()), measure(), "invalid_state")
    then_refused(given(new_plan(), submit()), measure(), "invalid_state")
    returned = given(new_plan(), submit(), return_())
    then_refused(returned, measure(), "invalid_state")
    # A later revision in draft or pending approval: the approved one is still measured.
    plan = approved_plan()
    then_events(plan, measure())
    then_events(plan, revise())
    then_events(plan, measure(metric="brand_awareness", period="Q1", value="36"))
    then_events(plan, submit())
    then_events(plan, measure(value="12"))
    assert len(plan.measurements) == 3


def test_a_measurement_records_what_research_found_and_when():
    plan = approved_plan()
    when = NOW - timedelta(days=3)
    [recorded] = then_events(
        plan, measure("Q2", "11.80", occurred_at=when, method="online panel, n=800")
    )
    assert (recorded.metric, recorded.period, recorded.value, recorded.source) == (
        "market_share",
        "Q2",
        Decimal("11.80"),
        "industry report",
    )
    assert (recorded.method, recorded.occurred_at, recorded.actor) == (
        "online panel, n=800",
        when,
        "mia",
    )
    assert plan.measurements[0]["value"] == Decimal("11.80")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"metric": "customer_count"}, "metric"),
        ({"period": "2026-Q1"}, "period"),
        ({"value": "101"}, "value"),
        ({"value": "-0.1"}, "value"),
        ({"source": " "}, "source"),
        ({"method": ""}, "method"),
        ({"occurred_at": NOW + timedelta(minutes=1)}, "occurred_at"),
        ({"occurred_at": NOW - timedelta(days=40)}, "occurred_at"),
        ({"occurred_at": datetime(2026, 6, 1)}, "occurred_at"),
    ],
)
def test_malformed_measurements_are_refused(fields, field):
    values = {"metric": "market_share", "period": "Q2", "value": "10", "source": "survey"}
    values.update(fields)
    refusal = then_refused(
        approved_plan(), lambda p: p.record_measurement(MIA, **values), "validation_error"
    )
    assert [e["field"] for e in refusal.errors] == [field]


def test_a_quarter_is_not_measured_before_it_begins():
    plan = approved_plan()
    # NOW is in June: Q3 has not begun, Q2 began on 1 April.
    then_refused(plan, measure("Q3"), "validation_error")
    then_events(plan, measure("Q2", occurred_at=datetime(2026, 6, 1, tzinfo=UTC)))
    late_plan = given(new_plan(year=2027), submit(), approve())
    then_refused(late_plan, measure("Q1"), "validation_error")


def test_the_fiscal_year_key_refuses_a_second_plan_with_the_existing_id():
    plan_id = uuid4()
    key = MarketingPlanYear.claim(MIA, 2026, plan_id, None)
    assert key.id == MarketingPlanYear.id_for(2026) != MarketingPlanYear.id_for(2027)
    with pytest.raises(Exception) as refusal:
        MarketingPlanYear.claim(MIA, 2026, uuid4(), key)
    assert refusal.value.code == "duplicate_plan"
    assert refusal.value.facts["existing_id"] == str(plan_id)


def test_targets_of_a_kpi_period_quarter_month_and_year():
    by_quarter = {
        "Q1": {"market_share": "10", "customer_count": 30},
        "Q4": {"market_share": "14", "brand_awareness": "40", "customer_count": 60},
    }
    assert targets_for(by_quarter, "2026-Q1") == {
        "market_share": "10",
        "brand_awareness": None,
        "customer_count": 30,
    }
    assert targets_for(by_quarter, "2026-02") == targets_for(by_quarter, "2026-Q1")
    assert targets_for(by_quarter, "2026") == targets_for(by_quarter, "2026-12")
    assert targets_for(by_quarter, "2026")["customer_count"] == 60
    assert targets_for(by_quarter, "2026-05") == {
        "market_share": None,
        "brand_awareness": None,
        "customer_count": None,
    }
