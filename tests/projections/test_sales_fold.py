"""The sales fold as plain functions: contract attributes, facts, the pro-rata split."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.contract import Contract
from domain.values import Cause
from projections import sales

NOW = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
WINDOW = timedelta(days=400)


def cause(actor: str, now: datetime = NOW) -> Cause:
    return Cause(actor, now, WINDOW)


def signed_contract() -> tuple[Contract, list]:
    """A contract drafted, amended, reviewed and signed; its events so far."""
    contract = Contract.draft(
        cause("sam"),
        id=uuid4(),
        customer_id=uuid4(),
        channel="direct",
        lines=[
            {"sku": "A", "quantity": 10, "unit_price": "100.00", "unit_cost": "60.00"},
            {"sku": "B", "quantity": 3, "unit_price": "180.00", "unit_cost": "120.00"},
        ],
        payment_term_days=30,
        delivery_due_on=date(2026, 2, 1),
        region="north",
    )
    contract.amend(
        cause("sam"),
        manager=False,
        channel="agent",
        lines=[
            {"sku": "A", "quantity": 10, "unit_price": "100.00", "unit_cost": "60.00"},
            {"sku": "B", "quantity": 3, "unit_price": "200.00", "unit_cost": "120.00"},
        ],
    )
    contract.submit(cause("sam"), manager=False)
    for department, actor in (("legal", "lee"), ("finance", "fiona")):
        contract.approve_review(cause(actor), department=department, roles=frozenset({department}))
    contract.sign(cause("mia"), date(2026, 1, 10))
    return contract, list(contract.collect_events())


def attributes(events) -> dict | None:
    row = None
    for event in events:
        row = sales.fold_contract(row, event) or row
    return row


def test_the_contract_fold_keeps_the_attributes_as_amended():
    contract, events = signed_contract()
    row = attributes(events)
    assert row["contract_id"] == str(contract.id)
    assert row["customer_id"] == str(contract.customer_id)
    assert (row["owner_id"], row["channel"], row["region"]) == ("sam", "agent", "north")
    assert json.loads(row["lines"]) == [
        {"sku": "A", "quantity": 10, "revenue": 100000, "cost": 60000},
        {"sku": "B", "quantity": 3, "revenue": 60000, "cost": 36000},
    ]
    # Events after drafting that change nothing about attribution fold to nothing.
    assert sales.fold_contract(row, events[-1]) is None


def test_signing_books_each_line_on_the_signing_day():
    contract, events = signed_contract()
    row = attributes(events)
    facts = sales.fold_facts(row, events[-1], 42)
    assert [f["fact_id"] for f in facts] == ["000000000042:0000", "000000000042:0001"]
    assert {(f["sku"], f["revenue"], f["cost"], f["units"]) for f in facts} == {
        ("A", 100000, 60000, 10),
        ("B", 60000, 36000, 3),
    }
    assert {(f["day"], f["month"], f["quarter"]) for f in facts} == {
        ("2026-01-10", "2026-01", "2026-Q1")
    }
    assert [(f["signed_lines"], f["signed_contracts"]) for f in facts] == [(1, 1), (1, 0)]
    assert all(f["channel"] == "agent" and f["region"] == "north" for f in facts)
    assert sum(f["revenue"] for f in facts) == sales.cents(contract.total)


def test_money_events_split_over_the_lines_and_add_up():
    contract, events = signed_contract()
    row = attributes(events)
    contract.record_delivery(
        cause("sam"),
        lines={"B": 2},
        manager=False,
        occurred_at=datetime(2026, 2, 3, 23, 59, tzinfo=UTC),
    )
    contract.issue_invoice(
        cause("fiona"), invoice_id=uuid4(), amount=Decimal("800.00"), issued_on=date(2026, 2, 5)
    )
    contract.record_payment(
        cause("fiona"), amount=Decimal("100.01"), received_on=date(2026, 3, 10), reference="p"
    )
    contract.write_off(
        cause("fiona", datetime(2026, 4, 1, 0, 30, tzinfo=UTC)),
        amount=Decimal("0.03"),
        reason="rounding",
        limit=Decimal("50000"),
        executive=False,
    )
    delivery, invoice, payment, write_off = contract.collect_events()
    [delivered] = sales.fold_facts(row, delivery, 50)
    assert (delivered["sku"], delivered["units_delivered"], delivered["day"]) == (
        "B",
        2,
        "2026-02-03",
    )
    invoiced = sales.fold_facts(row, invoice, 51)
    assert [(f["sku"], f["invoiced"], f["day"]) for f in invoiced] == [
        ("A", 50000, "2026-02-05"),
        ("B", 30000, "2026-02-05"),
    ]
    # 100.01 over 1000.00 and 600.00: 62.50 and 37.50 rounded down, the cent to A.
    collected = sales.fold_facts(row, payment, 52)
    assert [(f["sku"], f["collected"], f["month"]) for f in collected] == [
        ("A", 6251, "2026-03"),
        ("B", 3750, "2026-03"),
    ]
    # A write-off is booked on the day of its occurred_at, in UTC.
    written = sales.fold_facts(row, write_off, 53)
    assert [(f["sku"], f["written_off"], f["day"]) for f in written] == [
        ("A", 2, "2026-04-01"),
        ("B", 1, "2026-04-01"),
    ]
    assert all(f["revenue"] == f["signed_lines"] == f["signed_contracts"] == 0 for f in invoiced)


def test_an_unknown_contract_or_an_unbooked_event_adds_no_fact():
    _, events = signed_contract()
    assert sales.fold_facts(None, events[-1], 1) == []
    assert sales.fold_facts(attributes(events), events[2], 1) == []  # Submitted


def test_the_split_gives_the_remainder_to_the_largest_line_first_on_a_tie():
    assert sales.split_pro_rata(100, [1, 1, 1]) == [34, 33, 33]
    # 14.28, 42.85, 42.85 rounded down leave 2 cents, both to the first largest line.
    assert sales.split_pro_rata(100, [1, 3, 3]) == [14, 44, 42]
    assert sales.split_pro_rata(7, [0, 0]) == [7, 0]
    assert sales.split_pro_rata(5, [0, 10]) == [0, 5]
    assert sales.split_pro_rata(0, [2, 5]) == [0, 0]


@given(
    amount=st.integers(0, 10**12),
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=8),
)
def test_the_split_always_adds_up_and_never_goes_negative(amount, weights):
    shares = sales.split_pro_rata(amount, weights)
    assert sum(shares) == amount
    assert all(share >= 0 for share in shares)
    total = sum(weights)
    if total:
        # Each share is within a cent of the exact pro-rata amount, but the largest.
        largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
        for i, (share, weight) in enumerate(zip(shares, weights, strict=True)):
            if i != largest:
                assert 0 <= amount * weight / total - share < 1


def test_months_and_quarters_of_a_day():
    assert sales.month_of(date(2026, 12, 31)) == "2026-12"
    assert [sales.quarter_of(date(2026, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1",
        "2026-Q1",
        "2026-Q2",
        "2026-Q2",
        "2026-Q3",
        "2026-Q3",
        "2026-Q4",
        "2026-Q4",
    ]
    assert sales.money_text(-5) == "-0.05"
    assert sales.cents(Decimal("1250.5")) == 125050
