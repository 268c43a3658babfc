"""TrainingProgram commands through the application, on SQLite and PostgreSQL.

The program, its budget and its participants' records change in one transaction; every
refusal answers its code and stores nothing; the effectiveness review is worked by hand.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from application.commands.budgets import ApproveBudget, DraftBudget, SubmitBudget
from application.commands.employees import (
    HireEmployee,
    RecordInterview,
    RecordTraining,
    RegisterCandidate,
    SetEmployeeTargets,
)
from application.commands.training_programs import (
    AmendTrainingProgram,
    ApproveTrainingProgram,
    CancelTrainingProgram,
    CompleteTrainingProgram,
    EnrollInTrainingProgram,
    EvaluateTrainingProgram,
    PlanTrainingProgram,
    RecordTrainingAssessment,
    RecordTrainingAttendance,
)
from domain.budget import Budget
from domain.employee import Employee
from domain.training_program import TrainingProgram, quarter_of, shift_quarter
from tests.conftest import as_, refused
from tests.factories import employee

HR = as_("hana", "hr")
HR2 = as_("hugo", "hr")
EXEC = as_("eve", "executive")
FINANCE = as_("fiona", "finance")
SALES = as_("sam", "sales")

_years = itertools.count(2101 - 30)


def approved_budget(app, personnel="10000.00", period="Q2"):
    bid = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=next(_years),
            lines=[{"category": "personnel", "period": period, "amount": personnel}],
        ),
    ).id
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
    return bid


def plan(app, bid, who=HR, starts=None, **overrides):
    starts = starts or datetime.now(UTC) - timedelta(days=2)
    fields = {
        "title": "Negotiation skills",
        "kind": "skills",
        "objectives": "close better",
        "trainer": "Ms Lin",
        "sessions": [
            {"starts_at": starts, "hours": Decimal("3"), "location": "Room 1"},
            {"starts_at": starts + timedelta(days=1), "hours": Decimal("4.5")},
        ],
        "planned_cost": Decimal("6000.00"),
        "budget_id": bid,
        "period": "Q2",
        "target_departments": ["sales"],
    }
    fields.update(overrides)
    return app.handle(who, PlanTrainingProgram(**fields)).id


def sessions_of(app, pid):
    return [UUID(s["session_id"]) for s in app.get(pid, TrainingProgram).sessions]


def line(app, bid):
    return app.get(bid, Budget).lines["personnel|Q2"]


def test_a_program_runs_from_plan_to_completion_with_its_budget_and_participants(app):
    bid = approved_budget(app)
    ann, ben, cat = employee(app), employee(app), employee(app)
    pid = plan(app, bid)
    app.handle(HR, AmendTrainingProgram(pid, {"planned_cost": Decimal("5000.00")}))
    app.handle(EXEC, ApproveTrainingProgram(pid))
    assert line(app, bid)["committed"] == Decimal("5000.00")
    for eid in (ann, ben, cat):
        app.handle(HR, EnrollInTrainingProgram(pid, UUID(eid)))
    first, second = sessions_of(app, pid)
    app.handle(HR, RecordTrainingAttendance(pid, first, UUID(ann), True))
    app.handle(HR, RecordTrainingAttendance(pid, second, UUID(ann), True))
    app.handle(HR, RecordTrainingAttendance(pid, second, UUID(ben), True))
    app.handle(HR, RecordTrainingAttendance(pid, first, UUID(cat), False))
    app.handle(HR, RecordTrainingAssessment(pid, UUID(ann), Decimal("80"), 5, Decimal("60")))
    outcome = app.handle(
        HR, CompleteTrainingProgram(pid, datetime.now(UTC).date(), Decimal("4200.00"))
    )
    program = app.get(pid, TrainingProgram)
    assert (program.status, outcome.version) == ("completed", program.version)
    # The cost consumed 4200 of the 5000 committed; the 800 left were released.
    assert line(app, bid)["committed"] == Decimal("0.00")
    assert line(app, bid)["spent"] == Decimal("4200.00")
    assert program.released == Decimal("800.00")
    # Ann attended 3 + 4.5 hours, Ben 4.5; Cat attended nothing and got nothing.
    assert program.recorded_hours == {ann: Decimal("7.5"), ben: Decimal("4.5")}
    ann_record = app.get(UUID(ann), Employee)
    assert ann_record.trainings[-1]["hours"] == Decimal("7.5")
    assert ann_record.trainings[-1]["score"] == Decimal("80")
    assert ann_record.trainings[-1]["course"] == "Negotiation skills"
    assert app.get(UUID(cat), Employee).trainings == []


def test_cancelling_an_approved_program_releases_its_commitment(app):
    bid = approved_budget(app)
    pid = plan(app, bid)
    app.handle(EXEC, ApproveTrainingProgram(pid))
    app.handle(HR, CancelTrainingProgram(pid, "trainer ill"))
    assert line(app, bid)["committed"] == Decimal("0.00")
    assert app.get(pid, TrainingProgram).status == "cancelled"


def managed_employee(app, manager: str) -> str:
    """An active employee whose manager is `manager`."""
    eid = app.handle(HR, RegisterCandidate(name="Dora", position="Agent", department="sales")).id
    app.handle(HR, RecordInterview(eid, kind="interview", result="pass"))
    app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))
    today = datetime.now(UTC).date()
    app.handle(HR, HireEmployee(eid, today, "Agent", "sales", manager_id=manager))
    return str(eid)


def test_an_enrolment_by_the_employees_manager_passes_and_by_anyone_else_is_forbidden(app):
    bid = approved_budget(app)
    pid = plan(app, bid)
    manager = employee(app)
    eid = managed_employee(app, manager)
    refused(app, "forbidden", lambda: app.handle(SALES, EnrollInTrainingProgram(pid, UUID(eid))))
    app.handle(as_(manager, "sales"), EnrollInTrainingProgram(pid, UUID(eid)))
    assert eid in app.get(pid, TrainingProgram).participants


def test_every_refusal_answers_its_code_and_stores_nothing(app):
    bid = approved_budget(app, personnel="1000.00")
    eid, gone = employee(app), employee(app, terminate=True)
    candidate = employee(app, hire=False)
    pid = plan(app, bid, planned_cost=Decimal("900.00"))
    # Roles, segregation of duties and the budget's room.
    refused(app, "forbidden", lambda: plan(app, bid, who=SALES))
    refused(app, "forbidden", lambda: app.handle(HR, ApproveTrainingProgram(pid)))
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(as_("hana", "executive"), ApproveTrainingProgram(pid)),
    )
    big = plan(app, bid, planned_cost=Decimal("1500.00"))
    refused(app, "budget_exceeded", lambda: app.handle(EXEC, ApproveTrainingProgram(big)))
    # Bodies.
    refused(app, "validation_error", lambda: plan(app, bid, sessions=[]))
    refused(app, "validation_error", lambda: plan(app, bid, kind="yoga"))
    refused(app, "validation_error", lambda: plan(app, bid, budget_id=uuid4()))
    refused(app, "validation_error", lambda: plan(app, bid, period="Q5"))
    refused(app, "not_found", lambda: app.handle(EXEC, ApproveTrainingProgram(uuid4())))
    # Enrolment: active employees only, once.
    app.handle(HR, EnrollInTrainingProgram(pid, UUID(eid)))
    refused(
        app, "already_enrolled", lambda: app.handle(HR, EnrollInTrainingProgram(pid, UUID(eid)))
    )
    for other in (gone, candidate, str(uuid4())):
        refused(
            app,
            "validation_error",
            lambda other=other: app.handle(HR, EnrollInTrainingProgram(pid, UUID(other))),
        )
    # States: attendance and completion need an approved program; review a completed one.
    first = sessions_of(app, pid)[0]
    refused(
        app,
        "invalid_state",
        lambda: app.handle(HR, RecordTrainingAttendance(pid, first, UUID(eid), True)),
    )
    today = datetime.now(UTC).date()
    refused(
        app,
        "invalid_state",
        lambda: app.handle(HR, CompleteTrainingProgram(pid, today, Decimal("1"))),
    )
    refused(app, "invalid_state", lambda: app.handle(HR, EvaluateTrainingProgram(pid)))
    app.handle(EXEC, ApproveTrainingProgram(pid))
    refused(app, "invalid_state", lambda: app.handle(HR, AmendTrainingProgram(pid, {"title": "x"})))
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, RecordTrainingAttendance(pid, uuid4(), UUID(eid), True)),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, RecordTrainingAttendance(pid, first, UUID(gone), True)),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, RecordTrainingAssessment(pid, UUID(eid), Decimal("101"), 3)),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(HR, RecordTrainingAssessment(pid, UUID(eid), Decimal("50"), 6)),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            HR, CompleteTrainingProgram(pid, today + timedelta(days=1), Decimal("100"))
        ),
    )
    # A cost above the commitment needs room: 900 committed, 100 more free, 1001 asked.
    refused(
        app,
        "budget_exceeded",
        lambda: app.handle(HR, CompleteTrainingProgram(pid, today, Decimal("1001.00"))),
    )
    app.handle(HR, CompleteTrainingProgram(pid, today, Decimal("1000.00")))
    # The quarter after the quarter of completion has not ended.
    refused(app, "evaluation_too_early", lambda: app.handle(HR, EvaluateTrainingProgram(pid)))
    refused(app, "invalid_state", lambda: app.handle(HR, CancelTrainingProgram(pid, "late")))


def _quarter_day(period: str) -> date:
    year, quarter = int(period[:4]), int(period[-1])
    return date(year, 3 * quarter - 2, 10)


def test_the_effectiveness_review_is_worked_by_hand(app, services, monkeypatch):
    """Ann: reaction 5, 60 -> 80, attainment 0.5 -> 0.8; Ben: reaction 3, 70 -> 75,
    1.0 -> 0.6; Cat: reaction 4, no pre-score, no targets; Dan enrolled, absent.
    Reaction (5+3+4)/3 = 4.00; learning (20+5)/2 = 12.50; KPI change (0.3-0.4)/2 =
    -0.0500; cost 3000 over 3 participants = 1000.00, over 7.5+7.5+3 = 18 hours =
    166.67."""
    monkeypatch.setattr(app, "policy", replace(app.policy, backdating=timedelta(days=600)))
    today = datetime.now(UTC).date()
    completed = today - timedelta(days=250)
    first_day = completed - timedelta(days=3)
    before = shift_quarter(quarter_of(first_day), -1)
    after = shift_quarter(quarter_of(completed), 1)
    bid = approved_budget(app)
    ann, ben, cat, dan = (employee(app) for _ in range(4))
    items = [{"metric": "training_hours", "target": Decimal("10"), "weight": Decimal("1")}]
    for eid, hours_before, hours_after in ((ann, "5", "8"), (ben, "10", "6")):
        for period, hours in ((before, hours_before), (after, hours_after)):
            app.handle(HR, SetEmployeeTargets(UUID(eid), period, items))
            app.handle(
                HR,
                RecordTraining(
                    UUID(eid), "Reading", "skills", Decimal(hours), _quarter_day(period)
                ),
            )
    starts = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    pid = plan(app, bid, starts=starts)
    app.handle(EXEC, ApproveTrainingProgram(pid))
    first, second = sessions_of(app, pid)
    for eid in (ann, ben, cat, dan):
        app.handle(HR, EnrollInTrainingProgram(pid, UUID(eid)))
    for eid, sessions in ((ann, (first, second)), (ben, (first, second)), (cat, (first,))):
        for session in sessions:
            app.handle(HR, RecordTrainingAttendance(pid, session, UUID(eid), True))
    for eid, pre, post, reaction in (
        (ann, "60", "80", 5),
        (ben, "70", "75", 3),
        (cat, None, "90", 4),
    ):
        app.handle(
            HR,
            RecordTrainingAssessment(
                pid, UUID(eid), Decimal(post), reaction, None if pre is None else Decimal(pre)
            ),
        )
    app.handle(HR, CompleteTrainingProgram(pid, completed, Decimal("3000.00")))
    outcome = app.handle(HR, EvaluateTrainingProgram(pid))
    assert outcome.extra["review"] == {
        "reaction_avg": 4.0,
        "learning_gain_avg": 12.5,
        "kpi_change_avg": -0.05,
        "cost_per_participant": "1000.00",
        "cost_per_attended_hour": "166.67",
        "participants": 3,
        "attended_hours": 18.0,
        "actual_cost": "3000.00",
        "before_period": before,
        "after_period": after,
    }
    review = app.get(pid, TrainingProgram).review
    # The inputs are stored with the review: it replays without the read model.
    assert review["attainments"] == {
        ann: {before: Decimal("0.5000"), after: Decimal("0.8000")},
        ben: {before: Decimal("1.0000"), after: Decimal("0.6000")},
    }
    assert review["reactions"] == {ann: 5, ben: 3, cat: 4}
    assert review["learning_gains"] == {ann: Decimal("20"), ben: Decimal("5")}
    refused(app, "invalid_state", lambda: app.handle(HR, EvaluateTrainingProgram(pid)))
