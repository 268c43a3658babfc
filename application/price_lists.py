"""PriceList commands of the back office, and the list-price lookup of quotes and submit.

The overlap rule is kept by one key aggregate per sku (`SkuPriceWindows`), saved in
the same `save()` as the list's event: see `domain/price_list.py`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain.price_list import ListPrice, PriceList, SkuPriceWindows
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request

DEFAULT_CURRENCY = "CNY"


class PriceListCommands:
    """The PriceList commands; a part of `Backoffice`, whose machinery they use."""

    # The lookup (quotes, contract submit).

    def list_price(self: Backoffice, sku: str, on: date) -> ListPrice | None:
        """The price of a sku on a day from the published list in force then, or None.

        Read from the sku's key aggregate, so it sees every publish saved so far.
        """
        key = self._find_key(SkuPriceWindows.id_for(sku.strip()))
        return None if key is None else key.price_on(on)

    def list_prices(self: Backoffice, skus: list[str], on: date) -> dict[str, ListPrice]:
        """The list prices in force on a day of those skus that have one."""
        found = {sku: self.list_price(sku, on) for sku in dict.fromkeys(skus)}
        return {sku: price for sku, price in found.items() if price is not None}

    def _sku_key(self: Backoffice, sku: str) -> SkuPriceWindows | None:
        return self._find_key(SkuPriceWindows.id_for(sku.strip()))

    # Commands.

    def create_price_list(
        self: Backoffice,
        request: Request,
        *,
        name: str,
        valid_from: date,
        valid_to: date | None = None,
        currency: str = DEFAULT_CURRENCY,
    ) -> Outcome:
        """Create a draft price list in the deployment's currency."""

        def decide(cause: Cause) -> Decision:
            price_list = PriceList.create(
                cause,
                id=uuid4(),
                name=name,
                valid_from=valid_from,
                valid_to=valid_to,
                currency=currency,
            )
            return price_list, (), {}

        return self._run(request, "price_list.create", decide, created=True)

    def set_list_price(
        self: Backoffice,
        request: Request,
        price_list_id: UUID,
        *,
        sku: str,
        unit_price: Decimal,
        floor_price: Decimal | None = None,
    ) -> Outcome:
        """Price a sku on a list; on a published list its key is changed alongside."""

        def act(price_list: PriceList, cause: Cause) -> tuple[list, dict]:
            key = self._sku_key(sku) if price_list.published and sku else None
            changed = price_list.set_price(
                cause, sku=sku, unit_price=unit_price, floor_price=floor_price, key=key
            )
            return changed, {}

        return self._change(request, "price_list.set_price", price_list_id, PriceList, act)

    def retire_list_price(
        self: Backoffice, request: Request, price_list_id: UUID, sku: str
    ) -> Outcome:
        """Stop pricing a sku on a list; on a published list its key is changed alongside."""

        def act(price_list: PriceList, cause: Cause) -> tuple[list, dict]:
            key = self._sku_key(sku) if price_list.published and sku else None
            return price_list.retire_price(cause, sku=sku, key=key), {}

        return self._change(request, "price_list.retire_price", price_list_id, PriceList, act)

    def publish_price_list(self: Backoffice, request: Request, price_list_id: UUID) -> Outcome:
        """Put a list in force; the keys of its skus are saved with it (overlap rule)."""

        def act(price_list: PriceList, cause: Cause) -> tuple[list, dict]:
            keys = {sku: self._sku_key(sku) for sku in price_list.active_prices}
            return price_list.publish(cause, keys), {}

        return self._change(request, "price_list.publish", price_list_id, PriceList, act)
