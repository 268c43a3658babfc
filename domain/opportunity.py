"""Opportunity: the sales pipeline between a lead and a contract.

Rulebook: 客戶開發計劃, 銷售談判, 談判策略. DOMAIN.md, Opportunity, gives the stages
`qualification -> needs_analysis -> proposal -> negotiation`, then `won` or `lost`.

Decisions where DOMAIN.md is silent:

- `status` is `open`, `won` or `lost`; `stage` is one of the four open stages while
  open, and `won` or `lost` once closed (`closed_from` keeps the stage it closed from).
- Probabilities are stamped: each event that sets the stage carries the probability
  of the policy in force then (`Opened`, `Advanced`, `Regressed`, `Reopened`, `Won`,
  `Lost`), so a past pipeline keeps the weights it had when a setting changes later.
- The opportunity's value is its expected value until a quote is added; from then on
  it is the total of the latest quote (a quote is the better estimate), and a win is
  worth the won quote's total.
- Every command takes an optional `occurred_at` (business time, the back-dating
  window applies); a quote's day (its list prices, its validity) is the UTC day of its
  `occurred_at`, a win's day that of the win. An event never lies before the business
  time of the opportunity's previous event -> `validation_error`.
- A quote names each sku once; a line without `unit_price` takes the list price of
  that sku on the quote day (`no_list_price` when none); the quote keeps the list
  price of every line that has one. `valid_until` may not lie before the quote day.
  A line's `description` is optional; the contract line takes it, or else the
  opportunity's title.
- Win drafts the contract (`Contract.draft`, exactly as the contract commands do) for
  the opportunity's customer and owner, with the quote's lines and payment term; the
  contract is returned to the application, which saves it with the `Won` event. An
  unknown quote is a `validation_error` on `quote_id`; a quote whose `valid_until` lies
  before the win day is `quote_expired`; a customer marked `lost` meanwhile refuses the
  win (`customer_lost`), as it refuses opening.
- Identity: a holder of `sales` alone acts only on opportunities they own, and opens
  only for themselves (`forbidden`, checked after the state); sales_manager and admin
  act on any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from domain.base import MopsAggregate
from domain.contract import Contract, Line
from domain.contract import _lines as contract_lines
from domain.errors import (
    CustomerLost,
    Forbidden,
    InvalidState,
    NoListPrice,
    QuoteExpired,
    ValidationFailed,
)
from domain.price_list import ListPrice
from domain.values import Cause, money, required_text, same_subject

ZERO = Decimal("0.00")


class Stage(StrEnum):
    QUALIFICATION = "qualification"
    NEEDS_ANALYSIS = "needs_analysis"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"


# The open stages in funnel order.
STAGES = tuple(stage.value for stage in Stage)


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LossReason(StrEnum):
    PRICE = "price"
    PRODUCT = "product"
    TIMING = "timing"
    COMPETITOR = "competitor"
    NO_DECISION = "no_decision"
    OTHER = "other"


class QuoteLine(TypedDict):
    """A line of a quote: a contract line plus the list price of its sku on the quote day."""

    sku: str
    description: str | None
    quantity: int
    unit_price: Decimal
    unit_cost: Decimal
    list_price: Decimal | None
    price_list_id: UUID | None


class Quote(TypedDict):
    """An immutable quote of an opportunity."""

    id: UUID
    quoted_on: date
    lines: list[QuoteLine]
    valid_until: date
    payment_term_days: int
    total: Decimal


class Negotiation(TypedDict):
    """A negotiation round: what was discussed and conceded, by whom."""

    occurred_at: datetime
    summary: str
    concessions: str | None
    actor: str


class Loss(TypedDict):
    """Why an opportunity was lost, and to whom if known."""

    reason: str
    competitor: str | None


def _stage(value: str, field: str = "to_stage") -> str:
    if value not in STAGES:
        raise ValidationFailed.of(field, f"must be one of {', '.join(STAGES)}")
    return value


def _probability(probabilities: Mapping[str, Decimal], stage: str) -> Decimal:
    return Decimal(probabilities[stage])


def _competitors(names: Iterable[str] | None) -> list[str]:
    cleaned: list[str] = []
    for index, name in enumerate(names or ()):
        text = required_text(name, f"competitors.{index}", 200)
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def _payment_term(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
        raise ValidationFailed.of("payment_term_days", "must be a whole number of days, 0 to 3650")
    return days


def quote_lines(
    lines: Iterable[Mapping[str, Any]], list_prices: Mapping[str, ListPrice]
) -> list[QuoteLine]:
    """Quote lines, checked and priced: a line without a unit price takes its list price.

    The lines are checked by the contract's own rules (`domain.contract`), so that the
    contract a win drafts from a quote never fails on its lines; each keeps the list
    price of its sku on the quote day, when there is one.
    """
    lines = list(lines)
    if not lines:
        raise ValidationFailed.of("lines", "a quote has at least one line")
    missing: list[str] = []
    priced: list[dict[str, Any]] = []
    for line in lines:
        sku = str(line.get("sku") or "").strip()
        unit_price = line.get("unit_price")
        if unit_price is None:
            listed = list_prices.get(sku)
            if listed is None:
                missing.append(sku)
            unit_price = listed.unit_price if listed is not None else ZERO
        priced.append({**line, "unit_price": unit_price})
    cleaned = contract_lines(priced)
    if missing:
        raise NoListPrice(
            f"no list price on the quote day for: {', '.join(missing)}; give a unit price",
            skus=missing,
        )
    return [_with_list_price(line, list_prices.get(line["sku"])) for line in cleaned]


def _with_list_price(line: Line, listed: ListPrice | None) -> QuoteLine:
    return {
        "sku": line["sku"],
        "description": line["description"],
        "quantity": line["quantity"],
        "unit_price": line["unit_price"],
        "unit_cost": line["unit_cost"],
        "list_price": None if listed is None else listed.unit_price,
        "price_list_id": None if listed is None else listed.price_list_id,
    }


class Opportunity(MopsAggregate):
    """A sales opportunity: stages, quotes, negotiation rounds, and its win or loss."""

    # Declared state, assigned only by the events' apply methods. Declared for readers and
    # the type checker only: annotations in the class body at run time would make the
    # library turn the aggregate into a dataclass with a generated __init__.
    if TYPE_CHECKING:
        customer_id: UUID
        owner_id: str
        title: str
        expected_value: Decimal
        expected_close_on: date
        source: str | None
        competitors: list[str]
        status: str
        stage: str
        probability: Decimal
        quotes: dict[str, Quote]
        latest_quote_id: UUID | None
        negotiations: list[Negotiation]
        regressions: int
        closed_from: str | None
        contract_id: UUID | None
        won_quote_id: UUID | None
        loss: Loss | None
        opened_at: datetime
        closed_at: datetime | None
        last_occurred_at: datetime

    class Opened(MopsAggregate.Created):
        customer_id: UUID
        owner_id: str
        title: str
        expected_value: Decimal
        expected_close_on: date
        source: str | None
        competitors: list[str]
        stage: str
        probability: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.customer_id = self.customer_id
            opportunity.owner_id = self.owner_id
            opportunity.title = self.title
            opportunity.expected_value = self.expected_value
            opportunity.expected_close_on = self.expected_close_on
            opportunity.source = self.source
            opportunity.competitors = self.competitors
            opportunity.status = OpportunityStatus.OPEN.value
            opportunity.stage = self.stage
            opportunity.probability = self.probability
            opportunity.quotes = {}
            opportunity.latest_quote_id = None
            opportunity.negotiations = []
            opportunity.regressions = 0
            opportunity.closed_from = None
            opportunity.contract_id = None
            opportunity.won_quote_id = None
            opportunity.loss = None
            opportunity.opened_at = self.occurred_at
            opportunity.closed_at = None
            opportunity.last_occurred_at = self.occurred_at

    class Advanced(MopsAggregate.Event):
        from_stage: str
        to_stage: str
        note: str | None
        probability: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.stage = self.to_stage
            opportunity.probability = self.probability
            opportunity.last_occurred_at = self.occurred_at

    class Regressed(MopsAggregate.Event):
        from_stage: str
        to_stage: str
        reason: str
        note: str | None
        probability: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.stage = self.to_stage
            opportunity.probability = self.probability
            opportunity.regressions += 1
            opportunity.last_occurred_at = self.occurred_at

    class QuoteAdded(MopsAggregate.Event):
        quote_id: UUID
        quoted_on: date
        lines: list[QuoteLine]
        valid_until: date
        payment_term_days: int
        total: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.quotes = {
                **opportunity.quotes,
                str(self.quote_id): {
                    "id": self.quote_id,
                    "quoted_on": self.quoted_on,
                    "lines": self.lines,
                    "valid_until": self.valid_until,
                    "payment_term_days": self.payment_term_days,
                    "total": self.total,
                },
            }
            opportunity.latest_quote_id = self.quote_id
            opportunity.last_occurred_at = self.occurred_at

    class NegotiationRecorded(MopsAggregate.Event):
        summary: str
        concessions: str | None

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.negotiations = [
                *opportunity.negotiations,
                {
                    "occurred_at": self.occurred_at,
                    "summary": self.summary,
                    "concessions": self.concessions,
                    "actor": self.actor,
                },
            ]
            opportunity.last_occurred_at = self.occurred_at

    class Won(MopsAggregate.Event):
        quote_id: UUID
        contract_id: UUID
        value: Decimal
        delivery_due_on: date
        channel: str
        from_stage: str
        probability: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.status = OpportunityStatus.WON.value
            opportunity.closed_from = self.from_stage
            opportunity.stage = OpportunityStatus.WON.value
            opportunity.probability = self.probability
            opportunity.contract_id = self.contract_id
            opportunity.won_quote_id = self.quote_id
            opportunity.closed_at = self.occurred_at
            opportunity.last_occurred_at = self.occurred_at

    class Lost(MopsAggregate.Event):
        reason: str
        competitor: str | None
        from_stage: str
        probability: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.status = OpportunityStatus.LOST.value
            opportunity.closed_from = self.from_stage
            opportunity.stage = OpportunityStatus.LOST.value
            opportunity.probability = self.probability
            opportunity.loss = {"reason": self.reason, "competitor": self.competitor}
            opportunity.closed_at = self.occurred_at
            opportunity.last_occurred_at = self.occurred_at

    class Reopened(MopsAggregate.Event):
        stage: str
        probability: Decimal

        def apply(self, opportunity: Opportunity) -> None:
            opportunity.status = OpportunityStatus.OPEN.value
            opportunity.stage = self.stage
            opportunity.probability = self.probability
            opportunity.closed_from = None
            opportunity.closed_at = None
            opportunity.last_occurred_at = self.occurred_at

    # Derived figures.

    @property
    def value(self) -> Decimal:
        """The won quote's total, the latest quote's total, or the expected value."""
        quote_id = self.won_quote_id or self.latest_quote_id
        if quote_id is None:
            return self.expected_value
        return self.quotes[str(quote_id)]["total"]

    @property
    def weighted_value(self) -> Decimal:
        """The value times the stamped probability of the stage, to the cent."""
        return (self.value * self.probability).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    # Commands.

    @classmethod
    def open(
        cls,
        cause: Cause,
        *,
        id: UUID,
        customer_id: UUID,
        customer_status: str,
        title: str,
        expected_value: Decimal,
        expected_close_on: date,
        probabilities: Mapping[str, Decimal],
        source: str | None = None,
        competitors: Iterable[str] | None = None,
        owner_id: str | None = None,
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> Opportunity:
        """Open an opportunity in qualification; the opening actor owns it unless named."""
        owner = (owner_id or "").strip() or cause.actor
        title = required_text(title, "title", 200)
        expected_value = money(expected_value, "expected_value")
        source = (source or "").strip()[:200] or None
        named_competitors = _competitors(competitors)
        if expected_value <= 0:
            raise ValidationFailed.of("expected_value", "must be greater than zero")
        occurred = cause.occurred(occurred_at)
        if not same_subject(owner, cause.actor) and not manager:
            raise Forbidden("only a sales_manager may open an opportunity for another owner")
        if customer_status == "lost":
            raise CustomerLost("the customer is marked lost; reopen it first")
        stage = Stage.QUALIFICATION.value
        return cls._start(
            cls.Opened,
            cause,
            id=id,
            occurred_at=occurred,
            customer_id=customer_id,
            owner_id=owner,
            expected_close_on=expected_close_on,
            stage=stage,
            probability=_probability(probabilities, stage),
            title=title,
            expected_value=expected_value,
            source=source,
            competitors=named_competitors,
        )

    def _when(self, cause: Cause, occurred_at: datetime | None) -> datetime:
        occurred = cause.occurred(occurred_at)
        if occurred < self.last_occurred_at:
            raise ValidationFailed.of(
                "occurred_at", "may not lie before the opportunity's previous step"
            )
        return occurred

    def _require_open(self, command: str) -> None:
        if self.status != OpportunityStatus.OPEN:
            raise InvalidState(command, self.stage)

    def _require_owner(self, cause: Cause, manager: bool, what: str) -> None:
        if not manager and not same_subject(cause.actor, self.owner_id):
            raise Forbidden(
                f"only the opportunity's owner or a sales_manager may {what} it",
                owner_id=self.owner_id,
            )

    def advance(
        self,
        cause: Cause,
        *,
        to_stage: str,
        probabilities: Mapping[str, Decimal],
        note: str | None = None,
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> None:
        """Move forward by one or more stages."""
        to_stage = _stage(to_stage)
        occurred = self._when(cause, occurred_at)
        self._require_open("advance")
        if STAGES.index(to_stage) <= STAGES.index(self.stage):
            raise InvalidState(
                "advance", self.stage, f"cannot advance from '{self.stage}' to '{to_stage}'"
            )
        self._require_owner(cause, manager, "advance")
        self._record(
            self.Advanced,
            cause,
            occurred_at=occurred,
            from_stage=self.stage,
            to_stage=to_stage,
            note=(note or "").strip() or None,
            probability=_probability(probabilities, to_stage),
        )

    def regress(
        self,
        cause: Cause,
        *,
        to_stage: str,
        reason: str,
        probabilities: Mapping[str, Decimal],
        note: str | None = None,
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> None:
        """Move back to an earlier stage, with the reason (the funnel keeps it)."""
        to_stage = _stage(to_stage)
        reason = required_text(reason, "reason", 5000)
        occurred = self._when(cause, occurred_at)
        self._require_open("regress")
        if STAGES.index(to_stage) >= STAGES.index(self.stage):
            raise InvalidState(
                "regress", self.stage, f"cannot regress from '{self.stage}' to '{to_stage}'"
            )
        self._require_owner(cause, manager, "regress")
        self._record(
            self.Regressed,
            cause,
            occurred_at=occurred,
            from_stage=self.stage,
            to_stage=to_stage,
            reason=reason,
            note=(note or "").strip() or None,
            probability=_probability(probabilities, to_stage),
        )

    @staticmethod
    def quote_day(cause: Cause, occurred_at: datetime | None) -> date:
        """The day a quote is priced on: the UTC day of its business time."""
        return cause.occurred(occurred_at).astimezone(UTC).date()

    def add_quote(
        self,
        cause: Cause,
        *,
        quote_id: UUID,
        lines: Iterable[Mapping[str, Any]],
        valid_until: date,
        payment_term_days: int,
        list_prices: Mapping[str, ListPrice],
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> None:
        """Add an immutable quote; lines without a unit price take the list price of the day.

        `list_prices` holds the list prices in force on the quote day of the quoted skus
        that have one (the application looks them up).
        """
        lines = list(lines)
        term = _payment_term(payment_term_days)
        occurred = self._when(cause, occurred_at)
        quoted_on = occurred.astimezone(UTC).date()
        if valid_until < quoted_on:
            raise ValidationFailed.of("valid_until", "may not lie before the quote's day")
        for index, line in enumerate(lines):
            if not isinstance(line, Mapping):
                raise ValidationFailed.of(f"lines.{index}", "must be an object")
        self._require_open("quotes")
        self._require_owner(cause, manager, "quote")
        priced = quote_lines(lines, list_prices)
        total = sum((line["quantity"] * line["unit_price"] for line in priced), ZERO)
        self._record(
            self.QuoteAdded,
            cause,
            occurred_at=occurred,
            quote_id=quote_id,
            quoted_on=quoted_on,
            lines=priced,
            valid_until=valid_until,
            payment_term_days=term,
            total=total,
        )

    def record_negotiation(
        self,
        cause: Cause,
        *,
        summary: str,
        concessions: str | None = None,
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> None:
        """Log a negotiation round (談判): what was discussed and conceded."""
        summary = required_text(summary, "summary", 5000)
        concessions = (concessions or "").strip() or None
        occurred = self._when(cause, occurred_at)
        self._require_open("negotiations")
        self._require_owner(cause, manager, "negotiate")
        self._record(
            self.NegotiationRecorded,
            cause,
            occurred_at=occurred,
            summary=summary,
            concessions=concessions,
        )

    def win(
        self,
        cause: Cause,
        *,
        quote_id: UUID,
        delivery_due_on: date,
        contract_id: UUID,
        customer_status: str,
        region: str | None,
        probabilities: Mapping[str, Decimal],
        channel: str = "direct",
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> Contract:
        """Win with a quote: the contract drafted from it is returned, to be saved alongside."""
        quote = self.quotes.get(str(quote_id))
        if quote is None:
            raise ValidationFailed.of("quote_id", "names no quote of this opportunity")
        occurred = self._when(cause, occurred_at)
        self._require_open("win")
        self._require_owner(cause, manager, "win")
        won_on = occurred.astimezone(UTC).date()
        if quote["valid_until"] < won_on:
            raise QuoteExpired(
                f"the quote was valid until {quote['valid_until'].isoformat()}",
                valid_until=quote["valid_until"].isoformat(),
            )
        if customer_status == "lost":
            raise CustomerLost("the customer is marked lost; reopen it first")
        contract = Contract.draft(
            cause,
            id=contract_id,
            customer_id=self.customer_id,
            channel=channel,
            lines=self._contract_lines(quote),
            payment_term_days=quote["payment_term_days"],
            delivery_due_on=delivery_due_on,
            region=region,
            owner_id=self.owner_id,
            notes=f"won opportunity {self.id}: {self.title}",
        )
        self._record(
            self.Won,
            cause,
            occurred_at=occurred,
            quote_id=quote["id"],
            contract_id=contract_id,
            value=quote["total"],
            delivery_due_on=delivery_due_on,
            channel=contract.channel,
            from_stage=self.stage,
            probability=_probability(probabilities, OpportunityStatus.WON.value),
        )
        return contract

    def _contract_lines(self, quote: Quote) -> list[Line]:
        """The contract lines a quote drafts: a line without a description takes the title."""
        return [
            {
                "sku": line["sku"],
                "description": line["description"] or self.title,
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "unit_cost": line["unit_cost"],
            }
            for line in quote["lines"]
        ]

    def lose(
        self,
        cause: Cause,
        *,
        reason: str,
        probabilities: Mapping[str, Decimal],
        competitor: str | None = None,
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> None:
        """Close as lost, with the reason and the competitor who won, if known."""
        if reason not in {r.value for r in LossReason}:
            allowed = ", ".join(r.value for r in LossReason)
            raise ValidationFailed.of("reason", f"must be one of {allowed}")
        competitor = (competitor or "").strip()[:200] or None
        occurred = self._when(cause, occurred_at)
        self._require_open("lose")
        self._require_owner(cause, manager, "lose")
        self._record(
            self.Lost,
            cause,
            occurred_at=occurred,
            reason=reason,
            competitor=competitor,
            from_stage=self.stage,
            probability=_probability(probabilities, OpportunityStatus.LOST.value),
        )

    def reopen(
        self,
        cause: Cause,
        *,
        probabilities: Mapping[str, Decimal],
        manager: bool = False,
        occurred_at: datetime | None = None,
    ) -> None:
        """Bring a lost opportunity back to qualification."""
        occurred = self._when(cause, occurred_at)
        if self.status != OpportunityStatus.LOST:
            raise InvalidState("reopen", self.stage)
        self._require_owner(cause, manager, "reopen")
        stage = Stage.QUALIFICATION.value
        self._record(
            self.Reopened,
            cause,
            occurred_at=occurred,
            stage=stage,
            probability=_probability(probabilities, stage),
        )
