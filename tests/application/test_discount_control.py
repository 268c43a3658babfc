"""Discount control at contract submit, against published price lists, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from application.backoffice import Backoffice, Policy
from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    DraftContract,
    RejectContractReview,
    SubmitContract,
)
from application.commands.price_lists import CreatePriceList, PublishPriceList, SetListPrice
from domain.contract import Contract
from tests.conftest import as_, refused
from tests.factories import customer

SALES = as_("sam", "sales")
MANAGER = as_("mia", "sales_manager")
OTHER_MANAGER = as_("max", "sales_manager")
BOTH = as_("sue", "sales", "sales_manager")
ADMIN = as_("ada", "admin")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
EXECUTIVE = as_("eve", "executive")

TODAY = datetime.now(UTC).date()


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


def listed(app, price="100.00", floor=None, valid_from=None, valid_to=None, skus=None):
    """A published list pricing fresh skus (or those given) at a price and floor."""
    skus = skus or [sku()]
    lid = app.handle(
        MANAGER,
        CreatePriceList(
            name="Standard", valid_from=valid_from or TODAY - timedelta(days=30), valid_to=valid_to
        ),
    ).id
    for s in skus:
        app.handle(
            MANAGER,
            SetListPrice(
                lid,
                sku=s,
                unit_price=Decimal(price),
                floor_price=None if floor is None else Decimal(floor),
            ),
        )
    app.handle(FINANCE, PublishPriceList(lid))
    return skus[0] if len(skus) == 1 else skus


def line(code, price, cost="10.00", quantity=1):
    return {
        "sku": code,
        "quantity": quantity,
        "unit_price": Decimal(price),
        "unit_cost": Decimal(cost),
    }


def drafted(app, *lines, owner=SALES):
    return app.handle(
        owner,
        DraftContract(
            customer_id=customer(app),
            channel="direct",
            lines=list(lines),
            payment_term_days=30,
            delivery_due_on=TODAY + timedelta(days=30),
        ),
    ).id


def submitted(app, *lines, owner=SALES, submitter=None):
    kid = drafted(app, *lines, owner=owner)
    app.handle(submitter or owner, SubmitContract(kid))
    return app.get(kid, Contract)


def departments(contract):
    return [r["department"] for r in contract.required_reviews]


def reason(contract, department):
    return next(r["reason"] for r in contract.required_reviews if r["department"] == department)


def submit_event(app, contract):
    return [e for e in app.events.get(contract.id) if type(e).__name__ == "Submitted"][-1]


# The thresholds: a sales submitter may give 10 %, a sales manager 20 %.


@pytest.mark.parametrize(
    ("who", "price", "needs_pricing"),
    [
        (SALES, "90.01", False),  # 9.99 %
        (SALES, "90.00", False),  # exactly 10 %
        (SALES, "89.99", True),  # 10.01 %
        (MANAGER, "80.01", False),
        (MANAGER, "80.00", False),
        (MANAGER, "79.99", True),
        (BOTH, "80.00", False),  # the highest limit of the submitter's roles
        (BOTH, "79.99", True),
    ],
)
def test_a_discount_strictly_above_the_submitters_limit_needs_pricing(
    app, who, price, needs_pricing
):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, price), owner=who)
    expected = ["legal", "finance", "pricing"] if needs_pricing else ["legal", "finance"]
    assert departments(contract) == expected
    assert contract.reviews == {d: "pending" for d in expected}
    event = submit_event(app, contract)
    role = "sales" if who is SALES else "sales_manager"
    limit = Decimal("0.10") if who is SALES else Decimal("0.20")
    assert (event.discount_limit, event.discount_limit_role) == (limit, role)
    [priced] = event.line_pricing
    assert priced["sku"] == code
    assert priced["list_price"] == Decimal("100.00")
    assert priced["discount"] == ((Decimal(100) - Decimal(price)) / 100).quantize(Decimal("0.0001"))
    if needs_pricing:
        percent = f"{Decimal(100) - Decimal(price):.2f}%"
        assert reason(contract, "pricing") == (
            f"discount {percent} on {code} above the {role} limit {limit * 100:.2f}%"
        )


def test_the_reason_reads_as_a_sentence(app):
    code = listed(app, "80.00")
    contract = submitted(app, line(code, "70.00"))
    assert reason(contract, "pricing") == (
        f"discount 12.50% on {code} above the sales limit 10.00%"
    )


def test_a_manager_submitting_a_sales_owners_contract_uses_the_managers_limit(app):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, "85.00"), owner=SALES, submitter=MANAGER)
    assert departments(contract) == ["legal", "finance"]
    assert submit_event(app, contract).discount_limit_role == "sales_manager"


def test_a_submitter_without_a_discount_role_has_no_discount_to_give(app):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, "99.99"), owner=SALES, submitter=ADMIN)
    assert departments(contract) == ["legal", "finance", "pricing"]
    assert "without a discount role 0.00%" in reason(contract, "pricing")
    event = submit_event(app, contract)
    assert (event.discount_limit, event.discount_limit_role) == (Decimal("0"), None)
    at_list = submitted(app, line(code, "100.00"), owner=SALES, submitter=ADMIN)
    assert departments(at_list) == ["legal", "finance"]


def test_a_price_above_the_list_needs_no_review(app):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, "130.00"))
    assert departments(contract) == ["legal", "finance"]
    assert submit_event(app, contract).line_pricing[0]["discount"] == Decimal("-0.3000")


# Cost and floor: an executive review.


def test_a_price_below_the_floor_needs_an_executive(app):
    code = listed(app, "100.00", floor="95.00")
    contract = submitted(app, line(code, "94.99", cost="10"))
    assert departments(contract) == ["legal", "finance", "executive"]
    assert reason(contract, "executive") == f"priced below floor: {code} (floor 95.00)"
    at_floor = submitted(app, line(code, "95.00", cost="10"))
    assert departments(at_floor) == ["legal", "finance"]


def test_a_price_below_cost_still_needs_an_executive(app):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, "95.00", cost="95.01"))
    assert departments(contract) == ["legal", "finance", "executive"]
    assert reason(contract, "executive") == f"priced below cost: {code}"
    at_cost = submitted(app, line(code, "95.00", cost="95.00"))
    assert departments(at_cost) == ["legal", "finance"]


def test_every_reason_is_given_once_per_department(app):
    a, b = listed(app, "100.00", floor="70.00", skus=[sku(), sku()])
    contract = submitted(app, line(a, "60.00", cost="65.00"), line(b, "85.00"))
    assert departments(contract) == ["legal", "finance", "pricing", "executive"]
    assert reason(contract, "pricing") == (
        f"discount 40.00% on {a} above the sales limit 10.00%; "
        f"discount 15.00% on {b} above the sales limit 10.00%"
    )
    assert reason(contract, "executive") == (
        f"priced below cost: {a}; priced below floor: {a} (floor 70.00)"
    )


# Which list applies: the one in force on the submit day.


def test_only_the_list_in_force_on_the_submit_day_counts(app):
    code = sku()
    listed(
        app,
        "100.00",
        valid_from=TODAY - timedelta(days=60),
        valid_to=TODAY - timedelta(days=1),
        skus=[code],
    )
    listed(app, "200.00", valid_from=TODAY + timedelta(days=1), skus=[code])
    contract = submitted(app, line(code, "50.00"))
    assert departments(contract) == ["legal", "finance"]
    assert submit_event(app, contract).line_pricing == []


# No list price.


def test_without_a_list_price_a_contract_behaves_as_before(app):
    contract = submitted(app, line(sku(), "1.00", cost="0.50"))
    assert departments(contract) == ["legal", "finance"]
    assert contract.required_reviews == [
        {"department": "legal", "reason": "every contract"},
        {"department": "finance", "reason": "every contract"},
    ]


def test_with_require_list_price_a_sku_without_one_needs_pricing(services):
    strict = Backoffice(services.settings.persistence_env(), policy=Policy(require_list_price=True))
    try:
        code, unlisted = listed(strict, "100.00"), sku()
        kid = drafted(strict, line(code, "100.00"), line(unlisted, "5.00", cost="1.00"))
        strict.handle(SALES, SubmitContract(kid))
        contract = strict.get(kid, Contract)
        assert departments(contract) == ["legal", "finance", "pricing"]
        assert reason(contract, "pricing") == f"no active list price for {unlisted}"
        listed_only = drafted(strict, line(code, "100.00"))
        strict.handle(SALES, SubmitContract(listed_only))
        assert departments(strict.get(listed_only, Contract)) == ["legal", "finance"]
    finally:
        strict.close()


def test_discount_limits_come_from_the_policy(services):
    generous = Backoffice(
        services.settings.persistence_env(),
        policy=Policy(discount_limits={"sales": Decimal("0.50"), "sales_manager": Decimal("0.6")}),
    )
    try:
        code = listed(generous, "100.00")
        kid = drafted(generous, line(code, "50.00"))
        generous.handle(SALES, SubmitContract(kid))
        assert departments(generous.get(kid, Contract)) == ["legal", "finance"]
    finally:
        generous.close()


# The pricing review: a sales manager, not the owner nor the submitter.


def test_pricing_is_approved_by_another_sales_manager(app):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, "50.00"), owner=MANAGER)
    kid = contract.id
    refused(app, "forbidden", lambda: app.handle(LEGAL, ApproveContractReview(kid, "pricing")))
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(MANAGER, ApproveContractReview(kid, "pricing")),
    )
    refused(
        app,
        "review_not_required",
        lambda: app.handle(EXECUTIVE, ApproveContractReview(kid, "executive")),
    )
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    app.handle(FINANCE, ApproveContractReview(kid, "finance"))
    assert app.get(kid, Contract).status == "in_review"
    app.handle(OTHER_MANAGER, ApproveContractReview(kid, "pricing"))
    assert app.get(kid, Contract).status == "approved"


def test_pricing_review_by_the_submitter_is_refused(app):
    code = listed(app, "100.00")
    contract = submitted(app, line(code, "50.00"), owner=SALES, submitter=MANAGER)
    refused(
        app,
        "segregation_of_duties",
        lambda: app.handle(MANAGER, ApproveContractReview(contract.id, "pricing")),
    )


def test_a_pricing_rejection_returns_the_contract_to_draft(app):
    code = listed(app, "100.00")
    kid = submitted(app, line(code, "50.00")).id
    app.handle(LEGAL, ApproveContractReview(kid, "legal"))
    app.handle(MANAGER, RejectContractReview(kid, "pricing", "too cheap"))
    got = app.get(kid, Contract)
    assert got.status == "draft"
    assert got.reviews == {
        "legal": "pending",
        "finance": "pending",
        "pricing": "rejected",
    }
    app.handle(SALES, AmendContract(kid, {"lines": [line(code, "95.00")]}))
    app.handle(SALES, SubmitContract(kid))
    assert departments(app.get(kid, Contract)) == ["legal", "finance"]


def test_a_contract_needing_no_pricing_refuses_a_pricing_approval(app):
    code = listed(app, "100.00")
    kid = submitted(app, line(code, "100.00")).id
    refused(
        app,
        "review_not_required",
        lambda: app.handle(MANAGER, ApproveContractReview(kid, "pricing")),
    )


def test_a_refused_submit_stores_nothing_even_with_list_prices(app):
    code = listed(app, "100.00")
    kid = drafted(app, line(code, "10.00"))
    refused(app, "forbidden", lambda: app.handle(as_("sid", "sales"), SubmitContract(kid)))
    app.handle(SALES, SubmitContract(kid))
    refused(app, "invalid_state", lambda: app.handle(SALES, SubmitContract(kid)))


def test_the_day_is_the_submit_day_in_utc(services):
    code = sku()
    day = date(2026, 3, 31)
    listed(
        services.backoffice,
        "100.00",
        valid_from=day - timedelta(days=10),
        valid_to=day,
        skus=[code],
    )
    # Submitted one minute before midnight at the end of the list's last day.
    late = Backoffice(
        services.settings.persistence_env(),
        clock=lambda: datetime(2026, 3, 31, 23, 59, tzinfo=UTC),
    )
    next_day = Backoffice(
        services.settings.persistence_env(),
        clock=lambda: datetime(2026, 4, 1, 0, 1, tzinfo=UTC),
    )
    try:
        kid = drafted(late, line(code, "50.00"))
        late.handle(SALES, SubmitContract(kid))
        assert departments(late.get(kid, Contract)) == ["legal", "finance", "pricing"]
        other = drafted(next_day, line(code, "50.00"))
        next_day.handle(SALES, SubmitContract(other))
        assert departments(next_day.get(other, Contract)) == ["legal", "finance"]
    finally:
        late.close()
        next_day.close()
