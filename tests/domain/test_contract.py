"""Contract rules and the credit check, in memory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from application.backoffice import Backoffice
from domain.contract import Contract, settle_oldest_first
from domain.customer import Customer
from domain.price_list import ListPrice
from tests.domain.stored_events import business_fields, store_v1, stored_state
from tests.gwt import NOW, cause, given, then_events, then_refused

TODAY = NOW.date()
LEGAL = frozenset({"legal"})
FINANCE = frozenset({"finance"})


def draft(**overrides) -> Contract:
    fields = {
        "id": uuid4(),
        "customer_id": uuid4(),
        "channel": "direct",
        "lines": [
            {"sku": "AD", "quantity": 2, "unit_price": Decimal("100"), "unit_cost": Decimal("60")},
            {"sku": "PR", "quantity": 1, "unit_price": Decimal("50"), "unit_cost": Decimal("10")},
        ],
        "payment_term_days": 30,
        "delivery_due_on": TODAY + timedelta(days=10),
        "region": "north",
    }
    fields.update(overrides)
    return Contract.draft(cause("sam"), **fields)


def submitted(c: Contract) -> None:
    c.submit(cause("sam"), manager=False)


def legal_ok(c: Contract) -> None:
    c.approve_review(cause("lee"), department="legal", roles=LEGAL)


def finance_ok(c: Contract) -> None:
    c.approve_review(cause("fay"), department="finance", roles=FINANCE)


def signed_(c: Contract) -> None:
    c.sign(cause("mia"), TODAY)


def active() -> Contract:
    return given(draft, submitted, legal_ok, finance_ok, signed_)


def test_the_last_approval_makes_the_contract_signable():
    contract = given(draft, submitted, legal_ok)
    events = then_events(contract, finance_ok)
    assert [type(e).__name__ for e in events] == ["ReviewApproved", "Approved"]
    assert contract.status == "approved"


def test_signing_records_total_and_cost():
    contract = given(draft, submitted, legal_ok, finance_ok)
    [signed] = then_events(contract, signed_)
    assert (signed.total, signed.cost, signed.signed_on) == (
        Decimal("250.00"),
        Decimal("130.00"),
        TODAY,
    )


def test_the_owner_may_not_review_even_holding_the_role():
    contract = given(draft, submitted)
    then_refused(
        contract,
        lambda c: c.approve_review(cause("sam"), department="legal", roles=LEGAL),
        "segregation_of_duties",
    )


def test_payments_settle_the_oldest_invoice_first():
    contract = active()
    old, new = uuid4(), uuid4()
    contract.issue_invoice(cause(), invoice_id=new, amount=Decimal("100"), issued_on=TODAY)
    contract.issue_invoice(
        cause(), invoice_id=old, amount=Decimal("100"), issued_on=TODAY - timedelta(days=5)
    )
    contract.collect_events()
    [paid] = then_events(
        contract,
        lambda c: c.record_payment(
            cause(), amount=Decimal("150"), received_on=TODAY, reference="R"
        ),
    )
    assert paid.allocations == [
        {"invoice_id": old, "amount": Decimal("100.00")},
        {"invoice_id": new, "amount": Decimal("50.00")},
    ]


def test_completion_needs_everything_delivered_and_settled():
    contract = active()
    contract.issue_invoice(cause(), invoice_id=uuid4(), amount=Decimal("250"), issued_on=TODAY)
    contract.record_payment(cause(), amount=Decimal("200"), received_on=TODAY, reference="A")
    contract.record_delivery(cause("sam"), lines={"AD": 2, "PR": 1}, manager=False)
    contract.collect_events()
    assert contract.status == "active"
    events = then_events(
        contract,
        lambda c: c.write_off(
            cause(), amount=Decimal("50"), reason="dispute", limit=Decimal("100"), executive=False
        ),
    )
    assert [type(e).__name__ for e in events] == ["WrittenOff", "Completed"]


@hypothesis_given(
    amounts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6),
    paid=st.integers(min_value=0, max_value=70_000),
)
def test_settling_never_exceeds_an_invoice_nor_the_amount(amounts, paid):
    invoices = [
        {"id": n, "amount": Decimal(a), "settled": Decimal(0)} for n, a in enumerate(amounts)
    ]
    allocations = settle_oldest_first(invoices, Decimal(paid))
    assert sum(a["amount"] for a in allocations) == min(Decimal(paid), sum(map(Decimal, amounts)))
    for allocation in allocations:
        assert allocation["amount"] <= invoices[allocation["invoice_id"]]["amount"]
    assert [a["invoice_id"] for a in allocations] == list(range(len(allocations)))


def customer_with_credit(limit="1000", term=60, guarantee_required=False) -> Customer:
    def make() -> Customer:
        return Customer.register(
            cause(), id=uuid4(), name="Acme", kind="company", source="web", contacts=[]
        )

    def assessed(c: Customer) -> None:
        c.assess_credit(
            cause(),
            rating="B",
            score=70,
            credit_limit=Decimal(limit),
            max_payment_term_days=term,
            guarantee_required=guarantee_required,
            valid_until=TODAY + timedelta(days=30),
            basis="accounts",
        )

    return given(make, assessed)


def reserve(amount: str, exposure: str = "0", term: int = 30):
    return lambda c: c.reserve_credit(
        cause(),
        contract_id=uuid4(),
        amount=Decimal(amount),
        payment_term_days=term,
        exposure=Decimal(exposure),
    )


def test_a_reservation_within_the_limit_converts_a_lead():
    customer = customer_with_credit()
    events = then_events(customer, reserve("400", exposure="600"))
    assert [type(e).__name__ for e in events] == ["CreditReserved", "Converted"]
    assert (events[0].exposure, events[0].limit) == (Decimal("1000.00"), Decimal("1000.00"))
    assert customer.status == "customer"
    assert then_events(customer, reserve("0.00", exposure="0"))[-1].__class__.__name__ == (
        "CreditReserved"
    )


def test_the_limit_counts_unexpired_guarantees():
    customer = customer_with_credit()
    customer.register_guarantee(
        cause(), guarantee_id=uuid4(), amount=Decimal("200"), kind="bank", expires_on=TODAY
    )
    customer.collect_events()
    refusal = then_refused(customer, reserve("700", exposure="500.01"), "credit_limit_exceeded")
    assert refusal.facts == {"exposure": "1200.01", "limit": "1200.00", "shortfall": "0.01"}
    then_events(customer, reserve("700", exposure="500"))


def test_the_credit_rules_refuse_in_the_order_of_the_spec():
    then_refused(
        given(lambda: customer_with_credit(term=10)), reserve("1", term=11), "payment_term_exceeded"
    )
    then_refused(customer_with_credit(guarantee_required=True), reserve("1"), "guarantee_required")
    held = customer_with_credit()
    held.place_credit_hold(cause(), "late")
    held.collect_events()
    then_refused(held, reserve("1"), "credit_hold")
    bare = given(
        lambda: Customer.register(
            cause(), id=uuid4(), name="Bare", kind="company", source="web", contacts=[]
        )
    )
    then_refused(bare, reserve("1"), "credit_assessment_missing")


# Discount control at submit (DOMAIN.md, PriceList).


def listed(sku: str, unit: str, floor: str | None = None) -> dict:
    return {sku: ListPrice(uuid4(), sku, Decimal(unit), None if floor is None else Decimal(floor))}


def test_submit_without_list_prices_needs_legal_and_finance_as_before():
    [event] = then_events(given(draft), submitted)
    assert [r["department"] for r in event.required_reviews] == ["legal", "finance"]
    assert (event.discount_limit, event.line_pricing) == (None, [])


def test_a_discount_above_the_limit_adds_pricing_with_the_limit_recorded():
    contract = given(draft)
    [event] = then_events(
        contract,
        lambda c: c.submit(
            cause("sam"),
            manager=False,
            list_prices=listed("AD", "110"),
            discount_limit=Decimal("0.05"),
            discount_limit_role="sales",
        ),
    )
    assert event.required_reviews[2] == {
        "department": "pricing",
        "reason": "discount 9.09% on AD above the sales limit 5.00%",
    }
    assert (event.discount_limit, event.discount_limit_role) == (Decimal("0.05"), "sales")
    [line] = event.line_pricing
    assert (line["list_price"], line["unit_price"], line["discount"]) == (
        Decimal("110"),
        Decimal("100.00"),
        Decimal("0.0909"),
    )
    assert contract.reviews == {"legal": "pending", "finance": "pending", "pricing": "pending"}


def test_a_discount_at_the_limit_is_within_it():
    [event] = then_events(
        given(draft),
        lambda c: c.submit(
            cause("sam"),
            manager=False,
            list_prices=listed("AD", "125"),
            discount_limit=Decimal("0.20"),
            discount_limit_role="sales_manager",
        ),
    )
    assert [r["department"] for r in event.required_reviews] == ["legal", "finance"]


def test_below_the_floor_adds_executive_and_no_list_price_adds_pricing_when_required():
    [event] = then_events(
        given(draft),
        lambda c: c.submit(
            cause("sam"),
            manager=False,
            list_prices=listed("AD", "100", floor="100.01"),
            discount_limit=Decimal("0.10"),
            discount_limit_role="sales",
            require_list_price=True,
        ),
    )
    assert event.required_reviews[2:] == [
        {"department": "pricing", "reason": "no active list price for PR"},
        {"department": "executive", "reason": "priced below floor: AD (floor 100.01)"},
    ]


def test_a_refused_submit_with_list_prices_records_nothing():
    contract = given(draft, submitted)
    then_refused(
        contract,
        lambda c: c.submit(cause("sam"), manager=False, list_prices=listed("AD", "500")),
        "invalid_state",
    )


def test_amending_names_the_changed_fields_and_leaves_the_others_none():
    contract = given(draft)
    [amended] = then_events(
        contract, lambda c: c.amend(cause("sam"), manager=False, region=None, notes=" rush ")
    )
    assert amended.changed == ["region", "notes"]
    assert amended.changes == {"region": None, "notes": "rush"}
    assert (amended.owner_id, amended.lines, amended.penalty_rate) == (None, None, None)
    assert (contract.region, contract.notes, contract.owner_id) == (None, "rush", "sam")
    assert contract.total == Decimal("250.00")


V1_CHANGES = {
    "owner_id": "olga",
    "region": None,
    "lines": [
        {
            "sku": "AD",
            "description": "ads",
            "quantity": 3,
            "unit_price": Decimal("100.00"),
            "unit_cost": Decimal("60.00"),
        }
    ],
    "delivery_due_on": TODAY + timedelta(days=20),
    "penalty_rate": Decimal("0.05"),
}


def test_an_amendment_stored_as_v1_still_replays(database):
    """v1 stored `changes: {field: value}`; it reads back as the v2 event of that change."""
    writer = Backoffice(database.env())
    contract = draft(notes="call first")
    writer.save(contract)
    v1 = {"timestamp": NOW, "actor": "sam", "occurred_at": NOW, "changes": V1_CHANGES}
    store_v1(writer, Contract.Amended, contract.id, 2, v1)
    assert stored_state(writer, contract.id, 2) == v1
    writer.close()

    reader = Backoffice(database.env())
    try:
        loaded = reader.repository.get(contract.id)
        [_, amended] = reader.events.get(contract.id)
    finally:
        reader.close()
    assert loaded.version == 2
    assert (loaded.owner_id, loaded.region, loaded.lines) == ("olga", None, V1_CHANGES["lines"])
    assert (loaded.delivery_due_on, loaded.penalty_rate) == (
        TODAY + timedelta(days=20),
        Decimal("0.05"),
    )
    assert (loaded.channel, loaded.payment_term_days, loaded.notes) == ("direct", 30, "call first")
    assert loaded.total == Decimal("300.00")
    assert amended.changes == V1_CHANGES
    today = given(draft)
    today.amend(cause("sam"), manager=False, **V1_CHANGES)
    [recorded_today] = today.collect_events()
    assert business_fields(amended) == business_fields(recorded_today)


def test_an_amendment_round_trips_as_v2(database):
    writer = Backoffice(database.env())
    contract = draft()
    contract.amend(cause("sam"), manager=False, channel="online", payment_term_days=45, notes="")
    writer.save(contract)
    state = stored_state(writer, contract.id, 2)
    writer.close()
    assert state["class_version"] == 2
    assert "changes" not in state
    assert state["changed"] == ["channel", "payment_term_days", "notes"]

    reader = Backoffice(database.env())
    try:
        loaded = reader.repository.get(contract.id)
        [_, amended] = reader.events.get(contract.id)
    finally:
        reader.close()
    assert (loaded.channel, loaded.payment_term_days, loaded.notes) == ("online", 45, None)
    assert (loaded.owner_id, loaded.region) == ("sam", "north")
    assert amended.changes == {"channel": "online", "payment_term_days": 45, "notes": None}
