"""The follow-ups read model against hand-worked rows, on both databases.

Facts go through the application with a clock set to each moment (2026, UTC):

- Acme (sam): follow-up 03-01 next 03-10; 03-05 next 03-20 (replaces it); 03-08 with no
  next date (clears it). Last contact 03-08, not due.
- Bolt (sam): follow-up 03-06 next 03-12; then, recorded 03-07, one back-dated to
  03-02 with next 03-04: it replaces nothing. Due 03-12, last contact 03-06.
- Cogs (sam, then sue; renamed "Able Cogs"): follow-up 03-06 next 03-12.
- Dove (sue): two follow-ups at the same time 03-06 09:00, next 03-11 then 03-15: the
  one later in the log wins (03-15). Marked lost, then reopened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from application.commands.customers import (
    AssignCustomerOwner,
    MarkCustomerLost,
    RecordFollowUp,
    RegisterLead,
    ReopenCustomer,
    UpdateProfile,
)
from domain.customer import Customer
from interfaces.bootstrap import build
from projections.follow_ups import fold
from projections.runner import READ_MODELS, verify
from tests.conftest import as_

SAM = as_("sam", "sales")
SUE = as_("sue", "sales")
MANAGER = as_("mia", "sales_manager")


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def scenario(module_database):
    now = [at(1, 12)]
    services = build(
        module_database.settings(backdating_days=400), run_projections=True, clock=lambda: now[0]
    )
    app = services.backoffice

    def follow_up(who, customer, day, next_on, hour=9):
        now[0] = max(now[0], at(day, hour))
        app.handle(
            who,
            RecordFollowUp(
                customer,
                kind="call",
                notes="talked",
                occurred_at=at(day, hour),
                next_follow_up_on=next_on,
            ),
        )

    ids = {
        name: app.handle(
            SAM if name != "Dove" else SUE,
            RegisterLead(name=name, kind="company", source="web", contacts=[]),
        ).id
        for name in ("Acme", "Bolt", "Cogs", "Dove")
    }
    follow_up(SAM, ids["Acme"], 1, date(2026, 3, 10))
    follow_up(SAM, ids["Acme"], 5, date(2026, 3, 20))
    follow_up(SAM, ids["Bolt"], 6, date(2026, 3, 12))
    follow_up(SAM, ids["Cogs"], 6, date(2026, 3, 12))
    follow_up(SUE, ids["Dove"], 6, date(2026, 3, 11))
    follow_up(SUE, ids["Dove"], 6, date(2026, 3, 15))
    now[0] = at(7, 12)
    follow_up(SAM, ids["Bolt"], 2, date(2026, 3, 4))
    app.handle(MANAGER, AssignCustomerOwner(ids["Cogs"], "sue"))
    app.handle(SUE, UpdateProfile(ids["Cogs"], {"name": "Able Cogs"}))
    follow_up(SAM, ids["Acme"], 8, None)
    services.ids = {k: str(v) for k, v in ids.items()}
    services.on = now
    assert services.read_side.wait("follow_ups", app.max_position(), timeout=20)
    yield services
    services.close()


def due(services, day, **filters):
    rows = services.read_side.view("follow_ups").due(day, limit=100, **filters)
    names = {v: k for k, v in services.ids.items()}
    return [(names[r["customer_id"]], r["next_follow_up_on"], r["owner_id"]) for r in rows]


def row(services, name):
    return services.read_side.view("follow_ups").row(services.ids[name])


def test_the_latest_follow_up_sets_the_next_date_and_the_last_contact(scenario):
    acme = row(scenario, "Acme")
    assert (acme["next_follow_up_on"], acme["last_contact_at"]) == (
        None,
        "2026-03-08T09:00:00.000000+00:00",
    )
    bolt = row(scenario, "Bolt")
    assert (bolt["next_follow_up_on"], bolt["last_contact_at"]) == (
        "2026-03-12",
        "2026-03-06T09:00:00.000000+00:00",
    )


def test_due_by_a_day_earliest_first_then_by_name(scenario):
    assert due(scenario, date(2026, 3, 11)) == []
    assert due(scenario, date(2026, 3, 12)) == [
        ("Cogs", "2026-03-12", "sue"),
        ("Bolt", "2026-03-12", "sam"),
    ]
    assert due(scenario, date(2026, 12, 31)) == [
        ("Cogs", "2026-03-12", "sue"),
        ("Bolt", "2026-03-12", "sam"),
        ("Dove", "2026-03-15", "sue"),
    ]
    assert row(scenario, "Cogs")["name"] == "Able Cogs"


def test_per_owner(scenario):
    assert due(scenario, date(2026, 3, 31), owner_id="sam") == [("Bolt", "2026-03-12", "sam")]
    assert due(scenario, date(2026, 3, 31), owner_id="sue") == [
        ("Cogs", "2026-03-12", "sue"),
        ("Dove", "2026-03-15", "sue"),
    ]
    assert due(scenario, date(2026, 3, 31), owner_id="nobody") == []


def test_a_lost_customer_is_left_out_until_reopened(scenario):
    app = scenario.backoffice
    app.handle(SUE, MarkCustomerLost(UUID(scenario.ids["Dove"]), "went quiet"))
    assert scenario.read_side.wait("follow_ups", app.max_position(), timeout=20)
    assert [name for name, *_ in due(scenario, date(2026, 3, 31))] == ["Cogs", "Bolt"]
    assert row(scenario, "Dove")["status"] == "lost"
    app.handle(SUE, ReopenCustomer(UUID(scenario.ids["Dove"])))
    assert scenario.read_side.wait("follow_ups", app.max_position(), timeout=20)
    assert due(scenario, date(2026, 3, 31), owner_id="sue")[-1] == ("Dove", "2026-03-15", "sue")
    assert row(scenario, "Dove")["status"] == "lead"


def test_pages_follow_on(scenario):
    view = scenario.read_side.view("follow_ups")
    everything = view.due(date(2026, 3, 31), limit=100)
    pages = [view.due(date(2026, 3, 31), limit=2, offset=n) for n in (0, 2)]
    assert pages[0] + pages[1] == everything
    assert len(pages[1]) == 1


def test_live_tables_equal_a_rebuild(scenario, module_database):
    differences = verify(
        scenario.backoffice,
        READ_MODELS["follow_ups"],
        module_database.env(),
        module_database.dialect,
    )
    assert differences == []


def follow_up_event(when, next_on):
    return Customer.FollowUpRecorded(
        originator_id=UUID(int=1),
        originator_version=3,
        timestamp=at(9),
        actor="sam",
        occurred_at=when,
        kind="visit",
        notes="n",
        next_follow_up_on=next_on,
    )


def test_the_fold_keeps_the_later_follow_up_and_ignores_unknown_customers():
    known = {
        "id": str(UUID(int=1)),
        "name": "Acme",
        "name_key": "acme",
        "owner_id": "sam",
        "status": "lead",
        "next_follow_up_on": "2026-03-12",
        "last_contact_at": "2026-03-06T09:00:00.000000+00:00",
    }
    assert fold(known, follow_up_event(at(5), date(2026, 3, 30)), 9) is None
    same_time = fold(known, follow_up_event(at(6), None), 9)
    assert same_time == {**known, "next_follow_up_on": None}
    assert fold(None, follow_up_event(at(7), None), 9) is None
