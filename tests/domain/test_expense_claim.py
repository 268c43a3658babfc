"""ExpenseClaim rules, in memory: submit, decide (booking on the budget), pay, the receipt key."""

from __future__ import annotations

from dataclasses import is_dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.application import project_aggregate

from domain.budget import Budget
from domain.errors import DomainError
from domain.expense_claim import ClaimReceipt, ExpenseClaim
from domain.values import Cause
from tests.gwt import NOW, cause, given, then_events, then_refused

CLAIMANT = "emp-ann"
MANAGER = "emp-mia"
STANDARDS = {"entertainment": Decimal("5000.00"), "travel": Decimal("20000.00")}
TODAY = NOW.date()


def later(hours: float, actor: str = MANAGER) -> Cause:
    return Cause(actor, NOW + timedelta(hours=hours))


def budget(sales="30000.00", *more):
    return given(
        lambda: Budget.draft(
            cause("fiona"),
            id=uuid4(),
            fiscal_year=2026,
            lines=[{"category": "sales", "period": "Q2", "amount": sales}],
        ),
        lambda b: b.submit(cause("fiona")),
        lambda b: b.approve(cause("eve")),
        *more,
    )


def submitted(the_budget, **overrides):
    fields = {
        "id": uuid4(),
        "expense_type": "travel",
        "amount": Decimal("1200.00"),
        "spent_on": TODAY - timedelta(days=3),
        "description": "train to Shanghai",
        "receipt_ref": "INV-1",
        "budget_id": the_budget.id,
        "category": "sales",
        "period": "Q2",
        **overrides,
    }
    return given(lambda: ExpenseClaim.submit(cause(CLAIMANT), **fields))


def approve(the_budget, actor=MANAGER, manager_id=MANAGER, as_finance=False, hours=1):
    return lambda c: c.approve(
        later(hours, actor), the_budget, STANDARDS, manager_id=manager_id, as_finance=as_finance
    )


def test_a_submitted_claim_is_the_callers_and_checks_no_room():
    the_budget = budget("100.00")
    claim = ExpenseClaim.submit(
        cause(CLAIMANT),
        id=uuid4(),
        expense_type="entertainment",
        amount=Decimal("9000"),
        spent_on=TODAY,
        description="dinner",
        receipt_ref=" inv-7 ",
        budget_id=the_budget.id,
        category="sales",
        period="Q2",
    )
    [event] = claim.collect_events()
    assert isinstance(event, ExpenseClaim.Submitted)
    assert (event.claimant_id, event.actor, event.amount, event.receipt_ref) == (
        CLAIMANT,
        CLAIMANT,
        Decimal("9000.00"),
        "inv-7",
    )
    assert claim.status == "submitted"


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount", Decimal("0")),
        ("amount", Decimal("1.005")),
        ("expense_type", "yacht"),
        ("category", "fun"),
        ("period", "Q5"),
        ("spent_on", TODAY + timedelta(days=1)),
        ("spent_on", TODAY - timedelta(days=40)),
        ("receipt_ref", "  "),
        ("description", ""),
        ("occurred_at", NOW + timedelta(hours=1)),
        ("occurred_at", NOW - timedelta(days=5)),
    ],
)
def test_a_malformed_claim_is_refused(field, value):
    the_budget = budget()
    with pytest.raises(DomainError) as refusal:
        submitted(the_budget, **{field: value})
    assert refusal.value.code == "validation_error"
    assert refusal.value.errors[0]["field"] == field


def test_the_managers_approval_books_the_expense_on_the_budget_with_the_claim_as_reference():
    the_budget = budget()
    claim = submitted(the_budget)
    [event] = then_events(claim, approve(the_budget))
    [booked] = the_budget.collect_events()
    assert isinstance(booked, Budget.ExpenseRecorded)
    assert (booked.reference, booked.amount, booked.expense_type, booked.occurred_at) == (
        str(claim.id),
        Decimal("1200.00"),
        "travel",
        event.occurred_at,
    )
    assert (event.capacity, event.budget_version) == ("manager", booked.originator_version)
    assert claim.status == "approved"
    assert the_budget.available("sales", "Q2") == Decimal("28800.00")


def test_finance_approves_any_claim_and_the_claimant_never_does():
    the_budget = budget()
    claim = submitted(the_budget)
    then_refused(
        claim, approve(the_budget, actor=CLAIMANT, as_finance=True), "segregation_of_duties"
    )
    then_refused(claim, approve(the_budget, actor="stranger"), "forbidden")
    assert the_budget.collect_events() == []
    [event] = then_events(claim, approve(the_budget, actor="fred", as_finance=True))
    assert event.capacity == "finance"


def test_no_room_on_the_line_refuses_the_approval_and_changes_neither():
    the_budget = budget("1000.00")
    claim = submitted(the_budget)
    budget_version = the_budget.version
    then_refused(claim, approve(the_budget), "budget_exceeded")
    assert the_budget.collect_events() == [] and the_budget.version == budget_version


def test_above_the_standard_needs_an_approved_overrun_of_the_line():
    overrun_id = uuid4()
    the_budget = budget(
        "30000.00",
        lambda b: b.request_overrun(
            cause("sam"),
            overrun_id=overrun_id,
            category="sales",
            period="Q2",
            amount=Decimal("1000"),
            justification="board dinner",
        ),
    )
    dinner = {"expense_type": "entertainment", "amount": Decimal("5800.00")}
    without = submitted(the_budget, **dinner)
    then_refused(without, approve(the_budget), "expense_standard_exceeded")
    cited = submitted(the_budget, overrun_id=overrun_id, **dinner)
    # A pending overrun is no overrun yet.
    then_refused(cited, approve(the_budget), "validation_error")
    the_budget.approve_overrun(cause("eve"), overrun_id)
    the_budget.collect_events()
    [event] = then_events(cited, approve(the_budget))
    assert event.above_standard == Decimal("800.00")


def test_a_decision_waits_for_the_submission_and_only_one_decision_is_taken():
    the_budget = budget()
    claim = submitted(the_budget)
    too_early = lambda c: c.reject(  # noqa: E731
        later(1), "no", manager_id=MANAGER, as_finance=False, occurred_at=NOW - timedelta(hours=1)
    )
    then_refused(claim, too_early, "validation_error")
    reject = lambda c: c.reject(later(1), "private dinner", manager_id=MANAGER, as_finance=False)  # noqa: E731
    [event] = then_events(claim, reject)
    assert (event.reasons, claim.status) == ("private dinner", "rejected")
    then_refused(claim, approve(the_budget), "invalid_state")
    then_refused(claim, reject, "invalid_state")
    then_refused(claim, lambda c: c.mark_paid(later(2, "fred"), TODAY), "invalid_state")


def test_payment_follows_the_approval_day():
    the_budget = budget()
    claim = submitted(the_budget)
    claim.approve(later(1), the_budget, STANDARDS, manager_id=MANAGER, as_finance=False)
    claim.collect_events()
    then_refused(
        claim,
        lambda c: c.mark_paid(later(2, "fred"), TODAY - timedelta(days=1)),
        "validation_error",
    )
    then_refused(
        claim,
        lambda c: c.mark_paid(later(2, "fred"), TODAY + timedelta(days=1)),
        "validation_error",
    )
    [event] = then_events(claim, lambda c: c.mark_paid(later(2, "fred"), TODAY))
    assert (event.paid_on, claim.status, claim.paid_by) == (TODAY, "paid", "fred")
    then_refused(claim, lambda c: c.mark_paid(later(3, "fred"), TODAY), "invalid_state")


def test_a_receipt_is_held_until_its_claim_is_rejected():
    the_budget = budget()
    first = submitted(the_budget, receipt_ref="INV 9")
    receipt = ClaimReceipt.claim(cause(CLAIMANT), first, None)
    receipt.collect_events()
    again = submitted(the_budget, receipt_ref="  inv   9")
    assert ClaimReceipt.id_for(CLAIMANT, again.receipt_ref) == receipt.id
    with pytest.raises(DomainError) as refusal:
        ClaimReceipt.claim(cause(CLAIMANT), again, receipt)
    assert (refusal.value.code, refusal.value.facts["existing_id"]) == (
        "duplicate_claim",
        str(first.id),
    )
    assert receipt.release(cause(MANAGER), again.id) is False
    assert receipt.release(cause(MANAGER), first.id) is True
    receipt.collect_events()
    assert ClaimReceipt.claim(cause(CLAIMANT), again, receipt).claim_id == again.id
    # Another claimant's receipt of the same number is another key.
    assert ClaimReceipt.id_for("emp-bob", "INV 9") != receipt.id


def test_a_claim_replays_to_the_same_state():
    the_budget = budget()
    claim = ExpenseClaim.submit(
        cause(CLAIMANT),
        id=uuid4(),
        expense_type="travel",
        amount=Decimal("300"),
        spent_on=TODAY,
        description="taxi",
        receipt_ref="T-1",
        budget_id=the_budget.id,
        category="sales",
        period="Q2",
    )
    claim.approve(later(1), the_budget, STANDARDS, manager_id=MANAGER, as_finance=False)
    claim.mark_paid(later(2, "fred"), TODAY)
    events = claim.collect_events()
    replayed = project_aggregate(None, events)
    assert [type(e).__name__ for e in events] == ["Submitted", "Approved", "Paid"]
    assert vars(replayed) == vars(claim)
    assert replayed.booking["budget_version"] == the_budget.version


def test_declared_state_leaves_the_claim_and_its_receipt_plain_aggregates():
    # The library makes an aggregate class with class annotations a dataclass, whose
    # generated __init__ would break creation: the state is declared for type checkers only.
    assert not is_dataclass(ExpenseClaim)
    assert not is_dataclass(ClaimReceipt)
