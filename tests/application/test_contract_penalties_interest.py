"""Late-delivery penalties and late-payment interest through the application, on SQLite
and PostgreSQL: figures worked by hand, refusals storing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4

from application.commands.contracts import (
    ChargeInterest,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    SignContract,
    WaivePenalty,
)
from domain.contract import Contract
from tests.application.test_contract_commands import (
    EXECUTIVE,
    FINANCE,
    MANAGER,
    SALES,
    TODAY,
    approved,
    customer,
    line,
    signed,
)
from tests.conftest import as_, refused

OTHER_MANAGER = as_("max", "sales_manager")
# A sales manager who also sells: owns the contract and delivers it.
SELLING_MANAGER = as_("mia", "sales", "sales_manager")


def at(day, hour=0):
    return datetime.combine(day, time(hour), tzinfo=UTC)


def late_contract(app, *, rate="0.001", quantity=2, price="1000", days_late=10, term=30):
    """A signed contract whose delivery was due `days_late` days ago."""
    cid = customer(app, limit="100000")
    return signed(
        app,
        cid,
        lines=[line("AD-1", quantity, price, "400")],
        due=TODAY - timedelta(days=days_late),
        penalty_rate=Decimal(rate),
        term=term,
    )


def test_a_late_delivery_assesses_rate_times_days_times_late_value(app):
    kid = late_contract(app)
    # 0.001 a day x 10 days late x 1 unit at 1000.00 delivered late = 10.00.
    outcome = app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}, at(TODAY)))
    contract = app.get(kid, Contract)
    (penalty,) = contract.penalties.values()
    assert outcome.extra["penalty"] == {
        "id": str(penalty["id"]),
        "amount": "10.00",
        "days_late": 10,
    }
    assert contract.penalties_credited == Decimal("10.00")
    # Nothing invoiced yet: the credit waits for the first invoice, then settles it.
    assert contract.unapplied_credit == Decimal("10.00")
    app.handle(FINANCE, IssueInvoice(kid, Decimal("2000.00"), TODAY))
    contract = app.get(kid, Contract)
    assert (contract.unapplied_credit, contract.outstanding) == (
        Decimal("0.00"),
        Decimal("1990.00"),
    )
    assert contract.exposure == Decimal("1990.00")


def test_penalties_are_capped_at_the_cap_times_the_total(app):
    # 0.01 x 15 days x 2000.00 = 300.00, capped at 0.10 x 2000.00 = 200.00.
    kid = late_contract(app, rate="0.01", days_late=15, quantity=3, price="1000")
    outcome = app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}, at(TODAY)))
    assert outcome.extra["penalty"]["amount"] == "300.00"
    contract = app.get(kid, Contract)
    (penalty,) = contract.penalties.values()
    # 0.10 x 3000.00 = 300.00 of room; 0.01 x 15 x 2000.00 = 300.00 fits exactly.
    assert penalty["amount"] == Decimal("300.00")
    # The last unit: 0.01 x 15 x 1000.00 = 150.00, but the cap is used up: no penalty.
    outcome = app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}, at(TODAY)))
    assert "penalty" not in outcome.extra
    assert app.get(kid, Contract).penalties_credited == Decimal("300.00")


def test_a_penalty_above_the_room_left_is_cut_to_the_cap(app):
    kid = late_contract(app, rate="0.01", days_late=15, quantity=2, price="1000")
    outcome = app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}, at(TODAY)))
    # 0.01 x 15 x 2000.00 = 300.00; cap 0.10 x 2000.00 = 200.00.
    assert outcome.extra["penalty"]["amount"] == "200.00"
    penalty = app.get(kid, Contract).penalties[outcome.extra["penalty"]["id"]]
    assert (penalty["amount"], penalty["days_late"]) == (Decimal("200.00"), 15)


def test_an_on_time_delivery_assesses_nothing(app):
    cid = customer(app)
    kid = signed(app, cid, penalty_rate=Decimal("0.01"))
    outcome = app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}))
    assert "penalty" not in outcome.extra
    assert app.get(kid, Contract).penalties == {}


def test_penalties_count_towards_completion(app):
    kid = late_contract(app)
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}, at(TODAY)))  # 20.00
    app.handle(FINANCE, IssueInvoice(kid, Decimal("2000.00"), TODAY))
    refused(
        app,
        "over_payment",
        lambda: app.handle(FINANCE, RecordPayment(kid, Decimal("1990.00"), TODAY, "P-1x")),
    )
    app.handle(FINANCE, RecordPayment(kid, Decimal("1980.00"), TODAY, "P-1"))
    contract = app.get(kid, Contract)
    assert contract.status == "completed"
    assert contract.paid + contract.penalties_credited == contract.total


def test_waiving_a_penalty_reopens_what_its_credit_settled(app):
    kid = late_contract(app)
    outcome = app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}, at(TODAY)))
    pid = outcome.extra["penalty"]["id"]
    app.handle(FINANCE, IssueInvoice(kid, Decimal("2000.00"), TODAY))
    assert app.get(kid, Contract).outstanding == Decimal("1980.00")
    app.handle(OTHER_MANAGER, WaivePenalty(kid, uuid4_of(pid), "goodwill: the delay was ours"))
    contract = app.get(kid, Contract)
    assert contract.penalties[pid]["waived"] is True
    assert (contract.outstanding, contract.penalties_credited) == (
        Decimal("2000.00"),
        Decimal("0.00"),
    )
    refused(
        app,
        "invalid_state",
        lambda: app.handle(EXECUTIVE, WaivePenalty(kid, uuid4_of(pid), "again")),
    )


def uuid4_of(text):
    from uuid import UUID

    return UUID(text)


def test_waiving_is_refused_to_the_owner_to_other_roles_and_for_unknown_penalties(app):
    cid = customer(app, limit="100000")
    kid = app.handle(
        MANAGER,
        DraftContract(
            customer_id=cid,
            channel="direct",
            lines=[line()],
            payment_term_days=30,
            delivery_due_on=TODAY - timedelta(days=5),
            penalty_rate=Decimal("0.001"),
        ),
    ).id
    from application.commands.contracts import ApproveContractReview, SubmitContract

    app.handle(MANAGER, SubmitContract(kid))
    app.handle(as_("lee", "legal"), ApproveContractReview(kid, "legal"))
    app.handle(FINANCE, ApproveContractReview(kid, "finance"))
    app.handle(OTHER_MANAGER, SignContract(kid, TODAY))
    delivered = app.handle(SELLING_MANAGER, RecordDelivery(kid, {"AD-1": 1}, at(TODAY)))
    pid = delivered.extra["penalty"]["id"]
    # The owner (a sales manager) may not waive the penalty of their own contract.
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(MANAGER, WaivePenalty(kid, uuid4_of(pid), "mine")),
    )
    refused(
        app, "forbidden", lambda: app.handle(SALES, WaivePenalty(kid, uuid4_of(pid), "no role"))
    )
    refused(
        app, "not_found", lambda: app.handle(OTHER_MANAGER, WaivePenalty(kid, uuid4(), "unknown"))
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(OTHER_MANAGER, WaivePenalty(kid, uuid4_of(pid), "  ")),
    )
    app.handle(EXECUTIVE, WaivePenalty(kid, uuid4_of(pid), "executive decision"))


def test_interest_over_a_part_paid_invoice_worked_by_hand(app):
    cid = customer(app, limit="100000")
    kid = signed(app, cid, lines=[line("AD-1", 2, "1000", "400")], term=0)
    issued = TODAY - timedelta(days=20)
    app.handle(FINANCE, IssueInvoice(kid, Decimal("2000.00"), issued))
    app.handle(FINANCE, RecordPayment(kid, Decimal("500.00"), TODAY - timedelta(days=10), "P-1"))
    through = TODAY - timedelta(days=5)
    outcome = app.handle(FINANCE, ChargeInterest(kid, through))
    # Due on the issue day (term 0). Overdue days 19..11 days ago: 9 x 2000.00 unpaid;
    # days 10..5 ago: 6 x 1500.00. (18 000 + 9 000) x 0.0005 = 13.50.
    assert outcome.extra["amount"] == "13.50"
    contract = app.get(kid, Contract)
    note = contract.debit_notes[outcome.extra["debit_note_id"]]
    assert (note["amount"], note["due_on"], note["basis"][0]["days"]) == (
        Decimal("13.50"),
        through,
        15,
    )
    assert contract.outstanding == Decimal("1513.50")
    assert contract.exposure == Decimal("1513.50")
    # The same days are never charged twice.
    refused(app, "nothing_overdue", lambda: app.handle(FINANCE, ChargeInterest(kid, through)))
    # The next days are: 4 days ago to today, 5 x 1500.00 x 0.0005 = 3.75.
    assert app.handle(FINANCE, ChargeInterest(kid, TODAY)).extra["amount"] == "3.75"


def test_payments_settle_invoices_and_debit_notes_oldest_due_first(app):
    cid = customer(app, limit="100000")
    kid = signed(app, cid, lines=[line("AD-1", 2, "1000", "400")], term=0)
    app.handle(FINANCE, IssueInvoice(kid, Decimal("1000.00"), TODAY - timedelta(days=20)))
    note = app.handle(FINANCE, ChargeInterest(kid, TODAY - timedelta(days=10))).extra
    # 10 days x 1000.00 x 0.0005 = 5.00, due 10 days ago: older than the next invoice.
    assert note["amount"] == "5.00"
    app.handle(FINANCE, IssueInvoice(kid, Decimal("1000.00"), TODAY - timedelta(days=5)))
    app.handle(FINANCE, RecordPayment(kid, Decimal("1005.00"), TODAY, "P-1"))
    contract = app.get(kid, Contract)
    assert contract.debit_notes[note["debit_note_id"]]["settled"] == Decimal("5.00")
    assert sorted(i["settled"] for i in contract.invoices.values()) == [
        Decimal("0.00"),
        Decimal("1000.00"),
    ]
    assert contract.outstanding == Decimal("1000.00")
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}))
    app.handle(FINANCE, RecordPayment(kid, Decimal("1000.00"), TODAY, "P-2"))
    contract = app.get(kid, Contract)
    # paid 2005.00 = total 2000.00 + interest 5.00.
    assert contract.status == "completed"


def test_charging_interest_is_refused_without_anything_overdue_or_role_or_state(app):
    cid = customer(app, limit="100000")
    kid = signed(app, cid, term=30)
    app.handle(FINANCE, IssueInvoice(kid, Decimal("1000.00"), TODAY))
    refused(app, "nothing_overdue", lambda: app.handle(FINANCE, ChargeInterest(kid, TODAY)))
    refused(app, "forbidden", lambda: app.handle(SALES, ChargeInterest(kid, TODAY)))
    refused(
        app,
        "validation_error",
        lambda: app.handle(FINANCE, ChargeInterest(kid, TODAY + timedelta(days=1))),
    )
    draft = approved(app, cid)
    refused(app, "invalid_state", lambda: app.handle(FINANCE, ChargeInterest(draft, TODAY)))
    refused(app, "not_found", lambda: app.handle(FINANCE, ChargeInterest(uuid4(), TODAY)))
