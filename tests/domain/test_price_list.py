"""PriceList rules and the sku key, in memory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.price_list import (
    ListPrice,
    PriceList,
    SkuPriceWindows,
    discount_limit_of,
    windows_overlap,
)
from tests.gwt import cause, given, then_events, then_refused

MIA = cause("mia")
JAN = date(2026, 1, 1)
JUN = date(2026, 6, 30)


def new_list(valid_from=JAN, valid_to=None, **more):
    return lambda: PriceList.create(
        MIA,
        id=uuid4(),
        name="Standard",
        valid_from=valid_from,
        valid_to=valid_to,
        currency="CNY",
        **more,
    )


def price(sku="AD", unit="100", floor=None):
    return lambda p: p.set_price(
        MIA,
        sku=sku,
        unit_price=Decimal(unit),
        floor_price=None if floor is None else Decimal(floor),
    )


def publish(keys=None):
    return lambda p: p.publish(MIA, keys or {})


def test_creating_records_the_window_and_currency():
    price_list = new_list(JAN, JUN)()
    [created] = price_list.collect_events()
    assert (created.name, created.valid_from, created.valid_to, created.currency) == (
        "Standard",
        JAN,
        JUN,
        "CNY",
    )
    assert price_list.status == "draft"
    assert price_list.prices == {}


def test_a_window_may_be_one_day_but_not_end_before_it_starts():
    new_list(JAN, JAN)()
    with pytest.raises(Exception) as refusal:
        new_list(JUN, JAN)()
    assert refusal.value.code == "validation_error"


def test_setting_a_price_again_replaces_it_and_its_floor():
    price_list = given(new_list(), price("AD", "100", "80"))
    then_events(price_list, price("AD", "90"))
    assert price_list.prices["AD"] == {
        "sku": "AD",
        "unit_price": Decimal("90.00"),
        "floor_price": None,
        "status": "active",
    }


@pytest.mark.parametrize(
    ("unit", "floor"),
    [("0", None), ("-5", None), ("1.005", None), ("10", "10.01"), ("10", "0"), ("10", "-1")],
)
def test_prices_are_positive_money_and_floors_not_above_them(unit, floor):
    then_refused(given(new_list()), price("AD", unit, floor), "validation_error")


def test_publishing_writes_a_window_on_each_active_skus_key():
    price_list = given(
        new_list(JAN, JUN),
        price("AD", "100", "80"),
        price("PR", "5"),
        price("OLD", "1"),
        lambda p: p.retire_price(MIA, sku="OLD"),
    )
    keys = price_list.publish(MIA, {})
    assert [k.sku for k in keys] == ["AD", "PR"]
    assert keys[0].id == SkuPriceWindows.id_for("AD")
    assert keys[0].price_on(JUN) == ListPrice(
        price_list.id, "AD", Decimal("100.00"), Decimal("80.00")
    )
    assert keys[0].price_on(date(2026, 7, 1)) is None
    [published] = [e for e in price_list.collect_events() if type(e).__name__ == "Published"]
    assert published.skus == ["AD", "PR"]
    assert price_list.status == "published"


def test_publishing_needs_a_draft_with_an_active_price():
    then_refused(given(new_list()), publish(), "validation_error")
    then_refused(
        given(new_list(), price("AD"), lambda p: p.retire_price(MIA, sku="AD")),
        publish(),
        "validation_error",
    )
    then_refused(given(new_list(), price("AD"), publish()), publish(), "invalid_state")


def test_retiring_needs_a_priced_sku_not_yet_retired():
    then_refused(given(new_list()), lambda p: p.retire_price(MIA, sku="AD"), "not_found")
    then_refused(
        given(new_list(), price("AD"), lambda p: p.retire_price(MIA, sku="AD")),
        lambda p: p.retire_price(MIA, sku="AD"),
        "invalid_state",
    )


def published_key(sku, valid_from, valid_to, list_id=None):
    key = SkuPriceWindows.of(MIA, sku, None)
    key.publish(
        MIA,
        price_list_id=list_id or uuid4(),
        valid_from=valid_from,
        valid_to=valid_to,
        unit_price=Decimal("10.00"),
        floor_price=None,
    )
    key.collect_events()
    return key


def test_a_list_overlapping_anothers_window_is_refused_with_its_id():
    other = uuid4()
    key = published_key("AD", JAN, JUN, other)
    price_list = given(new_list(JUN, None), price("AD"))
    error = then_refused(price_list, publish({"AD": key}), "price_list_overlap")
    assert error.facts["existing_id"] == str(other)
    assert key.collect_events() == []


def test_a_list_touching_anothers_window_is_published():
    key = published_key("AD", JAN, JUN)
    price_list = given(new_list(date(2026, 7, 1), None), price("AD", "12"))
    [changed] = price_list.publish(MIA, {"AD": key})
    assert changed is key
    assert key.price_on(JUN).unit_price == Decimal("10.00")
    assert key.price_on(date(2026, 7, 1)).unit_price == Decimal("12.00")


def test_repricing_a_published_list_republishes_its_window():
    price_list = given(new_list(JAN, JUN), price("AD", "100"))
    [key] = price_list.publish(MIA, {})
    price_list.collect_events()
    key.collect_events()
    assert price_list.set_price(MIA, sku="AD", unit_price=Decimal("90"), key=key) == [key]
    assert key.price_on(JAN).unit_price == Decimal("90.00")
    assert price_list.retire_price(MIA, sku="AD", key=key) == [key]
    assert key.price_on(JAN) is None


def test_a_draft_list_changes_no_key():
    price_list = given(new_list())
    assert price_list.set_price(MIA, sku="AD", unit_price=Decimal("1")) == []
    assert price_list.retire_price(MIA, sku="AD") == []


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((JAN, JUN), (JUN, None), True),
        ((JAN, JUN), (date(2026, 7, 1), None), False),
        ((JAN, None), (date(2099, 1, 1), date(2099, 1, 1)), True),
        ((JAN, None), (date(2020, 1, 1), date(2025, 12, 31)), False),
        ((JAN, None), (date(2020, 1, 1), None), True),
        ((JAN, JAN), (JAN, JAN), True),
    ],
)
def test_windows_overlap_when_they_share_a_day(a, b, overlap):
    assert windows_overlap(*a, *b) is overlap
    assert windows_overlap(*b, *a) is overlap


def test_the_discount_limit_is_the_highest_of_the_roles():
    limits = {"sales": Decimal("0.10"), "sales_manager": Decimal("0.20")}
    assert discount_limit_of(frozenset({"sales"}), limits) == (Decimal("0.10"), "sales")
    assert discount_limit_of(frozenset({"sales", "sales_manager"}), limits) == (
        Decimal("0.20"),
        "sales_manager",
    )
    assert discount_limit_of(frozenset({"admin"}), limits) == (Decimal("0"), None)
