"""The sales and credit stores on SQLite and PostgreSQL, fed by their projections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from domain.contract import Contract
from domain.customer import Customer
from domain.values import Cause
from projections.runner import READ_MODELS, close_view, construct_view

WINDOW = timedelta(days=400)


def at(actor: str, day: date) -> Cause:
    return Cause(actor, datetime(day.year, day.month, day.day, 12, tzinfo=UTC), WINDOW)


def signed(customer_id, *, region, lines, signed_on, channel="direct"):
    """A contract's events from drafting to signing (signing recorded on `signed_on`)."""
    contract = Contract.draft(
        at("sam", signed_on),
        id=uuid4(),
        customer_id=customer_id,
        channel=channel,
        lines=lines,
        payment_term_days=30,
        delivery_due_on=date(2026, 6, 30),
        region=region,
    )
    contract.submit(at("sam", signed_on), manager=False)
    for department in ("legal", "finance"):
        contract.approve_review(
            at(department, signed_on), department=department, roles=frozenset({department})
        )
    contract.sign(at("mia", signed_on), signed_on)
    return contract


@pytest.fixture
def views(database):
    opened = {}

    def view(name):
        if name not in opened:
            opened[name] = construct_view(READ_MODELS[name], database.env(), database.dialect)
        return opened[name]

    yield view
    for view in opened.values():
        close_view(view)


def feed(view, name, events, start):
    """Fold events into a view through a fresh projection (an empty cache)."""
    projection = READ_MODELS[name].projection(view)
    for position, event in enumerate(events, start=start):
        projection.process_event(event, Tracking("Backoffice", position))
    return start + len(events)


def test_sales_facts_are_attributed_from_the_stored_contract_and_sum_exactly(views):
    view = views("sales")
    customer = uuid4()
    lines = [{"sku": "X", "quantity": 3, "unit_price": "0.10", "unit_cost": "0.05"}]
    east = signed(customer, region="east", lines=lines, signed_on=date(2026, 1, 31))
    nowhere = signed(customer, region=None, lines=lines, signed_on=date(2026, 2, 1))
    events = [*east.collect_events(), *nowhere.collect_events()]
    drafts = [e for e in events if isinstance(e, Contract.Drafted)]
    rest = [e for e in events if not isinstance(e, Contract.Drafted)]
    # The drafts are folded by one projection, the signings by another that never saw
    # them: it reads the contracts' attributes back from its own table.
    position = feed(view, "sales", drafts, 1)
    feed(view, "sales", rest, position)
    assert view.max_tracking_id("Backoffice") == len(events)
    rows = view.report(["region", "month"])
    assert [(r["region"], r["month"], r["revenue"], r["cost"]) for r in rows] == [
        ("east", "2026-01", "0.30", "0.15"),
        (None, "2026-02", "0.30", "0.15"),
    ]
    [total] = view.report([])
    assert (total["contracts_signed"], total["revenue"], total["gross_profit"]) == (
        2,
        "0.60",
        "0.30",
    )
    # A range with no facts still answers one row of totals, all zero.
    [empty] = view.report([], day_from=date(2027, 1, 1))
    assert (empty["contracts_signed"], empty["revenue"], empty["units"]) == (0, "0.00", 0)
    assert view.report(["sku"], day_to=date(2025, 12, 31)) == []


def test_a_contract_signed_before_any_assessment_counts_against_no_limit(views):
    view = views("credit")
    customer = Customer.register(
        at("sam", date(2026, 1, 5)), id=uuid4(), name="Late Co", kind="company", source="web"
    )
    contract = signed(
        customer.id,
        region=None,
        lines=[{"sku": "X", "quantity": 1, "unit_price": "500.00", "unit_cost": "1.00"}],
        signed_on=date(2026, 1, 6),
    )
    contract.issue_invoice(
        at("fiona", date(2026, 1, 7)),
        invoice_id=uuid4(),
        amount=Decimal("200.00"),
        issued_on=date(2026, 1, 7),
    )
    customer.assess_credit(
        at("fiona", date(2026, 1, 10)),
        rating="C",
        score=40,
        credit_limit=Decimal("1000.00"),
        max_payment_term_days=30,
        guarantee_required=False,
        valid_until=date(2026, 12, 31),
        basis="late",
    )
    customer_events = list(customer.collect_events())
    contract_events = list(contract.collect_events())
    position = feed(view, "credit", customer_events, 1)
    # The invoice is folded by a projection that did not see the signing.
    position = feed(view, "credit", contract_events[:-1], position)
    feed(view, "credit", contract_events[-1:], position)
    [before] = view.report(date(2026, 1, 8))
    assert (before["rating"], before["credit_limit"], before["utilisation"]) == (None, None, None)
    assert (before["exposure"], before["outstanding"]) == ("500.00", "200.00")
    assert before["alerts"] == ["over_limit"]
    assert before["dso"] == 90.0
    [after] = view.report(date(2026, 1, 10))
    assert (after["rating"], after["utilisation"], after["alerts"]) == ("C", 0.5, [])
    assert view.report(date(2026, 1, 5)) == []
