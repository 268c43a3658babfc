"""Risk commands through the application, on both databases: stored and refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from application.commands.risks import (
    AddRiskAction,
    AssessRisk,
    CloseRisk,
    CompleteRiskAction,
    IdentifyRisk,
    ReopenRisk,
)
from application.permissions import ROLES
from domain.risk import Risk
from tests.conftest import as_, refused

FINANCE = as_("fiona", "finance")
SERVICE = as_("sue", "service")
AUDITOR = as_("audrey", "auditor")
DUE = date(2026, 9, 30)


def identify(app, who=FINANCE, **fields):
    body = {
        "category": "credit",
        "title": "Distributor slow to pay",
        "description": "Two invoices past 60 days",
        **fields,
    }
    return app.handle(who, IdentifyRisk(**body)).id


def assess(app, rid, likelihood=3, impact=4, who=FINANCE, **fields):
    return app.handle(
        who, AssessRisk(rid, likelihood=likelihood, impact=impact, rationale="history", **fields)
    )


def add_action(app, rid, who=FINANCE, **fields):
    body = {"description": "ask for a guarantee", "due_on": DUE, **fields}
    return UUID(app.handle(who, AddRiskAction(rid, **body)).extra["action_id"])


def test_every_risk_command_is_stored_in_order(app):
    began = datetime.now(UTC) - timedelta(days=3)
    created = app.handle(
        FINANCE,
        IdentifyRisk(
            category="credit",
            title="Distributor slow to pay",
            description="Two invoices past 60 days",
            owner_id="emp-fin-1",
            occurred_at=began,
        ),
    )
    rid = created.id
    assert created.created and created.version == 1
    steps = [
        lambda: assess(app, rid, 4, 5, occurred_at=began + timedelta(hours=1)),
        lambda: app.handle(
            SERVICE,
            AddRiskAction(rid, description="bank guarantee", due_on=DUE, owner_id="emp-fin-2"),
        ),
        lambda: assess(app, rid, 2, 3, who=SERVICE),
        lambda: app.handle(FINANCE, CloseRisk(rid, "guarantee in place")),
        lambda: app.handle(FINANCE, ReopenRisk(rid, "guarantee expired")),
    ]
    outcomes = []
    for version, step in enumerate(steps, start=2):
        outcome = step()
        assert (outcome.id, outcome.version) == (rid, version)
        assert outcome.position == app.max_position()
        outcomes.append(outcome)
    aid = UUID(outcomes[1].extra["action_id"])
    done = app.handle(FINANCE, CompleteRiskAction(rid, aid, outcome="renewed"))
    assert done.version == 7
    risk = app.get(rid, Risk)
    assert (risk.status, risk.owner_id, risk.identified_at) == ("mitigating", "emp-fin-1", began)
    assert [(a["level"], a["assessed_by"]) for a in risk.assessments] == [
        ("critical", "fiona"),
        ("medium", "sue"),
    ]
    assert risk.assessments[0]["assessed_at"] == began + timedelta(hours=1)
    action = risk.actions[str(aid)]
    assert (action["owner_id"], action["due_on"]) == ("emp-fin-2", DUE)
    assert action["outcome"] == "renewed"
    assert [r["reason"] for r in risk.reopens] == ["guarantee expired"]


def test_the_owner_defaults_to_whoever_identifies_and_actions_to_the_risk_owner(app):
    rid = identify(app, who=SERVICE)
    assess(app, rid)
    aid = add_action(app, rid, who=FINANCE)
    risk = app.get(rid, Risk)
    assert (risk.owner_id, risk.actions[str(aid)]["owner_id"]) == ("sue", "sue")


@pytest.mark.parametrize("role", sorted(ROLES - {"auditor"}))
def test_any_role_but_the_auditor_identifies_a_risk(app, role):
    assert app.exists(identify(app, who=as_("someone", role)), Risk)


def test_the_auditor_may_issue_no_risk_command(app):
    rid = identify(app)
    assess(app, rid)
    aid = add_action(app, rid)
    for command in (
        lambda: identify(app, who=AUDITOR),
        lambda: assess(app, rid, who=AUDITOR),
        lambda: add_action(app, rid, who=AUDITOR),
        lambda: app.handle(AUDITOR, CompleteRiskAction(rid, aid, outcome="x")),
        lambda: app.handle(AUDITOR, CloseRisk(rid, "x")),
        lambda: app.handle(AUDITOR, ReopenRisk(rid, "x")),
    ):
        refused(app, "forbidden", command)


def test_refusals_write_nothing(app):
    rid = identify(app)
    refused(app, "invalid_state", lambda: add_action(app, rid))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, CloseRisk(rid, "x")))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, ReopenRisk(rid, "x")))
    refused(app, "validation_error", lambda: assess(app, rid, 6, 1))
    refused(app, "validation_error", lambda: identify(app, category="weather"))
    refused(
        app,
        "validation_error",
        lambda: identify(app, occurred_at=datetime.now(UTC) + timedelta(hours=1)),
    )
    assess(app, rid)
    refused(app, "invalid_state", lambda: app.handle(FINANCE, CloseRisk(rid, "not treated")))
    aid = add_action(app, rid)
    refused(
        app, "not_found", lambda: app.handle(FINANCE, CompleteRiskAction(rid, uuid4(), outcome="x"))
    )
    app.handle(FINANCE, CompleteRiskAction(rid, aid, outcome="done"))
    refused(
        app, "invalid_state", lambda: app.handle(FINANCE, CompleteRiskAction(rid, aid, outcome="x"))
    )
    app.handle(FINANCE, CloseRisk(rid, "treated"))
    refused(app, "invalid_state", lambda: assess(app, rid))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, CloseRisk(rid, "again")))
    refused(app, "not_found", lambda: assess(app, uuid4()))
    app.handle(FINANCE, ReopenRisk(rid, "back"))
    assert app.get(rid, Risk).status == "assessed"


def test_a_stale_version_is_a_conflict(app):
    rid = identify(app)
    stale = as_("fiona", "finance")
    stale = type(stale)(stale.caller, expected_version=2)
    refused(app, "version_conflict", lambda: assess(app, rid, who=stale))
