"""Opportunity commands of the back office.

The application tells the opportunity what it cannot know itself: that the customer
exists (`validation_error` on `customer_id` otherwise) and its status, the stage
probabilities of the policy in force (stamped into the events), the list prices of
the quote day (`list_price(sku, on)` of the price-list commands), and whether the
caller may act on opportunities of others (sales_manager, admin).

A win drafts the contract (`Contract.draft`, inside `Opportunity.win`) and saves it in
the same `save()` as the opportunity's `Won` event: both or neither. The contract's
region is the customer's, as when a contract is drafted directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.customer import Customer
from domain.opportunity import Opportunity
from domain.values import Cause

if TYPE_CHECKING:
    from application.backoffice import Backoffice, Decision, Outcome, Request

# Roles that act on opportunities they do not own.
MANAGING_ROLES = frozenset({"sales_manager", "admin"})


def _manager(request: Request) -> bool:
    return bool(request.caller.roles & MANAGING_ROLES)


class OpportunityCommands:
    """The Opportunity commands; a part of `Backoffice`, whose machinery they use."""

    def open_opportunity(
        self: Backoffice,
        request: Request,
        *,
        customer_id: UUID,
        title: str,
        expected_value: Decimal,
        expected_close_on: date,
        source: str | None = None,
        competitors: Iterable[str] | None = None,
        owner_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Open an opportunity for a customer that is not lost."""

        def decide(cause: Cause) -> Decision:
            customer = self._customer_of(customer_id)
            opportunity = Opportunity.open(
                cause,
                id=uuid4(),
                customer_id=customer_id,
                customer_status=customer.status,
                title=title,
                expected_value=expected_value,
                expected_close_on=expected_close_on,
                probabilities=self.policy.stage_probabilities,
                source=source,
                competitors=competitors,
                owner_id=owner_id,
                manager=_manager(request),
                occurred_at=occurred_at,
            )
            return opportunity, (), {}

        return self._run(request, "opportunity.open", decide, created=True)

    def advance_opportunity(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        to_stage: str,
        note: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "opportunity.advance",
            opportunity_id,
            Opportunity,
            lambda o, cause: o.advance(
                cause,
                to_stage=to_stage,
                note=note,
                probabilities=self.policy.stage_probabilities,
                manager=_manager(request),
                occurred_at=occurred_at,
            ),
        )

    def regress_opportunity(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        to_stage: str,
        reason: str,
        note: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "opportunity.regress",
            opportunity_id,
            Opportunity,
            lambda o, cause: o.regress(
                cause,
                to_stage=to_stage,
                reason=reason,
                note=note,
                probabilities=self.policy.stage_probabilities,
                manager=_manager(request),
                occurred_at=occurred_at,
            ),
        )

    def add_quote(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        lines: list[Mapping[str, Any]],
        valid_until: date,
        payment_term_days: int,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Add a quote; the answer's id is the quote's (`quote_id` in the outcome's extra)."""
        quote_id = uuid4()

        def act(opportunity: Opportunity, cause: Cause) -> tuple[list, dict]:
            day = Opportunity.quote_day(cause, occurred_at)
            skus = [
                str(line.get("sku") or "").strip()
                for line in lines
                if isinstance(line, Mapping) and line.get("sku")
            ]
            opportunity.add_quote(
                cause,
                quote_id=quote_id,
                lines=lines,
                valid_until=valid_until,
                payment_term_days=payment_term_days,
                list_prices=self.list_prices(skus, day),
                manager=_manager(request),
                occurred_at=occurred_at,
            )
            return [], {"quote_id": str(quote_id)}

        return self._change(request, "opportunity.quote", opportunity_id, Opportunity, act)

    def record_negotiation(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        summary: str,
        concessions: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "opportunity.negotiation",
            opportunity_id,
            Opportunity,
            lambda o, cause: o.record_negotiation(
                cause,
                summary=summary,
                concessions=concessions,
                manager=_manager(request),
                occurred_at=occurred_at,
            ),
        )

    def win_opportunity(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        quote_id: UUID,
        delivery_due_on: date,
        channel: str = "direct",
        occurred_at: datetime | None = None,
    ) -> Outcome:
        """Win with a quote; the contract drafted from it is saved in the same transaction.

        The answer carries `contract_id`.
        """
        contract_id = uuid4()

        def act(opportunity: Opportunity, cause: Cause) -> tuple[list, dict]:
            customer = self._load(opportunity.customer_id, Customer)
            contract = opportunity.win(
                cause,
                quote_id=quote_id,
                delivery_due_on=delivery_due_on,
                contract_id=contract_id,
                customer_status=customer.status,
                region=customer.region,
                probabilities=self.policy.stage_probabilities,
                channel=channel,
                manager=_manager(request),
                occurred_at=occurred_at,
            )
            return [contract], {"contract_id": str(contract_id)}

        return self._change(request, "opportunity.win", opportunity_id, Opportunity, act)

    def lose_opportunity(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        reason: str,
        competitor: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "opportunity.lose",
            opportunity_id,
            Opportunity,
            lambda o, cause: o.lose(
                cause,
                reason=reason,
                competitor=competitor,
                probabilities=self.policy.stage_probabilities,
                manager=_manager(request),
                occurred_at=occurred_at,
            ),
        )

    def reopen_opportunity(
        self: Backoffice,
        request: Request,
        opportunity_id: UUID,
        *,
        occurred_at: datetime | None = None,
    ) -> Outcome:
        return self._change(
            request,
            "opportunity.reopen",
            opportunity_id,
            Opportunity,
            lambda o, cause: o.reopen(
                cause,
                probabilities=self.policy.stage_probabilities,
                manager=_manager(request),
                occurred_at=occurred_at,
            ),
        )
