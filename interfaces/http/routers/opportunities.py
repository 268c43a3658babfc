"""`/opportunities`: commands, the opportunity now and as of a time, its history, and the list.

`GET /opportunities/{id}` answers the aggregate (stage, quotes, negotiation rounds,
probability, value and weighted value); `GET /opportunities` the rows of the
`pipeline` read model, in the order they were opened, filtered by `status` (`open`,
`won`, `lost`), `stage`, `owner_id`, `customer_id` and `q` (text search on the title).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from application.commands.opportunities import (
    AddQuote,
    AdvanceOpportunity,
    LoseOpportunity,
    OpenOpportunity,
    RecordNegotiation,
    RegressOpportunity,
    ReopenOpportunity,
    WinOpportunity,
)
from domain.opportunity import Opportunity, Quote
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, money_text
from interfaces.http.openapi import COMMAND, CREATE, command_of, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import opportunities as bodies
from interfaces.http.schemas.answers import opportunities as answers

router = APIRouter(prefix="/opportunities", tags=["opportunities"])


def _money(amount: Any) -> str | None:
    return None if amount is None else str(amount)


def _quote(quote: Quote) -> dict[str, Any]:
    return {
        "id": str(quote["id"]),
        "quoted_on": quote["quoted_on"].isoformat(),
        "valid_until": quote["valid_until"].isoformat(),
        "payment_term_days": quote["payment_term_days"],
        "total": str(quote["total"]),
        "lines": [
            {
                "sku": line["sku"],
                "description": line["description"],
                "quantity": line["quantity"],
                "unit_price": str(line["unit_price"]),
                "unit_cost": str(line["unit_cost"]),
                "list_price": _money(line["list_price"]),
                "price_list_id": (
                    None if line["price_list_id"] is None else str(line["price_list_id"])
                ),
            }
            for line in quote["lines"]
        ],
    }


def represent(opportunity: Opportunity) -> dict[str, Any]:
    """An opportunity as `GET /opportunities/{id}` answers it."""
    return {
        "id": str(opportunity.id),
        "version": opportunity.version,
        "status": opportunity.status,
        "stage": opportunity.stage,
        "closed_from": opportunity.closed_from,
        "customer_id": str(opportunity.customer_id),
        "owner_id": opportunity.owner_id,
        "title": opportunity.title,
        "expected_value": str(opportunity.expected_value),
        "expected_close_on": opportunity.expected_close_on.isoformat(),
        "source": opportunity.source,
        "competitors": opportunity.competitors,
        "probability": float(opportunity.probability),
        "value": str(opportunity.value),
        "weighted_value": str(opportunity.weighted_value),
        "quotes": [_quote(q) for q in opportunity.quotes.values()],
        "negotiations": [
            {
                "occurred_at": iso_utc(n["occurred_at"]),
                "summary": n["summary"],
                "concessions": n["concessions"],
                "actor": n["actor"],
            }
            for n in opportunity.negotiations
        ],
        "regressions": opportunity.regressions,
        "contract_id": None if opportunity.contract_id is None else str(opportunity.contract_id),
        "won_quote_id": (
            None if opportunity.won_quote_id is None else str(opportunity.won_quote_id)
        ),
        "loss": opportunity.loss,
        "opened_at": iso_utc(opportunity.opened_at),
        "closed_at": iso_utc(opportunity.closed_at) if opportunity.closed_at else None,
        "created_at": iso_utc(opportunity.created_on),
        "updated_at": iso_utc(opportunity.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "customer_id": row["customer_id"],
        "owner_id": row["owner_id"],
        "status": row["status"],
        "stage": row["stage"],
        "expected_value": money_text(row["expected_value"]),
        "expected_close_on": row["expected_close_on"],
        "value": money_text(row["value"]),
        "probability": float(row["probability"]),
        "weighted_value": money_text(row["weighted_value"]),
        "contract_id": row["contract_id"],
        "loss_reason": row["loss_reason"],
        "opened_at": row["opened_at"],
        "closed_at": row["closed_at"],
        "version": row["version"],
        "created_at": row["created_at"],
        "position": row["created_position"],
    }


def _lines(lines: list[bodies.QuoteLine]) -> list[dict[str, Any]]:
    return [line.model_dump() for line in lines]


@router.post(
    "", status_code=201, openapi_extra=body_schema(bodies.OpenOpportunity), responses=CREATE
)
async def open_opportunity(call: CommandDep) -> JSONResponse:
    """Open an opportunity for a customer that is not lost (sales for themselves, sales_manager)."""
    body = await call.read(OpenOpportunity, bodies.OpenOpportunity)
    command = OpenOpportunity(
        customer_id=body.customer_id,
        title=body.title,
        expected_value=body.expected_value,
        expected_close_on=body.expected_close_on,
        source=body.source,
        competitors=body.competitors,
        owner_id=body.owner_id,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post(
    "/{opportunity_id}/advance", openapi_extra=body_schema(bodies.Advance), responses=COMMAND
)
async def advance(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Move forward one or more stages (its owner in sales, or a sales_manager)."""
    body = await call.read(AdvanceOpportunity, bodies.Advance, Target(Opportunity, opportunity_id))
    command = AdvanceOpportunity(
        opportunity_id, to_stage=body.to_stage, note=body.note, occurred_at=body.occurred_at
    )
    return await call.answer(command)


@router.post(
    "/{opportunity_id}/regress", openapi_extra=body_schema(bodies.Regress), responses=COMMAND
)
async def regress(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Move back to an earlier stage, with the reason (its owner in sales, or a sales_manager)."""
    body = await call.read(RegressOpportunity, bodies.Regress, Target(Opportunity, opportunity_id))
    command = RegressOpportunity(
        opportunity_id,
        to_stage=body.to_stage,
        reason=body.reason,
        note=body.note,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post(
    "/{opportunity_id}/quotes",
    status_code=201,
    openapi_extra=body_schema(bodies.AddQuote),
    responses=CREATE,
)
async def add_quote(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Add a quote; unpriced lines take the list price (its owner in sales, or a sales_manager)."""
    body = await call.read(AddQuote, bodies.AddQuote, Target(Opportunity, opportunity_id))
    command = AddQuote(
        opportunity_id,
        lines=_lines(body.lines),
        valid_until=body.valid_until,
        payment_term_days=body.payment_term_days,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command, created_id="quote_id")


@router.post(
    "/{opportunity_id}/negotiations",
    openapi_extra=body_schema(bodies.RecordNegotiation),
    responses=COMMAND,
)
async def record_negotiation(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Log a negotiation round and its concessions (its owner in sales, or a sales_manager)."""
    body = await call.read(
        RecordNegotiation, bodies.RecordNegotiation, Target(Opportunity, opportunity_id)
    )
    command = RecordNegotiation(
        opportunity_id,
        summary=body.summary,
        concessions=body.concessions,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post(
    "/{opportunity_id}/win",
    openapi_extra=body_schema(bodies.Win),
    responses=command_of(answers.OpportunityWon),
)
async def win(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Win with a valid quote, drafting its contract (its owner in sales, or a sales_manager)."""
    body = await call.read(WinOpportunity, bodies.Win, Target(Opportunity, opportunity_id))
    command = WinOpportunity(
        opportunity_id,
        quote_id=body.quote_id,
        delivery_due_on=body.delivery_due_on,
        channel=body.channel,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.post("/{opportunity_id}/lose", openapi_extra=body_schema(bodies.Lose), responses=COMMAND)
async def lose(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Close as lost, with the reason and competitor (its owner in sales, or a sales_manager)."""
    body = await call.read(LoseOpportunity, bodies.Lose, Target(Opportunity, opportunity_id))
    command = LoseOpportunity(
        opportunity_id, reason=body.reason, competitor=body.competitor, occurred_at=body.occurred_at
    )
    return await call.answer(command)


@router.post(
    "/{opportunity_id}/reopen", openapi_extra=body_schema(bodies.Reopen), responses=COMMAND
)
async def reopen(opportunity_id: UUID, call: CommandDep) -> JSONResponse:
    """Bring a lost opportunity back to qualification (its owner in sales, or a sales_manager)."""
    body = await call.read(ReopenOpportunity, bodies.Reopen, Target(Opportunity, opportunity_id))
    return await call.answer(ReopenOpportunity(opportunity_id, occurred_at=body.occurred_at))


@router.get("", responses=list_of(answers.OpportunityItem))
def list_opportunities(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    stage: str | None = None,
    owner_id: str | None = None,
    customer_id: str | None = None,
    q: Annotated[str | None, Query(description="text search on the title")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Opportunities in the order they were opened, filtered."""
    return directory_answer(
        services,
        "pipeline",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        stage=stage,
        owner_id=owner_id,
        customer_id=customer_id,
        q=q,
    )


@router.get("/{opportunity_id}", responses=read_of(answers.OpportunityView))
def get_opportunity(
    opportunity_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """An opportunity now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, Opportunity, opportunity_id, version, as_of, represent)


@router.get("/{opportunity_id}/history", responses=history_of())
def opportunity_history(
    opportunity_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of an opportunity, oldest first, with actor and both times."""
    return history_answer(services, Opportunity, opportunity_id, limit, cursor, wait_for)
