"""Complaint commands through the application, on both databases: stored and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.commands.complaints import (
    AssignComplaint,
    CloseComplaint,
    EscalateComplaint,
    ReceiveComplaint,
    RecordComplaintProgress,
    ReopenComplaint,
    ResolveComplaint,
    RespondToComplaint,
)
from domain.complaint import Complaint
from tests.conftest import as_, refused
from tests.factories import contract, customer, employee

SERVICE = as_("sue", "service")
MANAGER = as_("mia", "sales_manager")
SALES = as_("sam", "sales")
HR = as_("harriet", "hr")
FINANCE = as_("fiona", "finance")


def received(app, customer_id=None, who=SERVICE, **fields):
    body = {
        "customer_id": customer_id or customer(app),
        "channel": "hotline",
        "category": "delivery",
        "severity": "high",
        "description": "late delivery",
        **fields,
    }
    return app.handle(who, ReceiveComplaint(**body)).id


def in_progress(app, assignee=None, **fields):
    kid = received(app, **fields)
    app.handle(SERVICE, AssignComplaint(kid, assignee or employee(app)))
    app.handle(SERVICE, RespondToComplaint(kid, "we are on it"))
    return kid


def resolve(app, kid, who=SERVICE, **fields):
    body = {"resolution": "redelivered", "root_cause": "supplier", "corrective_action": "carrier"}
    return app.handle(who, ResolveComplaint(kid, **{**body, **fields}))


def test_every_complaint_command_is_stored_in_order(app):
    cid = customer(app)
    kid_contract = contract(app, cid)
    agent = employee(app)
    came_in = datetime.now(UTC) - timedelta(hours=3)
    created = app.handle(
        SERVICE,
        ReceiveComplaint(
            customer_id=cid,
            contract_id=kid_contract,
            channel="online",
            category="product_quality",
            severity="critical",
            description="screens flicker",
            occurred_at=came_in,
        ),
    )
    kid = created.id
    assert created.created and created.version == 1
    steps = [
        lambda: app.handle(SERVICE, AssignComplaint(kid, agent, came_in + timedelta(minutes=20))),
        lambda: app.handle(
            SERVICE, RespondToComplaint(kid, "engineer booked", came_in + timedelta(hours=1))
        ),
        lambda: app.handle(MANAGER, EscalateComplaint(kid, 1, "key account")),
        lambda: app.handle(SERVICE, RecordComplaintProgress(kid, "engineer on site", True)),
        lambda: app.handle(
            SERVICE,
            ResolveComplaint(
                kid,
                resolution="panel replaced",
                root_cause="product",
                corrective_action="supplier batch recalled",
            ),
        ),
        lambda: app.handle(SERVICE, CloseComplaint(kid, 5)),
        lambda: app.handle(MANAGER, ReopenComplaint(kid, "flicker is back")),
        lambda: resolve(app, kid, root_cause="supplier"),
        lambda: app.handle(MANAGER, CloseComplaint(kid)),
    ]
    for version, step in enumerate(steps, start=2):
        outcome = step()
        assert (outcome.id, outcome.version) == (kid, version)
        assert outcome.position == app.max_position()
    complaint = app.get(kid, Complaint)
    assert (complaint.status, complaint.assignee_id, complaint.contract_id) == (
        "closed",
        agent,
        kid_contract,
    )
    assert complaint.received_at == came_in
    assert complaint.respond_by == came_in + timedelta(hours=2)
    assert complaint.resolve_by == came_in + timedelta(hours=24)
    assert (complaint.root_cause, complaint.satisfaction, len(complaint.reopens)) == (
        "supplier",
        5,
        1,
    )
    assert complaint.escalation_level == 1


def test_deadlines_come_from_the_policy_in_force(services):
    app = services.backoffice
    kid = received(app, severity="medium")
    complaint = app.get(kid, Complaint)
    hours = app.policy.sla_response_hours["medium"], app.policy.sla_resolution_hours["medium"]
    assert hours == (24, 168)
    assert complaint.respond_by - complaint.received_at == timedelta(hours=24)
    assert complaint.resolve_by - complaint.received_at == timedelta(hours=168)


def test_a_complaint_names_an_existing_customer_and_its_own_contract(app):
    cid = customer(app)
    others = contract(app, customer(app))
    for fields, field in (
        ({"customer_id": uuid4()}, "customer_id"),
        ({"customer_id": contract(app, cid)}, "customer_id"),
        ({"customer_id": cid, "contract_id": uuid4()}, "contract_id"),
        ({"customer_id": cid, "contract_id": others}, "contract_id"),
        ({"customer_id": cid, "contract_id": cid}, "contract_id"),
    ):
        refusal = refused(app, "validation_error", lambda f=fields: received(app, **f))
        assert refusal.errors[0]["field"] == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"category": "mood"}, "category"),
        ({"severity": "urgent"}, "severity"),
        ({"description": " "}, "description"),
        ({"occurred_at": datetime.now(UTC) + timedelta(hours=1)}, "occurred_at"),
        ({"occurred_at": datetime.now(UTC) - timedelta(days=32)}, "occurred_at"),
    ],
)
def test_a_malformed_complaint_is_refused(app, fields, field):
    cid = customer(app)
    refusal = refused(app, "validation_error", lambda: received(app, cid, **fields))
    assert refusal.errors[0]["field"] == field


def test_only_service_and_sales_managers_handle_complaints(app):
    kid = received(app)
    cid = customer(app)
    for who in (SALES, FINANCE, HR, as_("al", "auditor"), as_("mark", "marketing")):
        refused(app, "forbidden", lambda w=who: received(app, cid, who=w))
        refused(app, "forbidden", lambda w=who: app.handle(w, EscalateComplaint(kid, 1, "x")))
    received(app, cid, who=as_("ada", "admin"))
    received(app, cid, who=MANAGER)


def test_assign_names_an_active_employee(app):
    kid = received(app)
    for assignee in (
        str(uuid4()),
        "not-a-uuid",
        employee(app, hire=False),
        employee(app, terminate=True),
        str(customer(app)),
    ):
        refusal = refused(
            app, "validation_error", lambda a=assignee: app.handle(SERVICE, AssignComplaint(kid, a))
        )
        assert refusal.errors[0]["field"] == "assignee_id"
    agent = employee(app)
    app.handle(SERVICE, AssignComplaint(kid, agent))
    assert app.get(kid, Complaint).assignee_id == agent


def test_commands_outside_the_state_machine_are_refused(app):
    agent = employee(app)
    fresh = received(app)
    refused(app, "invalid_state", lambda: app.handle(SERVICE, RespondToComplaint(fresh, "hi")))
    refused(app, "invalid_state", lambda: resolve(app, fresh))
    refused(app, "invalid_state", lambda: app.handle(SERVICE, CloseComplaint(fresh, 3)))
    refused(app, "invalid_state", lambda: app.handle(SERVICE, ReopenComplaint(fresh, "again")))
    refused(
        app, "invalid_state", lambda: app.handle(SERVICE, RecordComplaintProgress(fresh, "n", True))
    )
    working = in_progress(app, agent)
    refused(app, "invalid_state", lambda: app.handle(SERVICE, AssignComplaint(working, agent)))
    refused(app, "invalid_state", lambda: app.handle(SERVICE, RespondToComplaint(working, "again")))
    refused(app, "invalid_state", lambda: app.handle(SERVICE, CloseComplaint(working)))
    resolve(app, working)
    refused(
        app, "invalid_state", lambda: app.handle(SERVICE, EscalateComplaint(working, 1, "late"))
    )
    refused(app, "invalid_state", lambda: resolve(app, working))
    app.handle(SERVICE, CloseComplaint(working, 4))
    refused(app, "invalid_state", lambda: app.handle(SERVICE, CloseComplaint(working, 4)))
    refused(
        app, "invalid_state", lambda: app.handle(SERVICE, EscalateComplaint(working, 1, "late"))
    )


def test_resolving_needs_a_root_cause_of_the_list_and_a_corrective_action(app):
    kid = in_progress(app)
    for fields, field in (
        ({"root_cause": "fate"}, "root_cause"),
        ({"root_cause": ""}, "root_cause"),
        ({"corrective_action": ""}, "corrective_action"),
        ({"corrective_action": "   "}, "corrective_action"),
        ({"resolution": ""}, "resolution"),
    ):
        refusal = refused(app, "validation_error", lambda f=fields: resolve(app, kid, **f))
        assert refusal.errors[0]["field"] == field
    resolve(app, kid, root_cause="process")
    assert app.get(kid, Complaint).root_cause == "process"


def test_a_step_never_precedes_an_earlier_steps_occurred_at(app):
    now = datetime.now(UTC)
    kid = received(app, occurred_at=now - timedelta(hours=10))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(SERVICE, RespondToComplaint(kid, "hi", now - timedelta(hours=1))),
    )
    app.handle(SERVICE, AssignComplaint(kid, employee(app)))
    refusal = refused(
        app,
        "validation_error",
        lambda: app.handle(SERVICE, RespondToComplaint(kid, "hi", now - timedelta(hours=11))),
    )
    assert refusal.errors[0]["field"] == "occurred_at"


def test_escalation_rises_and_a_malformed_one_is_refused(app):
    kid = received(app)
    app.handle(SERVICE, EscalateComplaint(kid, 2, "angry"))
    for level in (2, 1, 0):
        refused(
            app,
            "validation_error",
            lambda lv=level: app.handle(SERVICE, EscalateComplaint(kid, lv, "again")),
        )
    refused(app, "validation_error", lambda: app.handle(SERVICE, EscalateComplaint(kid, 3, "")))
    assert app.handle(SERVICE, EscalateComplaint(kid, 3, "board")).version == 3


def test_satisfaction_is_one_to_five(app):
    kid = in_progress(app)
    resolve(app, kid)
    for score in (0, 6):
        refused(
            app, "validation_error", lambda s=score: app.handle(SERVICE, CloseComplaint(kid, s))
        )
    app.handle(SERVICE, CloseComplaint(kid, 1))
    assert app.get(kid, Complaint).satisfaction == 1


def test_reopen_later_than_thirty_days_after_resolution_is_refused(app):
    now = datetime.now(UTC)
    back = now - timedelta(days=30, hours=5)
    kid = received(app, occurred_at=back)
    app.handle(SERVICE, AssignComplaint(kid, employee(app), back + timedelta(hours=1)))
    app.handle(SERVICE, RespondToComplaint(kid, "hi", back + timedelta(hours=2)))
    resolve(app, kid, occurred_at=back + timedelta(hours=3))
    app.handle(SERVICE, CloseComplaint(kid, 2, back + timedelta(hours=4)))
    # Resolved 30 days and 2 hours ago.
    refusal = refused(
        app,
        "reopen_window_closed",
        lambda: app.handle(SERVICE, ReopenComplaint(kid, "broken again")),
    )
    assert refusal.facts["resolved_at"] == (back + timedelta(hours=3)).isoformat()
    # Reopened as of a moment within the window, it is allowed.
    within = back + timedelta(days=30, hours=3)
    assert app.handle(SERVICE, ReopenComplaint(kid, "broken again", within)).version == 6
    assert app.get(kid, Complaint).status == "in_progress"


def test_the_business_sla_clock_stamps_working_hour_deadlines(module_database):
    from zoneinfo import ZoneInfo

    from interfaces.bootstrap import build

    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.now(zone).date()
    friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
    monday = friday + timedelta(days=3)
    settings = module_database.settings(
        sla_clock="business", holidays=monday.isoformat(), backdating_days=14
    )
    services = build(settings, run_projections=False)
    try:
        app = services.backoffice
        at = datetime.combine(friday, datetime.min.time(), tzinfo=zone) + timedelta(hours=17)
        kid = received(app, severity="high", occurred_at=at)
        complaint = app.get(kid, Complaint)
        # Friday 17:00 + 8 working hours: 1 on Friday, Monday a holiday, 7 on Tuesday.
        tuesday_4pm = datetime.combine(monday + timedelta(days=1), datetime.min.time(), zone)
        assert complaint.respond_by == tuesday_4pm + timedelta(hours=16)
    finally:
        services.close()
