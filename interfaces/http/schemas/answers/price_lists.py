"""Answers of `/price-lists`: a price list and the directory."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from interfaces.http.schemas.answers.common import Aggregate, Answer, Listed, Money, Subject


class Price(Answer):
    """A sku's price on the list, and the floor below which no discount goes."""

    sku: str
    unit_price: Money
    floor_price: Money | None
    status: str


class PriceListView(Aggregate):
    """A price list: its validity, currency and prices by sku."""

    status: str
    name: str
    valid_from: date
    valid_to: date | None
    currency: str
    prices: list[Price]
    published_at: datetime | None
    published_by: Subject | None


class PriceListItem(Listed):
    """A price list in the directory."""

    name: str
    status: str
    currency: str
    valid_from: date
    valid_to: date | None
    price_count: int = Field(ge=0)
    created_at: datetime
    published_at: datetime | None
