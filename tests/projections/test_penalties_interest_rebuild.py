"""Penalties and interest in the read models: credit, sales and KPIs agree with the
contracts, worked by hand, and the live read models equal a rebuild (SQLite, PostgreSQL)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from application.commands.contracts import (
    ApproveContractReview,
    ChargeInterest,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    SignContract,
    SubmitContract,
    WaivePenalty,
    WriteOff,
)
from application.commands.customers import AssessCredit, RegisterLead
from domain.contract import Contract
from domain.errors import DomainError
from projections.runner import READ_MODELS, verify
from tests.conftest import as_, unique

SALES = as_("sam", "sales")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
MANAGER = as_("mia", "sales_manager")
OTHER_MANAGER = as_("max", "sales_manager")


def days_ago(n: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=n)


def at_midnight(n: int) -> datetime:
    return datetime.combine(days_ago(n), time(0), tzinfo=UTC)


def new_customer(app) -> object:
    customer = app.handle(
        SALES,
        RegisterLead(name=unique(), kind="company", source="web", region="north", contacts=[]),
    ).id
    app.handle(
        FINANCE,
        AssessCredit(
            customer,
            rating="A",
            score=90,
            credit_limit=Decimal("100000"),
            max_payment_term_days=30,
            guarantee_required=False,
            valid_until=days_ago(-60),
            basis="accounts",
        ),
    )
    return customer


def late_contract(app, customer, *, term=0, rate="0.002", due_days_ago=25):
    contract = app.handle(
        SALES,
        DraftContract(
            customer_id=customer,
            channel="direct",
            lines=[
                {"sku": "A", "quantity": 3, "unit_price": "700.00", "unit_cost": "200.00"},
                {"sku": "B", "quantity": 2, "unit_price": "300.00", "unit_cost": "100.00"},
            ],
            payment_term_days=term,
            delivery_due_on=days_ago(due_days_ago),
            penalty_rate=Decimal(rate),
        ),
    ).id
    app.handle(MANAGER, SubmitContract(contract))
    app.handle(LEGAL, ApproveContractReview(contract, "legal"))
    app.handle(FINANCE, ApproveContractReview(contract, "finance"))
    app.handle(MANAGER, SignContract(contract, days_ago(28)))
    return contract


def test_the_reports_count_penalties_and_interest_worked_by_hand(services):
    app, read_side = services.backoffice, services.read_side
    customer = new_customer(app)
    kid = late_contract(app, customer)  # total 3 x 700 + 2 x 300 = 2700.00
    # Delivered 5 days late, 3 of A: 0.002 x 5 x 2100.00 = 21.00 (cap 270.00).
    app.handle(SALES, RecordDelivery(kid, {"A": 3}, at_midnight(20)))
    app.handle(FINANCE, IssueInvoice(kid, Decimal("2000.00"), days_ago(20)))  # due then
    app.handle(FINANCE, RecordPayment(kid, Decimal("979.00"), days_ago(10), "P-1"))
    # Open 2000.00 - 21.00 credit = 1979.00 from 19 to 11 days ago (9 days), then 1000.00
    # from 10 days ago to 6 days ago (5 days): (9 x 1979 + 5 x 1000) x 0.0005 = 11.41.
    note = app.handle(FINANCE, ChargeInterest(kid, days_ago(6))).extra
    assert note["amount"] == "11.41"
    contract = app.get(kid, Contract)
    assert contract.outstanding == Decimal("1011.41")
    assert contract.exposure == Decimal("2700.00") + Decimal("11.41") - 979 - 21
    for name in ("credit", "sales", "kpis"):
        assert read_side.wait(name, app.max_position(), timeout=10)
    [row] = [
        r
        for r in read_side.view("credit").report(days_ago(0), limit=1000)
        if r["customer_id"] == str(customer)
    ]
    # outstanding = invoiced 2000 + interest 11.41 - paid 979 - penalties 21.
    assert (row["outstanding"], row["exposure"]) == ("1011.41", "1711.41")
    # Invoice due 20 days ago (1000.00 open) and the debit note due 6 days ago.
    assert row["overdue"]["1_30"] == "1011.41"
    # dso = 1011.41 / 2000.00 invoiced in 90 days x 90 (the debit note is no invoice).
    assert row["dso"] == round(1011.41 / 2000 * 90, 2)
    [sales] = [
        r for r in read_side.view("sales").report(["customer"]) if r["customer_id"] == str(customer)
    ]
    assert (sales["penalties"], sales["interest_charged"], sales["revenue"]) == (
        "21.00",
        "11.41",
        "2700.00",
    )
    # Waiving the penalty books it back and reopens what its credit settled.
    pid = next(iter(app.get(kid, Contract).penalties))
    from uuid import UUID

    app.handle(OTHER_MANAGER, WaivePenalty(kid, UUID(pid), "our delay"))
    assert read_side.wait("credit", app.max_position(), timeout=10)
    assert read_side.wait("sales", app.max_position(), timeout=10)
    [row] = [
        r
        for r in read_side.view("credit").report(days_ago(0), limit=1000)
        if r["customer_id"] == str(customer)
    ]
    assert (row["outstanding"], row["exposure"]) == ("1032.41", "1732.41")
    [sales] = [
        r for r in read_side.view("sales").report(["customer"]) if r["customer_id"] == str(customer)
    ]
    assert sales["penalties"] == "0.00"


def test_collection_rate_counts_penalty_credit_and_debit_notes(services):
    app, read_side = services.backoffice, services.read_side
    customer = new_customer(app)
    kid = late_contract(app, customer, due_days_ago=3)
    # 0.002 x 2 days x 600.00 = 2.40 credited before any invoice: it waits for one.
    app.handle(SALES, RecordDelivery(kid, {"B": 2}, at_midnight(1)))
    app.handle(FINANCE, IssueInvoice(kid, Decimal("600.00"), days_ago(0)))
    assert read_side.wait("kpis", app.max_position(), timeout=10)
    view = read_side.view("kpis")
    today = days_ago(0)
    invoiced, collected = view._collection(today, today)
    # Of what falls due today (other tests' invoices too), this one's credit is 2.40.
    assert invoiced >= 60000 and collected >= 240
    app.handle(FINANCE, RecordPayment(kid, Decimal("597.60"), today, "P-9"))
    assert read_side.wait("kpis", app.max_position(), timeout=10)
    assert view._collection(today, today) == (invoiced, collected + 59760)


OPERATIONS = {
    "deliver_late": lambda app, k, n: app.handle(
        SALES, RecordDelivery(k, {"A": 1}, at_midnight(n % 20))
    ),
    "deliver_b": lambda app, k, n: app.handle(
        SALES, RecordDelivery(k, {"B": 1}, at_midnight(n % 5))
    ),
    "invoice": lambda app, k, n: app.handle(
        FINANCE, IssueInvoice(k, Decimal(f"{370 + n}.{n:02d}"), days_ago(n % 25))
    ),
    "pay": lambda app, k, n: app.handle(
        FINANCE, RecordPayment(k, Decimal(f"{110 + n}.0{n % 10}"), days_ago(n % 10), f"r-{k}-{n}")
    ),
    "write_off": lambda app, k, n: app.handle(FINANCE, WriteOff(k, Decimal(f"{3 + n}.33"), "bad")),
    "interest": lambda app, k, n: app.handle(FINANCE, ChargeInterest(k, days_ago(n % 8))),
    "waive": lambda app, k, n: [
        app.handle(OTHER_MANAGER, WaivePenalty(k, p["id"], "goodwill"))
        for p in list(app.get(k, Contract).penalties.values())[n % 2 :][:1]
    ],
}

steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 1), st.integers(0, 40)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=6, deadline=None)
@given(steps=steps)
def test_live_credit_sales_and_kpis_equal_a_rebuild_and_the_contracts(
    services, module_database, steps
):
    app, read_side = services.backoffice, services.read_side
    customer = new_customer(app)
    contracts = [late_contract(app, customer, term=n * 5) for n in range(2)]
    for operation, which, n in steps:
        with contextlib.suppress(DomainError):
            OPERATIONS[operation](app, contracts[which], n)
    for name in ("sales", "credit", "kpis"):
        assert read_side.wait(name, app.max_position(), timeout=10)
        spec = READ_MODELS[name]
        assert verify(app, spec, module_database.env(), module_database.dialect) == []
    # The credit report's figures at today are the contracts' own.
    states = [app.get(k, Contract) for k in contracts]
    [row] = [
        r
        for r in read_side.view("credit").report(days_ago(0), limit=1000)
        if r["customer_id"] == str(customer)
    ]
    assert Decimal(row["outstanding"]) == sum(c.outstanding for c in states)
    assert Decimal(row["exposure"]) == sum(c.exposure for c in states)
    [sales] = [
        r for r in read_side.view("sales").report(["customer"]) if r["customer_id"] == str(customer)
    ]
    assert Decimal(sales["penalties"]) == sum(c.penalties_credited for c in states)
    assert Decimal(sales["interest_charged"]) == sum(c.interest_charged for c in states)
