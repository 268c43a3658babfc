"""Employee commands through the application, on both databases: stored, refused, scored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from application.commands.employees import (
    AwardBonus,
    CloseImprovementPlan,
    FinalizeAppraisal,
    GrantHonor,
    HireEmployee,
    OpenAppraisal,
    PromoteEmployee,
    RecordInterview,
    RecordTraining,
    RegisterCandidate,
    RejectCandidate,
    SetEmployeeTargets,
    StartImprovementPlan,
    SubmitEvaluation,
    TerminateEmployee,
    TransferEmployee,
)
from application.ports import Ports
from domain.employee import Employee
from tests.conftest import as_, refused

HR = as_("harriet", "hr")
EXEC = as_("eve", "executive")
SALES_MANAGER = as_("mia", "sales_manager")
TODAY = datetime.now(UTC).date()

ITEMS = [
    {"metric": "revenue", "target": Decimal("200000"), "weight": Decimal("0.5")},
    {"metric": "contracts_signed", "target": Decimal("4"), "weight": Decimal("0.3")},
    {"metric": "collections", "target": Decimal("150000"), "weight": Decimal("0.2")},
]


@pytest.fixture
def app(services):
    backoffice = services.backoffice
    yield backoffice
    # The attainment source is an input of the command; no test leaves its own behind.
    backoffice.ports = Ports()


def candidate(app, name="Li Wei", department="sales"):
    return app.handle(
        HR,
        RegisterCandidate(
            name=name, position="Sales rep", department=department, source="referral"
        ),
    ).id


def passed(app, eid):
    app.handle(HR, RecordInterview(eid, kind="interview", result="pass", score=80))
    app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))


def hired(app, manager_id=None, name="Li Wei", department="sales"):
    eid = candidate(app, name, department)
    passed(app, eid)
    app.handle(
        HR,
        HireEmployee(
            eid,
            hired_on=TODAY,
            position="Sales rep",
            department=department,
            manager_id=str(manager_id) if manager_id else None,
            grade="P3",
        ),
    )
    return eid


def team(app):
    """A manager and two reports of theirs."""
    manager = hired(app, name="Mia Manager")
    return manager, hired(app, manager, "Li Wei"), hired(app, manager, "Zhang San")


def me(eid, *roles):
    """A request from the person with that employee id."""
    return as_(str(eid), *roles)


def opened(app, eid, cycle="quarterly", period="2026-Q2"):
    return UUID(
        app.handle(HR, OpenAppraisal(eid, cycle=cycle, period=period)).extra["appraisal_id"]
    )


def evaluate(app, who, eid, aid, source, kpi, goals, attitude):
    return app.handle(
        who,
        SubmitEvaluation(
            eid,
            aid,
            source=source,
            kpi_score=kpi,
            goals_score=goals,
            attitude_score=attitude,
            comments="fine",
        ),
    )


def test_candidate_to_appraisal_is_stored_and_replays(app):
    manager = hired(app, name="Mia Manager")
    created = app.handle(HR, RegisterCandidate(name="Li Wei", position="Rep", department="sales"))
    eid = created.id
    assert created.created and created.version == 1
    steps = [
        lambda: app.handle(
            HR,
            RecordInterview(
                eid,
                kind="screening",
                result="pass",
                occurred_at=datetime.now(UTC) - timedelta(days=3),
            ),
        ),
        lambda: app.handle(HR, RecordInterview(eid, kind="interview", result="pass", score=82)),
        lambda: app.handle(HR, RecordInterview(eid, kind="background_check", result="pass")),
        lambda: app.handle(
            HR,
            HireEmployee(
                eid,
                hired_on=TODAY - timedelta(days=2),
                position="Sales rep",
                department="sales",
                manager_id=str(manager),
                grade="P3",
            ),
        ),
        lambda: app.handle(HR, TransferEmployee(eid, department="key accounts")),
        lambda: app.handle(HR, PromoteEmployee(eid, position="Senior rep", grade="P4")),
        lambda: app.handle(SALES_MANAGER, SetEmployeeTargets(eid, period="2026-Q2", items=ITEMS)),
        lambda: app.handle(
            me(manager, "sales_manager"),
            RecordTraining(
                eid, course="Negotiation", kind="skills", hours=Decimal("6"), completed_on=TODAY
            ),
        ),
        lambda: app.handle(EXEC, AwardBonus(eid, amount=Decimal("3000.00"), reason="big deal")),
        lambda: app.handle(HR, GrantHonor(eid, title="Rookie of the year")),
        lambda: app.handle(HR, TerminateEmployee(eid, reason="moved away", on=TODAY)),
    ]
    for version, step in enumerate(steps, start=2):
        outcome = step()
        assert (outcome.id, outcome.version) == (eid, version)
        assert outcome.position == app.max_position()
    employee = app.get(eid, Employee)
    assert (employee.status, employee.department, employee.position, employee.grade) == (
        "terminated",
        "key accounts",
        "Senior rep",
        "P4",
    )
    assert employee.manager_id == str(manager)
    assert employee.training_hours == Decimal("6")
    assert employee.targets_for("2026-Q2") == ITEMS
    kinds = [type(e).__name__ for e in app.events.get(eid)]
    assert kinds[0] == "CandidateRegistered" and kinds[-1] == "Terminated"
    assert app.get(eid, Employee, version=5).status == "active"


def test_recruiting_refusals_store_nothing(app):
    eid = candidate(app)
    refused(app, "forbidden", lambda: candidate_as(app, SALES_MANAGER))
    refused(app, "forbidden", lambda: app.handle(SALES_MANAGER, HireEmployee(eid, **hire_body())))
    refused(app, "hiring_incomplete", lambda: app.handle(HR, HireEmployee(eid, **hire_body())))
    app.handle(HR, RecordInterview(eid, kind="screening", result="pass"))
    app.handle(HR, RecordInterview(eid, kind="written_test", result="pass"))
    app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))
    refused(app, "hiring_incomplete", lambda: app.handle(HR, HireEmployee(eid, **hire_body())))
    app.handle(HR, RecordInterview(eid, kind="interview", result="pass"))
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, HireEmployee(eid, **hire_body(manager_id=str(uuid4())))),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, HireEmployee(eid, **hire_body(manager_id="bob"))),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, HireEmployee(eid, **hire_body(hired_on=TODAY + timedelta(days=1)))),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, RecordInterview(eid, kind="interview", result="ok")),
    )
    refused(app, "not_found", lambda: app.handle(HR, HireEmployee(uuid4(), **hire_body())))
    app.handle(HR, HireEmployee(eid, **hire_body()))
    refused(app, "invalid_state", lambda: app.handle(HR, HireEmployee(eid, **hire_body())))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(HR, RecordInterview(eid, kind="interview", result="pass")),
    )
    refused(app, "invalid_state", lambda: app.handle(HR, RejectCandidate(eid, "too late")))
    other = candidate(app, "Wang Wu")
    app.handle(HR, RejectCandidate(other, "position filled"))
    refused(app, "invalid_state", lambda: app.handle(HR, HireEmployee(other, **hire_body())))
    refused(app, "invalid_state", lambda: app.handle(HR, TransferEmployee(other, department="x")))
    refused(app, "invalid_state", lambda: app.handle(HR, PromoteEmployee(other, position="x")))
    refused(
        app, "invalid_state", lambda: app.handle(HR, TerminateEmployee(other, reason="x", on=TODAY))
    )


def candidate_as(app, who):
    return app.handle(who, RegisterCandidate(name="X", position="Y", department="Z"))


def hire_body(**overrides):
    return {
        "hired_on": TODAY,
        "position": "Sales rep",
        "department": "sales",
        "grade": "P2",
        **overrides,
    }


def test_a_manager_must_be_an_active_employee(app):
    manager = hired(app, name="Old Boss")
    app.handle(HR, TerminateEmployee(manager, reason="retired", on=TODAY))
    eid = candidate(app)
    passed(app, eid)
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, HireEmployee(eid, **hire_body(manager_id=str(manager)))),
    )
    new_boss = hired(app, name="New Boss")
    app.handle(HR, HireEmployee(eid, **hire_body(manager_id=str(new_boss))))
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, TransferEmployee(eid, department="x", manager_id=str(manager))),
    )


def test_targets_trainings_and_their_refusals(app):
    manager, eid, peer = team(app)
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            HR,
            SetEmployeeTargets(
                eid, period="2026-Q2", items=[{**ITEMS[0], "weight": Decimal("0.4")}, *ITEMS[1:]]
            ),
        ),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, SetEmployeeTargets(eid, period="Q2-2026", items=ITEMS)),
    )
    refused(
        app,
        "forbidden",
        lambda: app.handle(
            as_("sam", "sales"), SetEmployeeTargets(eid, period="2026", items=ITEMS)
        ),
    )
    app.handle(HR, SetEmployeeTargets(eid, period="2026-Q2", items=ITEMS))
    one = [{"metric": "revenue", "target": Decimal("90000"), "weight": Decimal("1")}]
    app.handle(SALES_MANAGER, SetEmployeeTargets(eid, period="2026-Q2", items=one))
    assert app.get(eid, Employee).targets_for("2026-Q2") == one

    def train(who, **more):
        body = {"course": "CRM", "kind": "skills", "hours": Decimal("3"), "completed_on": TODAY}
        return app.handle(who, RecordTraining(eid, **{**body, **more}))

    train(HR)
    train(me(manager, "sales_manager"))
    refused(app, "forbidden", lambda: train(me(peer, "sales")))
    refused(app, "forbidden", lambda: train(me(eid, "sales")))
    refused(app, "forbidden", lambda: train(as_("aud", "auditor")))
    refused(app, "validation_error", lambda: train(HR, kind="yoga"))
    refused(app, "validation_error", lambda: train(HR, completed_on=TODAY - timedelta(days=45)))
    assert app.get(eid, Employee).training_hours == Decimal("6")


def test_each_evaluation_source_is_allowed_by_identity_and_refused_otherwise(app):
    manager, eid, peer = team(app)
    aid = opened(app, eid)
    outsider = hired(app, name="Other Team")
    stranger = as_("stranger", "sales_manager")
    leaver = hired(app, name="Leaver")
    app.handle(HR, TerminateEmployee(leaver, reason="left", on=TODAY))
    # Refusals first: each by identity, whatever the role.
    refused(app, "forbidden", lambda: evaluate(app, stranger, eid, aid, "superior", 1, 1, 1))
    refused(
        app, "forbidden", lambda: evaluate(app, me(peer, "sales"), eid, aid, "superior", 1, 1, 1)
    )
    refused(app, "forbidden", lambda: evaluate(app, me(eid, "hr"), eid, aid, "superior", 1, 1, 1))
    refused(app, "forbidden", lambda: evaluate(app, me(manager, "hr"), eid, aid, "self", 1, 1, 1))
    refused(app, "forbidden", lambda: evaluate(app, stranger, eid, aid, "peer", 1, 1, 1))
    refused(app, "forbidden", lambda: evaluate(app, me(leaver, "sales"), eid, aid, "peer", 1, 1, 1))
    refused(app, "forbidden", lambda: evaluate(app, me(eid, "sales"), eid, aid, "peer", 1, 1, 1))
    refused(
        app, "forbidden", lambda: evaluate(app, me(peer, "finance"), eid, aid, "customer", 1, 1, 1)
    )
    refused(
        app, "forbidden", lambda: evaluate(app, me(eid, "sales"), eid, aid, "customer", 1, 1, 1)
    )
    refused(
        app, "forbidden", lambda: evaluate(app, as_("aud", "auditor"), eid, aid, "peer", 1, 1, 1)
    )
    refused(app, "not_found", lambda: evaluate(app, HR, eid, uuid4(), "superior", 1, 1, 1))
    refused(app, "validation_error", lambda: evaluate(app, HR, eid, aid, "superior", 1, 1, 101))
    # Allowed: the manager and hr as superior, the employee as self, any other active
    # employee as peer, a sales or service user as customer.
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 80, 70, 90)
    evaluate(app, HR, eid, aid, "superior", 80, 70, 90)
    evaluate(app, me(eid, "sales"), eid, aid, "self", 90, 90, 90)
    evaluate(app, me(peer, "sales"), eid, aid, "peer", 60, 80, 70)
    evaluate(app, me(outsider, "finance"), eid, aid, "peer", 60, 80, 70)
    evaluate(app, as_("sam", "sales"), eid, aid, "customer", 70, 60, 80)
    evaluate(app, as_("sue", "service"), eid, aid, "customer", 70, 60, 80)
    refused(
        app,
        "duplicate_evaluation",
        lambda: evaluate(app, as_("sam", "sales"), eid, aid, "customer", 70, 60, 80),
    )
    refused(
        app,
        "duplicate_evaluation",
        lambda: evaluate(app, me(peer, "sales", "service"), eid, aid, "customer", 1, 1, 1),
    )
    sources = [e["source"] for e in app.get(eid, Employee).appraisal(aid)["evaluations"]]
    assert sources == ["superior", "superior", "self", "peer", "peer", "customer", "customer"]


def test_appraisal_open_and_finalize_refusals(app):
    manager, eid, _ = team(app)
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, OpenAppraisal(eid, cycle="quarterly", period="2026-04")),
    )
    refused(
        app,
        "forbidden",
        lambda: app.handle(SALES_MANAGER, OpenAppraisal(eid, cycle="annual", period="2026")),
    )
    aid = opened(app, eid)
    refused(
        app,
        "invalid_state",
        lambda: app.handle(HR, OpenAppraisal(eid, cycle="quarterly", period="2026-Q2")),
    )
    evaluate(app, me(eid, "sales"), eid, aid, "self", 90, 90, 90)
    refused(app, "evaluation_incomplete", lambda: app.handle(HR, FinalizeAppraisal(eid, aid)))
    refused(app, "forbidden", lambda: app.handle(SALES_MANAGER, FinalizeAppraisal(eid, aid)))
    refused(app, "not_found", lambda: app.handle(HR, FinalizeAppraisal(eid, uuid4())))
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 80, 70, 90)
    outcome = app.handle(HR, FinalizeAppraisal(eid, aid))
    # superior 5/6, self 1/6: 0.6*490/6 + 0.25*440/6 + 0.15*90 = 80.8333 -> 80.83, A
    assert outcome.extra == {"score": "80.83", "rating": "A"}
    refused(app, "invalid_state", lambda: app.handle(HR, FinalizeAppraisal(eid, aid)))
    refused(
        app,
        "invalid_state",
        lambda: evaluate(app, HR, eid, aid, "superior", 80, 70, 90),
    )


def test_all_four_sources_scored_by_hand_and_stored_with_their_inputs(app):
    manager, eid, peer = team(app)
    aid = opened(app, eid)
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 80, 70, 90)
    evaluate(app, me(peer, "sales"), eid, aid, "peer", 60, 80, 70)
    evaluate(app, me(eid, "sales"), eid, aid, "self", 90, 90, 90)
    evaluate(app, as_("sue", "service"), eid, aid, "customer", 70, 60, 80)
    outcome = app.handle(HR, FinalizeAppraisal(eid, aid))
    # kpi 40+12+9+14 = 75; goals 35+16+9+12 = 72; attitude 45+14+9+16 = 84
    # 0.6*75 + 0.25*72 + 0.15*84 = 75.60 -> B
    assert outcome.extra == {"score": "75.60", "rating": "B"}
    [event] = [e for e in app.events.get(eid) if isinstance(e, Employee.AppraisalFinalized)]
    assert (event.score, event.rating, event.period) == (Decimal("75.60"), "B", "2026-Q2")
    assert event.inputs["components"] == {
        "kpi": Decimal("75"),
        "goals": Decimal("72"),
        "attitude": Decimal("84"),
    }
    assert event.inputs["sources"]["customer"]["evaluators"] == ["sue"]
    assert event.inputs["source_weights"]["peer"] == Decimal("0.2")
    assert event.inputs["component_weights"]["kpi"] == Decimal("0.6")


def test_a_missing_peer_and_customer_renormalise_the_weights(app):
    manager, eid, _ = team(app)
    aid = opened(app, eid, "annual", "2026")
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 60, 60, 60)
    evaluate(app, me(eid, "sales"), eid, aid, "self", 90, 90, 90)
    # superior 5/6, self 1/6: every component (300 + 90) / 6 = 65 -> 65.00, C
    assert app.handle(HR, FinalizeAppraisal(eid, aid)).extra == {"score": "65.00", "rating": "C"}
    applied = app.get(eid, Employee).appraisal(aid)["inputs"]["applied_source_weights"]
    assert set(applied) == {"superior", "self"}


def test_targets_make_the_kpi_the_measured_attainment_capped_at_120(app):
    manager, eid, _ = team(app)
    app.handle(SALES_MANAGER, SetEmployeeTargets(eid, period="2026-Q2", items=ITEMS))
    aid = opened(app, eid)
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 80, 70, 90)
    evaluate(app, as_("sam", "sales"), eid, aid, "customer", 10, 60, 80)
    reading = {
        "weighted_attainment": Decimal("1.35"),
        "metrics": [
            {
                "metric": "revenue",
                "actual": Decimal("300000"),
                "target": Decimal("200000"),
                "weight": Decimal("0.5"),
                "attainment": Decimal("1.5"),
            }
        ],
    }
    asked = []

    def attainment(employee_id, period, head):
        asked.append((employee_id, period))
        return reading

    app.ports = Ports(kpi_attainment=attainment)
    outcome = app.handle(HR, FinalizeAppraisal(eid, aid))
    assert asked == [(str(eid), "2026-Q2")]
    # kpi min(135, 120) = 120; superior 5/7, customer 2/7: goals 470/7, attitude 610/7
    # 0.6*120 + 0.25*470/7 + 0.15*610/7 = 72 + 209/7 = 101.857 -> 101.86, S
    assert outcome.extra == {"score": "101.86", "rating": "S"}
    # The stored event carries the reading: the score replays without the read model.
    app.ports = Ports()
    [event] = [e for e in app.events.get(eid) if isinstance(e, Employee.AppraisalFinalized)]
    stored = event.inputs["kpi_attainment"]
    assert stored["weighted_attainment"] == Decimal("1.35")
    assert stored["kpi_score"] == Decimal("120")
    assert stored["metrics"][0]["actual"] == Decimal("300000")
    assert stored["targets"] == ITEMS
    assert event.inputs["sources"]["customer"]["kpi"] == Decimal("120")
    assert app.get(eid, Employee).appraisal(aid)["score"] == Decimal("101.86")


def test_an_attainment_below_the_cap_counts_as_measured(app):
    manager, eid, _ = team(app)
    app.handle(HR, SetEmployeeTargets(eid, period="2026-05", items=ITEMS))
    aid = opened(app, eid, "monthly", "2026-05")
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 10, 70, 90)
    evaluate(app, as_("sam", "sales"), eid, aid, "customer", 99, 60, 80)
    app.ports = Ports(
        kpi_attainment=lambda employee_id, period, head: {
            "weighted_attainment": Decimal("0.85"),
            "metrics": [],
        }
    )
    # kpi 85: 0.6*85 + 209/7 = 80.857 -> 80.86, A
    assert app.handle(HR, FinalizeAppraisal(eid, aid)).extra == {"score": "80.86", "rating": "A"}


def test_targets_without_an_attainment_reading_are_refused(app):
    manager, eid, _ = team(app)
    app.handle(HR, SetEmployeeTargets(eid, period="2026-Q2", items=ITEMS))
    aid = opened(app, eid)
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 80, 70, 90)
    # No source wired, then a source that knows no targets of the employee yet.
    refused(app, "kpi_attainment_unavailable", lambda: app.handle(HR, FinalizeAppraisal(eid, aid)))
    app.ports = Ports(kpi_attainment=lambda employee_id, period, head: None)
    refused(app, "kpi_attainment_unavailable", lambda: app.handle(HR, FinalizeAppraisal(eid, aid)))


def test_incentives_and_improvement_plans(app):
    manager, eid, _ = team(app)
    aid = opened(app, eid)
    refused(
        app,
        "improvement_plan_not_allowed",
        lambda: app.handle(
            HR, StartImprovementPlan(eid, goals="x", due_on=TODAY + timedelta(days=30))
        ),
    )
    evaluate(app, me(manager, "sales_manager"), eid, aid, "superior", 50, 50, 50)
    assert app.handle(HR, FinalizeAppraisal(eid, aid)).extra == {"score": "50.00", "rating": "D"}
    refused(
        app,
        "forbidden",
        lambda: app.handle(SALES_MANAGER, AwardBonus(eid, amount="1.00", reason="x")),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, AwardBonus(eid, amount=Decimal("-1.00"), reason="x")),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            HR, AwardBonus(eid, amount=Decimal("1.00"), reason="x", appraisal_id=uuid4())
        ),
    )
    app.handle(HR, AwardBonus(eid, amount=Decimal("100.00"), reason="effort", appraisal_id=aid))
    app.handle(EXEC, GrantHonor(eid, title="Team spirit"))
    started = app.handle(
        EXEC, StartImprovementPlan(eid, goals="two deals", due_on=TODAY + timedelta(days=60))
    )
    plan_id = UUID(started.extra["plan_id"])
    refused(
        app,
        "invalid_state",
        lambda: app.handle(
            HR, StartImprovementPlan(eid, goals="y", due_on=TODAY + timedelta(days=9))
        ),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, CloseImprovementPlan(eid, plan_id, "maybe")),
    )
    refused(app, "not_found", lambda: app.handle(HR, CloseImprovementPlan(eid, uuid4(), "passed")))
    app.handle(HR, CloseImprovementPlan(eid, plan_id, "failed"))
    refused(
        app, "invalid_state", lambda: app.handle(HR, CloseImprovementPlan(eid, plan_id, "passed"))
    )
    employee = app.get(eid, Employee)
    assert employee.improvement_plans[str(plan_id)]["outcome"] == "failed"
    assert employee.bonuses[0]["appraisal_id"] == aid
    assert employee.honors[0]["title"] == "Team spirit"


def test_a_stale_version_is_a_conflict_and_writes_nothing(app):
    eid = candidate(app)
    stale = replace(HR, expected_version=2)
    refused(
        app,
        "version_conflict",
        lambda: app.handle(stale, RecordInterview(eid, kind="interview", result="pass")),
    )
    fresh = replace(HR, expected_version=1)
    assert app.handle(fresh, RecordInterview(eid, kind="interview", result="pass")).version == 2
