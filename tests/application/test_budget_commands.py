"""Budget commands through the application, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from application.backoffice import Backoffice
from application.commands.budgets import (
    AmendBudget,
    ApproveBudget,
    ApproveOverrun,
    CloseBudget,
    CommitBudget,
    DraftBudget,
    ReallocateBudget,
    RecordExpense,
    RejectBudget,
    RejectOverrun,
    ReleaseCommitment,
    RequestOverrun,
    SubmitBudget,
)
from domain.budget import Budget
from domain.errors import DomainError
from tests.conftest import as_, refused

FINANCE = as_("fiona", "finance")
FINANCE_2 = as_("fred", "finance")
EXEC = as_("eve", "executive")
EXEC_2 = as_("max", "executive")
SALES = as_("sam", "sales")

_years = itertools.count(2001)


def new_budget(app, promotion="10000.00", year=None):
    return app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=year or next(_years),
            lines=[
                {"category": "promotion", "period": "Q2", "amount": promotion},
                {"category": "sales", "period": "Q2", "amount": "30000.00"},
            ],
            targets=[{"period": "Q2", "revenue": "90000.00", "units": 30}],
        ),
    ).id


def approved_budget(app, promotion="10000.00"):
    bid = new_budget(app, promotion)
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
    return bid


def test_every_budget_command_is_stored_with_actor_and_times(app):
    created = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=next(_years),
            name="Plan",
            lines=[{"category": "promotion", "period": "Q2", "amount": "10000"}],
        ),
    )
    assert created.created and created.version == 1
    bid = created.id
    overrun = {}

    def request_overrun():
        outcome = app.handle(
            SALES,
            RequestOverrun(
                bid, category="promotion", period="Q2", amount=Decimal("2000"), justification="fair"
            ),
        )
        overrun[len(overrun)] = outcome.extra["overrun_id"]
        return outcome

    steps = [
        lambda: app.handle(FINANCE, SubmitBudget(bid)),
        lambda: app.handle(EXEC, RejectBudget(bid, "sales line missing")),
        lambda: app.handle(
            EXEC,
            AmendBudget(
                bid,
                {
                    "lines": [
                        {"category": "promotion", "period": "Q2", "amount": "10000"},
                        {"category": "sales", "period": "Q3", "amount": "5000"},
                    ]
                },
            ),
        ),
        lambda: app.handle(FINANCE, SubmitBudget(bid)),
        lambda: app.handle(EXEC, ApproveBudget(bid)),
        lambda: app.handle(
            FINANCE,
            CommitBudget(
                bid, category="promotion", period="Q2", amount=Decimal("3000"), reference="po"
            ),
        ),
        lambda: app.handle(
            FINANCE,
            RecordExpense(
                bid,
                category="promotion",
                period="Q2",
                amount=Decimal("1200.50"),
                expense_type="event",
                description="booth",
                reference="po",
                occurred_at=datetime.now(UTC) - timedelta(days=2),
            ),
        ),
        lambda: app.handle(FINANCE, ReleaseCommitment(bid, "po")),
        request_overrun,
        lambda: app.handle(EXEC, ApproveOverrun(bid, overrun[0])),
        request_overrun,
        lambda: app.handle(EXEC, RejectOverrun(bid, overrun[1], "not this time")),
        lambda: app.handle(
            EXEC,
            ReallocateBudget(
                bid,
                from_category="sales",
                from_period="Q3",
                to_category="promotion",
                to_period="Q2",
                amount=Decimal("500"),
                reason="more fairs",
            ),
        ),
        lambda: app.handle(FINANCE_2, CloseBudget(bid)),
    ]
    for version, step in enumerate(steps, start=2):
        outcome = step()
        assert (outcome.id, outcome.version) == (bid, version)
        assert outcome.position == app.max_position()
    budget = app.get(bid, Budget)
    assert budget.status == "closed"
    line = budget.lines["promotion|Q2"]
    assert (line["planned"], line["adjustments"], line["overruns"]) == (
        Decimal("10000.00"),
        Decimal("500.00"),
        Decimal("2000.00"),
    )
    assert (line["committed"], line["spent"]) == (Decimal("0.00"), Decimal("1200.50"))
    assert budget.available("promotion", "Q2") == Decimal("11299.50")
    events = list(app.events.get(bid))
    assert {e.actor for e in events} == {"fiona", "eve", "sam", "fred"}
    expense = next(e for e in events if isinstance(e, Budget.ExpenseRecorded))
    assert expense.occurred_at < expense.timestamp - timedelta(days=1)
    assert app.get(bid, Budget, version=5).status == "pending_approval"


def test_budget_refusals_answer_their_code_and_store_nothing(app):
    year = next(_years)
    bid = new_budget(app, year=year)
    refusal = refused(
        app,
        "duplicate_budget",
        lambda: app.handle(
            EXEC,
            DraftBudget(
                fiscal_year=year, lines=[{"category": "sales", "period": "Q1", "amount": "1"}]
            ),
        ),
    )
    assert refusal.facts["existing_id"] == str(bid)
    refused(
        app, "forbidden", lambda: app.handle(SALES, DraftBudget(fiscal_year=next(_years), lines=[]))
    )
    refused(app, "forbidden", lambda: app.handle(FINANCE, ApproveBudget(bid)))
    refused(app, "invalid_state", lambda: app.handle(EXEC, ApproveBudget(bid)))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(
            FINANCE,
            CommitBudget(bid, category="promotion", period="Q2", amount=Decimal(1), reference="r"),
        ),
    )
    refused(app, "not_found", lambda: app.handle(FINANCE, SubmitBudget(uuid4())))
    app.handle(EXEC, SubmitBudget(bid))
    refused(app, "segregation_of_duties", lambda: app.handle(EXEC, ApproveBudget(bid)))
    # Not even an admin may approve what they submitted.
    refused(
        app, "segregation_of_duties", lambda: app.handle(as_("eve", "admin"), ApproveBudget(bid))
    )
    refused(app, "segregation_of_duties", lambda: app.handle(EXEC, RejectBudget(bid, "no")))
    refused(app, "validation_error", lambda: app.handle(EXEC_2, RejectBudget(bid, " ")))
    app.handle(EXEC_2, ApproveBudget(bid))
    refused(
        app,
        "budget_exceeded",
        lambda: app.handle(
            FINANCE,
            CommitBudget(
                bid, category="promotion", period="Q2", amount=Decimal("10000.01"), reference="big"
            ),
        ),
    )
    refused(
        app,
        "budget_exceeded",
        lambda: app.handle(
            FINANCE,
            RecordExpense(
                bid,
                category="promotion",
                period="Q2",
                amount=Decimal("10000.01"),
                expense_type="advertising",
                description="too much",
            ),
        ),
    )
    refused(
        app,
        "budget_exceeded",
        lambda: app.handle(
            EXEC,
            ReallocateBudget(
                bid,
                from_category="promotion",
                from_period="Q2",
                to_category="sales",
                to_period="Q2",
                amount=Decimal("10000.01"),
                reason="x",
            ),
        ),
    )
    refused(
        app,
        "expense_standard_exceeded",
        lambda: app.handle(
            FINANCE,
            RecordExpense(
                bid,
                category="sales",
                period="Q2",
                amount=Decimal("5000.01"),
                expense_type="entertainment",
                description="dinner",
            ),
        ),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            FINANCE,
            RecordExpense(
                bid,
                category="sales",
                period="Q2",
                amount=Decimal("10"),
                expense_type="bribes",
                description="x",
            ),
        ),
    )
    refused(app, "not_found", lambda: app.handle(FINANCE, ReleaseCommitment(bid, "nothing")))
    refused(app, "not_found", lambda: app.handle(EXEC, ApproveOverrun(bid, uuid4())))
    oid = app.handle(
        EXEC,
        RequestOverrun(bid, category="sales", period="Q2", amount=Decimal(100), justification="x"),
    ).extra["overrun_id"]
    refused(app, "segregation_of_duties", lambda: app.handle(EXEC, ApproveOverrun(bid, oid)))
    refused(app, "segregation_of_duties", lambda: app.handle(EXEC, RejectOverrun(bid, oid, "no")))
    refused(app, "validation_error", lambda: app.handle(EXEC_2, RejectOverrun(bid, oid, "")))
    refused(
        app,
        "forbidden",
        lambda: app.handle(
            FINANCE,
            ReallocateBudget(
                bid,
                from_category="sales",
                from_period="Q2",
                to_category="sales",
                to_period="Q3",
                amount=Decimal(1),
                reason="x",
            ),
        ),
    )
    refused(
        app,
        "forbidden",
        lambda: app.handle(
            as_("audrey", "auditor"),
            RequestOverrun(
                bid, category="sales", period="Q2", amount=Decimal(1), justification="x"
            ),
        ),
    )
    app.handle(FINANCE, CloseBudget(bid))
    refused(app, "invalid_state", lambda: app.handle(EXEC_2, ApproveOverrun(bid, oid)))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(
            FINANCE,
            RecordExpense(
                bid,
                category="sales",
                period="Q2",
                amount=Decimal("1"),
                expense_type="office",
                description="pens",
            ),
        ),
    )


def test_an_expense_above_its_standard_passes_with_an_approved_overrun(app):
    bid = approved_budget(app)
    oid = app.handle(
        SALES,
        RequestOverrun(
            bid, category="sales", period="Q2", amount=Decimal(3000), justification="visit"
        ),
    ).extra["overrun_id"]
    app.handle(EXEC, ApproveOverrun(bid, oid))
    app.handle(
        FINANCE,
        RecordExpense(
            bid,
            category="sales",
            period="Q2",
            amount=Decimal("23000.00"),
            expense_type="travel",
            description="trade mission",
            overrun_id=oid,
        ),
    )
    budget = app.get(bid, Budget)
    assert budget.overruns[oid]["used"] == Decimal("3000.00")
    assert budget.available("sales", "Q2") == Decimal("10000.00")


def test_a_stale_if_match_is_a_version_conflict_and_writes_nothing(app):
    bid = approved_budget(app)
    stale = replace(FINANCE, expected_version=1)
    refused(
        app,
        "version_conflict",
        lambda: app.handle(
            stale,
            CommitBudget(bid, category="promotion", period="Q2", amount=Decimal(1), reference="r"),
        ),
    )
    fresh = replace(FINANCE, expected_version=3)
    assert (
        app.handle(
            fresh,
            CommitBudget(bid, category="promotion", period="Q2", amount=Decimal(1), reference="r"),
        ).version
        == 4
    )


def test_simultaneous_drafts_for_one_year_write_one_budget(app):
    year = next(_years)
    results, barrier = [], threading.Barrier(4)

    def draft():
        barrier.wait()
        try:
            results.append(new_budget(app, year=year))
        except DomainError as error:
            results.append(error.code)

    threads = [threading.Thread(target=draft) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)).count("duplicate_budget") == 3


def test_racing_commitments_never_take_a_line_below_zero(app):
    bid = approved_budget(app, promotion="1000.00")
    outcomes, barrier = [], threading.Barrier(6)

    def commit(worker):
        barrier.wait()
        for n in range(8):
            try:
                app.handle(
                    FINANCE,
                    CommitBudget(
                        bid,
                        category="promotion",
                        period="Q2",
                        amount=Decimal("30.00"),
                        reference=f"w{worker}-{n}",
                    ),
                )
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=commit, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    budget = app.get(bid, Budget)
    # Commands on one budget take turns within a process: none loses a race.
    assert outcomes.count("ok") == len(budget.commitments) == 33
    assert outcomes.count("budget_exceeded") == 48 - 33
    assert budget.available("promotion", "Q2") == Decimal("10.00")


def test_the_hot_budget_is_snapshotted_and_loads_without_copying_its_commitments(
    app, module_database
):
    bid = approved_budget(app, promotion="1000.00")
    for n in range(105):
        app.handle(
            FINANCE,
            CommitBudget(
                bid, category="promotion", period="Q2", amount=Decimal("1"), reference=f"s{n}"
            ),
        )
    app.handle(
        FINANCE,
        RecordExpense(
            bid,
            category="promotion",
            period="Q2",
            amount=Decimal("1.50"),
            expense_type="event",
            description="x",
            reference="s0",
        ),
    )
    app.handle(FINANCE, ReleaseCommitment(bid, "s1"))
    [snapshot] = app.snapshots.get(bid, desc=True, limit=1)
    assert snapshot.originator_version == 100
    cached = app.get(bid, Budget)
    fresh_app = Backoffice(module_database.env())
    try:
        fresh = fresh_app.get(bid, Budget)
    finally:
        fresh_app.close()
    assert fresh.version == cached.version == 110
    assert fresh.lines == cached.lines and dict(fresh.commitments) == dict(cached.commitments)
    # 1000 planned - 103 still committed - 1.50 spent.
    assert fresh.available("promotion", "Q2") == Decimal("895.50")
    # A load shares the commitments (never changed in place) instead of copying them.
    assert copy.deepcopy(cached).commitments is cached.commitments
