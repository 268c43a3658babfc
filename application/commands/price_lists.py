"""PriceList commands (DOMAIN.md, PriceList): the list prices of skus and their windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from application.commands import Command

# The currency of a list created without naming one (the HTTP route names the deployment's).
DEFAULT_CURRENCY = "CNY"


@dataclass(frozen=True)
class CreatePriceList(Command):
    """Create a draft price list for a validity window, in the deployment's currency."""

    permission = "price_list.create"
    creates = True
    name: str
    valid_from: date
    valid_to: date | None = None
    currency: str = DEFAULT_CURRENCY


@dataclass(frozen=True)
class SetListPrice(Command):
    """Price a sku on a list (again); on a published list it takes effect at once."""

    permission = "price_list.set_price"
    price_list_id: UUID
    sku: str
    unit_price: Decimal
    floor_price: Decimal | None = None


@dataclass(frozen=True)
class RetireListPrice(Command):
    """Stop pricing a sku on a list; on a published list its window is freed."""

    permission = "price_list.retire_price"
    price_list_id: UUID
    sku: str


@dataclass(frozen=True)
class PublishPriceList(Command):
    """Put a draft list in force for its window; no other published list may overlap a sku."""

    permission = "price_list.publish"
    price_list_id: UUID
