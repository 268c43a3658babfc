"""The credit fold and the report row as plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from domain.contract import Contract
from domain.customer import Customer
from domain.values import Cause
from projections import credit

WINDOW = timedelta(days=400)


def at(day: date, hour: int = 12) -> Cause:
    return Cause("fiona", datetime(day.year, day.month, day.day, hour, tzinfo=UTC), WINDOW)


def changes_of(events, contract=None):
    return [
        change
        for position, event in enumerate(events, start=1)
        for change in credit.fold(event, position, contract)
    ]


def test_customer_credit_facts_carry_their_recorded_days():
    customer = Customer.register(
        at(date(2026, 1, 5)), id=uuid4(), name="North Co", kind="company", source="web"
    )
    customer.update_profile(at(date(2026, 1, 6)), name="North Company")
    customer.assess_credit(
        at(date(2026, 1, 7), hour=23),
        rating="A",
        score=85,
        credit_limit=Decimal("10000.00"),
        max_payment_term_days=30,
        guarantee_required=False,
        valid_until=date(2026, 6, 30),
        basis="accounts",
    )
    customer.place_credit_hold(at(date(2026, 1, 8)), "late")
    customer.release_credit_hold(at(date(2026, 1, 9)))
    gid = uuid4()
    customer.register_guarantee(
        at(date(2026, 1, 10)),
        guarantee_id=gid,
        amount=Decimal("1000.50"),
        kind="bank",
        expires_on=date(2026, 4, 20),
    )
    customer.release_guarantee(at(date(2026, 1, 11)), gid)
    customer.enroll_membership(at(date(2026, 1, 12)), "gold")
    cid = str(customer.id)
    assert changes_of(customer.collect_events()) == [
        ("credit_customers", {"customer_id": cid, "seq": 1, "name": "North Co"}, "insert"),
        ("credit_customers", {"customer_id": cid, "name": "North Company"}, "update"),
        (
            "credit_assessments",
            {
                "position": 3,
                "customer_id": cid,
                "recorded_on": "2026-01-07",
                "rating": "A",
                "score": 85,
                "credit_limit": 1000000,
                "valid_until": "2026-06-30",
            },
            "insert",
        ),
        (
            "credit_holds",
            {"position": 4, "customer_id": cid, "day": "2026-01-08", "placed": 1},
            "insert",
        ),
        (
            "credit_holds",
            {"position": 5, "customer_id": cid, "day": "2026-01-09", "placed": 0},
            "insert",
        ),
        (
            "credit_guarantees",
            {
                "guarantee_id": str(gid),
                "customer_id": cid,
                "recorded_on": "2026-01-10",
                "amount": 100050,
                "expires_on": "2026-04-20",
            },
            "insert",
        ),
        (
            "credit_guarantee_releases",
            {"guarantee_id": str(gid), "customer_id": cid, "released_on": "2026-01-11"},
            "insert",
        ),
    ]


def test_contract_money_facts_name_the_customer_and_the_signing():
    customer_id = uuid4()
    contract = Contract.draft(
        at(date(2026, 1, 10)),
        id=uuid4(),
        customer_id=customer_id,
        channel="direct",
        lines=[{"sku": "A", "quantity": 4, "unit_price": "250.00", "unit_cost": "100.00"}],
        payment_term_days=30,
        delivery_due_on=date(2026, 2, 1),
        region=None,
    )
    contract.submit(Cause("sam", datetime(2026, 1, 10, tzinfo=UTC), WINDOW), manager=True)
    for department in ("legal", "finance"):
        contract.approve_review(
            Cause(department, datetime(2026, 1, 10, tzinfo=UTC), WINDOW),
            department=department,
            roles=frozenset({department}),
        )
    contract.sign(at(date(2026, 1, 12)), date(2026, 1, 11))
    invoice_1, invoice_2 = uuid4(), uuid4()
    contract.issue_invoice(
        at(date(2026, 1, 20)),
        invoice_id=invoice_1,
        amount=Decimal("300.00"),
        issued_on=date(2026, 1, 19),
    )
    contract.issue_invoice(
        at(date(2026, 1, 21)),
        invoice_id=invoice_2,
        amount=Decimal("200.00"),
        issued_on=date(2026, 1, 21),
    )
    contract.record_payment(
        at(date(2026, 2, 1)), amount=Decimal("350.00"), received_on=date(2026, 1, 30), reference="p"
    )
    contract.write_off(
        at(date(2026, 2, 2), hour=23),
        amount=Decimal("100.00"),
        reason="bad debt",
        limit=Decimal("50000"),
        executive=False,
    )
    events = list(contract.collect_events())
    signed = [e for e in events if isinstance(e, Contract.Signed)]
    money = events[events.index(signed[0]) + 1 :]
    [(table, signing, _)] = credit.fold(signed[0], 7)
    assert table == "credit_contracts"
    assert signing == {
        "contract_id": str(contract.id),
        "customer_id": str(customer_id),
        "signed_on": "2026-01-11",
        "total": 100000,
    }
    # Without the signed contract's row an invoice cannot be attributed.
    assert credit.fold(money[0], 8) == []
    facts = [
        (table, row)
        for position, event in enumerate(money, start=8)
        for table, row, _ in credit.fold(event, position, signing)
    ]
    assert [t for t, _ in facts] == [
        "credit_invoices",
        "credit_invoices",
        "credit_settlements",
        "credit_settlements",
        "credit_settlements",
    ]
    assert facts[0][1] == {
        "invoice_id": str(invoice_1),
        "contract_id": str(contract.id),
        "customer_id": str(customer_id),
        "issued_on": "2026-01-19",
        "due_on": "2026-02-18",
        "amount": 30000,
    }
    settlements = [row for t, row in facts if t == "credit_settlements"]
    # The payment settles the oldest invoice first, then the next; the write-off the rest.
    assert [
        (s["invoice_id"], s["kind"], s["settled_on"], s["amount"], s["signed_on"])
        for s in settlements
    ] == [
        (str(invoice_1), "payment", "2026-01-30", 30000, "2026-01-11"),
        (str(invoice_2), "payment", "2026-01-30", 5000, "2026-01-11"),
        (str(invoice_2), "write_off", "2026-02-02", 10000, "2026-01-11"),
    ]
    assert len({s["settlement_id"] for s in settlements}) == 3


def figures(**overrides):
    """A row of summed figures as the report query answers it (cents)."""
    row = {
        "customer_id": "c",
        "seq": 1,
        "name": "North Co",
        "rating": "A",
        "score": 85,
        "credit_limit": 700000,
        "valid_until": "2026-06-30",
        "on_hold": 0,
        "hold_since": None,
        "guarantees": 100000,
        "soonest_expiry": None,
        "expiring": 0,
        "exposure": 0,
        "outstanding": 0,
        "invoiced_90": 0,
        "d1_30": 0,
        "d31_60": 0,
        "d61_90": 0,
        "dover_90": 0,
    }
    row.update(overrides)
    return row


AS_OF = date(2026, 3, 31)


def codes(**overrides):
    return [code for code, _ in credit.alerts(figures(**overrides), AS_OF)]


def test_the_report_row_has_the_api_fields_and_rounds_ratios():
    item = credit.credit_item(
        figures(exposure=569999, outstanding=69999, invoiced_90=160000, d1_30=69999), AS_OF
    )
    assert item == {
        "customer_id": "c",
        "name": "North Co",
        "rating": "A",
        "score": 85,
        "credit_limit": "7000.00",
        "guarantees": "1000.00",
        "exposure": "5699.99",
        "outstanding": "699.99",
        "overdue": {"1_30": "699.99", "31_60": "0.00", "61_90": "0.00", "over_90": "0.00"},
        "utilisation": 0.7125,
        "dso": 39.37,
        "on_hold": False,
        "alerts": [],
    }
    bare = credit.credit_item(
        figures(rating=None, score=None, credit_limit=None, valid_until=None, guarantees=0),
        AS_OF,
    )
    assert (bare["credit_limit"], bare["utilisation"], bare["dso"]) == (None, None, None)


def test_limit_alerts_compare_the_exact_share():
    # Limit 7000 + guarantees 1000 = 8000: 80 % is 6400.00.
    assert codes(exposure=639999) == []
    assert codes(exposure=640000) == ["near_limit"]
    assert codes(exposure=800000) == ["near_limit"]
    assert codes(exposure=800001) == ["over_limit"]
    # Exposure with no limit at all is over it; nothing owed and no limit is no alert.
    assert codes(credit_limit=None, guarantees=0, exposure=1) == ["over_limit"]
    assert codes(credit_limit=None, guarantees=0, exposure=0) == []


def test_only_the_most_severe_overdue_alert_is_given():
    assert codes(d1_30=5) == []
    assert codes(d31_60=5) == ["overdue_30"]
    assert codes(d31_60=5, d61_90=5) == ["overdue_60"]
    assert codes(d1_30=5, dover_90=5) == ["overdue_90"]
    detail = dict(credit.alerts(figures(d31_60=150, d61_90=250), AS_OF))
    assert detail == {"overdue_60": "2.50 overdue more than 60 days"}


def test_hold_expiry_and_expiring_guarantee_alerts():
    assert codes(on_hold=1, hold_since="2026-03-18") == ["credit_hold"]
    assert codes(valid_until="2026-03-31") == []
    assert codes(valid_until="2026-03-30") == ["assessment_expired"]
    assert codes(soonest_expiry="2026-04-20", expiring=100000) == ["guarantee_expiring"]
    assert codes(soonest_expiry="2026-05-20", expiring=0) == []
    every = codes(
        exposure=900000,
        dover_90=1,
        on_hold=1,
        hold_since="2026-01-01",
        valid_until="2026-01-01",
        soonest_expiry="2026-04-01",
        expiring=1,
    )
    assert every == [
        "over_limit",
        "overdue_90",
        "credit_hold",
        "assessment_expired",
        "guarantee_expiring",
    ]
    details = dict(
        credit.alerts(figures(exposure=900000, soonest_expiry="2026-04-20", expiring=100000), AS_OF)
    )
    assert details["over_limit"] == (
        "exposure 9000.00 against a limit of 8000.00 "
        "(credit limit 7000.00 + guarantees 1000.00): 112.5%"
    )
    assert details["guarantee_expiring"] == (
        "guarantees of 1000.00 expire within 30 days, the first on 2026-04-20 (in 20 days)"
    )
