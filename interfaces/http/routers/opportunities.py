"""`/opportunities`: commands, the opportunity now and as of a time, its history, and the list.

`GET /opportunities/{id}` answers the aggregate (stage, quotes, negotiation rounds,
probability, value and weighted value); `GET /opportunities` the rows of the
`pipeline` read model, in the order they were opened, filtered by `status` (`open`,
`won`, `lost`), `stage`, `owner_id`, `customer_id` and `q` (text search on the title).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.opportunity import Opportunity
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import opportunities as bodies
from projections.events import iso_utc
from projections.pipeline import money_text

router = APIRouter(prefix="/opportunities", tags=["opportunities"])


def _money(amount: Any) -> str | None:
    return None if amount is None else str(amount)


def _quote(quote: dict[str, Any]) -> dict[str, Any]:
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


create_route(
    router,
    Opportunity,
    "opportunity.open",
    bodies.OpenOpportunity,
    lambda a, c, b: a.open_opportunity(c, **b.model_dump()),
)
command_route(
    router,
    Opportunity,
    "/{id}/advance",
    "opportunity.advance",
    bodies.Advance,
    lambda a, c, i, b: a.advance_opportunity(c, i, **b.model_dump()),
)
command_route(
    router,
    Opportunity,
    "/{id}/regress",
    "opportunity.regress",
    bodies.Regress,
    lambda a, c, i, b: a.regress_opportunity(c, i, **b.model_dump()),
)
command_route(
    router,
    Opportunity,
    "/{id}/quotes",
    "opportunity.quote",
    bodies.AddQuote,
    lambda a, c, i, b: a.add_quote(c, i, **b.model_dump()),
    answer_with="quote_id",
)
command_route(
    router,
    Opportunity,
    "/{id}/negotiations",
    "opportunity.negotiation",
    bodies.RecordNegotiation,
    lambda a, c, i, b: a.record_negotiation(c, i, **b.model_dump()),
)
command_route(
    router,
    Opportunity,
    "/{id}/win",
    "opportunity.win",
    bodies.Win,
    lambda a, c, i, b: a.win_opportunity(c, i, **b.model_dump()),
)
command_route(
    router,
    Opportunity,
    "/{id}/lose",
    "opportunity.lose",
    bodies.Lose,
    lambda a, c, i, b: a.lose_opportunity(c, i, **b.model_dump()),
)
command_route(
    router,
    Opportunity,
    "/{id}/reopen",
    "opportunity.reopen",
    bodies.Reopen,
    lambda a, c, i, b: a.reopen_opportunity(c, i, **b.model_dump()),
)


@router.get("")
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


aggregate_reads(router, Opportunity, represent)
