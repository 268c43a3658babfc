"""Bodies of the price-list commands (API.md, price-lists)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from interfaces.http.schemas.common import Command, Money, ShortText, example

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CreatePriceList(Command):
    model_config = example(
        {"name": "Price list 2027", "valid_from": "2027-01-01", "valid_to": "2027-12-31"}
    )
    name: ShortText
    valid_from: date
    valid_to: date | None = None


class SetPrice(Command):
    model_config = example({"sku": "PUMP-200", "unit_price": "12500.00", "floor_price": "11000.00"})
    sku: Sku
    unit_price: Money = Field(gt=0)
    floor_price: Money | None = Field(default=None, gt=0)
