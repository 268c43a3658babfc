"""PriceList commands through the application: the overlap rule over the sku keys."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from decimal import Decimal

import pytest

from application.commands.price_lists import (
    CreatePriceList,
    PublishPriceList,
    RetireListPrice,
    SetListPrice,
)
from application.queries import list_price, sku_price_windows
from domain.errors import DomainError
from domain.price_list import ListPrice, PriceList
from tests.conftest import as_, refused

MANAGER = as_("mia", "sales_manager")
FINANCE = as_("fiona", "finance")
SALES = as_("sam", "sales")
AUDITOR = as_("audrey", "auditor")


def sku() -> str:
    return f"SKU-{uuid.uuid4().hex[:8]}"


def price_list(app, valid_from=date(2026, 1, 1), valid_to=None, who=MANAGER, name="Standard"):
    return app.handle(who, CreatePriceList(name=name, valid_from=valid_from, valid_to=valid_to)).id


def published(app, skus, valid_from=date(2026, 1, 1), valid_to=None, price="100.00", floor=None):
    lid = price_list(app, valid_from, valid_to)
    for s in skus:
        app.handle(MANAGER, SetListPrice(lid, sku=s, unit_price=Decimal(price), floor_price=floor))
    app.handle(FINANCE, PublishPriceList(lid))
    return lid


# The lookup quotes and contract submit use.


def test_the_list_price_of_a_sku_is_the_published_list_in_force_that_day(app):
    a, b = sku(), sku()
    lid = published(app, [a], date(2026, 1, 1), date(2026, 6, 30), floor=Decimal("80.00"))
    assert list_price(app, a, date(2026, 3, 1)) == ListPrice(
        lid, a, Decimal("100.00"), Decimal("80.00")
    )
    assert list_price(app, a, date(2026, 1, 1)).price_list_id == lid
    assert list_price(app, a, date(2026, 6, 30)).price_list_id == lid
    assert list_price(app, a, date(2025, 12, 31)) is None
    assert list_price(app, a, date(2026, 7, 1)) is None
    assert list_price(app, b, date(2026, 3, 1)) is None


def test_a_draft_list_prices_nothing(app):
    a = sku()
    lid = price_list(app)
    app.handle(MANAGER, SetListPrice(lid, sku=a, unit_price=Decimal("10.00")))
    assert list_price(app, a, date(2026, 3, 1)) is None


def test_an_open_ended_list_prices_every_day_from_its_start(app):
    a = sku()
    lid = published(app, [a], date(2026, 1, 1), None)
    assert list_price(app, a, date(2099, 1, 1)).price_list_id == lid
    assert list_price(app, a, date(2025, 12, 31)) is None


def test_touching_lists_hand_over_from_one_day_to_the_next(app):
    a = sku()
    first = published(app, [a], date(2026, 1, 1), date(2026, 6, 30), price="100.00")
    second = published(app, [a], date(2026, 7, 1), None, price="110.00")
    assert list_price(app, a, date(2026, 6, 30)) == ListPrice(first, a, Decimal("100.00"), None)
    assert list_price(app, a, date(2026, 7, 1)) == ListPrice(second, a, Decimal("110.00"), None)


# Commands and refusals.


def test_create_set_price_and_publish(app):
    a, b = sku(), sku()
    lid = price_list(app, date(2026, 1, 1), date(2026, 12, 31))
    app.handle(
        FINANCE, SetListPrice(lid, sku=a, unit_price=Decimal("10.00"), floor_price=Decimal("8"))
    )
    app.handle(MANAGER, SetListPrice(lid, sku=b, unit_price=Decimal("20.00")))
    app.handle(MANAGER, RetireListPrice(lid, b))
    outcome = app.handle(MANAGER, PublishPriceList(lid))
    got = app.get(lid, PriceList)
    assert outcome.version == got.version == 5
    assert got.status == "published"
    assert got.currency == "CNY"
    assert got.prices[a] == {
        "sku": a,
        "unit_price": Decimal("10.00"),
        "floor_price": Decimal("8.00"),
        "status": "active",
    }
    assert got.prices[b]["status"] == "retired"
    assert list_price(app, b, date(2026, 3, 1)) is None
    assert list_price(app, a, date(2026, 3, 1)).unit_price == Decimal("10.00")


@pytest.mark.parametrize("who", [SALES, AUDITOR])
def test_only_sales_managers_and_finance_act_on_price_lists(app, who):
    refused(app, "forbidden", lambda: price_list(app, who=who))
    lid = price_list(app)
    refused(
        app,
        "forbidden",
        lambda: app.handle(who, SetListPrice(lid, sku=sku(), unit_price=Decimal(1))),
    )
    refused(app, "forbidden", lambda: app.handle(who, RetireListPrice(lid, "X")))
    refused(app, "forbidden", lambda: app.handle(who, PublishPriceList(lid)))


def test_bad_bodies_are_refused(app):
    refused(app, "validation_error", lambda: price_list(app, name="  "))
    refused(
        app,
        "validation_error",
        lambda: price_list(app, valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 31)),
    )
    lid = price_list(app, valid_from=date(2026, 2, 1), valid_to=date(2026, 2, 1))
    for unit_price, floor in (
        (Decimal("0"), None),
        (Decimal("-1.00"), None),
        (Decimal("1.001"), None),
        (Decimal("10.00"), Decimal("10.01")),
        (Decimal("10.00"), Decimal("0")),
    ):
        refused(
            app,
            "validation_error",
            lambda u=unit_price, f=floor: app.handle(
                MANAGER, SetListPrice(lid, sku=sku(), unit_price=u, floor_price=f)
            ),
        )
    refused(
        app,
        "validation_error",
        lambda: app.handle(MANAGER, SetListPrice(lid, sku=" ", unit_price=Decimal("1"))),
    )
    # A floor equal to the price is allowed.
    app.handle(
        MANAGER, SetListPrice(lid, sku=sku(), unit_price=Decimal("10"), floor_price=Decimal("10"))
    )


def test_a_list_without_prices_cannot_be_published(app):
    lid = price_list(app)
    error = refused(app, "validation_error", lambda: app.handle(MANAGER, PublishPriceList(lid)))
    assert error.errors[0]["field"] == "prices"
    a = sku()
    app.handle(MANAGER, SetListPrice(lid, sku=a, unit_price=Decimal("5")))
    app.handle(MANAGER, RetireListPrice(lid, a))
    refused(app, "validation_error", lambda: app.handle(MANAGER, PublishPriceList(lid)))


def test_publishing_twice_and_retiring_twice_are_invalid_states(app):
    a = sku()
    lid = published(app, [a])
    refused(app, "invalid_state", lambda: app.handle(MANAGER, PublishPriceList(lid)))
    app.handle(MANAGER, RetireListPrice(lid, a))
    refused(app, "invalid_state", lambda: app.handle(MANAGER, RetireListPrice(lid, a)))


def test_retiring_a_sku_the_list_does_not_price_is_not_found(app):
    lid = price_list(app)
    refused(app, "not_found", lambda: app.handle(MANAGER, RetireListPrice(lid, "NOPE")))
    refused(app, "not_found", lambda: app.handle(MANAGER, PublishPriceList(uuid.uuid4())))


# The overlap rule.


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((date(2026, 1, 1), date(2026, 6, 30)), (date(2026, 6, 30), date(2026, 12, 31))),
        ((date(2026, 1, 1), None), (date(2030, 1, 1), date(2030, 1, 1))),
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 1, 1), None)),
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 10), date(2026, 3, 12))),
        ((date(2026, 1, 1), None), (date(2025, 1, 1), None)),
    ],
)
def test_two_published_lists_may_not_price_a_sku_on_one_day(app, first, second):
    a, b = sku(), sku()
    existing = published(app, [a], *first)
    lid = price_list(app, *second)
    app.handle(MANAGER, SetListPrice(lid, sku=b, unit_price=Decimal("1")))
    app.handle(MANAGER, SetListPrice(lid, sku=a, unit_price=Decimal("1")))
    error = refused(app, "price_list_overlap", lambda: app.handle(MANAGER, PublishPriceList(lid)))
    assert error.facts["existing_id"] == str(existing)
    assert error.facts["sku"] == a
    assert app.get(lid, PriceList).status == "draft"
    # The key of the other sku was not written either.
    assert list_price(app, b, second[0]) is None


def test_lists_pricing_other_skus_or_touching_windows_may_both_be_published(app):
    a, b = sku(), sku()
    published(app, [a], date(2026, 1, 1), date(2026, 6, 30))
    published(app, [b], date(2026, 1, 1), date(2026, 6, 30))
    published(app, [a], date(2026, 7, 1), date(2026, 7, 31))
    published(app, [a], date(2025, 1, 1), date(2025, 12, 31))
    published(app, [a, b], date(2026, 8, 1), None)


def test_a_retired_price_leaves_the_window_free_for_another_list(app):
    a = sku()
    first = published(app, [a, sku()])
    app.handle(FINANCE, RetireListPrice(first, a))
    assert list_price(app, a, date(2026, 2, 1)) is None
    second = published(app, [a], date(2026, 1, 1), date(2026, 12, 31))
    assert list_price(app, a, date(2026, 2, 1)).price_list_id == second
    # Pricing it again on the first list would now overlap the second.
    error = refused(
        app,
        "price_list_overlap",
        lambda: app.handle(MANAGER, SetListPrice(first, sku=a, unit_price=Decimal("3"))),
    )
    assert error.facts["existing_id"] == str(second)


def test_repricing_a_published_list_takes_effect_at_once(app):
    a, b = sku(), sku()
    lid = published(app, [a])
    app.handle(
        MANAGER, SetListPrice(lid, sku=a, unit_price=Decimal("90.00"), floor_price=Decimal("70"))
    )
    assert list_price(app, a, date(2026, 2, 1)) == ListPrice(
        lid, a, Decimal("90.00"), Decimal("70.00")
    )
    app.handle(MANAGER, SetListPrice(lid, sku=b, unit_price=Decimal("5.00")))
    assert list_price(app, b, date(2026, 2, 1)).price_list_id == lid
    key = sku_price_windows(app, a)
    assert list(key.windows) == [str(lid)]


@pytest.mark.parametrize("attempt", range(3))
def test_two_publishes_at_once_leave_exactly_one_published(app, attempt):
    a = sku()
    lists = []
    for _ in range(2):
        lid = price_list(app, date(2026, 1, 1), None)
        app.handle(MANAGER, SetListPrice(lid, sku=a, unit_price=Decimal("10")))
        lists.append(lid)
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def publish(index: int) -> None:
        barrier.wait()
        try:
            results[index] = app.handle(MANAGER, PublishPriceList(lists[index]))
        except DomainError as error:
            results[index] = error.code

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [app.get(lid, PriceList).status for lid in lists]
    assert sorted(statuses) == ["draft", "published"]
    assert sorted(r if isinstance(r, str) else "ok" for r in results.values()) == [
        "ok",
        "price_list_overlap",
    ]
    winner = lists[statuses.index("published")]
    assert list_price(app, a, date(2026, 5, 1)).price_list_id == winner
    key = sku_price_windows(app, a)
    assert list(key.windows) == [str(winner)]
