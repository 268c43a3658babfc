"""Property: whatever budget commands ran, no line's available money went negative unless
an approved overrun allowed it, and budget execution equals a fold of the budget's history."""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from application.commands.budgets import (
    ApproveBudget,
    ApproveOverrun,
    CommitBudget,
    DraftBudget,
    ReallocateBudget,
    RecordExpense,
    RejectOverrun,
    ReleaseCommitment,
    RequestOverrun,
    SubmitBudget,
)
from domain.budget import Budget
from domain.errors import DomainError
from projections.runner import READ_MODELS, verify
from tests.conftest import as_

FINANCE = as_("fiona", "finance")
EXEC = as_("eve", "executive")
SALES = as_("sam", "sales")
LINES = [("promotion", "Q1"), ("promotion", "Q2"), ("sales", "Q1")]
TYPES = ["advertising", "entertainment", "travel", "office", "other"]
# A budget per example, each for a fiscal year of its own.
_years = itertools.count(3000)

amounts = st.integers(1, 4000).map(lambda cents: Decimal(cents) / 4)
steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["commit", "expense", "release", "overrun", "approve", "reject", "reallocate"]
        ),
        st.integers(0, len(LINES) - 1),
        st.integers(0, len(LINES) - 1),
        amounts.map(lambda a: a.quantize(Decimal("0.01"))),
        st.integers(0, 9),
    ),
    min_size=1,
    max_size=30,
)


def run(app, bid, step, state):
    """One command of the random sequence; a refusal writes nothing, part of the property."""
    operation, which, other, amount, n = step
    category, period = LINES[which]
    if operation == "commit":
        reference = f"ref-{len(state['refs'])}"
        app.handle(
            FINANCE,
            CommitBudget(bid, category=category, period=period, amount=amount, reference=reference),
        )
        state["refs"].append(reference)
    elif operation == "expense":
        refs = state["refs"]
        overruns = state["overruns"]
        app.handle(
            FINANCE,
            RecordExpense(
                bid,
                category=category,
                period=period,
                amount=amount * (10 if n == 9 else 1),
                expense_type=TYPES[n % len(TYPES)],
                description="random",
                reference=refs[n % len(refs)] if refs and n % 2 else None,
                overrun_id=overruns[n % len(overruns)] if overruns and n > 6 else None,
                occurred_at=datetime.now(UTC) - timedelta(days=n),
            ),
        )
    elif operation == "release" and state["refs"]:
        app.handle(FINANCE, ReleaseCommitment(bid, state["refs"][n % len(state["refs"])]))
    elif operation == "overrun":
        outcome = app.handle(
            SALES,
            RequestOverrun(
                bid, category=category, period=period, amount=amount, justification="more"
            ),
        )
        state["overruns"].append(outcome.extra["overrun_id"])
    elif operation in ("approve", "reject") and state["overruns"]:
        oid = state["overruns"][n % len(state["overruns"])]
        if operation == "approve":
            app.handle(EXEC, ApproveOverrun(bid, oid))
        else:
            app.handle(EXEC, RejectOverrun(bid, oid, "no"))
    elif operation == "reallocate":
        to_category, to_period = LINES[other]
        app.handle(
            EXEC,
            ReallocateBudget(
                bid,
                from_category=category,
                from_period=period,
                to_category=to_category,
                to_period=to_period,
                amount=amount,
                reason="shift",
            ),
        )


def fold_history(events):
    """Line figures and expense totals recomputed from a budget's events alone."""
    figures = defaultdict(lambda: defaultdict(Decimal))
    by_type = defaultdict(Decimal)
    commitments, requested = {}, {}
    for event in events:
        if isinstance(event, Budget.Drafted | Budget.Amended):
            for line in event.lines:
                figures[(line["category"], line["period"])]["planned"] = line["amount"]
        elif isinstance(event, Budget.Committed):
            commitments[event.reference] = (event.category, event.period)
            figures[commitments[event.reference]]["committed"] += event.amount
        elif isinstance(event, Budget.CommitmentReleased):
            figures[commitments[event.reference]]["committed"] -= event.amount
        elif isinstance(event, Budget.ExpenseRecorded):
            figures[(event.category, event.period)]["spent"] += event.amount
            figures[(event.category, event.period)]["committed"] -= event.consumed
            by_type[event.expense_type] += event.amount
        elif isinstance(event, Budget.OverrunRequested):
            requested[str(event.overrun_id)] = ((event.category, event.period), event.amount)
        elif isinstance(event, Budget.OverrunApproved):
            line, amount = requested[str(event.overrun_id)]
            figures[line]["overruns_approved"] += amount
        elif isinstance(event, Budget.Reallocated):
            figures[(event.from_category, event.from_period)]["adjustments"] -= event.amount
            figures[(event.to_category, event.to_period)]["adjustments"] += event.amount
    return figures, by_type


def assert_never_negative(budget):
    for line in budget.lines.values():
        available = budget.available(line["category"], line["period"])
        assert available >= 0, line
        if line["overruns"] == 0:
            assert line["planned"] + line["adjustments"] - line["committed"] - line["spent"] >= 0
        assert line["committed"] >= 0


@settings(max_examples=20, deadline=None)
@given(steps=steps)
def test_available_never_negative_and_execution_equals_the_history(
    services, module_database, steps
):
    app, read_side = services.backoffice, services.read_side
    bid = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=next(_years),
            lines=[{"category": c, "period": p, "amount": "1500.00"} for c, p in LINES],
        ),
    ).id
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
    state = {"refs": [], "overruns": []}
    for step in steps:
        with contextlib.suppress(DomainError):
            run(app, bid, step, state)
        assert_never_negative(app.get(bid, Budget))
    assert read_side.wait("budget_execution", app.max_position(), timeout=10)
    report = read_side.view("budget_execution").report(
        str(bid), datetime.now(UTC) + timedelta(days=1)
    )
    figures, by_type = fold_history(app.events.get(bid))
    budget = app.get(bid, Budget)
    for line in report["lines"]:
        key = (line["category"], line["period"])
        expected = figures[key]
        for field in ("planned", "adjustments", "overruns_approved", "committed", "spent"):
            assert Decimal(line[field]) == expected[field], (key, field)
        assert Decimal(line["available"]) == budget.available(*key)
    assert {t: Decimal(v) for t, v in report["by_expense_type"].items() if Decimal(v)} == {
        t: v for t, v in by_type.items() if v
    }
    for name in ("budget_execution", "campaigns"):
        assert read_side.wait(name, app.max_position(), timeout=10)
        spec = READ_MODELS[name]
        assert verify(app, spec, module_database.env(), module_database.dialect) == []
