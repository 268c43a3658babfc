"""`/price-lists`: commands, the price list now and as of a time, its history, and the list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from domain.price_list import PriceList
from interfaces.http.commands import execute
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer
from interfaces.http.routes import aggregate_reads, body_schema, command_route
from interfaces.http.schemas import price_lists as bodies
from interfaces.http.schemas.common import Empty
from projections.events import iso_utc

router = APIRouter(prefix="/price-lists", tags=["price lists"])


def represent(price_list: PriceList) -> dict[str, Any]:
    """A price list as `GET /price-lists/{id}` answers it: its prices by sku."""
    return {
        "id": str(price_list.id),
        "version": price_list.version,
        "status": price_list.status,
        "name": price_list.name,
        "valid_from": price_list.valid_from.isoformat(),
        "valid_to": price_list.valid_to.isoformat() if price_list.valid_to else None,
        "currency": price_list.currency,
        "prices": [
            {
                "sku": price["sku"],
                "unit_price": str(price["unit_price"]),
                "floor_price": (
                    None if price["floor_price"] is None else str(price["floor_price"])
                ),
                "status": price["status"],
            }
            for _, price in sorted(price_list.prices.items())
        ],
        "published_at": iso_utc(price_list.published_at) if price_list.published_at else None,
        "published_by": price_list.published_by,
        "created_at": iso_utc(price_list.created_on),
        "updated_at": iso_utc(price_list.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "currency": row["currency"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
        "price_count": row["price_count"],
        "version": row["version"],
        "created_at": row["created_at"],
        "published_at": row["published_at"],
        "position": row["created_position"],
    }


async def create_price_list(
    http: Request, caller: CurrentCaller, services: ServicesDep
) -> JSONResponse:
    """PriceList command price_list.create (admin, finance, sales_manager); 201."""
    backoffice = services.backoffice
    currency = services.settings.currency
    return await execute(
        http,
        caller,
        services,
        permission="price_list.create",
        model=bodies.CreatePriceList,
        call=lambda command, body: backoffice.create_price_list(
            command, **body.model_dump(), currency=currency
        ),
        location=lambda o: f"{router.prefix}/{o.id}",
    )


# Created by hand rather than with `create_route`: the list takes the deployment's
# currency from the settings.
router.add_api_route(
    "",
    create_price_list,
    methods=["POST"],
    name="price_list.create",
    status_code=201,
    openapi_extra=body_schema(bodies.CreatePriceList),
)

command_route(
    router,
    PriceList,
    "/{id}/prices",
    "price_list.set_price",
    bodies.SetPrice,
    lambda a, c, i, b: a.set_list_price(c, i, **b.model_dump()),
)
command_route(
    router,
    PriceList,
    "/{id}/prices/{sub}/retire",
    "price_list.retire_price",
    Empty,
    lambda a, c, i, sku, b: a.retire_list_price(c, i, sku),
    sub=str,
)
command_route(
    router,
    PriceList,
    "/{id}/publish",
    "price_list.publish",
    Empty,
    lambda a, c, i, b: a.publish_price_list(c, i),
)


@router.get("")
def list_price_lists(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    sku: str | None = None,
    active_on: date | None = None,
    q: Annotated[str | None, Query(description="text search on the name")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Price lists in the order they were created, filtered: `sku` names lists with an
    active price for it, `active_on` published lists in force on that day."""
    return directory_answer(
        services,
        "price_lists",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        sku=sku,
        active_on=active_on.isoformat() if active_on else None,
        q=q,
    )


aggregate_reads(router, PriceList, represent)
