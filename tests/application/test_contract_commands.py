"""Contract commands through the application, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from application.backoffice import Backoffice
from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    CancelContract,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    RejectContractReview,
    SendReminder,
    SignContract,
    SubmitContract,
    TerminateContract,
    WriteOff,
)
from application.commands.customers import (
    AssessCredit,
    PlaceCreditHold,
    RegisterGuarantee,
    ReleaseCreditHold,
    ReleaseGuarantee,
)
from domain.contract import Contract
from domain.customer import Customer
from domain.errors import DomainError
from tests import factories
from tests.conftest import as_, refused

SALES = as_("sam", "sales")
OTHER_SALES = as_("sid", "sales")
MANAGER = as_("mia", "sales_manager")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
EXECUTIVE = as_("eve", "executive")

TODAY = datetime.now(UTC).date()


def customer(app, *, limit="10000", term=60, guarantee_required=False, assess=True, **fields):
    cid = factories.customer(app, region=fields.pop("region", "north"))
    if assess:
        app.handle(
            FINANCE,
            AssessCredit(
                cid,
                rating="B",
                score=70,
                credit_limit=Decimal(limit),
                max_payment_term_days=term,
                guarantee_required=guarantee_required,
                valid_until=TODAY + timedelta(days=90),
                basis="accounts",
            ),
        )
    return cid


def line(sku="AD-1", quantity=2, price="1000", cost="400"):
    return {
        "sku": sku,
        "quantity": quantity,
        "unit_price": Decimal(price),
        "unit_cost": Decimal(cost),
    }


def drafted(app, cid, lines=None, term=30, due=None, **fields):
    return app.handle(
        SALES,
        DraftContract(
            customer_id=cid,
            channel=fields.pop("channel", "direct"),
            lines=lines if lines is not None else [line()],
            payment_term_days=term,
            delivery_due_on=due or TODAY + timedelta(days=30),
            **fields,
        ),
    ).id


def approved(app, cid, **kwargs):
    kid = drafted(app, cid, **kwargs)
    app.handle(SALES, SubmitContract(kid))
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    app.handle(FINANCE, ApproveContractReview(kid, "finance"))
    return kid


def signed(app, cid, **kwargs):
    kid = approved(app, cid, **kwargs)
    app.handle(MANAGER, SignContract(kid, TODAY))
    return kid


def contract(app, kid) -> Contract:
    return app.get(kid, Contract)


# The whole way.


def test_a_contract_goes_from_draft_to_completed_and_converts_its_customer(app):
    cid = customer(app)
    kid = drafted(app, cid, lines=[line("AD-1", 2, "1000", "400"), line("PR-9", 1, "500", "100")])
    got = contract(app, kid)
    assert (got.status, got.total, got.cost, got.region, got.owner_id) == (
        "draft",
        Decimal("2500.00"),
        Decimal("900.00"),
        "north",
        "sam",
    )
    app.handle(SALES, SubmitContract(kid))
    assert contract(app, kid).reviews == {"legal": "pending", "finance": "pending"}
    app.handle(LEGAL, ApproveContractReview(kid, "legal", "fine"))
    assert contract(app, kid).status == "in_review"
    app.handle(FINANCE, ApproveContractReview(kid, "finance"))
    assert contract(app, kid).status == "approved"

    customer_version = app.get(cid, Customer).version
    outcome = app.handle(MANAGER, SignContract(kid, TODAY - timedelta(days=2)))
    after = app.get(cid, Customer)
    assert contract(app, kid).status == "active"
    assert contract(app, kid).signed_on == TODAY - timedelta(days=2)
    assert after.status == "customer"
    assert after.version == customer_version + 2  # credit reserved, converted
    assert after.signed_contracts == (kid,)
    # One transaction: the customer's events sit right before the contract's signing.
    assert outcome.position == app.max_position()

    app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}))
    first = app.handle(FINANCE, IssueInvoice(kid, Decimal("1000"), TODAY)).extra["invoice_id"]
    second = app.handle(FINANCE, IssueInvoice(kid, Decimal("1500"), TODAY)).extra["invoice_id"]
    app.handle(FINANCE, RecordPayment(kid, Decimal("1200"), TODAY, "BANK-1"))
    invoices = contract(app, kid).invoices
    assert invoices[first]["settled"] == Decimal("1000.00")
    assert invoices[second]["settled"] == Decimal("200.00")
    app.handle(FINANCE, RecordPayment(kid, Decimal("1300"), TODAY, "BANK-2"))
    assert contract(app, kid).status == "active"  # paid, not yet all delivered
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 1, "PR-9": 1}))
    done = contract(app, kid)
    assert done.status == "completed"
    assert done.outstanding == Decimal("0.00")
    events = [type(e).__name__ for e in app.events.get(kid)]
    assert events[-2:] == ["DeliveryRecorded", "Completed"]


def test_every_event_of_a_contract_carries_actor_and_times(app):
    kid = signed(app, customer(app))
    events = list(app.events.get(kid))
    assert [e.actor for e in events] == ["sam", "sam", "lee", "fiona", "fiona", "mia"]
    assert all(e.timestamp.tzinfo is not None and e.occurred_at for e in events)


def test_a_write_off_settles_the_rest_and_completes_a_delivered_contract(app):
    kid = signed(app, customer(app))
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 2}))
    app.handle(FINANCE, IssueInvoice(kid, Decimal("2000"), TODAY))
    app.handle(FINANCE, RecordPayment(kid, Decimal("1500"), TODAY, "B-1"))
    app.handle(FINANCE, WriteOff(kid, Decimal("500"), "customer insolvent"))
    done = contract(app, kid)
    assert (done.status, done.written_off, done.outstanding) == (
        "completed",
        Decimal("500.00"),
        Decimal("0.00"),
    )


def test_a_rejection_returns_to_draft_and_clears_earlier_approvals(app):
    kid = drafted(app, customer(app))
    app.handle(SALES, SubmitContract(kid))
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    app.handle(FINANCE, RejectContractReview(kid, "finance", "term too long"))
    got = contract(app, kid)
    assert (got.status, got.reviews) == ("draft", {"legal": "pending", "finance": "rejected"})
    app.handle(SALES, AmendContract(kid, {"payment_term_days": 15}))
    app.handle(SALES, SubmitContract(kid))
    assert contract(app, kid).reviews == {"legal": "pending", "finance": "pending"}


def test_a_line_below_cost_needs_an_executive_review(app):
    kid = drafted(app, customer(app), lines=[line("AD-1", 1, "300", "400")])
    app.handle(SALES, SubmitContract(kid))
    got = contract(app, kid)
    assert [r["department"] for r in got.required_reviews] == ["legal", "finance", "executive"]
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    app.handle(FINANCE, ApproveContractReview(kid, "finance"))
    assert contract(app, kid).status == "in_review"
    app.handle(EXECUTIVE, ApproveContractReview(kid, "executive"))
    assert contract(app, kid).status == "approved"


def test_a_manager_may_amend_submit_and_cancel_for_the_owner(app):
    kid = drafted(app, customer(app))
    app.handle(MANAGER, AmendContract(kid, {"notes": "agreed on the phone", "region": "east"}))
    assert (contract(app, kid).notes, contract(app, kid).region) == ("agreed on the phone", "east")
    app.handle(MANAGER, SubmitContract(kid))
    app.handle(MANAGER, CancelContract(kid, "customer withdrew"))
    assert contract(app, kid).status == "cancelled"


def test_a_reminder_needs_an_overdue_invoice_and_names_it(app):
    kid = signed(app, customer(app), term=0)
    invoice = app.handle(FINANCE, IssueInvoice(kid, Decimal("800"), TODAY - timedelta(days=3)))
    app.handle(FINANCE, SendReminder(kid, 1, "please pay"))
    [reminder] = [e for e in app.events.get(kid) if isinstance(e, Contract.ReminderSent)]
    assert [str(i) for i in reminder.overdue_invoices] == [invoice.extra["invoice_id"]]
    assert reminder.overdue_amount == Decimal("800.00")


def test_a_terminated_contract_keeps_its_receivable(app):
    cid = customer(app, limit="2500")
    kid = signed(app, cid)
    app.handle(FINANCE, IssueInvoice(kid, Decimal("500"), TODAY))
    app.handle(FINANCE, TerminateContract(kid, "breach"))
    app.handle(FINANCE, RecordPayment(kid, Decimal("500"), TODAY, "T-1"))
    assert contract(app, kid).status == "terminated"
    # Its exposure (2000 less 500 paid) still counts against the limit.
    another = approved(app, cid)
    err = refused(
        app, "credit_limit_exceeded", lambda: app.handle(MANAGER, SignContract(another, TODAY))
    )
    assert err.facts["exposure"] == "3500.00"


# The credit check at signing.


def test_signing_without_an_assessment_is_refused(app):
    kid = approved(app, customer(app, assess=False))
    refused(app, "credit_assessment_missing", lambda: app.handle(MANAGER, SignContract(kid, TODAY)))
    assert contract(app, kid).status == "approved"


def test_signing_on_an_expired_assessment_is_refused(services):
    app = services.backoffice
    kid = approved(app, customer(app))
    later = Backoffice(
        services.settings.persistence_env(),
        clock=lambda: datetime.now(UTC) + timedelta(days=91),
    )
    try:
        refused(
            later,
            "credit_assessment_missing",
            lambda: later.handle(MANAGER, SignContract(kid, later.clock().date())),
        )
    finally:
        later.close()


def test_signing_for_a_customer_on_credit_hold_is_refused(app):
    cid = customer(app)
    kid = approved(app, cid)
    app.handle(FINANCE, PlaceCreditHold(cid, "late payer"))
    refused(app, "credit_hold", lambda: app.handle(MANAGER, SignContract(kid, TODAY)))
    app.handle(FINANCE, ReleaseCreditHold(cid))
    app.handle(MANAGER, SignContract(kid, TODAY))


def test_a_payment_term_beyond_the_assessment_is_refused(app):
    kid = approved(app, customer(app, term=30), term=45)
    err = refused(
        app, "payment_term_exceeded", lambda: app.handle(MANAGER, SignContract(kid, TODAY))
    )
    assert (err.facts["payment_term_days"], err.facts["max_payment_term_days"]) == (45, 30)


def test_a_required_guarantee_must_be_held(app):
    cid = customer(app, guarantee_required=True)
    kid = approved(app, cid)
    refused(app, "guarantee_required", lambda: app.handle(MANAGER, SignContract(kid, TODAY)))
    gid = app.handle(
        FINANCE,
        RegisterGuarantee(
            cid, amount=Decimal("1000"), kind="bank", expires_on=TODAY + timedelta(days=9)
        ),
    ).extra["guarantee_id"]
    app.handle(FINANCE, ReleaseGuarantee(cid, gid))
    refused(app, "guarantee_required", lambda: app.handle(MANAGER, SignContract(kid, TODAY)))
    app.handle(
        FINANCE,
        RegisterGuarantee(
            cid, amount=Decimal("1000"), kind="bank", expires_on=TODAY + timedelta(days=9)
        ),
    )
    app.handle(MANAGER, SignContract(kid, TODAY))


def test_exposure_beyond_limit_and_guarantees_is_refused_with_the_numbers(app):
    cid = customer(app, limit="5000")
    first = signed(app, cid)  # 2000
    app.handle(FINANCE, IssueInvoice(first, Decimal("2000"), TODAY))
    app.handle(FINANCE, RecordPayment(first, Decimal("300"), TODAY, "P-1"))
    app.handle(FINANCE, WriteOff(first, Decimal("200"), "discount dispute"))
    # Exposure now 1500; another 4000 makes 5500 against a limit of 5000.
    kid = approved(app, cid, lines=[line("AD-1", 4, "1000", "400")])
    err = refused(
        app, "credit_limit_exceeded", lambda: app.handle(MANAGER, SignContract(kid, TODAY))
    )
    assert (err.facts["exposure"], err.facts["limit"], err.facts["shortfall"]) == (
        "5500.00",
        "5000.00",
        "500.00",
    )
    app.handle(
        FINANCE,
        RegisterGuarantee(
            cid, amount=Decimal("500"), kind="deposit", expires_on=TODAY + timedelta(days=30)
        ),
    )
    app.handle(MANAGER, SignContract(kid, TODAY))  # exactly at the limit is allowed
    assert contract(app, kid).status == "active"


@pytest.mark.parametrize("attempt", range(3))
def test_two_signings_at_once_never_pass_a_limit_together(app, attempt):
    cid = customer(app, limit="3000")
    kids = [approved(app, cid), approved(app, cid)]  # 2000 each: one fits
    start = threading.Barrier(2)
    results: dict = {}

    def sign(kid):
        start.wait()
        try:
            app.handle(MANAGER, SignContract(kid, TODAY))
            results[kid] = "signed"
        except DomainError as error:
            results[kid] = error.code

    threads = [threading.Thread(target=sign, args=(k,)) for k in kids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["credit_limit_exceeded", "signed"]
    statuses = sorted(contract(app, k).status for k in kids)
    assert statuses == ["active", "approved"]
    assert len(app.get(cid, Customer).signed_contracts) == 1


# Refusals of the other commands: the code, and nothing stored.


def test_drafting_refuses_bad_input(app):
    cid = customer(app)
    refused(app, "validation_error", lambda: drafted(app, uuid4()))
    refused(app, "validation_error", lambda: drafted(app, cid, channel="telepathy"))
    refused(app, "validation_error", lambda: drafted(app, cid, lines=[line(), line()]))
    refused(app, "validation_error", lambda: drafted(app, cid, lines=[line(quantity=0)]))
    refused(app, "validation_error", lambda: drafted(app, cid, lines=[line(price="-1")]))
    refused(app, "validation_error", lambda: drafted(app, cid, lines=[line(cost="0.001")]))
    refused(app, "validation_error", lambda: drafted(app, cid, penalty_rate=Decimal("2")))
    refused(
        app,
        "forbidden",
        lambda: app.handle(
            FINANCE,
            DraftContract(
                customer_id=cid,
                channel="direct",
                lines=[],
                payment_term_days=1,
                delivery_due_on=TODAY,
            ),
        ),
    )


def test_amending_refusals(app):
    kid = drafted(app, customer(app))
    refused(
        app, "forbidden", lambda: app.handle(OTHER_SALES, AmendContract(kid, {"notes": "mine now"}))
    )
    refused(app, "validation_error", lambda: app.handle(SALES, AmendContract(kid, {})))
    refused(app, "validation_error", lambda: app.handle(SALES, AmendContract(kid, {"lines": None})))
    refused(
        app,
        "validation_error",
        lambda: app.handle(SALES, AmendContract(kid, {"customer_id": uuid4()})),
    )
    app.handle(SALES, SubmitContract(kid))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(SALES, AmendContract(kid, {"notes": "late change"})),
    )


def test_submitting_refusals(app):
    cid = customer(app)
    empty = drafted(app, cid, lines=[])
    refused(app, "validation_error", lambda: app.handle(SALES, SubmitContract(empty)))
    free = drafted(app, cid, lines=[line(price="0", cost="0")])
    refused(app, "validation_error", lambda: app.handle(SALES, SubmitContract(free)))
    kid = drafted(app, cid)
    refused(app, "forbidden", lambda: app.handle(OTHER_SALES, SubmitContract(kid)))
    app.handle(SALES, SubmitContract(kid))
    refused(app, "invalid_state", lambda: app.handle(SALES, SubmitContract(kid)))


def test_review_refusals(app):
    cid = customer(app)
    kid = drafted(app, cid)
    refused(app, "invalid_state", lambda: app.handle(LEGAL, ApproveContractReview(kid, "legal")))
    app.handle(MANAGER, SubmitContract(kid))
    refused(app, "forbidden", lambda: app.handle(FINANCE, ApproveContractReview(kid, "legal")))
    refused(
        app,
        "review_not_required",
        lambda: app.handle(EXECUTIVE, ApproveContractReview(kid, "executive")),
    )
    refused(
        app, "validation_error", lambda: app.handle(LEGAL, ApproveContractReview(kid, "marketing"))
    )
    owner_in_legal = as_("sam", "legal")
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(owner_in_legal, ApproveContractReview(kid, "legal")),
    )
    submitter_in_finance = as_("mia", "finance")
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(submitter_in_finance, RejectContractReview(kid, "finance", "no")),
    )
    admin_owner = as_("sam", "admin")
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(admin_owner, ApproveContractReview(kid, "legal")),
    )
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    refused(app, "invalid_state", lambda: app.handle(LEGAL, ApproveContractReview(kid, "legal")))
    refused(
        app,
        "validation_error",
        lambda: app.handle(FINANCE, RejectContractReview(kid, "finance", " ")),
    )


def test_signing_refusals(app):
    cid = customer(app)
    kid = drafted(app, cid)
    refused(app, "invalid_state", lambda: app.handle(MANAGER, SignContract(kid, TODAY)))
    refused(app, "forbidden", lambda: app.handle(SALES, SignContract(kid, TODAY)))
    app.handle(SALES, SubmitContract(kid))
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    app.handle(FINANCE, ApproveContractReview(kid, "finance"))
    tomorrow = TODAY + timedelta(days=1)
    refused(app, "validation_error", lambda: app.handle(MANAGER, SignContract(kid, tomorrow)))
    long_ago = TODAY - timedelta(days=60)
    refused(app, "validation_error", lambda: app.handle(MANAGER, SignContract(kid, long_ago)))
    app.handle(MANAGER, SignContract(kid, TODAY))
    refused(app, "invalid_state", lambda: app.handle(MANAGER, SignContract(kid, TODAY)))


def test_delivery_refusals(app):
    cid = customer(app)
    draft = drafted(app, cid)
    refused(app, "invalid_state", lambda: app.handle(SALES, RecordDelivery(draft, {"AD-1": 1})))
    kid = signed(app, cid)
    refused(app, "validation_error", lambda: app.handle(SALES, RecordDelivery(kid, {"XX-0": 1})))
    refused(app, "validation_error", lambda: app.handle(SALES, RecordDelivery(kid, {})))
    refused(app, "forbidden", lambda: app.handle(OTHER_SALES, RecordDelivery(kid, {"AD-1": 1})))
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}))
    err = refused(app, "over_delivery", lambda: app.handle(SALES, RecordDelivery(kid, {"AD-1": 2})))
    assert (err.facts["ordered"], err.facts["delivered"], err.facts["requested"]) == (2, 1, 2)
    future = datetime.now(UTC) + timedelta(hours=1)
    refused(
        app, "validation_error", lambda: app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}, future))
    )


def test_a_delivery_after_the_due_date_is_flagged_late(app):
    kid = signed(app, customer(app), due=TODAY - timedelta(days=1))
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}))
    early = datetime.now(UTC) - timedelta(days=3)
    app.handle(SALES, RecordDelivery(kid, {"AD-1": 1}, early))
    flags = [e.late for e in app.events.get(kid) if isinstance(e, Contract.DeliveryRecorded)]
    assert flags == [True, False]


def test_invoice_refusals(app):
    cid = customer(app)
    unsigned = approved(app, cid)
    refused(
        app,
        "invalid_state",
        lambda: app.handle(FINANCE, IssueInvoice(unsigned, Decimal("1"), TODAY)),
    )
    kid = signed(app, cid)
    app.handle(FINANCE, IssueInvoice(kid, Decimal("1500"), TODAY))
    err = refused(
        app,
        "over_invoicing",
        lambda: app.handle(FINANCE, IssueInvoice(kid, Decimal("500.01"), TODAY)),
    )
    assert (err.facts["total"], err.facts["invoiced"]) == ("2000.00", "1500.00")
    refused(
        app, "validation_error", lambda: app.handle(FINANCE, IssueInvoice(kid, Decimal("0"), TODAY))
    )
    tomorrow = TODAY + timedelta(days=1)
    refused(
        app,
        "validation_error",
        lambda: app.handle(FINANCE, IssueInvoice(kid, Decimal("1"), tomorrow)),
    )
    refused(app, "forbidden", lambda: app.handle(SALES, IssueInvoice(kid, Decimal("1"), TODAY)))
    due = contract(app, kid).invoices
    assert [i["due_on"] for i in due.values()] == [TODAY + timedelta(days=30)]


def test_payment_refusals(app):
    kid = signed(app, customer(app))
    refused(
        app,
        "over_payment",
        lambda: app.handle(FINANCE, RecordPayment(kid, Decimal("1"), TODAY, "P-0")),
    )
    app.handle(FINANCE, IssueInvoice(kid, Decimal("1000"), TODAY))
    app.handle(FINANCE, RecordPayment(kid, Decimal("600"), TODAY, "P-1"))
    refused(
        app,
        "duplicate_payment",
        lambda: app.handle(FINANCE, RecordPayment(kid, Decimal("1"), TODAY, "P-1")),
    )
    err = refused(
        app,
        "over_payment",
        lambda: app.handle(FINANCE, RecordPayment(kid, Decimal("400.01"), TODAY, "P-2")),
    )
    assert err.facts["outstanding"] == "400.00"
    refused(
        app,
        "validation_error",
        lambda: app.handle(FINANCE, RecordPayment(kid, Decimal("1"), TODAY, "")),
    )
    cancelled = drafted(app, customer(app))
    app.handle(SALES, CancelContract(cancelled, "no deal"))
    refused(
        app,
        "invalid_state",
        lambda: app.handle(FINANCE, RecordPayment(cancelled, Decimal("1"), TODAY, "P-3")),
    )


def test_reminder_refusals(app):
    draft = drafted(app, customer(app))
    kid = signed(app, customer(app))
    refused(app, "nothing_overdue", lambda: app.handle(FINANCE, SendReminder(kid, 1)))
    app.handle(FINANCE, IssueInvoice(kid, Decimal("500"), TODAY))  # due in 30 days
    refused(app, "nothing_overdue", lambda: app.handle(SALES, SendReminder(kid, 2)))
    refused(app, "validation_error", lambda: app.handle(FINANCE, SendReminder(kid, 4)))
    refused(app, "forbidden", lambda: app.handle(LEGAL, SendReminder(kid, 1)))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, SendReminder(draft, 1)))


def test_write_off_refusals(services):
    app = services.backoffice
    kid = signed(app, customer(app, limit="200000"), lines=[line("BIG", 1, "90000", "1000")])
    app.handle(FINANCE, IssueInvoice(kid, Decimal("90000"), TODAY))
    err = refused(
        app,
        "over_write_off",
        lambda: app.handle(EXECUTIVE, WriteOff(kid, Decimal("90000.01"), "x")),
    )
    assert err.facts["outstanding"] == "90000.00"
    refused(
        app,
        "forbidden",
        lambda: app.handle(FINANCE, WriteOff(kid, Decimal("50000.01"), "bankrupt")),
    )
    refused(app, "forbidden", lambda: app.handle(SALES, WriteOff(kid, Decimal("1"), "bankrupt")))
    refused(
        app,
        "validation_error",
        lambda: app.handle(FINANCE, WriteOff(kid, Decimal("-5"), "bankrupt")),
    )
    app.handle(FINANCE, WriteOff(kid, Decimal("50000"), "bankrupt"))
    app.handle(EXECUTIVE, WriteOff(kid, Decimal("40000"), "bankrupt"))
    assert contract(app, kid).outstanding == Decimal("0.00")


def test_cancel_and_terminate_refusals(app):
    cid = customer(app)
    kid = drafted(app, cid)
    refused(app, "forbidden", lambda: app.handle(OTHER_SALES, CancelContract(kid, "not mine")))
    refused(app, "validation_error", lambda: app.handle(SALES, CancelContract(kid, "")))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, TerminateContract(kid, "early")))
    refused(app, "forbidden", lambda: app.handle(SALES, TerminateContract(kid, "early")))
    active = signed(app, cid)
    refused(app, "invalid_state", lambda: app.handle(SALES, CancelContract(active, "too late")))
    app.handle(MANAGER, TerminateContract(active, "breach"))
    refused(app, "invalid_state", lambda: app.handle(MANAGER, TerminateContract(active, "again")))


def test_version_conflicts_with_if_match_write_nothing(app):
    from dataclasses import replace

    kid = drafted(app, customer(app))
    stale = replace(SALES, expected_version=5)
    refused(app, "version_conflict", lambda: app.handle(stale, SubmitContract(kid)))
    refused(
        app,
        "version_conflict",
        lambda: app.handle(replace(MANAGER, expected_version=9), SignContract(kid, TODAY)),
    )


def test_as_of_reads_show_the_contract_as_it_was(app):
    kid = drafted(app, customer(app))
    app.handle(SALES, SubmitContract(kid))
    assert app.get(kid, Contract, version=1).status == "draft"
    moment = app.get(kid, Contract).modified_on
    app.handle(SALES, CancelContract(kid, "no"))
    assert app.get(kid, Contract, as_of=moment).status == "in_review"
    assert app.get(kid, Contract).status == "cancelled"


def test_unknown_contracts_are_not_found(app):
    refused(app, "not_found", lambda: app.handle(SALES, SubmitContract(uuid4())))
    cid = customer(app)
    refused(
        app, "not_found", lambda: app.handle(SALES, SubmitContract(cid))
    )  # a customer, not a contract
