"""Opportunity commands through the application, on both databases: stored and refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from application.commands.customers import MarkCustomerLost, ReopenCustomer
from application.commands.opportunities import (
    AddQuote,
    AdvanceOpportunity,
    LoseOpportunity,
    OpenOpportunity,
    RecordNegotiation,
    RegressOpportunity,
    ReopenOpportunity,
    WinOpportunity,
)
from application.commands.price_lists import CreatePriceList, PublishPriceList, SetListPrice
from domain.contract import Contract
from domain.opportunity import Opportunity
from tests.conftest import as_, refused
from tests.factories import customer

SALES = as_("sam", "sales")
OTHER_SALES = as_("sid", "sales")
MANAGER = as_("mia", "sales_manager")
ADMIN = as_("ada", "admin")
FINANCE = as_("fiona", "finance")
MARKETING = as_("max", "marketing")

NOW = datetime.now(UTC)
TODAY = NOW.date()
LINE = {"sku": "SEO-M", "quantity": 3, "unit_price": Decimal("400.00"), "unit_cost": "250.00"}


def opened(app, who=SALES, **fields) -> UUID:
    body = {
        "customer_id": fields.pop("customer_id", None) or customer(app),
        "title": "Annual retainer",
        "expected_value": Decimal("12000.00"),
        "expected_close_on": TODAY + timedelta(days=45),
        **fields,
    }
    return app.handle(who, OpenOpportunity(**body)).id


def quoted(app, oid, who=SALES, **fields) -> UUID:
    body = {
        "lines": [LINE],
        "valid_until": TODAY + timedelta(days=14),
        "payment_term_days": 45,
        **fields,
    }
    return UUID(app.handle(who, AddQuote(oid, **body)).extra["quote_id"])


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


def test_an_opportunity_goes_from_opening_through_every_stage_to_a_won_contract(app):
    cid = customer(app)
    oid = opened(app, customer_id=cid, competitors=["Rival"], source="referral")
    app.handle(SALES, AdvanceOpportunity(oid, to_stage="needs_analysis", note="call held"))
    app.handle(SALES, AdvanceOpportunity(oid, to_stage="negotiation"))
    app.handle(SALES, RegressOpportunity(oid, to_stage="proposal", reason="new decision maker"))
    app.handle(SALES, AdvanceOpportunity(oid, to_stage="negotiation"))
    qid = quoted(app, oid)
    app.handle(SALES, RecordNegotiation(oid, summary="asked for 5%", concessions="free setup"))
    before = app.max_position()
    outcome = app.handle(
        SALES,
        WinOpportunity(
            oid, quote_id=qid, delivery_due_on=TODAY + timedelta(days=60), channel="online"
        ),
    )
    # The opportunity's Won and the contract's Drafted: one save, two events.
    assert app.max_position() == before + 2
    contract_id = UUID(outcome.extra["contract_id"])
    opportunity = app.get(oid, Opportunity)
    assert (opportunity.status, opportunity.contract_id, opportunity.regressions) == (
        "won",
        contract_id,
        1,
    )
    assert opportunity.version == outcome.version == 8
    contract = app.get(contract_id, Contract)
    assert (contract.status, contract.customer_id, contract.owner_id) == ("draft", cid, "sam")
    assert (contract.channel, contract.region, contract.payment_term_days) == (
        "online",
        "north",
        45,
    )
    assert contract.total == Decimal("1200.00")
    assert contract.lines[0]["description"] == "Annual retainer"


def test_a_quote_takes_the_list_price_of_its_day(app):
    listed = sku()
    lid = app.handle(MANAGER, CreatePriceList(name="Std", valid_from=TODAY - timedelta(days=10))).id
    app.handle(MANAGER, SetListPrice(lid, sku=listed, unit_price=Decimal("250.00")))
    app.handle(FINANCE, PublishPriceList(lid))
    oid = opened(app)
    qid = quoted(app, oid, lines=[{"sku": listed, "quantity": 4, "unit_cost": Decimal("100")}])
    quote = app.get(oid, Opportunity).quotes[str(qid)]
    assert quote["lines"][0]["unit_price"] == Decimal("250.00")
    assert quote["lines"][0]["price_list_id"] == lid
    assert quote["total"] == Decimal("1000.00")
    # A quote recorded back on a day before the list was in force finds no price.
    early = opened(app, occurred_at=NOW - timedelta(days=13))
    refused(
        app,
        "no_list_price",
        lambda: app.handle(
            SALES,
            AddQuote(
                early,
                lines=[{"sku": listed, "quantity": 1, "unit_cost": Decimal("1")}],
                valid_until=TODAY,
                payment_term_days=30,
                occurred_at=NOW - timedelta(days=12),
            ),
        ),
    )


def test_open_refusals(app):
    cid, lost = customer(app), customer(app, lost=True)
    refused(app, "validation_error", lambda: opened(app, customer_id=uuid4()))
    refused(app, "customer_lost", lambda: opened(app, customer_id=lost))
    refused(app, "forbidden", lambda: opened(app, customer_id=cid, owner_id="sid"))
    refused(app, "forbidden", lambda: opened(app, customer_id=cid, who=MARKETING))
    refused(app, "forbidden", lambda: opened(app, customer_id=cid, who=FINANCE))
    refused(app, "validation_error", lambda: opened(app, customer_id=cid, title=" "))
    refused(
        app, "validation_error", lambda: opened(app, customer_id=cid, expected_value=Decimal(0))
    )
    assert app.get(opened(app, who=MANAGER, owner_id="sid"), Opportunity).owner_id == "sid"


def test_stage_refusals(app):
    oid = opened(app)
    refused(
        app,
        "invalid_state",
        lambda: app.handle(SALES, AdvanceOpportunity(oid, to_stage="qualification")),
    )
    refused(
        app, "validation_error", lambda: app.handle(SALES, AdvanceOpportunity(oid, to_stage="won"))
    )
    refused(
        app,
        "invalid_state",
        lambda: app.handle(SALES, RegressOpportunity(oid, to_stage="proposal", reason="x")),
    )
    refused(
        app,
        "forbidden",
        lambda: app.handle(OTHER_SALES, AdvanceOpportunity(oid, to_stage="proposal")),
    )
    refused(
        app,
        "not_found",
        lambda: app.handle(SALES, AdvanceOpportunity(uuid4(), to_stage="proposal")),
    )
    refused(app, "invalid_state", lambda: app.handle(SALES, ReopenOpportunity(oid)))
    app.handle(MANAGER, AdvanceOpportunity(oid, to_stage="proposal"))
    assert app.get(oid, Opportunity).stage == "proposal"


def test_quote_and_negotiation_refusals(app):
    oid = opened(app)
    refused(
        app,
        "no_list_price",
        lambda: quoted(app, oid, lines=[{"sku": sku(), "quantity": 1, "unit_cost": "1"}]),
    )
    refused(app, "validation_error", lambda: quoted(app, oid, lines=[]))
    refused(
        app, "validation_error", lambda: quoted(app, oid, valid_until=TODAY - timedelta(days=1))
    )
    refused(app, "forbidden", lambda: quoted(app, oid, who=OTHER_SALES))
    refused(app, "validation_error", lambda: app.handle(SALES, RecordNegotiation(oid, summary=" ")))
    refused(app, "forbidden", lambda: app.handle(OTHER_SALES, RecordNegotiation(oid, summary="x")))
    app.handle(SALES, LoseOpportunity(oid, reason="timing"))
    refused(app, "invalid_state", lambda: quoted(app, oid))
    refused(app, "invalid_state", lambda: app.handle(SALES, RecordNegotiation(oid, summary="x")))


def test_lose_and_reopen(app):
    oid = opened(app)
    refused(
        app, "validation_error", lambda: app.handle(SALES, LoseOpportunity(oid, reason="weather"))
    )
    refused(app, "forbidden", lambda: app.handle(OTHER_SALES, LoseOpportunity(oid, reason="price")))
    app.handle(SALES, LoseOpportunity(oid, reason="competitor", competitor="Rival Ltd"))
    opportunity = app.get(oid, Opportunity)
    assert opportunity.loss == {"reason": "competitor", "competitor": "Rival Ltd"}
    refused(app, "invalid_state", lambda: app.handle(SALES, LoseOpportunity(oid, reason="price")))
    refused(app, "forbidden", lambda: app.handle(OTHER_SALES, ReopenOpportunity(oid)))
    app.handle(ADMIN, ReopenOpportunity(oid))
    assert app.get(oid, Opportunity).stage == "qualification"


def test_a_failed_win_leaves_neither_the_opportunity_changed_nor_a_contract(app):
    cid = customer(app)
    oid = opened(app, customer_id=cid, occurred_at=NOW - timedelta(days=5))
    expired = quoted(
        app, oid, valid_until=TODAY - timedelta(days=2), occurred_at=NOW - timedelta(days=4)
    )
    good = quoted(app, oid)
    version = app.get(oid, Opportunity).version
    due = TODAY + timedelta(days=30)
    refused(
        app,
        "quote_expired",
        lambda: app.handle(SALES, WinOpportunity(oid, quote_id=expired, delivery_due_on=due)),
    )
    refused(
        app,
        "validation_error",
        lambda: app.handle(SALES, WinOpportunity(oid, quote_id=uuid4(), delivery_due_on=due)),
    )
    # The contract's draft refuses the channel: the win is refused with it.
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            SALES, WinOpportunity(oid, quote_id=good, delivery_due_on=due, channel="telepathy")
        ),
    )
    refused(
        app,
        "forbidden",
        lambda: app.handle(OTHER_SALES, WinOpportunity(oid, quote_id=good, delivery_due_on=due)),
    )
    # A customer marked lost meanwhile: no contract is drafted for it.
    app.handle(MANAGER, MarkCustomerLost(cid, "closed down"))
    refused(
        app,
        "customer_lost",
        lambda: app.handle(SALES, WinOpportunity(oid, quote_id=good, delivery_due_on=due)),
    )
    opportunity = app.get(oid, Opportunity)
    assert (opportunity.version, opportunity.status, opportunity.contract_id) == (
        version,
        "open",
        None,
    )
    app.handle(MANAGER, ReopenCustomer(cid))
    contract_id = UUID(
        app.handle(MANAGER, WinOpportunity(oid, quote_id=good, delivery_due_on=due)).extra[
            "contract_id"
        ]
    )
    assert app.get(contract_id, Contract).owner_id == "sam"
    refused(
        app,
        "invalid_state",
        lambda: app.handle(SALES, WinOpportunity(oid, quote_id=good, delivery_due_on=due)),
    )


def test_every_event_carries_actor_and_business_time(app):
    at = NOW - timedelta(days=3)
    oid = opened(app, occurred_at=at)
    [event] = app.events.get(oid)
    assert (event.actor, event.occurred_at, event.probability) == ("sam", at, Decimal("0.10"))
    assert event.timestamp > at
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            SALES, AdvanceOpportunity(oid, to_stage="proposal", occurred_at=at - timedelta(hours=1))
        ),
    )
