"""MarketingPlan commands through the application, on both databases: stored and refused."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from application.backoffice import Request
from application.commands.marketing_plans import (
    AmendMarketingPlan,
    ApproveMarketingPlan,
    DraftMarketingPlan,
    RecordPlanMeasurement,
    ReturnMarketingPlan,
    ReviseMarketingPlan,
    SubmitMarketingPlan,
)
from domain.errors import DomainError
from domain.marketing_plan import MarketingPlan, MarketingPlanYear
from tests.conftest import as_, refused

MARKETING = as_("mia", "marketing")
MANAGER = as_("sal", "sales_manager")
EXEC = as_("eve", "executive")
EXEC_2 = as_("max", "executive")
SALES = as_("sam", "sales")
AUDITOR = as_("audrey", "auditor")

# A year per test: one plan a year, and the module's database is shared. Past years,
# so that every quarter has begun and may be measured.
_years = itertools.count(1950)

TARGETS = [
    {"period": "Q1", "market_share": Decimal("10.5"), "customer_count": 30},
    {"period": "Q4", "market_share": Decimal("13"), "brand_awareness": Decimal("42")},
]


def drafted(app, who=MARKETING, year=None):
    year = year or next(_years)
    return app.handle(
        who,
        DraftMarketingPlan(
            fiscal_year=year, strategies={"channel": "Dealers in the south"}, targets=TARGETS
        ),
    ).id


def approved(app):
    pid = drafted(app)
    app.handle(MARKETING, SubmitMarketingPlan(pid))
    app.handle(EXEC, ApproveMarketingPlan(pid))
    return pid


def measure(app, pid, who=MARKETING, **fields):
    body = {"metric": "market_share", "period": "Q1", "value": "11.2", "source": "survey"}
    return app.handle(who, RecordPlanMeasurement(pid, **{**body, **fields}))


def test_every_plan_command_is_stored_in_order(app):
    year = next(_years)
    created = app.handle(
        MANAGER,
        DraftMarketingPlan(
            fiscal_year=year, strategies={"product": "Bundles"}, targets=TARGETS[:1]
        ),
    )
    pid = created.id
    assert (created.version, created.created) == (1, True)
    assert app.exists(MarketingPlanYear.id_for(year), MarketingPlanYear)
    assert app.handle(MARKETING, AmendMarketingPlan(pid, targets=TARGETS)).version == 2
    assert app.handle(MARKETING, SubmitMarketingPlan(pid)).version == 3
    assert app.handle(EXEC, ReturnMarketingPlan(pid, "Q4 share too timid")).version == 4
    app.handle(MANAGER, AmendMarketingPlan(pid, strategies={"product": "Bundles", "price": "Hold"}))
    app.handle(MANAGER, SubmitMarketingPlan(pid))
    app.handle(EXEC, ApproveMarketingPlan(pid))
    app.handle(MARKETING, ReviseMarketingPlan(pid))
    when = datetime.now(UTC) - timedelta(days=2)
    outcome = measure(app, pid, occurred_at=when, method="panel")
    assert outcome.version == 9
    plan = app.get(pid, MarketingPlan)
    assert (plan.fiscal_year, plan.status, plan.revision) == (year, "draft", 2)
    assert plan.strategies == {"product": "Bundles", "price": "Hold"}
    assert plan.approved["revision"] == 1
    assert plan.approved["approved_by"] == "eve"
    assert plan.revisions[0]["submitted_by"] == "sal"
    assert plan.measurements[0]["occurred_at"] == when
    events = list(app.events.get(pid))
    assert [type(e).__name__ for e in events] == [
        "Drafted",
        "Amended",
        "Submitted",
        "Returned",
        "Amended",
        "Submitted",
        "Approved",
        "Revised",
        "MeasurementRecorded",
    ]
    assert [e.actor for e in events][3] == "eve"


def test_a_second_plan_for_a_year_is_refused_with_the_existing_id(app):
    year = next(_years)
    pid = drafted(app, year=year)
    refusal = refused(app, "duplicate_plan", lambda: drafted(app, MANAGER, year=year))
    assert refusal.facts["existing_id"] == str(pid)


def test_racing_drafts_for_one_year_leave_one_plan(app):
    year = next(_years)
    results, barrier = [], threading.Barrier(4)

    def draft():
        barrier.wait()
        try:
            results.append(drafted(app, year=year))
        except DomainError as error:
            results.append(error.code)

    threads = [threading.Thread(target=draft) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)).count("duplicate_plan") == 3
    [winner] = [r for r in results if r != "duplicate_plan"]
    assert app.get(MarketingPlanYear.id_for(year), MarketingPlanYear).plan_id == winner


def test_malformed_drafts_and_amendments_are_refused(app):
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            MARKETING,
            DraftMarketingPlan(fiscal_year=next(_years), strategies={"place": "x"}, targets=[]),
        ),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            MARKETING,
            DraftMarketingPlan(
                fiscal_year=next(_years),
                strategies={},
                targets=[
                    {"period": "Q1", "customer_count": 1},
                    {"period": "Q1", "customer_count": 2},
                ],
            ),
        ),
    )
    pid = drafted(app)
    refused(app, "validation_error", lambda: app.handle(MARKETING, AmendMarketingPlan(pid)))
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            MARKETING, AmendMarketingPlan(pid, targets=[{"period": "Q2", "market_share": "120"}])
        ),
    )
    empty = app.handle(
        MARKETING, DraftMarketingPlan(fiscal_year=next(_years), strategies={}, targets=[])
    ).id
    refused(app, "validation_error", lambda: app.handle(MARKETING, SubmitMarketingPlan(empty)))


def test_commands_the_state_does_not_allow_are_refused(app):
    pid = drafted(app)
    refused(app, "invalid_state", lambda: app.handle(EXEC, ApproveMarketingPlan(pid)))
    refused(app, "invalid_state", lambda: app.handle(EXEC, ReturnMarketingPlan(pid, "why")))
    refused(app, "invalid_state", lambda: app.handle(MARKETING, ReviseMarketingPlan(pid)))
    refused(app, "invalid_state", lambda: measure(app, pid))
    app.handle(MARKETING, SubmitMarketingPlan(pid))
    refused(app, "invalid_state", lambda: app.handle(MARKETING, SubmitMarketingPlan(pid)))
    refused(
        app, "invalid_state", lambda: app.handle(MARKETING, AmendMarketingPlan(pid, targets=[]))
    )
    refused(app, "invalid_state", lambda: app.handle(MARKETING, ReviseMarketingPlan(pid)))
    refused(app, "invalid_state", lambda: measure(app, pid))
    app.handle(EXEC, ApproveMarketingPlan(pid))
    refused(app, "invalid_state", lambda: app.handle(EXEC_2, ApproveMarketingPlan(pid)))
    refused(
        app, "invalid_state", lambda: app.handle(MARKETING, AmendMarketingPlan(pid, targets=[]))
    )


def test_the_submitter_may_not_approve_or_return_the_revision(app):
    pid = drafted(app)
    # A subject holding both roles submitted it.
    both = as_("boss", "marketing", "executive")
    app.handle(both, SubmitMarketingPlan(pid))
    refusal = refused(
        app, "segregation_of_duties", lambda: app.handle(both, ApproveMarketingPlan(pid))
    )
    assert refusal.facts["submitted_by"] == "boss"
    refused(
        app, "segregation_of_duties", lambda: app.handle(both, ReturnMarketingPlan(pid, "redo it"))
    )
    admin = as_("boss", "admin")
    refused(app, "segregation_of_duties", lambda: app.handle(admin, ApproveMarketingPlan(pid)))
    app.handle(EXEC, ApproveMarketingPlan(pid))
    # The next revision's submitter is judged afresh.
    app.handle(MARKETING, ReviseMarketingPlan(pid))
    app.handle(as_("eve", "marketing"), SubmitMarketingPlan(pid))
    refused(app, "segregation_of_duties", lambda: app.handle(EXEC, ApproveMarketingPlan(pid)))
    app.handle(both, ApproveMarketingPlan(pid))


def test_the_approved_revision_stays_in_force_and_readable_while_the_next_is_drafted(app):
    pid = approved(app)
    at_first_approval = app.get(pid, MarketingPlan).version
    app.handle(MARKETING, ReviseMarketingPlan(pid))
    app.handle(
        MARKETING,
        AmendMarketingPlan(pid, targets=[{"period": "Q4", "market_share": Decimal("15")}]),
    )
    app.handle(MARKETING, SubmitMarketingPlan(pid))
    plan = app.get(pid, MarketingPlan)
    assert (plan.status, plan.revision, plan.approved["revision"]) == ("pending_approval", 2, 1)
    assert plan.approved["targets"][1]["market_share"] == Decimal("13")
    app.handle(EXEC_2, ApproveMarketingPlan(pid))
    plan = app.get(pid, MarketingPlan)
    assert plan.approved["revision"] == 2
    assert [(r["revision"], r["approved_by"]) for r in plan.revisions] == [(1, "eve"), (2, "max")]
    first = app.get(pid, MarketingPlan, version=plan.revisions[0]["version"])
    assert first.version == at_first_approval
    assert (first.status, first.approved["revision"]) == ("approved", 1)
    assert first.approved["targets"] == TARGETS_STORED


TARGETS_STORED = [
    {"period": "Q1", "market_share": Decimal("10.5"), "brand_awareness": None,
     "customer_count": 30},
    {"period": "Q4", "market_share": Decimal("13"), "brand_awareness": Decimal("42"),
     "customer_count": None},
]  # fmt: skip


def test_measurements_are_recorded_on_an_approved_plan_and_its_later_revisions(app):
    pid = approved(app)
    measure(app, pid)
    app.handle(MARKETING, ReviseMarketingPlan(pid))
    measure(app, pid, metric="brand_awareness", period="Q4", value="40")
    app.handle(MARKETING, SubmitMarketingPlan(pid))
    measure(app, pid, value="11.5")
    plan = app.get(pid, MarketingPlan)
    assert [(m["metric"], m["period"], m["value"]) for m in plan.measurements] == [
        ("market_share", "Q1", Decimal("11.2")),
        ("brand_awareness", "Q4", Decimal("40")),
        ("market_share", "Q1", Decimal("11.5")),
    ]


def test_malformed_measurements_are_refused(app):
    pid = approved(app)
    for fields in (
        {"metric": "customer_count"},
        {"value": "100.5"},
        {"period": "Q0"},
        {"source": ""},
        {"occurred_at": datetime.now(UTC) + timedelta(hours=1)},
        {"occurred_at": datetime.now(UTC) - timedelta(days=40)},
    ):
        refused(app, "validation_error", lambda f=fields: measure(app, pid, **f))


@pytest.mark.parametrize(
    "who, command",
    [
        (SALES, "draft"),
        (EXEC, "draft"),
        (AUDITOR, "draft"),
        (EXEC, "amend"),
        (SALES, "submit"),
        (MARKETING, "approve"),
        (MANAGER, "return"),
        (EXEC, "revise"),
        (MANAGER, "measure"),
        (EXEC, "measure"),
    ],
)
def test_roles_not_allowed_are_refused(app, who, command):
    pid = approved(app) if command == "measure" else drafted(app)
    calls = {
        "draft": lambda: drafted(app, who),
        "amend": lambda: app.handle(who, AmendMarketingPlan(pid, targets=[])),
        "submit": lambda: app.handle(who, SubmitMarketingPlan(pid)),
        "approve": lambda: app.handle(who, ApproveMarketingPlan(pid)),
        "return": lambda: app.handle(who, ReturnMarketingPlan(pid, "no")),
        "revise": lambda: app.handle(who, ReviseMarketingPlan(pid)),
        "measure": lambda: measure(app, pid, who),
    }
    refused(app, "forbidden", calls[command])


def test_an_unknown_plan_and_a_stale_version_are_refused(app):
    refused(app, "not_found", lambda: app.handle(MARKETING, SubmitMarketingPlan(uuid4())))
    pid = drafted(app)
    stale = Request(MARKETING.caller, expected_version=2)
    refused(app, "version_conflict", lambda: app.handle(stale, SubmitMarketingPlan(pid)))
    current = Request(MARKETING.caller, expected_version=1)
    assert app.handle(current, SubmitMarketingPlan(pid)).version == 2
