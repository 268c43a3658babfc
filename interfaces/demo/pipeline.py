"""Demo pipeline: a published price list and the year's opportunities, lead to contract.

The price list (sales_manager creates it, finance publishes it) prices every sku of the
contract demo's catalogue at its catalogue price from the demo's first day on, with a
floor a little above cost, so the contract demo's contracts, priced at the catalogue,
need no pricing review.

Each opportunity is written start to finish, its steps a few days apart and never after
today: opened for a customer that is not lost (by the customer's owner when that is a
sales person), advanced one or two stages at a time, sometimes moved back, quoted when it
reaches proposal (priced from the list, some lines at a small discount, a revision when
the first quote lapsed), negotiated, and then lost (with a reason, and the competitor who
won when there was one), won, or left open. A few lost ones are reopened. Recent
opportunities are still open.

A won opportunity's contract, drafted by the win, is then submitted by the owner,
reviewed, signed by the sales manager and delivered, invoiced and paid like the contract
demo's (its `ContractWriter.steps`). Only customers that pass the credit check are won
(finance assesses a few more when needed), for no more than their credit headroom. A few
wins carry a deep discount (15 % off the list, above the floor): submitted by a sales
person, whose limit is 10 %, they add a `pricing` review that the sales manager approves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from rich.progress import track

from application.backoffice import Request
from application.commands.contracts import ApproveContractReview, SignContract, SubmitContract
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
from application.commands.price_lists import CreatePriceList, PublishPriceList, SetListPrice
from domain.contract import Contract
from domain.customer import Customer
from domain.errors import DomainError
from domain.opportunity import STAGES, Opportunity
from interfaces.demo.company import DemoCompany
from interfaces.demo.sales import CATALOGUE, CHEAPEST, ContractWriter, Plan

CENT = Decimal("0.01")
COMPETITORS = ["Bluewave Media", "Apex Marketing", "Sunrise Agency", "Nova Digital"]
LOSS_REASONS = ["price", "price", "competitor", "competitor", "timing", "product", "no_decision"]
TITLES = ["Brand relaunch", "Trade fair", "Annual retainer", "Product launch", "Search push"]
SOURCES = ["referral", "exhibition", "web", "campaign", "phone"]
# How many opportunities: one per customer, within these bounds.
FEWEST, MOST = 24, 400
DEEP_DISCOUNT = Decimal("0.15")
DEEP_DISCOUNTS = 3


@dataclass
class Tally:
    """What was written, for the summary."""

    statuses: Counter[str]
    regressed: int = 0
    reopened: int = 0
    signed: int = 0
    deep_discounts: int = 0


def write_pipeline(company: DemoCompany) -> None:
    """Publish the price list and write the year's opportunities; adds to the summary."""
    PipelineWriter(company).write()


class PipelineWriter:
    """Writes opportunities one at a time, each from opening to its outcome."""

    def __init__(self, company: DemoCompany) -> None:
        # The contract demo's writer: its days, its reviewers, its credit checks, and its
        # steps from delivery to cash.
        self.contracts = ContractWriter(company)
        self.company, self.app, self.rng = company, company.app, company.rng
        self.today, self.first_day = self.contracts.today, self.contracts.first_day
        self.manager, self.finance = self.contracts.manager, self.contracts.finance
        self.legal = self.contracts.legal
        self.executive = company.as_(company.person("executive"), "executive")
        self.tally = Tally(Counter())

    def write(self) -> None:
        self.publish_price_list()
        candidates = [
            c for c in self.company.customers if self.app.get(c, Customer).status != "lost"
        ]
        if not candidates:
            self.company.summary.append("0 opportunities (no customer to sell to)")
            return
        count = min(MOST, max(FEWEST, len(self.company.customers)))
        span = max(1, (self.today - self.first_day).days)
        starts = sorted(
            self.first_day + timedelta(days=self.rng.randrange(span)) for _ in range(count)
        )
        for start in track(starts, description="demo pipeline", console=self.company.console):
            self.write_one(self.rng.choice(candidates), start)
        self.summarise()

    def publish_price_list(self) -> None:
        list_id = self.app.handle(
            self.manager,
            CreatePriceList(name="Standard list", valid_from=self.first_day - timedelta(days=2)),
        ).id
        for sku, _description, price, cost in CATALOGUE:
            floor = (cost * Decimal("1.05")).quantize(CENT, ROUND_HALF_UP)
            self.app.handle(
                self.manager, SetListPrice(list_id, sku=sku, unit_price=price, floor_price=floor)
            )
        self.app.handle(self.finance, PublishPriceList(list_id))

    # One opportunity.

    def write_one(self, customer_id: UUID, start: date) -> None:
        """Open an opportunity and take it step by step to lost, won or still open."""
        rng = self.rng
        owner = self.company.as_(self.owner_for(customer_id), "sales")
        self.last = self.contracts.at(start)
        oid = self.open(owner, customer_id, start)
        day = start
        stage = STAGES[0]
        quote: tuple[UUID, date] | None = None
        while True:
            day += timedelta(days=rng.randint(3, 21))
            if day > self.today:
                break  # still open
            roll = rng.random()
            if roll < 0.12 and stage != STAGES[0]:
                stage = self.move_back(owner, oid, stage, day)
            elif roll < (0.40 if stage == STAGES[-1] else 0.22):
                self.lose(owner, oid, day)
                return
            elif stage == STAGES[-1] or (stage == "proposal" and roll > 0.85):
                if quote is None:
                    quote = self.quote(owner, oid, customer_id, day)
                self.win(owner, oid, customer_id, quote, day)
                return
            else:
                stage, quote = self.move_on(owner, oid, customer_id, stage, quote, day)
        self.tally.statuses["open"] += 1

    def owner_for(self, customer_id: UUID) -> str:
        """The customer's owner when that is a sales person, else one drawn."""
        customer = self.app.get(customer_id, Customer)
        if customer.owner_id in self.company.sales_people:
            return customer.owner_id
        return self.rng.choice(self.company.sales_people)

    def open(self, owner: Request, customer_id: UUID, start: date) -> UUID:
        """Open an opportunity for the customer on its first day; answers its id."""
        rng = self.rng
        return self.app.handle(
            owner,
            OpenOpportunity(
                customer_id=customer_id,
                title=f"{rng.choice(TITLES)} {start:%b %Y}",
                expected_value=Decimal(rng.choice([8_000, 15_000, 30_000, 60_000, 120_000])),
                expected_close_on=start + timedelta(days=rng.randint(30, 120)),
                source=rng.choice(SOURCES),
                competitors=rng.sample(COMPETITORS, rng.randint(0, 2)),
                occurred_at=self.last,
            ),
        ).id

    def move_back(self, owner: Request, oid: UUID, stage: str, day: date) -> str:
        """Move the opportunity back to an earlier stage; answers that stage."""
        rng = self.rng
        back = STAGES[rng.randrange(STAGES.index(stage))]
        self.app.handle(
            owner,
            RegressOpportunity(
                oid,
                to_stage=back,
                reason=rng.choice(["new decision maker", "budget review", "scope changed"]),
                occurred_at=self.when(day),
            ),
        )
        self.tally.regressed += 1
        return back

    def move_on(
        self,
        owner: Request,
        oid: UUID,
        customer_id: UUID,
        stage: str,
        quote: tuple[UUID, date] | None,
        day: date,
    ) -> tuple[str, tuple[UUID, date] | None]:
        """Advance one or two stages, quote from proposal on, negotiate; answers both."""
        app, rng = self.app, self.rng
        steps = 2 if rng.random() < 0.2 else 1
        stage = STAGES[min(len(STAGES) - 1, STAGES.index(stage) + steps)]
        app.handle(owner, AdvanceOpportunity(oid, to_stage=stage, occurred_at=self.when(day)))
        if stage in ("proposal", "negotiation") and quote is None:
            quote = self.quote(owner, oid, customer_id, day)
        if stage == "negotiation":
            for _ in range(rng.randint(1, 3)):
                app.handle(
                    owner,
                    RecordNegotiation(
                        oid,
                        summary=rng.choice(
                            ["price and scope", "payment terms", "delivery schedule"]
                        ),
                        concessions=rng.choice([None, "free setup", "longer payment term"]),
                        occurred_at=self.when(day),
                    ),
                )
        return stage, quote

    def when(self, day: date) -> datetime:
        """A business time on a day, never before the opportunity's last step nor after now."""
        self.last = max(self.last, self.contracts.at(day))
        return self.last

    def quote(self, owner: Any, oid: UUID, customer_id: UUID, day: date) -> tuple[UUID, date]:
        """A quote worth what the customer could be signed for, priced from the list."""
        customer = self.app.get(customer_id, Customer)
        headroom = (
            self.contracts.headroom(customer)
            if self.contracts.creditworthy(customer)
            else Decimal(60_000)
        )
        target = min(
            max(headroom, 4 * CHEAPEST) * Decimal(self.rng.uniform(0.1, 0.4)), Decimal(150_000)
        )
        lines = self.contracts.lines(target)
        deep = (
            self.tally.deep_discounts < DEEP_DISCOUNTS
            and self.contracts.creditworthy(customer)
            and self.rng.random() < 0.3
        )
        quoted: list[Mapping[str, Any]] = []
        for line in lines:
            body = {
                "sku": line["sku"],
                "quantity": line["quantity"],
                "unit_cost": line["unit_cost"],
            }
            if deep:
                body["unit_price"] = (line["unit_price"] * (1 - DEEP_DISCOUNT)).quantize(CENT)
            elif self.rng.random() < 0.3:
                body["unit_price"] = (line["unit_price"] * Decimal("0.95")).quantize(CENT)
            quoted.append(body)
        valid_until = day + timedelta(days=self.rng.randint(20, 60))
        outcome = self.app.handle(
            owner,
            AddQuote(
                oid,
                lines=quoted,
                valid_until=valid_until,
                payment_term_days=self.rng.choice([30, 45]),
                occurred_at=self.when(day),
            ),
        )
        return UUID(outcome.extra["quote_id"]), valid_until

    def lose(self, owner: Any, oid: UUID, day: date) -> None:
        reason = self.rng.choice(LOSS_REASONS)
        competitor = (
            self.rng.choice(COMPETITORS)
            if reason == "competitor" or (reason == "price" and self.rng.random() < 0.5)
            else None
        )
        self.app.handle(
            owner,
            LoseOpportunity(oid, reason=reason, competitor=competitor, occurred_at=self.when(day)),
        )
        reopen_day = day + timedelta(days=self.rng.randint(10, 40))
        if self.rng.random() < 0.06 and reopen_day <= self.today:
            self.app.handle(self.manager, ReopenOpportunity(oid, occurred_at=self.when(reopen_day)))
            self.tally.reopened += 1
            self.tally.statuses["open"] += 1
            return
        self.tally.statuses["lost"] += 1

    def win(
        self, owner: Any, oid: UUID, customer_id: UUID, quote: tuple[UUID, date], day: date
    ) -> None:
        """Win with the quote (a revision when it lapsed) and take its contract to cash."""
        customer = self.app.get(customer_id, Customer)
        if not self.contracts.creditworthy(customer):
            if customer.credit is not None:
                self.lose(owner, oid, day)  # the customer could not be signed for
                return
            self.contracts.assess(customer_id)
        quote_id, valid_until = quote
        if valid_until < day:
            quote_id, _ = self.quote(owner, oid, customer_id, day)
        total = self.app.get(oid, Opportunity).quotes[str(quote_id)]["total"]
        if total > self.contracts.headroom(self.app.get(customer_id, Customer)):
            self.lose(owner, oid, day)  # more than the customer's credit allows
            return
        outcome = self.app.handle(
            owner,
            WinOpportunity(
                oid,
                quote_id=quote_id,
                delivery_due_on=day + timedelta(days=self.rng.randint(30, 90)),
                channel=self.rng.choice(["direct", "direct", "agent", "online"]),
                occurred_at=self.when(day),
            ),
        )
        self.tally.statuses["won"] += 1
        self.sign(owner, UUID(outcome.extra["contract_id"]), customer_id, day)

    def sign(self, owner: Any, contract_id: UUID, customer_id: UUID, won_on: date) -> None:
        """Submit, review every department the contract needs, sign, deliver and collect."""
        app = self.app
        app.handle(owner, SubmitContract(contract_id))
        contract = app.get(contract_id, Contract)
        reviewers = {
            "legal": self.legal,
            "finance": self.finance,
            "pricing": self.manager,
            "executive": self.executive,
        }
        for review in contract.required_reviews:
            department = review["department"]
            if department == "pricing":
                self.tally.deep_discounts += 1
            app.handle(
                reviewers[department],
                ApproveContractReview(contract_id, department, f"approved: {review['reason']}"),
            )
        signed_on = won_on + timedelta(days=self.rng.randint(1, 10))
        if signed_on > self.today:
            return  # approved, to be signed
        try:
            app.handle(self.manager, SignContract(contract_id, signed_on))
        except DomainError as refusal:
            if not refusal.code.startswith(("credit", "payment_term", "guarantee")):
                raise
            return  # the credit check said no: approved, unsigned
        self.tally.signed += 1
        contract = app.get(contract_id, Contract)
        plan = Plan(customer_id, contract.owner_id, won_on)
        for _day, _kind, run in self.contracts.steps(plan, "normal", contract, signed_on):
            run()

    def summarise(self) -> None:
        tally = self.tally
        written = sum(tally.statuses.values())
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(tally.statuses.items()))
        self.company.summary.append(
            f"{written} opportunities ({by_status}; {tally.regressed} moved back, "
            f"{tally.reopened} reopened, {tally.signed} won contracts signed, "
            f"{tally.deep_discounts} deep discounts approved in a pricing review)"
        )
