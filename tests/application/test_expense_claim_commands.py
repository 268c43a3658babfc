"""ExpenseClaim commands through the application, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from application.backoffice import Request
from application.commands.budgets import (
    ApproveBudget,
    ApproveOverrun,
    CloseBudget,
    DraftBudget,
    RequestOverrun,
    SubmitBudget,
)
from application.commands.employees import (
    HireEmployee,
    RecordInterview,
    RegisterCandidate,
    TerminateEmployee,
)
from application.commands.expense_claims import (
    ApproveExpenseClaim,
    MarkExpenseClaimPaid,
    RejectExpenseClaim,
    SubmitExpenseClaim,
)
from application.permissions import Caller
from domain.budget import Budget
from domain.errors import DomainError
from domain.expense_claim import ClaimReceipt, ExpenseClaim
from tests.conftest import as_, refused, unique

HR = as_("harriet", "hr")
FINANCE = as_("fiona", "finance")
EXEC = as_("eve", "executive")


def today() -> date:
    """Today in UTC, read when asked: a run may cross midnight."""
    return datetime.now(UTC).date()


_years = itertools.count(3001)


def person(app, manager: str | None = None, terminate: bool = False) -> str:
    """An active employee (their id is their token's subject), reporting to a manager."""
    eid = app.handle(
        HR, RegisterCandidate(name=unique("Staff"), position="Rep", department="sales")
    ).id
    app.handle(HR, RecordInterview(eid, kind="interview", result="pass", score=80))
    app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))
    app.handle(
        HR,
        HireEmployee(eid, hired_on=today(), position="Rep", department="sales", manager_id=manager),
    )
    if terminate:
        app.handle(HR, TerminateEmployee(eid, reason="left", on=today()))
    return str(eid)


def team(app) -> tuple[str, str]:
    """A manager and an employee reporting to them."""
    boss = person(app)
    return boss, person(app, manager=boss)


def approved_budget(app, sales: str = "30000.00", approve: bool = True):
    bid = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=next(_years), lines=[{"category": "sales", "period": "Q4", "amount": sales}]
        ),
    ).id
    if approve:
        app.handle(FINANCE, SubmitBudget(bid))
        app.handle(EXEC, ApproveBudget(bid))
    return bid


def claim(app, claimant: str, budget_id, roles=("sales",), **overrides):
    fields = {
        "expense_type": "travel",
        "amount": Decimal("1200.00"),
        "spent_on": today() - timedelta(days=2),
        "description": "train to Shanghai",
        "receipt_ref": f"R-{uuid4().hex[:6]}",
        "budget_id": budget_id,
        "category": "sales",
        "period": "Q4",
        **overrides,
    }
    return app.handle(as_(claimant, *roles), SubmitExpenseClaim(**fields))


def test_a_claim_goes_from_submission_to_payment_and_books_its_expense(app):
    boss, ann = team(app)
    bid = approved_budget(app)
    submitted = claim(app, ann, bid, receipt_ref="INV 42")
    assert submitted.created and submitted.version == 1
    assert submitted.position == app.max_position()
    kid = submitted.id
    budget_before = app.get(bid, Budget).version
    approved = app.handle(as_(boss, "sales_manager"), ApproveExpenseClaim(kid))
    assert (approved.id, approved.version, approved.position) == (kid, 2, app.max_position())
    budget = app.get(bid, Budget)
    assert budget.version == budget_before + 1
    assert budget.lines["sales|Q4"]["spent"] == Decimal("1200.00")
    assert budget.spent_by_type["travel"] == Decimal("1200.00")
    [booked] = list(app.events.get(bid, gt=budget_before))
    assert isinstance(booked, Budget.ExpenseRecorded)
    assert (booked.reference, booked.actor) == (str(kid), boss)
    # The claim and its booking were one transaction: one position apart at most.
    [approval] = list(app.events.get(kid, gt=1))
    assert approval.occurred_at == booked.occurred_at
    paid = app.handle(FINANCE, MarkExpenseClaimPaid(kid, today()))
    assert paid.version == 3
    got = app.get(kid, ExpenseClaim)
    assert (got.status, got.claimant_id, got.decided_by, got.approver_capacity) == (
        "paid",
        ann,
        boss,
        "manager",
    )
    assert (got.booking["budget_version"], got.paid_on, got.paid_by) == (
        budget_before + 1,
        today(),
        "fiona",
    )
    assert [e.actor for e in app.events.get(kid)] == [ann, boss, "fiona"]


def test_finance_approves_claims_of_any_team(app):
    _, ann = team(app)
    bid = approved_budget(app)
    kid = claim(app, ann, bid).id
    app.handle(as_("fred", "finance"), ApproveExpenseClaim(kid))
    assert app.get(kid, ExpenseClaim).approver_capacity == "finance"


def test_only_an_active_employee_claims_and_only_for_a_budget_that_exists(app):
    bid = approved_budget(app)
    refused(app, "forbidden", lambda: claim(app, "not-an-employee", bid))
    gone = person(app, terminate=True)
    refused(app, "forbidden", lambda: claim(app, gone, bid))
    candidate = str(
        app.handle(HR, RegisterCandidate(name=unique(), position="x", department="y")).id
    )
    refused(app, "forbidden", lambda: claim(app, candidate, bid))
    _, ann = team(app)
    error = refused(app, "validation_error", lambda: claim(app, ann, uuid4()))
    assert error.errors[0]["field"] == "budget_id"
    refused(app, "forbidden", lambda: claim(app, ann, bid, roles=("auditor",)))
    for field, value in (
        ("amount", Decimal("-5")),
        ("spent_on", today() + timedelta(days=1)),
        ("spent_on", today() - timedelta(days=40)),
        ("expense_type", "yacht"),
        ("period", "Q9"),
        ("receipt_ref", " "),
    ):
        error = refused(
            app, "validation_error", lambda f=field, v=value: claim(app, ann, bid, **{f: v})
        )
        assert error.errors[0]["field"] == field


def test_a_receipt_is_claimed_once_until_the_claim_holding_it_is_rejected(app):
    boss, ann = team(app)
    _, bob = team(app)
    bid = approved_budget(app)
    first = claim(app, ann, bid, receipt_ref="Taxi 0815").id
    error = refused(app, "duplicate_claim", lambda: claim(app, ann, bid, receipt_ref=" taxi  0815"))
    assert error.facts["existing_id"] == str(first)
    # Another claimant's receipt of that number is theirs.
    claim(app, bob, bid, receipt_ref="Taxi 0815")
    before = app.max_position()
    app.handle(as_(boss, "sales"), RejectExpenseClaim(first, "no business purpose"))
    receipt = app.repository.get(ClaimReceipt.id_for(ann, "Taxi 0815"))
    assert receipt.claim_id is None
    # The rejection and the release are one transaction.
    assert app.max_position() == before + 2
    second = claim(app, ann, bid, receipt_ref="TAXI 0815").id
    assert app.repository.get(ClaimReceipt.id_for(ann, "Taxi 0815")).claim_id == second
    error = refused(app, "duplicate_claim", lambda: claim(app, ann, bid, receipt_ref="taxi 0815"))
    assert error.facts["existing_id"] == str(second)
    app.handle(as_(boss, "sales"), ApproveExpenseClaim(second))
    refused(app, "duplicate_claim", lambda: claim(app, ann, bid, receipt_ref="taxi 0815"))


def test_simultaneous_claims_of_one_receipt_store_one(app):
    _, ann = team(app)
    bid = approved_budget(app)
    outcomes, errors = [], []
    barrier = threading.Barrier(4)

    def race():
        barrier.wait()
        try:
            outcomes.append(claim(app, ann, bid, receipt_ref="RACE-1"))
        except DomainError as error:
            errors.append(error.code)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 1 and errors == ["duplicate_claim"] * 3


def test_only_the_manager_or_finance_decides_and_never_the_claimant(app):
    boss, ann = team(app)
    bid = approved_budget(app)
    kid = claim(app, ann, bid).id
    for stranger in (as_(person(app), "sales_manager"), as_("eve", "executive")):
        refused(app, "forbidden", lambda s=stranger: app.handle(s, ApproveExpenseClaim(kid)))
        refused(app, "forbidden", lambda s=stranger: app.handle(s, RejectExpenseClaim(kid, "no")))
    as_claimant = as_(ann, "sales", "finance")
    refused(app, "segregation_of_duties", lambda: app.handle(as_claimant, ApproveExpenseClaim(kid)))
    refused(
        app, "segregation_of_duties", lambda: app.handle(as_claimant, RejectExpenseClaim(kid, "x"))
    )
    refused(app, "forbidden", lambda: app.handle(as_(boss, "auditor"), ApproveExpenseClaim(kid)))
    assert app.get(kid, ExpenseClaim).version == 1
    # A manager's claim goes to their own manager (or finance), not to themselves.
    boss_claim = claim(app, boss, bid).id
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(boss_claim)),
    )


def test_a_claim_beyond_the_lines_room_changes_neither_claim_nor_budget(app):
    boss, ann = team(app)
    bid = approved_budget(app, sales="1000.00")
    kid = claim(app, ann, bid, amount=Decimal("1000.01")).id
    budget_version = app.get(bid, Budget).version
    error = refused(
        app, "budget_exceeded", lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(kid))
    )
    assert error.facts["shortfall"] == Decimal("0.01")
    assert app.get(kid, ExpenseClaim).version == 1
    assert app.get(kid, ExpenseClaim).status == "submitted"
    assert app.get(bid, Budget).version == budget_version
    assert app.get(bid, Budget).lines["sales|Q4"]["spent"] == Decimal("0.00")
    # The claim stays submitted: once the line has room, it is approved.
    overrun = app.handle(
        as_(ann, "sales"),
        RequestOverrun(
            bid, category="sales", period="Q4", amount=Decimal("0.01"), justification="a cent short"
        ),
    ).extra["overrun_id"]
    app.handle(EXEC, ApproveOverrun(bid, overrun))
    app.handle(FINANCE, ApproveExpenseClaim(kid))
    assert app.get(bid, Budget).available("sales", "Q4") == Decimal("0.00")


def test_above_the_standard_the_approval_needs_an_approved_overrun(app):
    boss, ann = team(app)
    bid = approved_budget(app)
    dinner = {"expense_type": "entertainment", "amount": Decimal("5600.00")}
    plain = claim(app, ann, bid, **dinner).id
    error = refused(
        app,
        "expense_standard_exceeded",
        lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(plain)),
    )
    assert error.facts["standard"] == Decimal("5000.00")
    overrun = app.handle(
        as_(ann, "sales"),
        RequestOverrun(
            bid, category="sales", period="Q4", amount=Decimal("600"), justification="board dinner"
        ),
    ).extra["overrun_id"]
    cited = claim(app, ann, bid, overrun_id=overrun, **dinner).id
    refused(
        app, "validation_error", lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(cited))
    )
    app.handle(EXEC, ApproveOverrun(bid, overrun))
    app.handle(as_(boss, "sales"), ApproveExpenseClaim(cited))
    got = app.get(cited, ExpenseClaim)
    assert got.booking["above_standard"] == Decimal("600.00")
    assert app.get(bid, Budget).overruns[overrun]["used"] == Decimal("600.00")
    # The overrun is used up: the first claim is still above the standard.
    refused(
        app,
        "expense_standard_exceeded",
        lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(plain)),
    )


def test_a_budget_not_open_for_spending_refuses_the_approval(app):
    boss, ann = team(app)
    draft = approved_budget(app, approve=False)
    kid = claim(app, ann, draft).id
    refused(app, "invalid_state", lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(kid)))
    closed = approved_budget(app)
    app.handle(FINANCE, CloseBudget(closed))
    kid = claim(app, ann, closed).id
    refused(app, "invalid_state", lambda: app.handle(as_(boss, "sales"), ApproveExpenseClaim(kid)))
    # A rejection books nothing, so a closed budget does not stop it.
    app.handle(as_(boss, "sales"), RejectExpenseClaim(kid, "year closed; claim next year"))


def test_steps_out_of_order_are_invalid_state_and_payment_is_finances(app):
    boss, ann = team(app)
    bid = approved_budget(app)
    kid = claim(app, ann, bid).id
    refused(app, "invalid_state", lambda: app.handle(FINANCE, MarkExpenseClaimPaid(kid, today())))
    manager = as_(boss, "sales_manager")
    refused(app, "forbidden", lambda: app.handle(manager, MarkExpenseClaimPaid(kid, today())))
    app.handle(as_(boss, "sales"), ApproveExpenseClaim(kid))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, ApproveExpenseClaim(kid)))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, RejectExpenseClaim(kid, "late")))
    for day in (today() - timedelta(days=1), today() + timedelta(days=1)):
        error = refused(
            app, "validation_error", lambda d=day: app.handle(FINANCE, MarkExpenseClaimPaid(kid, d))
        )
        assert error.errors[0]["field"] == "paid_on"
    app.handle(FINANCE, MarkExpenseClaimPaid(kid, today()))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, MarkExpenseClaimPaid(kid, today())))
    rejected = claim(app, ann, bid).id
    app.handle(FINANCE, RejectExpenseClaim(rejected, "duplicate of a card payment"))
    for command in (
        lambda: app.handle(FINANCE, ApproveExpenseClaim(rejected)),
        lambda: app.handle(FINANCE, RejectExpenseClaim(rejected, "again")),
        lambda: app.handle(FINANCE, MarkExpenseClaimPaid(rejected, today())),
    ):
        refused(app, "invalid_state", command)
    refused(app, "not_found", lambda: app.handle(FINANCE, ApproveExpenseClaim(uuid4())))
    refused(app, "not_found", lambda: app.handle(FINANCE, MarkExpenseClaimPaid(bid, today())))


def test_a_decision_logged_late_is_dated_when_it_was_taken(app):
    boss, ann = team(app)
    bid = approved_budget(app)
    handed_in = datetime.now(UTC) - timedelta(days=3)
    kid = claim(app, ann, bid, spent_on=today() - timedelta(days=5), occurred_at=handed_in).id
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            as_(boss, "sales"), ApproveExpenseClaim(kid, occurred_at=handed_in - timedelta(hours=1))
        ),
    )
    decided = handed_in + timedelta(days=1)
    app.handle(as_(boss, "sales"), ApproveExpenseClaim(kid, occurred_at=decided))
    booked = list(app.events.get(bid))[-1]
    assert (booked.occurred_at, app.get(kid, ExpenseClaim).decided_at) == (decided, decided)
    refused(
        app,
        "validation_error",
        lambda: app.handle(FINANCE, MarkExpenseClaimPaid(kid, decided.date() - timedelta(days=1))),
    )
    app.handle(FINANCE, MarkExpenseClaimPaid(kid, decided.date()))


@pytest.mark.parametrize("stale", [True, False])
def test_a_stale_if_match_is_a_version_conflict(app, stale):
    boss, ann = team(app)
    bid = approved_budget(app)
    kid = claim(app, ann, bid).id
    request = Request(Caller(boss, frozenset({"sales"})), expected_version=2 if stale else 1)
    if stale:
        refused(app, "version_conflict", lambda: app.handle(request, ApproveExpenseClaim(kid)))
    else:
        assert app.handle(request, ApproveExpenseClaim(kid)).version == 2
