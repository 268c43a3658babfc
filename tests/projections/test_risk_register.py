"""The risk register as of a date against hand-computed expectations, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from application.commands.risks import (
    AddRiskAction,
    AssessRisk,
    CloseRisk,
    CompleteRiskAction,
    IdentifyRisk,
    ReopenRisk,
)
from domain.risk import Risk
from domain.values import Cause
from projections.risks import RiskRegisterProjection, heat_cells, open_by_category, with_risk_ids
from projections.runner import READ_MODELS, close_view, fresh_view, verify
from tests.conftest import as_


def t(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def end_of(month: int, day: int) -> datetime:
    return datetime.combine(date(2026, month, day), time.max, tzinfo=UTC)


def by(at: datetime, actor: str = "fiona") -> Cause:
    """A cause recorded a little after the moment, so `occurred_at=at` is back-dated."""
    return Cause(actor, at + timedelta(minutes=5))


def identified(category: str, title: str, owner: str, at: datetime) -> Risk:
    return Risk.identify(
        by(at),
        id=uuid4(),
        category=category,
        title=title,
        description=f"{title}, as the team saw it",
        owner_id=owner,
        occurred_at=at,
    )


def assess(risk: Risk, at: datetime, likelihood: int, impact: int) -> None:
    risk.assess(by(at), likelihood=likelihood, impact=impact, rationale="workshop", occurred_at=at)


def action(risk: Risk, at: datetime, due_on: date, what: str) -> str:
    aid = uuid4()
    risk.add_action(by(at), action_id=aid, description=what, due_on=due_on, occurred_at=at)
    return str(aid)


def scenario():
    """Four risks of March 2026:

    R1 credit, fin: identified 03-02; assessed 03-03 4x4 (high); actions a1 due 03-10
      and a2 due 03-31 added 03-04; a1 completed 03-12; reassessed 03-15 2x3 (medium).
    R2 market, mk: identified 03-05; assessed 03-06 5x5 (critical); action b1 due 03-09
      added 03-06, never completed; closed 03-20; reopened 03-25 (b1 open: mitigating).
    R3 operational, ops: identified 03-08, never assessed.
    R4 legal, leg: identified 03-20.
    """
    r1 = identified("credit", "Distributor slow to pay", "fin", t(3, 2))
    assess(r1, t(3, 3), 4, 4)
    a1 = action(r1, t(3, 4), date(2026, 3, 10), "ask for a bank guarantee")
    a2 = action(r1, t(3, 4, 11), date(2026, 3, 31), "cut the credit limit")
    r2 = identified("market", "Price war", "mk", t(3, 5))
    assess(r2, t(3, 6), 5, 5)
    b1 = action(r2, t(3, 6, 11), date(2026, 3, 9), "review the price list")
    r3 = identified("operational", "Warehouse flood", "ops", t(3, 8))
    r1.complete_action(by(t(3, 12)), action_id=a1, outcome="guarantee signed", occurred_at=t(3, 12))
    assess(r1, t(3, 15), 2, 3)
    r2.close(by(t(3, 20)), "accepted by the board", occurred_at=t(3, 20))
    r4 = identified("legal", "Data protection audit", "leg", t(3, 20, 12))
    r2.reopen(by(t(3, 25)), "rival cut prices again", occurred_at=t(3, 25))
    return (r1, r2, r3, r4), {"a1": a1, "a2": a2, "b1": b1}


def project(view, risks) -> None:
    # In the order the events were recorded, as the log would hold them.
    events = sorted((e for r in risks for e in r.collect_events()), key=lambda e: e.timestamp)
    projection = RiskRegisterProjection(view)
    for position, event in enumerate(events, start=1):
        projection.process_event(event, Tracking("Backoffice", position))


@pytest.fixture
def hand_view(module_database):
    spec = READ_MODELS["risks"]
    view = fresh_view(spec, module_database.env(), module_database.dialect, prefix="hand_")
    yield view
    view.drop()
    close_view(view)


def level(likelihood, impact, name, month, day):
    return {
        "likelihood": likelihood,
        "impact": impact,
        "level": name,
        "assessed_at": f"2026-{month:02d}-{day:02d}T10:00:00.000000+00:00",
    }


def entry(risk, status, past):
    current = past[-1] if past else {"likelihood": None, "impact": None, "level": None}
    return {
        "risk_id": str(risk.id),
        "category": risk.category,
        "title": risk.title,
        "likelihood": current["likelihood"],
        "impact": current["impact"],
        "level": current["level"],
        "status": status,
        "owner_id": risk.owner_id,
        "past_levels": past,
    }


def overdue(risk, action_id, due_on):
    return {
        "risk_id": str(risk.id),
        "action_id": action_id,
        "description": risk.actions[action_id]["description"],
        "owner_id": risk.owner_id,
        "due_on": due_on,
    }


def heat(cells):
    """The 25 cells, zeros but for those given."""
    return {**heat_cells(), **cells}


def test_the_register_before_and_after_a_reassessment(hand_view):
    (r1, r2, r3, r4), ids = scenario()
    project(hand_view, (r1, r2, r3, r4))
    high = level(4, 4, "high", 3, 3)
    critical = level(5, 5, "critical", 3, 6)
    medium = level(2, 3, "medium", 3, 15)

    # 03-11: R1 still high, a1 (due 03-10) not completed yet, b1 (due 03-09) late.
    at_11 = hand_view.report(end_of(3, 11))
    assert at_11["register"] == [
        entry(r1, "mitigating", [high]),
        entry(r2, "mitigating", [critical]),
        entry(r3, "identified", []),
    ]
    assert at_11["heat_map"] == heat({"4-4": 1, "5-5": 1})
    assert len(at_11["heat_map"]) == 25
    assert at_11["overdue_actions"] == [
        overdue(r2, ids["b1"], "2026-03-09"),
        overdue(r1, ids["a1"], "2026-03-10"),
    ]

    # 03-16: R1 reassessed medium, its past level kept; a1 completed on 03-12.
    at_16 = hand_view.report(end_of(3, 16))
    assert at_16["register"] == [
        entry(r1, "mitigating", [high, medium]),
        entry(r2, "mitigating", [critical]),
        entry(r3, "identified", []),
    ]
    assert at_16["heat_map"] == heat({"2-3": 1, "5-5": 1})
    assert at_16["overdue_actions"] == [overdue(r2, ids["b1"], "2026-03-09")]


def test_an_action_due_today_is_not_overdue_yet(hand_view):
    (r1, r2, r3, r4), ids = scenario()
    project(hand_view, (r1, r2, r3, r4))
    at_10 = hand_view.report(end_of(3, 10))
    assert [a["action_id"] for a in at_10["overdue_actions"]] == [ids["b1"]]


def test_a_closed_risk_leaves_the_heat_map_and_its_actions_stop_being_overdue(hand_view):
    (r1, r2, r3, r4), ids = scenario()
    project(hand_view, (r1, r2, r3, r4))
    at_21 = hand_view.report(end_of(3, 21))
    assert [(e["risk_id"], e["status"]) for e in at_21["register"]] == [
        (str(r1.id), "mitigating"),
        (str(r2.id), "closed"),
        (str(r3.id), "identified"),
        (str(r4.id), "identified"),
    ]
    assert at_21["register"][1]["level"] == "critical"
    assert at_21["heat_map"] == heat({"2-3": 1})
    assert at_21["overdue_actions"] == []
    assert open_by_category(at_21["register"]) == {
        "credit": [str(r1.id)],
        "operational": [str(r3.id)],
        "legal": [str(r4.id)],
    }

    # Reopened 03-25 with b1 still open: mitigating, in the map, b1 overdue again.
    at_26 = hand_view.report(end_of(3, 26))
    assert at_26["register"][1]["status"] == "mitigating"
    assert at_26["heat_map"] == heat({"2-3": 1, "5-5": 1})
    assert at_26["overdue_actions"] == [overdue(r2, ids["b1"], "2026-03-09")]


def test_nothing_before_the_first_identification(hand_view):
    (r1, r2, r3, r4), _ = scenario()
    project(hand_view, (r1, r2, r3, r4))
    empty = hand_view.report(end_of(3, 1))
    assert empty == {"register": [], "heat_map": heat_cells(), "overdue_actions": []}


def test_the_list_rows_follow_each_risk(hand_view):
    (r1, r2, r3, r4), _ = scenario()
    project(hand_view, (r1, r2, r3, r4))
    rows = {r["id"]: r for r in hand_view.search(limit=10)}
    assert (rows[str(r1.id)]["level"], rows[str(r1.id)]["open_actions"]) == ("medium", 1)
    assert (rows[str(r2.id)]["status"], rows[str(r2.id)]["open_actions"]) == ("mitigating", 1)
    assert rows[str(r3.id)]["level"] is None
    assert [r["id"] for r in hand_view.search(limit=10, level="critical")] == [str(r2.id)]
    assert [r["id"] for r in hand_view.search(limit=10, category="legal")] == [str(r4.id)]
    assert [r["id"] for r in hand_view.search(limit=10, status="identified")] == [
        str(r3.id),
        str(r4.id),
    ]


def test_each_indicator_gets_the_open_risks_of_its_category():
    indicators = [
        {"name": "overdue_share", "category": "credit", "warning": True},
        {"name": "revenue_attainment", "category": "market", "warning": False},
    ]
    assert with_risk_ids(indicators, {"credit": ["b", "c"]}) == [
        {"name": "overdue_share", "category": "credit", "warning": True, "risk_ids": ["b", "c"]},
        {"name": "revenue_attainment", "category": "market", "warning": False, "risk_ids": []},
    ]


def test_live_tables_equal_a_rebuild(services, module_database):
    app = services.backoffice
    who = as_("fiona", "finance")
    now = app.clock()
    rid = app.handle(
        who,
        IdentifyRisk(
            category="credit",
            title="Distributor slow to pay",
            description="two invoices late",
            occurred_at=now - timedelta(days=5),
        ),
    ).id
    app.handle(who, AssessRisk(rid, likelihood=4, impact=4, rationale="x", occurred_at=now))
    aid = app.handle(
        who, AddRiskAction(rid, description="guarantee", due_on=now.date() - timedelta(days=1))
    ).extra["action_id"]
    app.handle(who, CompleteRiskAction(rid, aid, outcome="signed"))
    app.handle(who, AssessRisk(rid, likelihood=1, impact=2, rationale="paid up"))
    app.handle(who, CloseRisk(rid, "paid"))
    app.handle(who, ReopenRisk(rid, "late again"))
    assert services.read_side.wait("risks", app.max_position(), timeout=10)
    spec = READ_MODELS["risks"]
    assert verify(app, spec, module_database.env(), module_database.dialect) == []
    [row] = [r for r in services.read_side.view("risks").search(limit=1000) if r["id"] == str(rid)]
    assert (row["status"], row["level"], row["open_actions"]) == ("assessed", "low", 0)
