"""Employee rules, in memory: recruiting, targets, trainings, appraisal scoring, incentives."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.employee import Employee, appraisal_score
from tests.gwt import NOW, cause, given, then_events, then_refused

HR = cause("harriet")
TODAY = NOW.date()
SOURCE_WEIGHTS = {
    "superior": Decimal("0.5"),
    "peer": Decimal("0.2"),
    "self": Decimal("0.1"),
    "customer": Decimal("0.2"),
}
COMPONENT_WEIGHTS = {"kpi": Decimal("0.6"), "goals": Decimal("0.25"), "attitude": Decimal("0.15")}
# Fixed, not drawn: it names a parametrized case, which every test process must name alike.
MANAGER_ID = "3f1c7a52-8d0e-4b6a-9c21-5e7d0a4b9f10"


def candidate():
    return Employee.register_candidate(
        HR, id=uuid4(), name="Li Wei", position="Sales rep", department="sales", source="referral"
    )


def interview(kind, result="pass"):
    return lambda e: e.record_interview(HR, kind=kind, result=result, score=80)


def hire(e):
    e.hire(
        HR,
        hired_on=TODAY,
        position="Sales rep",
        department="sales",
        manager_id=MANAGER_ID,
        grade="P3",
    )


def active(*more):
    return given(candidate, interview("interview"), interview("background_check"), hire, *more)


def opened(e, cycle="quarterly", period="2026-Q2"):
    appraisal_id = uuid4()
    e.open_appraisal(HR, appraisal_id=appraisal_id, cycle=cycle, period=period)
    e.collect_events()
    return appraisal_id


def evaluate(e, aid, who, source, kpi, goals, attitude, **capacity):
    e.submit_evaluation(
        cause(who),
        appraisal_id=aid,
        source=source,
        kpi_score=kpi,
        goals_score=goals,
        attitude_score=attitude,
        **capacity,
    )


def finalize(e, aid, attainment=None):
    return e.finalize_appraisal(
        HR,
        appraisal_id=aid,
        source_weights=SOURCE_WEIGHTS,
        component_weights=COMPONENT_WEIGHTS,
        attainment=attainment,
    )


# Recruiting.


def test_a_candidate_with_a_passed_interview_and_background_check_is_hired():
    employee = given(candidate, interview("interview"), interview("background_check"))
    [hired] = then_events(employee, hire)
    assert isinstance(hired, Employee.Hired)
    assert hired.manager_id == MANAGER_ID and hired.grade == "P3"
    assert employee.status == "active" and employee.hired_on == TODAY


@pytest.mark.parametrize(
    "steps",
    [
        (),
        (interview("interview"),),
        (interview("background_check"),),
        # Screening and a written test are not the interview.
        (interview("screening"), interview("written_test"), interview("background_check")),
        (interview("interview", "fail"), interview("background_check")),
        # The latest result of a kind decides.
        (interview("interview"), interview("background_check"), interview("interview", "fail")),
    ],
)
def test_hiring_without_a_passed_interview_and_background_check_is_refused(steps):
    employee = given(candidate, *steps)
    then_refused(employee, hire, "hiring_incomplete")


def test_a_second_round_passed_after_a_failed_one_allows_hiring():
    employee = given(
        candidate,
        interview("interview", "fail"),
        interview("interview"),
        interview("background_check"),
    )
    assert len(then_events(employee, hire)) == 1


def test_interviews_and_hiring_are_for_candidates_only():
    employee = active()
    then_refused(employee, interview("interview"), "invalid_state")
    then_refused(employee, hire, "invalid_state")
    then_refused(employee, lambda e: e.reject_candidate(HR, "no"), "invalid_state")


def test_a_rejected_candidate_is_not_hired():
    employee = given(
        candidate,
        interview("interview"),
        interview("background_check"),
        lambda e: e.reject_candidate(HR, "position filled"),
    )
    assert employee.status == "rejected"
    then_refused(employee, hire, "invalid_state")


def test_interview_input_is_validated_and_not_back_dated_beyond_the_window():
    employee = given(candidate)
    then_refused(employee, interview("chat"), "validation_error")
    then_refused(employee, interview("interview", "maybe"), "validation_error")
    then_refused(
        employee,
        lambda e: e.record_interview(
            HR, kind="interview", result="pass", occurred_at=NOW - timedelta(days=40)
        ),
        "validation_error",
    )
    then_refused(
        employee,
        lambda e: e.record_interview(HR, kind="interview", result="pass", score=101),
        "validation_error",
    )


def test_hiring_dates_obey_the_back_dating_rule():
    employee = given(candidate, interview("interview"), interview("background_check"))
    for day in (TODAY + timedelta(days=1), TODAY - timedelta(days=40)):
        then_refused(
            employee,
            lambda e, day=day: e.hire(HR, hired_on=day, position="Rep", department="sales"),
            "validation_error",
        )


# Career.


def test_transfer_promote_and_terminate():
    employee = active()
    then_events(employee, lambda e: e.transfer(HR, department="service"))
    assert (employee.department, employee.position, employee.manager_id) == (
        "service",
        "Sales rep",
        MANAGER_ID,
    )
    then_events(employee, lambda e: e.promote(HR, position="Senior rep", grade="P4"))
    assert (employee.position, employee.grade) == ("Senior rep", "P4")
    then_events(employee, lambda e: e.terminate(HR, reason="moved abroad", on=TODAY))
    assert employee.status == "terminated" and employee.terminated_on == TODAY
    for command in (
        lambda e: e.transfer(HR, department="sales"),
        lambda e: e.promote(HR, position="Lead"),
        lambda e: e.terminate(HR, reason="again", on=TODAY),
    ):
        then_refused(employee, command, "invalid_state")


def test_career_commands_need_an_active_employee():
    employee = given(candidate)
    then_refused(employee, lambda e: e.transfer(HR, department="x"), "invalid_state")
    then_refused(employee, lambda e: e.promote(HR, position="x"), "invalid_state")
    then_refused(employee, lambda e: e.terminate(HR, reason="x", on=TODAY), "invalid_state")


# Targets and trainings.

ITEMS = [
    {"metric": "revenue", "target": Decimal("100000"), "weight": Decimal("0.5")},
    {"metric": "contracts_signed", "target": Decimal("4"), "weight": Decimal("0.3")},
    {"metric": "new_customers", "target": Decimal("2"), "weight": Decimal("0.2")},
]


@pytest.mark.parametrize("period", ["2026", "2026-Q3", "2026-07"])
def test_targets_are_set_for_a_year_a_quarter_or_a_month(period):
    employee = active()
    [event] = then_events(employee, lambda e: e.set_targets(HR, period=period, items=ITEMS))
    assert event.period == period
    assert employee.targets_for(period) == ITEMS


def test_a_later_setting_of_a_period_replaces_the_earlier():
    employee = active(lambda e: e.set_targets(HR, period="2026-Q3", items=ITEMS))
    replaced = [{"metric": "collections", "target": Decimal("50000"), "weight": Decimal("1")}]
    then_events(employee, lambda e: e.set_targets(HR, period="2026-Q3", items=replaced))
    assert employee.targets_for("2026-Q3") == replaced


@pytest.mark.parametrize(
    "period, items",
    [
        ("2026-Q5", ITEMS),
        ("2026-13", ITEMS),
        ("26", ITEMS),
        ("2026", [{**ITEMS[0], "weight": Decimal("0.6")}, *ITEMS[1:]]),  # sums to 1.1
        ("2026", ITEMS[:2]),  # sums to 0.8
        ("2026", [{**ITEMS[0], "metric": "happiness"}, *ITEMS[1:]]),
        ("2026", [ITEMS[0], {**ITEMS[1], "metric": "revenue"}, ITEMS[2]]),
        ("2026", [{**ITEMS[0], "target": Decimal("0")}, *ITEMS[1:]]),
        ("2026", []),
    ],
)
def test_targets_out_of_the_rules_are_refused(period, items):
    employee = active()
    then_refused(
        employee, lambda e: e.set_targets(HR, period=period, items=items), "validation_error"
    )


def test_targets_need_an_active_employee():
    then_refused(
        given(candidate), lambda e: e.set_targets(HR, period="2026", items=ITEMS), "invalid_state"
    )


def training(who, as_hr=False, **overrides):
    fields = {
        "course": "Negotiation",
        "kind": "skills",
        "hours": Decimal("7.5"),
        "completed_on": TODAY,
        "score": 88,
        **overrides,
    }
    return lambda e: e.record_training(cause(who), as_hr=as_hr, **fields)


def test_trainings_are_recorded_by_hr_or_the_manager_and_add_up_hours():
    employee = active()
    then_events(employee, training("harriet", as_hr=True))
    then_events(employee, training(MANAGER_ID, hours=Decimal("2")))
    assert employee.training_hours == Decimal("9.5")


def test_a_training_recorded_by_someone_else_is_forbidden():
    employee = active()
    then_refused(employee, training("somebody"), "forbidden")
    then_refused(employee, training(str(employee.id)), "forbidden")


def test_training_input_and_dates_are_checked():
    employee = active()
    then_refused(employee, training("harriet", True, kind="fun"), "validation_error")
    then_refused(employee, training("harriet", True, hours=Decimal("0")), "validation_error")
    then_refused(
        employee,
        training("harriet", True, completed_on=TODAY + timedelta(days=1)),
        "validation_error",
    )


# Appraisals.


def test_an_appraisal_period_matches_its_cycle_and_is_opened_once():
    employee = active()
    for cycle, period in (("monthly", "2026-Q2"), ("quarterly", "2026-05"), ("annual", "2026-Q1")):
        then_refused(
            employee,
            lambda e, c=cycle, p=period: e.open_appraisal(
                HR, appraisal_id=uuid4(), cycle=c, period=p
            ),
            "validation_error",
        )
    opened(employee, "monthly", "2026-05")
    then_refused(
        employee,
        lambda e: e.open_appraisal(HR, appraisal_id=uuid4(), cycle="monthly", period="2026-05"),
        "invalid_state",
    )
    then_refused(
        given(candidate),
        lambda e: e.open_appraisal(HR, appraisal_id=uuid4(), cycle="annual", period="2026"),
        "invalid_state",
    )


def test_each_source_is_allowed_by_identity():
    employee = active()
    aid = opened(employee)
    me = str(employee.id)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    evaluate(employee, aid, "harriet", "superior", 80, 70, 90, as_hr=True)
    evaluate(employee, aid, me, "self", 90, 90, 90)
    evaluate(employee, aid, "peer-1", "peer", 60, 80, 70, active_peer=True)
    evaluate(employee, aid, "sam", "customer", 70, 60, 80, customer_side=True)
    sources = [e["source"] for e in employee.appraisal(aid)["evaluations"]]
    assert sources == ["superior", "superior", "self", "peer", "customer"]


@pytest.mark.parametrize(
    "who, source, capacity",
    [
        ("stranger", "superior", {}),
        ("me", "superior", {"as_hr": True}),  # hr is never their own superior
        ("stranger", "self", {"as_hr": True}),
        (MANAGER_ID, "self", {}),
        ("outsider", "peer", {}),  # not an active employee
        ("me", "peer", {"active_peer": True}),
        ("stranger", "customer", {}),  # neither sales nor service
        ("me", "customer", {"customer_side": True}),
    ],
)
def test_evaluating_in_a_capacity_one_does_not_hold_is_forbidden(who, source, capacity):
    employee = active()
    aid = opened(employee)
    evaluator = str(employee.id) if who == "me" else who
    then_refused(
        employee, lambda e: evaluate(e, aid, evaluator, source, 70, 70, 70, **capacity), "forbidden"
    )


def test_a_second_evaluation_by_the_same_evaluator_is_refused():
    employee = active()
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    employee.collect_events()
    then_refused(
        employee,
        lambda e: evaluate(e, aid, MANAGER_ID, "peer", 80, 70, 90, active_peer=True),
        "duplicate_evaluation",
    )


def test_evaluations_check_scores_the_appraisal_and_its_state():
    employee = active()
    aid = opened(employee)
    then_refused(
        employee,
        lambda e: evaluate(e, aid, MANAGER_ID, "superior", 101, 70, 90),
        "validation_error",
    )
    then_refused(
        employee, lambda e: evaluate(e, aid, MANAGER_ID, "boss", 80, 70, 90), "validation_error"
    )
    then_refused(
        employee, lambda e: evaluate(e, uuid4(), MANAGER_ID, "superior", 80, 70, 90), "not_found"
    )
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    finalize(employee, aid)
    employee.collect_events()
    then_refused(
        employee,
        lambda e: evaluate(e, aid, "harriet", "superior", 8, 7, 9, as_hr=True),
        "invalid_state",
    )
    then_refused(employee, lambda e: finalize(e, aid), "invalid_state")


def test_finalising_without_a_superior_evaluation_is_refused():
    employee = active()
    aid = opened(employee)
    evaluate(employee, aid, str(employee.id), "self", 90, 90, 90)
    employee.collect_events()
    then_refused(employee, lambda e: finalize(e, aid), "evaluation_incomplete")


def test_the_score_of_all_four_sources_by_hand():
    # kpi 0.5*80+0.2*60+0.1*90+0.2*70 = 75; goals 72; attitude 84;
    # score 0.6*75 + 0.25*72 + 0.15*84 = 45 + 18 + 12.6 = 75.60 -> B
    employee = active()
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    evaluate(employee, aid, "peer-1", "peer", 60, 80, 70, active_peer=True)
    evaluate(employee, aid, str(employee.id), "self", 90, 90, 90)
    evaluate(employee, aid, "sam", "customer", 70, 60, 80, customer_side=True)
    employee.collect_events()
    [event] = then_events(employee, lambda e: finalize(e, aid))
    assert isinstance(event, Employee.AppraisalFinalized)
    assert (event.score, event.rating) == (Decimal("75.60"), "B")
    assert event.inputs["components"] == {
        "kpi": Decimal("75"),
        "goals": Decimal("72"),
        "attitude": Decimal("84"),
    }
    assert event.inputs["sources"]["peer"]["kpi"] == Decimal("60")
    assert event.inputs["source_weights"] == SOURCE_WEIGHTS
    assert event.inputs["component_weights"] == COMPONENT_WEIGHTS
    assert event.inputs["kpi_attainment"] is None
    assert employee.latest_rating == "B"


def test_missing_sources_renormalise_the_weights():
    # superior 5/6, self 1/6: kpi 490/6, goals 440/6, attitude 90
    # score 49 + 18.3333 + 13.5 = 80.8333 -> 80.83 -> A
    employee = active()
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    evaluate(employee, aid, str(employee.id), "self", 90, 90, 90)
    assert finalize(employee, aid) == {"score": "80.83", "rating": "A"}
    applied = employee.appraisal(aid)["inputs"]["applied_source_weights"]
    assert applied["superior"] + applied["self"] == 1
    assert set(applied) == {"superior", "self"}


def test_several_evaluators_of_a_source_count_as_their_mean():
    # peers mean (70, 70, 60); superior 5/7, peer 2/7:
    # kpi 540/7, goals 70, attitude 570/7; score 324/7 + 17.5 + 85.5/7 = 76.00 -> B
    employee = active()
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    evaluate(employee, aid, "peer-1", "peer", 60, 80, 70, active_peer=True)
    evaluate(employee, aid, "peer-2", "peer", 80, 60, 50, active_peer=True)
    assert finalize(employee, aid) == {"score": "76.00", "rating": "B"}


def test_targets_replace_every_kpi_component_with_the_capped_attainment():
    # attainment 1.35 -> kpi 120 (capped); superior 5/7, customer 2/7:
    # goals 470/7, attitude 610/7; score 72 + 117.5/7 + 91.5/7 = 101.857 -> 101.86 -> S
    employee = active(lambda e: e.set_targets(HR, period="2026-Q2", items=ITEMS))
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    evaluate(employee, aid, "sam", "customer", 10, 60, 80, customer_side=True)
    reading = {"weighted_attainment": Decimal("1.35"), "metrics": [{"metric": "revenue"}]}
    assert finalize(employee, aid, reading) == {"score": "101.86", "rating": "S"}
    inputs = employee.appraisal(aid)["inputs"]
    assert inputs["kpi_attainment"]["weighted_attainment"] == Decimal("1.35")
    assert inputs["kpi_attainment"]["kpi_score"] == Decimal("120")
    assert inputs["kpi_attainment"]["targets"] == ITEMS
    assert inputs["sources"]["customer"]["kpi"] == Decimal("120")


def test_an_attainment_below_the_cap_is_used_as_measured():
    # kpi 85: score 51 + 209/7 = 80.857 -> 80.86 -> A
    employee = active(lambda e: e.set_targets(HR, period="2026-Q2", items=ITEMS))
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 10, 70, 90)
    evaluate(employee, aid, "sam", "customer", 99, 60, 80, customer_side=True)
    reading = {"weighted_attainment": Decimal("0.85"), "metrics": []}
    assert finalize(employee, aid, reading) == {"score": "80.86", "rating": "A"}


def test_with_targets_and_no_attainment_finalising_is_refused():
    employee = active(lambda e: e.set_targets(HR, period="2026-Q2", items=ITEMS))
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    employee.collect_events()
    then_refused(employee, lambda e: finalize(e, aid, None), "kpi_attainment_unavailable")


def test_targets_of_another_period_do_not_apply():
    employee = active(lambda e: e.set_targets(HR, period="2026-Q3", items=ITEMS))
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", 80, 70, 90)
    # 0.6*80 + 0.25*70 + 0.15*90 = 48 + 17.5 + 13.5 = 79.00 -> B
    assert finalize(employee, aid) == {"score": "79.00", "rating": "B"}


def test_the_score_is_rounded_half_up_once_at_the_end():
    # 0.6*90 + 0.25*89.98 + 0.15*90 = 54 + 22.495 + 13.5 = 89.995 -> 90.00 -> S
    scored = appraisal_score(
        [
            {
                "source": "superior",
                "evaluator": "m",
                "kpi_score": Decimal("90"),
                "goals_score": Decimal("89.98"),
                "attitude_score": Decimal("90"),
            }
        ],
        SOURCE_WEIGHTS,
        COMPONENT_WEIGHTS,
    )
    assert (scored["score"], scored["rating"]) == (Decimal("90.00"), "S")


@pytest.mark.parametrize(
    "score, rating", [(90, "S"), (89.99, "A"), (80, "A"), (70, "B"), (60, "C"), (59.99, "D")]
)
def test_rating_bands(score, rating):
    value = Decimal(str(score))
    scored = appraisal_score(
        [
            {
                "source": "superior",
                "evaluator": "m",
                **dict.fromkeys(("kpi_score", "goals_score", "attitude_score"), value),
            }
        ],
        SOURCE_WEIGHTS,
        COMPONENT_WEIGHTS,
    )
    assert scored["rating"] == rating


# Incentives.


def rated(score):
    employee = active()
    aid = opened(employee)
    evaluate(employee, aid, MANAGER_ID, "superior", score, score, score)
    finalize(employee, aid)
    employee.collect_events()
    return employee, aid


def test_bonus_and_honor():
    employee, aid = rated(85)
    then_events(
        employee, lambda e: e.award_bonus(HR, amount="5000.00", reason="Q2", appraisal_id=aid)
    )
    then_events(employee, lambda e: e.grant_honor(HR, title="Seller of the quarter"))
    assert employee.bonuses[0]["amount"] == Decimal("5000.00")
    assert employee.honors[0]["title"] == "Seller of the quarter"
    then_refused(employee, lambda e: e.award_bonus(HR, amount="0", reason="x"), "validation_error")
    then_refused(
        employee,
        lambda e: e.award_bonus(HR, amount="10.00", reason="x", appraisal_id=uuid4()),
        "validation_error",
    )


@pytest.mark.parametrize("score", [65, 40])
def test_an_improvement_plan_follows_a_c_or_d_rating(score):
    employee, _ = rated(score)
    plan_id = uuid4()
    due = TODAY + timedelta(days=60)
    then_events(
        employee, lambda e: e.start_improvement_plan(HR, plan_id=plan_id, goals="x", due_on=due)
    )
    then_refused(
        employee,
        lambda e: e.start_improvement_plan(HR, plan_id=uuid4(), goals="y", due_on=due),
        "invalid_state",
    )
    then_events(employee, lambda e: e.close_improvement_plan(HR, plan_id=plan_id, outcome="passed"))
    assert employee.improvement_plans[str(plan_id)]["outcome"] == "passed"
    then_refused(
        employee,
        lambda e: e.close_improvement_plan(HR, plan_id=plan_id, outcome="failed"),
        "invalid_state",
    )
    then_refused(
        employee,
        lambda e: e.close_improvement_plan(HR, plan_id=uuid4(), outcome="failed"),
        "not_found",
    )


@pytest.mark.parametrize("score", [None, 70, 95])
def test_an_improvement_plan_without_a_c_or_d_rating_is_refused(score):
    employee = active() if score is None else rated(score)[0]
    then_refused(
        employee,
        lambda e: e.start_improvement_plan(
            HR, plan_id=uuid4(), goals="x", due_on=TODAY + timedelta(days=30)
        ),
        "improvement_plan_not_allowed",
    )


def test_the_latest_finalised_rating_decides():
    employee, _ = rated(50)
    aid = opened(employee, "quarterly", "2026-Q3")
    evaluate(employee, aid, MANAGER_ID, "superior", 75, 75, 75)
    finalize(employee, aid)
    employee.collect_events()
    assert employee.latest_rating == "B"
    then_refused(
        employee,
        lambda e: e.start_improvement_plan(
            HR, plan_id=uuid4(), goals="x", due_on=TODAY + timedelta(days=30)
        ),
        "improvement_plan_not_allowed",
    )
