"""The rules of the notifications read model, on both databases (DOMAIN.md, Notifications).

The facts go through the application with a clock set to each moment (2026, UTC); the
clock tick is called with explicit moments (`tick`), the read side's own clock thread
being set to tick once in a million seconds. Customer C (owner sam) has a limit of
10 000.00; contract K (sam, 1 000.00, payment term 10 days) is signed on 01-05 and
invoiced in full the same day: due 01-15. Dunning levels are the default 1, 30, 60.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from application.commands.complaints import (
    AssignComplaint,
    ReceiveComplaint,
    RespondToComplaint,
)
from application.commands.contracts import (
    ApproveContractReview,
    DraftContract,
    IssueInvoice,
    RecordPayment,
    SendReminder,
    SignContract,
    SubmitContract,
)
from application.commands.customers import (
    AssessCredit,
    PlaceCreditHold,
    RecordFollowUp,
    RegisterLead,
    ReleaseCreditHold,
)
from application.commands.employees import HireEmployee, RecordInterview, RegisterCandidate
from interfaces.bootstrap import build
from projections.notice_clock import tick
from projections.runner import READ_MODELS, verify
from tests.conftest import as_

SAM = as_("sam", "sales")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
MANAGER = as_("mia", "sales_manager")
SERVICE = as_("sven", "service")
HR = as_("harriet", "hr")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(module_database):
    services = invoiced(module_database)
    yield services
    services.close()


def invoiced(database, **settings):
    """Services over the database with C's contract K signed and invoiced on 01-05."""
    now = [at(1, 5)]
    services = build(
        database.settings(backdating_days=400, tick_seconds=1e6, **settings),
        run_projections=True,
        clock=lambda: now[0],
    )
    app = services.backoffice
    customer = app.handle(
        SAM, RegisterLead(name="C Co", kind="company", source="web", contacts=[])
    ).id
    app.handle(
        FINANCE,
        AssessCredit(
            customer,
            rating="A",
            score=80,
            credit_limit=Decimal("10000.00"),
            max_payment_term_days=30,
            guarantee_required=False,
            valid_until=date(2026, 12, 31),
            basis="accounts",
        ),
    )
    contract = app.handle(
        SAM,
        DraftContract(
            customer_id=customer,
            channel="direct",
            lines=[
                {"sku": "A", "quantity": 1, "unit_price": Decimal("1000"), "unit_cost": Decimal(1)}
            ],
            payment_term_days=10,
            delivery_due_on=date(2026, 6, 30),
        ),
    ).id
    app.handle(SAM, SubmitContract(contract))
    app.handle(LEGAL, ApproveContractReview(contract, "legal"))
    app.handle(FINANCE, ApproveContractReview(contract, "finance"))
    app.handle(MANAGER, SignContract(contract, date(2026, 1, 5)))
    invoice = app.handle(FINANCE, IssueInvoice(contract, Decimal("1000.00"), date(2026, 1, 5)))
    # The scenario's ids and clock ride on the services the tests are given.
    services.ids = {  # type: ignore[attr-defined]
        "customer": customer,
        "contract": contract,
        "invoice": str(invoice.extra.get("invoice_id", invoice.id)),
    }
    services.now = now  # type: ignore[attr-defined]
    return services


def caught_up(world):
    assert world.read_side.wait("notifications", world.backoffice.max_position(), timeout=20)
    return world.read_side.view("notifications")


def notices(world, rule, subject_id=None):
    view = caught_up(world)
    rows = view.query(
        f"SELECT * FROM {view.table('notices')} WHERE rule = ? ORDER BY raised_at, id", [rule]
    )
    return [r for r in rows if subject_id is None or r["subject_id"] == subject_id]


def run_tick(world, moment):
    world.now[0] = max(world.now[0], moment)
    view = caught_up(world)
    return tick(view, moment)


def test_dunning_levels_rise_once_each_and_clear_on_a_reminder_and_on_payment(world):
    app, ids = world.backoffice, world.ids
    run_tick(world, at(1, 15))
    assert notices(world, "dunning_due") == []
    run_tick(world, at(1, 16))
    run_tick(world, at(1, 16, 18))  # a second tick raises nothing twice
    [first] = notices(world, "dunning_due")
    assert (first["subject_type"], first["level"], first["cleared_at"]) == ("invoice", "1", None)
    world.now[0] = at(1, 17)
    app.handle(FINANCE, SendReminder(ids["contract"], 1, "please pay"))
    [first] = notices(world, "dunning_due")
    assert first["cleared_at"] == "2026-01-17T12:00:00.000000+00:00"
    run_tick(world, at(1, 20))
    assert len(notices(world, "dunning_due")) == 1  # reminded at its level: not again
    run_tick(world, at(2, 14))
    run_tick(world, at(2, 14, 13))
    second = notices(world, "dunning_due")[1]
    assert (second["level"], second["cleared_at"]) == ("2", None)
    assert len(notices(world, "dunning_due")) == 2
    run_tick(world, at(2, 15))
    assert world.read_side.wait("credit", app.max_position(), timeout=20)
    [row] = [
        r
        for r in world.read_side.view("credit").dunning(date(2026, 2, 15))
        if r["customer_id"] == str(ids["customer"])
    ]
    assert row == {
        "customer_id": str(ids["customer"]),
        "invoice_id": ids["invoice"],
        "contract_id": str(ids["contract"]),
        "due_on": "2026-01-15",
        "days_overdue": 31,
        "open": "1000.00",
        "level": 2,
        "last_reminder": {"level": 1, "sent_on": "2026-01-17"},
    }
    world.now[0] = at(2, 16)
    app.handle(FINANCE, RecordPayment(ids["contract"], Decimal("1000.00"), date(2026, 2, 16), "P1"))
    assert all(row["cleared_at"] is not None for row in notices(world, "dunning_due"))
    run_tick(world, at(3, 20))
    assert len(notices(world, "dunning_due")) == 2


def test_overdue_credit_alerts_come_with_the_tick_and_go_with_the_payment(world):
    overdue = [r for r in notices(world, "credit_alert") if r["level"].startswith("overdue_")]
    # More than 30 days overdue on 02-15 (due 01-15), paid on 02-16: raised and cleared.
    assert [(row["level"], row["cleared_at"] is not None) for row in overdue] == [
        ("overdue_30", True)
    ]


def test_a_credit_hold_alert_is_raised_cleared_and_raised_again(world):
    app, customer = world.backoffice, world.ids["customer"]
    world.now[0] = at(3, 21)
    app.handle(FINANCE, PlaceCreditHold(customer, "late payer"))
    world.now[0] = at(3, 22)
    app.handle(FINANCE, ReleaseCreditHold(customer))
    world.now[0] = at(3, 23)
    app.handle(FINANCE, PlaceCreditHold(customer, "late again"))
    holds = [
        r for r in notices(world, "credit_alert", str(customer)) if r["level"] == "credit_hold"
    ]
    assert [(r["raised_at"][:10], (r["cleared_at"] or "")[:10]) for r in holds] == [
        ("2026-03-21", "2026-03-22"),
        ("2026-03-23", ""),
    ]
    assert holds[0]["id"] != holds[1]["id"]
    view = caught_up(world)
    inbox = view.inbox(["employee:sam"], "sam", rule="credit_alert", limit=10)
    assert holds[1]["id"] in [item["id"] for item in inbox]
    assert holds[1]["id"] in [i["id"] for i in view.inbox(["role:finance"], "fiona", limit=50)]
    assert view.inbox(["employee:sue", "role:sales"], "sue", limit=50) == []


def test_sla_at_risk_then_breached_then_cleared_by_the_response(world):
    app = world.backoffice
    world.now[0] = at(4, 1, 0)
    complaint = app.handle(
        SERVICE,
        ReceiveComplaint(
            customer_id=world.ids["customer"],
            channel="hotline",
            category="delivery",
            severity="high",
            description="late",
        ),
    ).id
    agent = app.handle(
        HR, RegisterCandidate(name="Agent", position="Service agent", department="service")
    ).id
    app.handle(HR, RecordInterview(agent, kind="interview", result="pass", score=80))
    app.handle(HR, RecordInterview(agent, kind="background_check", result="pass"))
    app.handle(HR, HireEmployee(agent, date(2026, 4, 1), "Service agent", "service"))
    app.handle(SERVICE, AssignComplaint(complaint, str(agent)))
    cid = str(complaint)
    run_tick(world, at(4, 1, 6))  # 6 of 8 hours to respond: not yet 80 %
    assert notices(world, "sla_at_risk", cid) == []
    run_tick(world, at(4, 1, 7))  # 7 of 8 hours
    [risk] = notices(world, "sla_at_risk", cid)
    assert (risk["level"], risk["cleared_at"]) == ("response", None)
    assert f"employee:{agent}" in [
        r["recipient"]
        for r in caught_up(world).query(
            "SELECT recipient FROM "
            + caught_up(world).table("notice_recipients")
            + " WHERE notification_id = ?",
            [risk["id"]],
        )
    ]
    run_tick(world, at(4, 1, 9))
    [risk] = notices(world, "sla_at_risk", cid)
    [breach] = notices(world, "sla_breached", cid)
    assert risk["cleared_at"] is not None and breach["cleared_at"] is None
    world.now[0] = at(4, 1, 10)
    app.handle(SERVICE, RespondToComplaint(complaint, "on it"))
    [breach] = notices(world, "sla_breached", cid)
    assert breach["cleared_at"] == "2026-04-01T10:00:00.000000+00:00"


def test_a_follow_up_is_due_on_its_day_and_again_on_a_new_day(world):
    app, customer = world.backoffice, world.ids["customer"]
    world.now[0] = at(5, 1)
    app.handle(SAM, RecordFollowUp(customer, "call", "hello", next_follow_up_on=date(2026, 5, 3)))
    run_tick(world, at(5, 2))
    assert notices(world, "follow_up_due", str(customer)) == []
    run_tick(world, at(5, 3))
    run_tick(world, at(5, 3, 18))
    run_tick(world, at(5, 4))
    world.now[0] = at(5, 5)
    app.handle(SAM, RecordFollowUp(customer, "call", "again", next_follow_up_on=date(2026, 5, 5)))
    assert [r["cleared_at"] is None for r in notices(world, "follow_up_due", str(customer))] == [
        False  # cleared by the follow-up; the new date waits for the tick
    ]
    run_tick(world, at(5, 5, 13))
    rows = notices(world, "follow_up_due", str(customer))
    assert [(r["level"], r["cleared_at"] is not None) for r in rows] == [
        ("2026-05-03", True),
        ("2026-05-05", False),
    ]


def test_the_folded_tables_equal_a_rebuild(world):
    caught_up(world)
    differences = verify(
        world.backoffice,
        READ_MODELS["notifications"],
        world.settings.persistence_env(),
        world.settings.dialect,
    )
    assert differences == []


def test_dunning_levels_follow_the_setting(database):
    services = invoiced(database, dunning_levels="5,10,15")
    try:
        for day, level in ((19, None), (20, "1"), (25, "2"), (30, "3")):
            run_tick(services, at(1, day))  # due 01-15: 4, 5, 10 and 15 days overdue
            opened = [r["level"] for r in notices(services, "dunning_due") if not r["cleared_at"]]
            assert opened == ([] if level is None else [level]), day
        assert services.read_side.wait("credit", services.backoffice.max_position(), 20)
        [item] = services.read_side.view("credit").dunning(date(2026, 1, 30))
        assert (item["days_overdue"], item["level"]) == (15, 3)
    finally:
        services.close()


def test_dunning_levels_out_of_order_are_refused(database):
    with pytest.raises(SystemExit, match="MOPS_DUNNING_LEVELS"):
        build(database.settings(dunning_levels="30,1,60"))
