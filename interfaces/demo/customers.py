"""Demo customers: leads, follow-ups, credit, membership and points."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from rich.progress import track

from domain.errors import DuplicateCustomer
from interfaces.demo.company import DemoCompany

REGIONS = ["north", "south", "east", "west", "central"]
INDUSTRIES = ["retail", "manufacturing", "finance", "education", "healthcare", "logistics"]
SOURCES = ["phone", "email", "web", "social", "exhibition", "referral", "other"]
NAMES = ["Huaxin", "Jinlong", "Tianyu", "Mingda", "Ruifeng", "Kaiyuan", "Dongfang", "Baosheng"]
SUFFIXES = ["Trading", "Technology", "Foods", "Logistics", "Media", "Textiles", "Pharma"]


def write_customers(company: DemoCompany, count: int) -> int:
    """Register customers and give them a history; answers how many were written."""
    app, rng, now, reach = company.app, company.rng, company.now, company.reach
    finance = company.as_(company.person("finance"), "finance")
    service = company.as_(company.person("service"), "service")
    manager = company.as_(company.person("sales_manager"), "sales_manager")
    written = 0
    for n in track(range(count), description="demo customers", console=company.console):
        owner = rng.choice(company.sales_people)
        sales = company.as_(owner, "sales")
        name = f"{rng.choice(NAMES)} {rng.choice(SUFFIXES)} {n + 1:04d}"
        try:
            customer = app.register_lead(
                sales,
                name=name,
                kind="company" if rng.random() < 0.85 else "person",
                source=rng.choice(SOURCES),
                industry=rng.choice(INDUSTRIES),
                region=rng.choice(REGIONS),
                contacts=[{"name": f"Contact {n + 1}", "phone": f"+86 138 {n:08d}"}],
                tags=rng.sample(["vip", "smb", "key-account", "trial"], k=rng.randint(0, 2)),
            ).id
        except DuplicateCustomer:
            continue
        written += 1
        company.customers.append(customer)
        started = now - reach * rng.random()
        for step in range(rng.randint(1, 6)):
            at = min(started + timedelta(days=step * rng.randint(5, 30)), now)
            app.record_follow_up(
                sales,
                customer,
                kind=rng.choice(["call", "visit", "email", "meeting"]),
                notes=f"follow-up {step + 1} with {name}",
                occurred_at=at,
                next_follow_up_on=(at + timedelta(days=rng.randint(3, 45))).date(),
            )
        roll = rng.random()
        if roll < 0.6:
            app.qualify_customer(sales, customer)
        elif roll < 0.7:
            app.mark_customer_lost(sales, customer, rng.choice(["price", "timing", "no budget"]))
        if roll < 0.6 and rng.random() < 0.7:
            rating = rng.choices("ABCD", weights=[3, 4, 2, 1])[0]
            app.assess_credit(
                finance,
                customer,
                rating=rating,
                score={"A": 88, "B": 74, "C": 61, "D": 42}[rating] + rng.randint(-5, 5),
                credit_limit=Decimal(rng.choice([20_000, 50_000, 100_000, 250_000])),
                max_payment_term_days=rng.choice([30, 45, 60, 90]),
                guarantee_required=rating in "CD",
                valid_until=(now + timedelta(days=rng.randint(30, 365))).date(),
                basis="financial statements and payment history",
            )
            if rating in "CD":
                app.register_guarantee(
                    finance,
                    customer,
                    amount=Decimal(rng.choice([10_000, 30_000])),
                    kind=rng.choice(["bank", "deposit", "corporate"]),
                    expires_on=(now + timedelta(days=rng.randint(10, 400))).date(),
                )
            if rating == "D" and rng.random() < 0.5:
                app.place_credit_hold(finance, customer, "payment behaviour under review")
        if rng.random() < 0.4:
            app.enroll_membership(service, customer, rng.choice(["silver", "gold", "platinum"]))
            earned = 0
            for _ in range(rng.randint(1, 4)):
                points = rng.randint(50, 500)
                earned += points
                app.award_points(service, customer, points, "purchase")
            if rng.random() < 0.5:
                app.redeem_points(service, customer, rng.randint(1, earned), "gift voucher")
            app.record_satisfaction(service, customer, rng.randint(3, 5), "survey")
        if rng.random() < 0.05:
            app.assign_customer_owner(manager, customer, rng.choice(company.sales_people))
    return written
