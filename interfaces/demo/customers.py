"""Demo customers: leads, follow-ups, credit, membership and points."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from rich.progress import track

from application.backoffice import Request
from application.commands.customers import (
    AssessCredit,
    AssignCustomerOwner,
    AwardPoints,
    EnrollMembership,
    MarkCustomerLost,
    PlaceCreditHold,
    QualifyCustomer,
    RecordFollowUp,
    RecordSatisfaction,
    RedeemPoints,
    RegisterGuarantee,
    RegisterLead,
)
from domain.errors import DuplicateCustomer
from interfaces.demo.company import DemoCompany

REGIONS = ["north", "south", "east", "west", "central"]
INDUSTRIES = ["retail", "manufacturing", "finance", "education", "healthcare", "logistics"]
SOURCES = ["phone", "email", "web", "social", "exhibition", "referral", "other"]
NAMES = ["Huaxin", "Jinlong", "Tianyu", "Mingda", "Ruifeng", "Kaiyuan", "Dongfang", "Baosheng"]
SUFFIXES = ["Trading", "Technology", "Foods", "Logistics", "Media", "Textiles", "Pharma"]


def write_customers(company: DemoCompany, count: int) -> int:
    """Register customers and give them a history; answers how many were written."""
    return CustomerWriter(company).write(count)


class CustomerWriter:
    """Registers each customer, then writes its follow-ups, credit and loyalty history."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app, self.rng = company.app, company.rng
        self.now, self.reach = company.now, company.reach
        self.finance = company.as_(company.person("finance"), "finance")
        self.service = company.as_(company.person("service"), "service")
        self.manager = company.as_(company.person("sales_manager"), "sales_manager")

    def write(self, count: int) -> int:
        """Write `count` customers (fewer when a name is taken); answers how many were."""
        company, rng = self.company, self.rng
        written = 0
        for n in track(range(count), description="demo customers", console=company.console):
            owner = rng.choice(company.sales_people)
            sales = company.as_(owner, "sales")
            name = f"{rng.choice(NAMES)} {rng.choice(SUFFIXES)} {n + 1:04d}"
            customer = self.register_lead(sales, n, name)
            if customer is None:
                continue
            written += 1
            company.customers.append(customer)
            self.write_history(sales, customer, name)
        return written

    def register_lead(self, sales: Request, n: int, name: str) -> UUID | None:
        """The n-th customer registered as a lead; None when the name is already taken."""
        rng = self.rng
        try:
            return self.app.handle(
                sales,
                RegisterLead(
                    name=name,
                    kind="company" if rng.random() < 0.85 else "person",
                    source=rng.choice(SOURCES),
                    industry=rng.choice(INDUSTRIES),
                    region=rng.choice(REGIONS),
                    contacts=[{"name": f"Contact {n + 1}", "phone": f"+86 138 {n:08d}"}],
                    tags=rng.sample(["vip", "smb", "key-account", "trial"], k=rng.randint(0, 2)),
                ),
            ).id
        except DuplicateCustomer:
            return None

    def write_history(self, sales: Request, customer: UUID, name: str) -> None:
        """Follow-ups, qualification, credit, loyalty and sometimes a new owner."""
        app, rng = self.app, self.rng
        self.record_follow_ups(sales, customer, name)
        roll = rng.random()
        if roll < 0.6:
            app.handle(sales, QualifyCustomer(customer))
        elif roll < 0.7:
            app.handle(
                sales, MarkCustomerLost(customer, rng.choice(["price", "timing", "no budget"]))
            )
        if roll < 0.6 and rng.random() < 0.7:
            self.assess_credit(customer)
        if rng.random() < 0.4:
            self.enroll_in_loyalty(customer)
        if rng.random() < 0.05:
            app.handle(
                self.manager, AssignCustomerOwner(customer, rng.choice(self.company.sales_people))
            )

    def record_follow_ups(self, sales: Request, customer: UUID, name: str) -> None:
        """One to six follow-ups, days to weeks apart, from a start within the reach."""
        rng = self.rng
        started = self.now - self.reach * rng.random()
        for step in range(rng.randint(1, 6)):
            at = min(started + timedelta(days=step * rng.randint(5, 30)), self.now)
            self.app.handle(
                sales,
                RecordFollowUp(
                    customer,
                    kind=rng.choice(["call", "visit", "email", "meeting"]),
                    notes=f"follow-up {step + 1} with {name}",
                    occurred_at=at,
                    next_follow_up_on=(at + timedelta(days=rng.randint(3, 45))).date(),
                ),
            )

    def assess_credit(self, customer: UUID) -> None:
        """A credit rating; a guarantee for C and D, and sometimes a hold for D."""
        app, rng, now = self.app, self.rng, self.now
        rating = rng.choices("ABCD", weights=[3, 4, 2, 1])[0]
        app.handle(
            self.finance,
            AssessCredit(
                customer,
                rating=rating,
                score={"A": 88, "B": 74, "C": 61, "D": 42}[rating] + rng.randint(-5, 5),
                credit_limit=Decimal(rng.choice([20_000, 50_000, 100_000, 250_000])),
                max_payment_term_days=rng.choice([30, 45, 60, 90]),
                guarantee_required=rating in "CD",
                valid_until=(now + timedelta(days=rng.randint(30, 365))).date(),
                basis="financial statements and payment history",
            ),
        )
        if rating in "CD":
            app.handle(
                self.finance,
                RegisterGuarantee(
                    customer,
                    amount=Decimal(rng.choice([10_000, 30_000])),
                    kind=rng.choice(["bank", "deposit", "corporate"]),
                    expires_on=(now + timedelta(days=rng.randint(10, 400))).date(),
                ),
            )
        if rating == "D" and rng.random() < 0.5:
            app.handle(self.finance, PlaceCreditHold(customer, "payment behaviour under review"))

    def enroll_in_loyalty(self, customer: UUID) -> None:
        """A membership with points earned, sometimes some redeemed, and a survey score."""
        app, rng, service = self.app, self.rng, self.service
        app.handle(service, EnrollMembership(customer, rng.choice(["silver", "gold", "platinum"])))
        earned = 0
        for _ in range(rng.randint(1, 4)):
            points = rng.randint(50, 500)
            earned += points
            app.handle(service, AwardPoints(customer, points, "purchase"))
        if rng.random() < 0.5:
            app.handle(service, RedeemPoints(customer, rng.randint(1, earned), "gift voucher"))
        app.handle(service, RecordSatisfaction(customer, rng.randint(3, 5), "survey"))
