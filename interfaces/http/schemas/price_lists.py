"""Bodies of the price-list commands (API.md, price-lists)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints

from interfaces.http.schemas.common import Command, Money, ShortText

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CreatePriceList(Command):
    name: ShortText
    valid_from: date
    valid_to: date | None = None


class SetPrice(Command):
    sku: Sku
    unit_price: Money = Field(gt=0)
    floor_price: Money | None = Field(default=None, gt=0)
