"""Handlers of the Opportunity commands: `(command, context) -> Decision` each.

The handlers tell the opportunity what it cannot know itself: that the customer
exists and its status, the stage probabilities of the policy in force (stamped into
the events), the list prices of the quote day, and whether the caller may act on
opportunities of others (sales_manager, admin).
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import uuid4

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
from application.context import Context
from application.handlers import Handlers
from application.handlers.contracts import is_manager
from application.handlers.customers import customer_named
from application.handlers.price_lists import list_prices
from application.messages import Decision
from domain.customer import Customer
from domain.opportunity import Opportunity


def open_opportunity(cmd: OpenOpportunity, ctx: Context) -> Decision:
    """The customer must exist (`validation_error`) and not be lost (the opportunity checks)."""
    customer = customer_named(ctx, cmd.customer_id)
    opportunity = Opportunity.open(
        ctx.cause,
        id=uuid4(),
        customer_id=cmd.customer_id,
        customer_status=customer.status,
        title=cmd.title,
        expected_value=cmd.expected_value,
        expected_close_on=cmd.expected_close_on,
        probabilities=ctx.policy.stage_probabilities,
        source=cmd.source,
        competitors=cmd.competitors,
        owner_id=cmd.owner_id,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity)


def advance_opportunity(cmd: AdvanceOpportunity, ctx: Context) -> Decision:
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    opportunity.advance(
        ctx.cause,
        to_stage=cmd.to_stage,
        note=cmd.note,
        probabilities=ctx.policy.stage_probabilities,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity)


def regress_opportunity(cmd: RegressOpportunity, ctx: Context) -> Decision:
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    opportunity.regress(
        ctx.cause,
        to_stage=cmd.to_stage,
        reason=cmd.reason,
        note=cmd.note,
        probabilities=ctx.policy.stage_probabilities,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity)


def add_quote(cmd: AddQuote, ctx: Context) -> Decision:
    """Lines are priced from the lists in force on the quote day; answers `quote_id`."""
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    quote_id = uuid4()
    day = Opportunity.quote_day(ctx.cause, cmd.occurred_at)
    skus = [
        str(line.get("sku") or "").strip()
        for line in cmd.lines
        if isinstance(line, Mapping) and line.get("sku")
    ]
    opportunity.add_quote(
        ctx.cause,
        quote_id=quote_id,
        lines=cmd.lines,
        valid_until=cmd.valid_until,
        payment_term_days=cmd.payment_term_days,
        list_prices=list_prices(ctx, skus, day),
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity, extra={"quote_id": str(quote_id)})


def record_negotiation(cmd: RecordNegotiation, ctx: Context) -> Decision:
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    opportunity.record_negotiation(
        ctx.cause,
        summary=cmd.summary,
        concessions=cmd.concessions,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity)


def win_opportunity(cmd: WinOpportunity, ctx: Context) -> Decision:
    """The contract drafted from the quote is saved with the win; answers `contract_id`.

    The contract's region is the customer's, as when a contract is drafted directly.
    """
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    customer = ctx.load(opportunity.customer_id, Customer)
    contract_id = uuid4()
    contract = opportunity.win(
        ctx.cause,
        quote_id=cmd.quote_id,
        delivery_due_on=cmd.delivery_due_on,
        contract_id=contract_id,
        customer_status=customer.status,
        region=customer.region,
        probabilities=ctx.policy.stage_probabilities,
        channel=cmd.channel,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity, (contract,), {"contract_id": str(contract_id)})


def lose_opportunity(cmd: LoseOpportunity, ctx: Context) -> Decision:
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    opportunity.lose(
        ctx.cause,
        reason=cmd.reason,
        competitor=cmd.competitor,
        probabilities=ctx.policy.stage_probabilities,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity)


def reopen_opportunity(cmd: ReopenOpportunity, ctx: Context) -> Decision:
    opportunity = ctx.addressed(cmd.opportunity_id, Opportunity)
    opportunity.reopen(
        ctx.cause,
        probabilities=ctx.policy.stage_probabilities,
        manager=is_manager(ctx),
        occurred_at=cmd.occurred_at,
    )
    return Decision(opportunity)


HANDLERS: Handlers = {
    OpenOpportunity: open_opportunity,
    AdvanceOpportunity: advance_opportunity,
    RegressOpportunity: regress_opportunity,
    AddQuote: add_quote,
    RecordNegotiation: record_negotiation,
    WinOpportunity: win_opportunity,
    LoseOpportunity: lose_opportunity,
    ReopenOpportunity: reopen_opportunity,
}
