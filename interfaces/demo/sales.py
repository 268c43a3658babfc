"""Demo contracts: a year of sales, from drafts through review and signing to cash.

Each contract is written start to finish before the next one, in the order of the day it
was drafted; the credit check at signing therefore sees what the customer's earlier
contracts still owe. A contract's business dates follow one another (signed after it is
drafted, deliveries after signing, an invoice on or after its delivery, a payment on or
after its invoice, nothing later than today) and whatever would fall after today is left
for the future: recent contracts stay in review, approved, or half delivered.

A few contracts are given a part to play, so that every run shows them: one write-off
(finance, under the limit) on a customer that stopped paying, one termination (both
delivered late under a penalty rate), two cancellations, and one signing refused by the
credit check (`credit_limit_exceeded`), which the summary reports. Some customers pay
early, most on time or a little late, and a few stop paying altogether: their invoices
age past 30, 60 and 90 days and draw reminders.

A delivery after the due date of a contract with a penalty rate assesses its penalty (a
credit note); once every contract is written, a sales manager who does not own it waives
the largest penalty still open to a waiver (on an active or terminated contract), and
finance charges late-payment interest through today on the contracts whose open invoices
are the longest overdue. Neither draws from the dice: the parts written after this one
see the same sequence with or without them.

Customers need a valid credit assessment to be signed for. The customer part assesses
some of them; this part assesses a few more (finance, ratings A and B) when too few
qualify.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from rich.progress import track

from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    CancelContract,
    ChargeInterest,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    RejectContractReview,
    SendReminder,
    SignContract,
    SubmitContract,
    TerminateContract,
    WaivePenalty,
    WriteOff,
)
from application.commands.customers import AssessCredit
from domain.contract import Contract
from domain.customer import Customer
from domain.errors import DomainError
from interfaces.demo.company import DemoCompany

CENT = Decimal("0.01")
# sku, description, unit price, unit cost: what a marketing company sells.
CATALOGUE = [
    ("SEO-M", "search optimisation, one month", Decimal("6800.00"), Decimal("4100.00")),
    ("SOC-M", "social media management, one month", Decimal("9500.00"), Decimal("6200.00")),
    ("SEA-M", "search advertising management, one month", Decimal("4800.00"), Decimal("2900.00")),
    ("EXPO", "exhibition booth, design and build", Decimal("38000.00"), Decimal("27500.00")),
    ("PR-EV", "press event", Decimal("22000.00"), Decimal("15400.00")),
    ("VIDEO", "product video", Decimal("15000.00"), Decimal("9100.00")),
    ("PRINT", "brochures, a thousand copies", Decimal("1200.00"), Decimal("650.00")),
    ("RSRCH", "market research report", Decimal("18000.00"), Decimal("11200.00")),
]
CHEAPEST = min(price for _, _, price, _ in CATALOGUE)
CHANNELS = ["direct", "direct", "direct", "distributor", "online", "agent"]
PAYMENT_TERMS = [15, 30, 45, 60, 90]
# Fewer contracts than this and some of the parts below would have no one to play them.
MIN_CONTRACTS = 10
MIN_CUSTOMERS = 6
# Days after an invoice's due date at which a still-open invoice is reminded of, per level.
REMINDER_DAYS = ((1, 10), (2, 40), (3, 75))
# The roles some contracts play; every other contract is "normal".
ROLES = ["write_off", "terminate", "refused", "cancel_draft", "cancel_review"]
# Interest is charged on the contracts holding the longest overdue invoices, this many.
INTEREST_CONTRACTS = 3
# Step kinds, in the order they run on the same day.
DELIVERY, INVOICE, REMINDER, PAYMENT = range(4)
# The parts whose contracts are delivered late under a penalty rate, whatever the dice say
# (signed 2 days after their start, first delivered 3 days after signing).
LATE_ROLES = ("terminate", "write_off")
# A step to run later: its day, its kind, and the command to run.
Step = tuple[date, int, Any]


@dataclass
class Plan:
    """A contract to write: for whom, by whom, from which day, and its part."""

    customer_id: UUID
    owner: str
    start: date
    role: str = "normal"


@dataclass
class Tally:
    """What was written, for the summary."""

    statuses: Counter[str] = field(default_factory=Counter)
    signed: int = 0
    assessed: int = 0
    rejected: int = 0
    late_deliveries: int = 0
    reminders: int = 0
    refusal: str | None = None
    written_off: Decimal | None = None
    penalties: int = 0
    penalty_amount: Decimal = Decimal("0.00")
    waived: Decimal | None = None
    interest: list[Decimal] = field(default_factory=list)


def write_contracts(company: DemoCompany) -> None:
    """Write a year of contracts for the demo's customers; adds a line to the summary."""
    ContractWriter(company).write()


class ContractWriter:
    """Plans the year's contracts, then writes each through the application."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app = company.app
        self.rng = company.rng
        self.now = company.now
        self.today = company.now.astimezone(UTC).date()
        self.first_day = (company.now - company.reach).astimezone(UTC).date() + timedelta(days=2)
        self.finance = company.as_(company.person("finance"), "finance")
        self.legal = company.as_(company.person("legal"), "legal")
        self.manager = company.as_(company.person("sales_manager"), "sales_manager")
        self.tally = Tally()
        self.carried: list[str] = []  # roles a contract could not play, for the next one
        self.bad_payers: dict[UUID, date] = {}  # customer -> invoices after this go unpaid

    # Planning.

    def write(self) -> None:
        eligible = self.creditworthy_customers(self.company.customers)
        if not eligible:
            self.company.summary.append("0 contracts (no customer may be signed for)")
            return
        plans = self.plan(eligible)
        for plan in track(plans, description="demo contracts", console=self.company.console):
            self.write_one(plan)
        # Every signed contract of the demo, this part's and the won opportunities'.
        signed = self.signed_contracts()
        self.waive_a_penalty(signed)
        self.charge_interest(signed)
        for contract in signed:
            self.tally.penalties += len(contract.penalties)
            self.tally.penalty_amount += sum(
                (p["amount"] for p in contract.penalties.values()), Decimal("0.00")
            )
        self.summarise(len(plans))

    def creditworthy(self, customer: Customer) -> bool:
        """Whether a signing for the customer would pass every check but the limit."""
        credit = customer.credit
        return (
            credit is not None
            and credit["valid_until"] >= self.today
            and not customer.on_hold
            and (not credit["guarantee_required"] or customer.unexpired_guarantees(self.today) > 0)
        )

    def creditworthy_customers(self, customers: list[UUID]) -> list[UUID]:
        """Customers a contract may be signed for; assesses some that have no assessment."""
        eligible, unassessed = [], []
        for customer_id in customers:
            customer = self.app.get(customer_id, Customer)
            if customer.status == "lost":
                continue
            if self.creditworthy(customer):
                eligible.append(customer_id)
            elif customer.credit is None:
                unassessed.append(customer_id)
        self.rng.shuffle(unassessed)
        deficit = MIN_CUSTOMERS - len(eligible)
        for index, customer_id in enumerate(unassessed):
            if index < deficit or self.rng.random() < 0.3:
                self.assess(customer_id)
                eligible.append(customer_id)
        return eligible

    def assess(self, customer_id: UUID) -> None:
        rating = self.rng.choice("AB")
        self.app.handle(
            self.finance,
            AssessCredit(
                customer_id,
                rating=rating,
                score={"A": 86, "B": 73}[rating] + self.rng.randint(-4, 4),
                credit_limit=Decimal(self.rng.choice([50_000, 100_000, 150_000])),
                max_payment_term_days=self.rng.choice([45, 60, 90]),
                guarantee_required=False,
                valid_until=self.today + timedelta(days=self.rng.randint(60, 365)),
                basis="annual review before contracting",
            ),
        )
        self.tally.assessed += 1

    def plan(self, eligible: list[UUID]) -> list[Plan]:
        """The contracts to write, oldest first, some of them given a part to play."""
        span = max(1, (self.today - self.first_day).days)
        owners = {}
        for customer_id in eligible:
            owner = self.app.get(customer_id, Customer).owner_id
            owners[customer_id] = (
                owner
                if owner in self.company.sales_people
                else self.rng.choice(self.company.sales_people)
            )

        def plan_for(customer_id: UUID) -> Plan:
            start = self.first_day + timedelta(days=self.rng.randrange(span))
            return Plan(customer_id, owners[customer_id], start)

        plans = [
            plan_for(customer_id)
            for customer_id in eligible
            for _ in range(self.rng.choices([1, 2, 3, 4], weights=[4, 3, 2, 1])[0])
        ]
        while len(plans) < MIN_CONTRACTS:
            plans.append(plan_for(self.rng.choice(eligible)))
        plans.sort(key=lambda p: p.start)
        # The write-off needs the oldest history; the termination an early one.
        plans[0].role = "write_off"
        early = plans[1 : max(2, len(plans) // 2)]
        self.rng.choice(early).role = "terminate"
        rest = [p for p in plans if p.role == "normal"]
        for plan, role in zip(self.rng.sample(rest, 3), ROLES[2:], strict=True):
            plan.role = role
        # A tenth of the customers, at least two, stop paying at some point of the year.
        payers = list(dict.fromkeys(p.customer_id for p in plans))
        stopping = self.rng.sample(payers, min(len(payers), max(2, len(payers) // 10)))
        for customer_id in stopping:
            self.bad_payers[customer_id] = self.today - timedelta(
                days=self.rng.randint(30, max(30, min(220, span)))
            )
        self.bad_payers[plans[0].customer_id] = self.first_day
        return plans

    # Writing one contract.

    def at(self, day: date, hour: int | None = None) -> datetime:
        """A business time on a day, never after the demo's now."""
        hour = self.rng.randint(9, 17) if hour is None else hour
        return min(datetime.combine(day, time(hour, self.rng.randrange(60)), UTC), self.now)

    def headroom(self, customer: Customer) -> Decimal:
        """What the customer may still be signed for: limit + guarantees - exposure."""
        exposure = sum(
            (self.app.get(c, Contract).exposure for c in customer.signed_contracts),
            Decimal("0.00"),
        )
        credit = customer.credit
        assert credit is not None, "only an assessed customer is signed for"
        limit = credit["credit_limit"] + customer.unexpired_guarantees(self.today)
        return limit - exposure

    def lines(self, target: Decimal) -> list[Mapping[str, Any]]:
        """One to three lines worth about `target` together, never more."""
        chosen = self.rng.sample(CATALOGUE, self.rng.choice([1, 1, 2, 2, 3]))
        share = target / len(chosen)
        lines: list[Mapping[str, Any]] = []
        for sku, description, price, cost in chosen:
            quantity = int(share // price)
            if quantity > 0:
                lines.append(self.line(sku, description, price, cost, quantity))
        if not lines:
            sku, description, price, cost = min(CATALOGUE, key=lambda item: item[2])
            lines.append(self.line(sku, description, price, cost, max(1, int(target // price))))
        return lines

    @staticmethod
    def line(
        sku: str, description: str, price: Decimal, cost: Decimal, quantity: int
    ) -> dict[str, Any]:
        """A contract line of a catalogue item."""
        return {
            "sku": sku,
            "description": description,
            "quantity": quantity,
            "unit_price": price,
            "unit_cost": cost,
        }

    def feasible(self, role: str, plan: Plan) -> bool:
        """Whether this contract has the history its part needs."""
        days = (self.today - plan.start).days
        if role == "write_off":
            return days >= 20
        if role == "terminate":
            return days >= 14
        if role == "refused":
            return days >= 3
        return True

    def write_one(self, plan: Plan) -> None:
        role = plan.role
        if role == "normal" and self.carried and self.feasible(self.carried[0], plan):
            role = self.carried.pop(0)
        elif role != "normal" and not self.feasible(role, plan):
            self.carried.append(role)
            role = "normal"
        customer = self.app.get(plan.customer_id, Customer)
        headroom = self.headroom(customer)
        cancelling = role in ("cancel_draft", "cancel_review")
        lines: list[Mapping[str, Any]]
        if role == "refused":
            sku, description, price, cost = self.rng.choice(CATALOGUE)
            quantity = int(max(headroom, Decimal(0)) // price) + self.rng.randint(1, 2)
            lines = [self.line(sku, description, price, cost, quantity)]
        elif headroom >= 4 * CHEAPEST or cancelling:
            ceiling = max(headroom, 4 * CHEAPEST)
            # A write-off stays well under the limit finance may write off alone.
            most = Decimal(30_000 if role == "write_off" else 180_000)
            target = min(ceiling * Decimal(self.rng.uniform(0.15, 0.55)), most)
            lines = self.lines(target)
        else:  # the customer's credit is used up: no new contract for now
            if role != "normal":
                self.carried.append(role)
            return
        assert customer.credit is not None, "only an assessed customer is planned for"
        max_term = customer.credit["max_payment_term_days"]
        term = self.rng.choice([t for t in PAYMENT_TERMS if t <= max_term] or [max_term])
        owner = self.company.as_(plan.owner, "sales")
        channel = self.rng.choice(CHANNELS)
        due_on = plan.start + timedelta(days=self.rng.randint(30, 120))
        penalty_rate = Decimal(self.rng.choice(["0", "0.02", "0.05"]))
        if role in LATE_ROLES:
            # Due the day after signing, delivered later: every run shows penalties.
            due_on, penalty_rate = plan.start + timedelta(days=3), Decimal("0.05")
        contract_id = self.app.handle(
            owner,
            DraftContract(
                customer_id=plan.customer_id,
                channel=channel,
                lines=lines,
                payment_term_days=term,
                delivery_due_on=due_on,
                penalty_rate=penalty_rate,
                notes=f"drafted {plan.start.isoformat()}",
            ),
        ).id
        self.write_lifecycle(plan, role, contract_id, owner, term)
        contract = self.app.get(contract_id, Contract)
        self.tally.statuses[contract.status] += 1
        self.tally.signed += contract.signed_on is not None
        self.tally.late_deliveries += contract.late_deliveries
        self.tally.reminders += len(contract.reminders)

    def write_lifecycle(
        self, plan: Plan, role: str, contract_id: UUID, owner: Any, term: int
    ) -> None:
        """Review and sign a drafted contract, then run it to cash, as its part and age allow."""
        app, rng = self.app, self.rng
        age = (self.today - plan.start).days
        if role == "cancel_draft":
            app.handle(owner, CancelContract(contract_id, "the customer chose another agency"))
            return
        if age < 7 and role == "normal" and rng.random() < 0.4:
            return  # still a draft
        if role == "normal" and (rng.random() < 0.1 or (self.tally.rejected == 0 and age > 30)):
            self.reject_and_amend(contract_id, owner, term)
        app.handle(owner, SubmitContract(contract_id))
        if role == "cancel_review":
            app.handle(self.manager, CancelContract(contract_id, "the customer froze its budget"))
            return
        if age < 14 and role == "normal" and rng.random() < 0.4:
            return  # still in review
        app.handle(self.legal, ApproveContractReview(contract_id, "legal", "standard terms"))
        app.handle(self.finance, ApproveContractReview(contract_id, "finance", "within credit"))
        signed_on = plan.start + timedelta(days=rng.randint(2, 21))
        if role in ("write_off", "terminate", "refused"):
            signed_on = plan.start + timedelta(days=2)
        if signed_on > self.today:
            if role != "normal":
                self.carried.append(role)
            return  # approved, to be signed
        if role == "refused":
            self.sign_refused(contract_id, signed_on)
            return
        app.handle(self.manager, SignContract(contract_id, signed_on))
        self.run_to_cash(plan, role, contract_id, signed_on)

    def sign_refused(self, contract_id: UUID, signed_on: date) -> None:
        """The over-limit signing the credit check refuses; its facts go to the summary."""
        try:
            self.app.handle(self.manager, SignContract(contract_id, signed_on))
        except DomainError as refusal:
            if refusal.code != "credit_limit_exceeded":
                raise
            self.tally.refusal = (
                f"{refusal.code} (exposure {refusal.facts['exposure']}, "
                f"limit {refusal.facts['limit']})"
            )
            return
        raise AssertionError("the demo's over-limit signing was not refused")

    def run_to_cash(self, plan: Plan, role: str, contract_id: UUID, signed_on: date) -> None:
        """Run a signed contract's steps up to today; then its termination or write-off."""
        app = self.app
        contract = app.get(contract_id, Contract)
        steps = self.steps(plan, role, contract, signed_on)
        if role == "terminate":
            cutoff = signed_on + timedelta(days=max(10, int((self.today - signed_on).days * 0.6)))
            steps = [step for step in steps if step[0] <= cutoff]
        for _day, _kind, run in steps:
            run()
        if role == "terminate":
            if app.get(contract_id, Contract).status == "active":
                app.handle(
                    self.finance, TerminateContract(contract_id, "the customer closed its unit")
                )
            else:
                self.carried.append(role)
        elif role == "write_off":
            outstanding = app.get(contract_id, Contract).outstanding
            amount = min(outstanding, app.policy.write_off_limit)
            if amount > 0 and app.get(contract_id, Contract).status == "active":
                app.handle(
                    self.finance,
                    WriteOff(contract_id, amount, "customer insolvent, judged uncollectable"),
                )
                self.tally.written_off = amount
            else:
                self.carried.append("write_off")

    def reject_and_amend(self, contract_id: UUID, owner: Any, term: int) -> None:
        """A reviewer sends the draft back; the owner amends it and it goes round again."""
        self.app.handle(owner, SubmitContract(contract_id))
        if self.rng.random() < 0.5:
            self.app.handle(
                self.legal,
                RejectContractReview(
                    contract_id, "legal", "the penalty clause for late delivery is missing"
                ),
            )
            self.app.handle(owner, AmendContract(contract_id, {"penalty_rate": Decimal("0.05")}))
        else:
            self.app.handle(
                self.finance,
                RejectContractReview(
                    contract_id, "finance", "payment term too long for the rating"
                ),
            )
            shorter = [t for t in PAYMENT_TERMS if t < term] or [term]
            self.app.handle(owner, AmendContract(contract_id, {"payment_term_days": max(shorter)}))
        self.tally.rejected += 1

    def steps(self, plan: Plan, role: str, contract: Contract, signed_on: date) -> list[Step]:
        """Deliveries, invoices, reminders and payments up to today, in business order."""
        owner = self.company.as_(contract.owner_id, "sales")
        deliveries, invoices = self.deliveries_and_invoices(role, contract, signed_on, owner)
        steps = deliveries + self.invoice_steps(plan, role, contract, invoices, owner)
        return sorted((step for step in steps if step[0] <= self.today), key=lambda s: (s[0], s[1]))

    def shipments(self, contract: Contract) -> list[dict[str, int]]:
        """Each line's quantity spread over one to three shipments (sku -> quantity)."""
        rng = self.rng
        shipments: list[dict[str, int]] = [{} for _ in range(rng.choice([1, 2, 2, 3]))]
        for line in contract.lines:
            quantity = line["quantity"]
            cuts = sorted(rng.sample(range(1, quantity), min(len(shipments) - 1, quantity - 1)))
            parts = [b - a for a, b in zip([0, *cuts], [*cuts, quantity], strict=True)]
            for shipment, part in zip(shipments, parts, strict=False):
                shipment[line["sku"]] = part
        return [shipment for shipment in shipments if shipment]

    def deliveries_and_invoices(
        self, role: str, contract: Contract, signed_on: date, owner: Any
    ) -> tuple[list[Step], list[tuple[date, Decimal]]]:
        """The delivery steps, and the invoices to issue (issued on, amount) for them."""
        rng, cid = self.rng, contract.id
        steps: list[Step] = []
        shipments = self.shipments(contract)
        prices = {line["sku"]: line["unit_price"] for line in contract.lines}
        day = signed_on + timedelta(days=rng.randint(3, 25) if role == "normal" else 3)
        invoices: list[tuple[date, Decimal]] = []  # issued_on, amount
        advance = role == "normal" and rng.random() < 0.25
        if advance:
            amount = (contract.total * Decimal("0.3")).quantize(CENT, ROUND_HALF_UP)
            invoices.append((signed_on + timedelta(days=rng.randint(0, 2)), amount))
        invoiced = sum((amount for _, amount in invoices), Decimal("0.00"))
        for index, shipment in enumerate(shipments):
            value = sum((prices[sku] * q for sku, q in shipment.items()), Decimal("0.00"))
            steps.append((day, DELIVERY, self.deliver(owner, cid, shipment, day)))
            if index == len(shipments) - 1:
                amount = contract.total - invoiced
            else:
                amount = (value * Decimal("0.7" if advance else "1")).quantize(CENT)
            issued = max(day + timedelta(days=rng.choice([0, 0, 1, 3, 5])), signed_on)
            if invoices:
                issued = max(issued, invoices[-1][0] + timedelta(days=1))
            if amount > 0:
                invoices.append((issued, amount))
                invoiced += amount
            day += timedelta(days=rng.randint(5, 30))
        return steps, invoices

    def invoice_steps(
        self,
        plan: Plan,
        role: str,
        contract: Contract,
        invoices: list[tuple[date, Decimal]],
        owner: Any,
    ) -> list[Step]:
        """Each invoice issued, reminded of while overdue, and paid (early, late or never)."""
        rng, cid = self.rng, contract.id
        term = contract.payment_term_days
        steps: list[Step] = []
        stops = self.bad_payers.get(plan.customer_id)
        last_paid: date | None = None
        reminded: set[int] = set()
        for number, (issued, amount) in enumerate(invoices, start=1):
            steps.append((issued, INVOICE, self.invoice(cid, amount, issued)))
            due = issued + timedelta(days=term)
            paid_on: date | None = None
            paid = amount
            if stops is None or issued < stops:
                paid_on = self.payment_day(issued, term)
                if last_paid is not None:
                    paid_on = max(paid_on, last_paid)
                last_paid = paid_on
            elif last_paid != date.max and (role == "write_off" or rng.random() < 0.5):
                # The first unpaid invoice of a customer that stops paying: half of it.
                paid_on = due + timedelta(days=rng.randint(5, 25))
                paid = (amount / 2).quantize(CENT)
                last_paid = date.max
            else:
                last_paid = date.max
            for level, after in REMINDER_DAYS:
                reminder_day = due + timedelta(days=after)
                unpaid = paid_on is None or paid_on > reminder_day or paid != amount
                if level not in reminded and reminder_day <= self.today and unpaid:
                    reminded.add(level)
                    steps.append(
                        (reminder_day, REMINDER, self.remind(cid, owner, level, reminder_day))
                    )
            if paid_on is not None and paid_on <= self.today:
                reference = f"TT{paid_on:%Y%m%d}-{number:02d}{rng.randint(1000, 9999)}"
                steps.append((paid_on, PAYMENT, self.pay(cid, paid, paid_on, reference)))
        return steps

    def payment_day(self, issued: date, term: int) -> date:
        """When an invoice is paid: mostly on time, some early, some late."""
        roll = self.rng.random()
        if roll < 0.3:  # early
            days = int(term * self.rng.uniform(0.2, 0.8))
        elif roll < 0.65:  # on time
            days = term - self.rng.randint(0, 3)
        elif roll < 0.95:  # late
            days = term + self.rng.randint(3, 40)
        else:  # very late
            days = term + self.rng.randint(45, 100)
        return issued + timedelta(days=max(0, days))

    # The commands, as steps to run later.

    def deliver(self, owner: Any, cid: UUID, shipment: dict[str, int], day: date) -> Any:
        return lambda: self.app.handle(owner, RecordDelivery(cid, shipment, self.at(day)))

    def invoice(self, cid: UUID, amount: Decimal, issued: date) -> Any:
        return lambda: self.app.handle(self.finance, IssueInvoice(cid, amount, issued))

    def pay(self, cid: UUID, amount: Decimal, received: date, reference: str) -> Any:
        """Pay an invoice's amount, less what a late delivery's penalty credited on it."""

        def run() -> None:
            due = min(amount, self.app.get(cid, Contract).outstanding)
            if due > 0:
                self.app.handle(self.finance, RecordPayment(cid, due, received, reference))

        return run

    def remind(self, cid: UUID, owner: Any, level: int, day: date) -> Any:
        """Remind, unless nothing is overdue that day any more (a late delivery's penalty
        credit may have settled the invoice meanwhile)."""
        sender = self.finance if level > 1 or self.rng.random() < 0.5 else owner
        note = {1: "friendly reminder", 2: "second reminder", 3: "final notice"}[level]

        def run() -> None:
            if self.app.get(cid, Contract).overdue_on(day):
                self.app.handle(sender, SendReminder(cid, level, note, self.at(day, 10)))

        return run

    # Once every contract is written: a waiver and interest.

    def signed_contracts(self) -> list[Contract]:
        """The contracts signed for the demo's customers, as they stand."""
        return [
            self.app.get(contract_id, Contract)
            for customer_id in dict.fromkeys(self.company.customers)
            for contract_id in self.app.get(customer_id, Customer).signed_contracts
        ]

    def waive_a_penalty(self, signed: list[Contract]) -> None:
        """The largest penalty a waiver may still reverse (its contract active or
        terminated), waived by the sales manager, never on a contract of their own."""
        manager = self.manager.caller.actor
        open_to_waiver = [
            (penalty["amount"], contract.id, penalty["id"])
            for contract in signed
            if contract.status in ("active", "terminated") and contract.owner_id != manager
            for penalty in contract.penalties.values()
            if not penalty["waived"]
        ]
        if not open_to_waiver:
            return
        amount, contract_id, penalty_id = max(open_to_waiver)
        reason = "the delay came from the customer's late sign-off of the creative"
        self.app.handle(self.manager, WaivePenalty(contract_id, penalty_id, reason))
        self.tally.waived = amount

    def charge_interest(self, signed: list[Contract]) -> None:
        """Late-payment interest through today, by finance, on the contracts whose oldest
        open invoice fell due longest ago (one debit note each)."""
        oldest: list[tuple[date, UUID]] = []
        for contract in (self.app.get(c.id, Contract) for c in signed):  # after the waiver
            overdue = [
                invoice["due_on"]
                for invoice in contract.invoices.values()
                if invoice["due_on"] < self.today and invoice["settled"] < invoice["amount"]
            ]
            if overdue and contract.status in ("active", "terminated"):
                oldest.append((min(overdue), contract.id))
        for _, contract_id in sorted(oldest)[:INTEREST_CONTRACTS]:
            answer = self.app.handle(self.finance, ChargeInterest(contract_id, self.today))
            self.tally.interest.append(Decimal(answer.extra["amount"]))

    # The summary.

    def summarise(self, planned: int) -> None:
        tally = self.tally
        written = sum(tally.statuses.values())
        completed = tally.statuses["completed"]
        self.company.summary.append(
            f"{written} contracts ({tally.signed} signed, {completed} completed)"
        )
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(tally.statuses.items()))
        self.company.summary.append(f"contracts by status: {by_status}")
        if tally.refusal:
            self.company.summary.append(f"1 signing refused: {tally.refusal}")
        if tally.written_off is not None:
            self.company.summary.append(f"1 write-off of {tally.written_off}")
        self.company.summary.append(
            f"{tally.rejected} rejected in review then amended, "
            f"{tally.late_deliveries} late deliveries, {tally.reminders} reminders, "
            f"{tally.assessed} more credit assessments"
        )
        waived = "none" if tally.waived is None else f"1 of {tally.waived}"
        self.company.summary.append(
            f"{tally.penalties} late-delivery penalties assessed ({tally.penalty_amount}), "
            f"waived: {waived}, interest of {sum(tally.interest, Decimal('0.00'))} charged "
            f"on {len(tally.interest)} overdue contracts"
        )
        if self.carried:
            self.company.summary.append(f"parts not played: {', '.join(self.carried)}")
