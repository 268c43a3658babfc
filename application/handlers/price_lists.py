"""Handlers of the price list commands: `(command, context) -> Decision` each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import uuid4

from application.commands.price_lists import (
    CreatePriceList,
    PublishPriceList,
    RetireListPrice,
    SetListPrice,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.price_list import ListPrice, PriceList, SkuPriceWindows


def sku_key(ctx: Context, sku: str) -> SkuPriceWindows | None:
    """The sku's key as stored (the windows of the published lists pricing it), or None."""
    key: SkuPriceWindows | None = ctx.find_key(SkuPriceWindows.id_for(sku.strip()))
    return key


def list_prices(ctx: Context, skus: Sequence[str], on: date) -> dict[str, ListPrice]:
    """The list prices in force on a day of those skus that have one (quotes, submit).

    Read from each sku's key aggregate, so it sees every publish saved so far.
    """
    found: dict[str, ListPrice] = {}
    for sku in dict.fromkeys(skus):
        key = sku_key(ctx, sku)
        price = None if key is None else key.price_on(on)
        if price is not None:
            found[sku] = price
    return found


def create_price_list(cmd: CreatePriceList, ctx: Context) -> Decision:
    price_list = PriceList.create(
        ctx.cause,
        id=uuid4(),
        name=cmd.name,
        valid_from=cmd.valid_from,
        valid_to=cmd.valid_to,
        currency=cmd.currency,
    )
    return Decision(price_list)


def set_list_price(cmd: SetListPrice, ctx: Context) -> Decision:
    """On a published list the sku's key is changed alongside (overlap rule)."""
    price_list = ctx.addressed(cmd.price_list_id, PriceList)
    key = sku_key(ctx, cmd.sku) if price_list.published and cmd.sku else None
    changed = price_list.set_price(
        ctx.cause, sku=cmd.sku, unit_price=cmd.unit_price, floor_price=cmd.floor_price, key=key
    )
    return Decision(price_list, tuple(changed))


def retire_list_price(cmd: RetireListPrice, ctx: Context) -> Decision:
    """On a published list the sku's key is changed alongside (its window freed)."""
    price_list = ctx.addressed(cmd.price_list_id, PriceList)
    key = sku_key(ctx, cmd.sku) if price_list.published and cmd.sku else None
    return Decision(price_list, tuple(price_list.retire_price(ctx.cause, sku=cmd.sku, key=key)))


def publish_price_list(cmd: PublishPriceList, ctx: Context) -> Decision:
    """The keys of the list's skus are saved with it (overlap rule)."""
    price_list = ctx.addressed(cmd.price_list_id, PriceList)
    keys = {sku: sku_key(ctx, sku) for sku in price_list.active_prices}
    return Decision(price_list, tuple(price_list.publish(ctx.cause, keys)))


HANDLERS: Handlers = {
    CreatePriceList: create_price_list,
    SetListPrice: set_list_price,
    RetireListPrice: retire_list_price,
    PublishPriceList: publish_price_list,
}
