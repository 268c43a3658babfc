"""`/price-lists`: commands, the price list now and as of a time, its history, and the list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from application.commands.price_lists import (
    CreatePriceList,
    PublishPriceList,
    RetireListPrice,
    SetListPrice,
)
from domain.price_list import PriceList
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import price_lists as bodies
from interfaces.http.schemas.answers import price_lists as answers
from interfaces.http.schemas.common import Empty

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


@router.post(
    "", status_code=201, openapi_extra=body_schema(bodies.CreatePriceList), responses=CREATE
)
async def create_price_list(call: CommandDep) -> JSONResponse:
    """Create a draft price list in the deployment's currency (sales_manager, finance)."""
    body = await call.read(CreatePriceList, bodies.CreatePriceList)
    command = CreatePriceList(
        name=body.name,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        currency=call.services.settings.currency,
    )
    return await call.answer(command)


@router.post(
    "/{price_list_id}/prices", openapi_extra=body_schema(bodies.SetPrice), responses=COMMAND
)
async def set_price(price_list_id: UUID, call: CommandDep) -> JSONResponse:
    """Price a sku on the list; on a published list at once (sales_manager, finance)."""
    body = await call.read(SetListPrice, bodies.SetPrice, Target(PriceList, price_list_id))
    command = SetListPrice(
        price_list_id, sku=body.sku, unit_price=body.unit_price, floor_price=body.floor_price
    )
    return await call.answer(command)


@router.post(
    "/{price_list_id}/prices/{sku}/retire", openapi_extra=body_schema(Empty), responses=COMMAND
)
async def retire_price(price_list_id: UUID, sku: str, call: CommandDep) -> JSONResponse:
    """Stop pricing a sku on the list (sales_manager, finance)."""
    # The target names no sku: the list refuses an unknown one itself (404, after If-Match).
    await call.read(RetireListPrice, Empty, Target(PriceList, price_list_id))
    return await call.answer(RetireListPrice(price_list_id, sku))


@router.post("/{price_list_id}/publish", openapi_extra=body_schema(Empty), responses=COMMAND)
async def publish(price_list_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the list in force unless another list prices a sku then (sales_manager, finance)."""
    await call.read(PublishPriceList, Empty, Target(PriceList, price_list_id))
    return await call.answer(PublishPriceList(price_list_id))


@router.get("", responses=list_of(answers.PriceListItem))
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


@router.get("/{price_list_id}", responses=read_of(answers.PriceListView))
def get_price_list(
    price_list_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A price list now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, PriceList, price_list_id, version, as_of, represent)


@router.get("/{price_list_id}/history", responses=history_of())
def price_list_history(
    price_list_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a price list, oldest first, with actor and both times."""
    return history_answer(services, PriceList, price_list_id, limit, cursor, wait_for)
