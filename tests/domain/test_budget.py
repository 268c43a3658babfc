"""Budget rules, in memory: given events, when a command, then events or a refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.budget import Budget, BudgetYear, elapsed_share
from tests.gwt import NOW, cause, given, then_events, then_refused

FINANCE = cause("fiona")
EXEC = cause("eve")
STANDARDS = {
    "entertainment": Decimal("5000.00"),
    "travel": Decimal("20000.00"),
    "office": Decimal("10000.00"),
}


def draft(**overrides):
    fields = {
        "id": uuid4(),
        "fiscal_year": 2026,
        "lines": [
            {"category": "promotion", "period": "Q2", "amount": "10000.00"},
            {"category": "sales", "period": "Q2", "amount": "30000"},
        ],
        "targets": [{"period": "Q2", "revenue": "90000.00", "units": 30, "new_customers": 6}],
    }
    fields.update(overrides)
    return lambda: Budget.draft(FINANCE, **fields)


def approved(*more):
    return given(draft(), lambda b: b.submit(FINANCE), lambda b: b.approve(EXEC), *more)


def commit(amount, reference="po-1", category="promotion", period="Q2"):
    return lambda b: b.commit(
        FINANCE, category=category, period=period, amount=Decimal(amount), reference=reference
    )


def expense(amount, expense_type="advertising", reference=None, overrun_id=None, **more):
    fields = {"category": "promotion", "period": "Q2", **more}
    return lambda b: b.record_expense(
        FINANCE,
        STANDARDS,
        amount=Decimal(amount),
        expense_type=expense_type,
        description="spent",
        reference=reference,
        overrun_id=overrun_id,
        **fields,
    )


def test_a_draft_has_all_sixteen_lines_and_its_targets():
    budget = given(draft())
    assert len(budget.lines) == 16
    assert budget.lines["promotion|Q2"]["planned"] == Decimal("10000.00")
    assert budget.lines["personnel|Q4"]["planned"] == Decimal("0.00")
    assert budget.name == "Budget 2026"
    assert budget.targets_for("2026-Q2")["revenue"] == Decimal("90000.00")
    assert budget.targets_for("2026-05") == {
        "revenue": Decimal("30000.00"),
        "units": Decimal(10),
        "new_customers": Decimal(2),
    }
    assert budget.targets_for("2026") == {
        "revenue": Decimal("90000.00"),
        "units": 30,
        "new_customers": 6,
    }
    assert budget.targets_for("Q1")["revenue"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fiscal_year": 1899}, "fiscal_year"),
        ({"lines": [{"category": "travel", "period": "Q1", "amount": "1"}]}, "lines.0.category"),
        ({"lines": [{"category": "sales", "period": "Q5", "amount": "1"}]}, "lines.0.period"),
        ({"lines": [{"category": "sales", "period": "Q1", "amount": "-1"}]}, "lines.0.amount"),
        ({"lines": [{"category": "sales", "period": "Q1", "amount": "1.001"}]}, "lines.0.amount"),
        (
            {"lines": [{"category": "sales", "period": "Q1", "amount": "1"}] * 2},
            "lines.1",
        ),
        ({"targets": [{"period": "Q1", "units": -3}]}, "targets.0.units"),
    ],
)
def test_a_malformed_draft_is_refused(fields, field):
    with pytest.raises(Exception) as refusal:
        draft(**fields)()
    assert refusal.value.code == "validation_error"
    assert field in {e["field"] for e in refusal.value.errors}


def test_submit_approve_and_the_submitter_may_not_approve_or_reject():
    budget = given(draft())
    [submitted] = then_events(budget, lambda b: b.submit(FINANCE))
    assert isinstance(submitted, Budget.Submitted) and budget.submitted_by == "fiona"
    then_refused(budget, lambda b: b.approve(FINANCE), "segregation_of_duties")
    then_refused(budget, lambda b: b.reject(FINANCE, "no"), "segregation_of_duties")
    then_refused(budget, lambda b: b.submit(FINANCE), "invalid_state")
    [approved_] = then_events(budget, lambda b: b.approve(EXEC))
    assert isinstance(approved_, Budget.Approved) and budget.status == "approved"


def test_a_rejected_budget_is_a_draft_again_and_may_be_amended():
    budget = given(draft(), lambda b: b.submit(FINANCE))
    then_events(budget, lambda b: b.reject(EXEC, "too much on promotion"))
    assert (budget.status, budget.rejection) == ("draft", "too much on promotion")
    [amended] = then_events(
        budget,
        lambda b: b.amend(
            FINANCE, lines=[{"category": "promotion", "period": "Q2", "amount": "8000"}]
        ),
    )
    assert isinstance(amended, Budget.Amended)
    assert budget.lines["promotion|Q2"]["planned"] == Decimal("8000.00")
    assert budget.lines["sales|Q2"]["planned"] == Decimal("0.00")
    assert budget.targets["Q2"]["units"] == 30


def test_a_budget_without_any_amount_may_not_be_submitted():
    budget = given(draft(lines=[]))
    then_refused(budget, lambda b: b.submit(FINANCE), "validation_error")


def test_nothing_is_committed_or_spent_before_approval_or_after_closing():
    budget = given(draft())
    then_refused(budget, commit("10"), "invalid_state")
    then_refused(budget, expense("10"), "invalid_state")
    closed = approved(lambda b: b.close(FINANCE))
    then_refused(closed, commit("10"), "invalid_state")
    then_refused(closed, expense("10"), "invalid_state")
    then_refused(closed, lambda b: b.close(FINANCE), "invalid_state")


def test_commitments_reserve_and_refuse_beyond_what_is_available():
    budget = approved(commit("6000.00"))
    assert budget.available("promotion", "Q2") == Decimal("4000.00")
    refusal = then_refused(budget, commit("4000.01", "po-2"), "budget_exceeded")
    assert refusal.facts["available"] == Decimal("4000.00")
    assert refusal.facts["shortfall"] == Decimal("0.01")
    then_refused(budget, commit("1", "po-1"), "validation_error")
    then_refused(budget, commit("0", "po-3"), "validation_error")
    then_events(budget, commit("4000.00", "po-2"))
    assert budget.available("promotion", "Q2") == Decimal("0.00")


def test_an_expense_consumes_its_commitment_first_then_needs_room():
    budget = approved(commit("6000.00"))
    [event] = then_events(budget, expense("7000.00", reference="po-1"))
    assert event.consumed == Decimal("6000.00")
    line = budget.lines["promotion|Q2"]
    assert (line["committed"], line["spent"]) == (Decimal("0.00"), Decimal("7000.00"))
    assert budget.available("promotion", "Q2") == Decimal("3000.00")
    assert budget.commitments["po-1"]["open"] == Decimal("0.00")
    then_refused(budget, expense("3000.01"), "budget_exceeded")
    [event] = then_events(budget, expense("100", reference="unknown-ref"))
    assert (event.reference, event.consumed) == ("unknown-ref", Decimal("0.00"))
    assert budget.spent_by_type == {"advertising": Decimal("7100.00")}


def test_an_expense_may_not_consume_a_commitment_of_another_line():
    budget = approved(commit("100", category="sales"))
    then_refused(budget, expense("50", reference="po-1"), "validation_error")


def test_a_back_dated_expense_keeps_its_business_time_within_the_window():
    budget = approved()
    [event] = then_events(budget, expense("10", occurred_at=NOW - timedelta(days=3)))
    assert event.occurred_at == NOW - timedelta(days=3)
    then_refused(budget, expense("10", occurred_at=NOW - timedelta(days=40)), "validation_error")
    then_refused(budget, expense("10", occurred_at=NOW + timedelta(hours=1)), "validation_error")


def test_an_expense_above_its_standard_needs_an_approved_overrun_of_its_line():
    oid = uuid4()
    budget = approved(
        lambda b: b.request_overrun(
            FINANCE,
            overrun_id=oid,
            category="sales",
            period="Q2",
            amount=Decimal("1500"),
            justification="key account dinner",
        )
    )
    sales = {"category": "sales", "period": "Q2"}
    refusal = then_refused(
        budget, expense("5000.01", "entertainment", **sales), "expense_standard_exceeded"
    )
    assert refusal.facts["standard"] == Decimal("5000.00")
    then_events(budget, expense("5000.00", "entertainment", **sales))
    then_refused(
        budget, expense("6000", "entertainment", overrun_id=oid, **sales), "validation_error"
    )
    then_events(budget, lambda b: b.approve_overrun(EXEC, oid))
    assert budget.available("sales", "Q2") == Decimal("26500.00")
    then_refused(budget, expense("6000", "entertainment", overrun_id=oid), "validation_error")
    [event] = then_events(budget, expense("6000", "entertainment", overrun_id=oid, **sales))
    assert event.above_standard == Decimal("1000.00")
    # 500 of the overrun is left to cover parts above the standard.
    then_refused(
        budget,
        expense("5500.01", "entertainment", overrun_id=oid, **sales),
        "expense_standard_exceeded",
    )
    then_events(budget, expense("5500.00", "entertainment", overrun_id=oid, **sales))
    then_refused(budget, expense("15000.01", "advertising", **sales), "budget_exceeded")
    then_events(budget, expense("15000", "advertising", **sales))


def test_overruns_are_decided_by_someone_other_than_the_requester():
    oid, other = uuid4(), uuid4()

    def request(overrun_id):
        return lambda b: b.request_overrun(
            EXEC,
            overrun_id=overrun_id,
            category="promotion",
            period="Q2",
            amount=Decimal("2500"),
            justification="trade fair",
        )

    budget = approved(request(oid), request(other))
    then_refused(budget, lambda b: b.approve_overrun(EXEC, oid), "segregation_of_duties")
    then_refused(budget, lambda b: b.reject_overrun(EXEC, oid, "no"), "segregation_of_duties")
    then_refused(budget, lambda b: b.approve_overrun(cause("max"), uuid4()), "not_found")
    then_events(budget, lambda b: b.approve_overrun(cause("max"), oid))
    then_refused(budget, lambda b: b.approve_overrun(cause("max"), oid), "invalid_state")
    then_events(budget, lambda b: b.reject_overrun(cause("max"), other, "not now"))
    assert budget.overruns[str(other)]["status"] == "rejected"
    assert budget.lines["promotion|Q2"]["overruns"] == Decimal("2500.00")
    assert budget.available("promotion", "Q2") == Decimal("12500.00")


def test_reallocation_moves_available_money_between_lines():
    budget = approved(commit("9000"))

    def move(amount):
        return lambda b: b.reallocate(
            EXEC,
            from_category="promotion",
            from_period="Q2",
            to_category="sales",
            to_period="Q3",
            amount=Decimal(amount),
            reason="shift to Q3 fair",
        )

    then_refused(budget, move("1000.01"), "budget_exceeded")
    then_events(budget, move("1000"))
    assert budget.lines["promotion|Q2"]["adjustments"] == Decimal("-1000.00")
    assert budget.available("promotion", "Q2") == Decimal("0.00")
    assert budget.available("sales", "Q3") == Decimal("1000.00")
    then_refused(
        budget,
        lambda b: b.reallocate(
            EXEC,
            from_category="sales",
            from_period="Q3",
            to_category="sales",
            to_period="Q3",
            amount=Decimal(1),
            reason="x",
        ),
        "validation_error",
    )


def test_releasing_gives_back_the_open_part_only_once():
    budget = approved(commit("6000"), expense("1000", reference="po-1"))
    [released] = then_events(budget, lambda b: b.release_commitment(FINANCE, "po-1"))
    assert released.amount == Decimal("5000.00")
    assert budget.available("promotion", "Q2") == Decimal("9000.00")
    then_refused(budget, lambda b: b.release_commitment(FINANCE, "po-1"), "invalid_state")
    then_refused(budget, lambda b: b.release_commitment(FINANCE, "nope"), "not_found")


def test_one_budget_per_fiscal_year():
    first = BudgetYear.claim(FINANCE, 2026, uuid4(), None)
    assert first.id == BudgetYear.id_for(2026) != BudgetYear.id_for(2027)
    with pytest.raises(Exception) as refusal:
        BudgetYear.claim(FINANCE, 2026, uuid4(), first)
    assert refusal.value.code == "duplicate_budget"
    assert refusal.value.facts["existing_id"] == str(first.budget_id)


def test_elapsed_share_of_a_quarter_is_straight_line():
    assert elapsed_share(2026, "Q2", datetime(2026, 3, 1, tzinfo=UTC)) == 0
    assert elapsed_share(2026, "Q2", datetime(2026, 8, 1, tzinfo=UTC)) == 1
    assert elapsed_share(2026, "Q1", datetime(2026, 2, 15, tzinfo=UTC)) == Decimal(45) / 90
