"""Demo expense claims: a month of the staff's claims, decided and paid, on the demo budget.

The month is the 30 days before now (and inside the demo's back-dating window). Sales
people claim travel and client entertainment on the sales line, service agents office
supplies on the customer-service line, marketers trips to fairs on the promotion line,
others trainings on the personnel line; the line's quarter is that of the day the
money was spent. Each claim is written start to finish before the next: handed in a day
or three after the spending, decided hours to days later (mostly by the claimant's
manager, about one in four by the finance manager), paid out by finance a few days
after the approval; whatever would fall after now is left undone, so the newest claims
may still be waiting. Two claims are rejected (one filed twice for the same dinner and
refiled correctly on the same receipt once the first was rejected, one a private
purchase).

It never fails on its own dice: every amount lies below the expense standard of its
type, and a claim is approved only when its budget line has room for it then (else it
is rejected: the line is spent). Claims are written only where the budget of their
year exists and is approved. The part draws its dice from a copy of the company's
generator, so the parts written after it see the same dice as before it existed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.commands.expense_claims import (
    ApproveExpenseClaim,
    MarkExpenseClaimPaid,
    RejectExpenseClaim,
    SubmitExpenseClaim,
)
from application.queries import budget_of_year
from domain.budget import QUARTERS, Budget
from domain.employee import Employee
from domain.expense_claim import ExpenseClaim
from interfaces.demo.company import DemoCompany

DAYS = 30


@dataclass(frozen=True)
class Kind:
    """What a staff role claims: type, budget category, amount range and what for."""

    expense_type: str
    category: str
    low: int
    high: int
    what: str


KINDS = {
    "sales": (
        Kind("travel", "sales", 300, 3500, "train and hotel for a customer visit"),
        Kind("entertainment", "sales", 200, 1800, "dinner with a customer's buyers"),
    ),
    "sales_manager": (Kind("travel", "sales", 800, 4000, "flight to a key account"),),
    "service": (Kind("office", "customer_service", 100, 900, "headsets and supplies"),),
    "marketing": (Kind("travel", "promotion", 400, 2500, "trip to a trade fair"),),
    "finance": (Kind("training", "personnel", 500, 2500, "tax update course"),),
    "hr": (Kind("training", "personnel", 500, 2000, "labour law seminar"),),
}
# (staff role, number in that role) of the claimants, in the order they claim.
CLAIMANTS = (
    ("sales", 0),
    ("sales", 1),
    ("service", 1),
    ("sales", 2),
    ("marketing", 1),
    ("sales", 3),
    ("sales_manager", 1),
    ("sales", 4),
    ("service", 2),
    ("finance", 1),
    ("sales", 0),
    ("marketing", 2),
    ("hr", 1),
    ("sales", 1),
    ("sales", 2),
    ("service", 1),
    ("sales", 3),
    ("sales", 4),
    ("marketing", 1),
    ("sales", 0),
)
# The claims (by number) that are turned down, and why; the first is refiled.
DOUBLE_FILED = 3
PRIVATE = 12
REFILE_REASON = "the dinner was claimed with the whole table; claim your own share"


class ClaimWriter:
    """Writes each claim through the application, as the people of the demo."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app = company.app
        self.rng = random.Random()
        self.rng.setstate(company.rng.getstate())
        self.now = company.now
        earliest = company.now - company.reach + timedelta(days=1)
        self.first_day = max(
            (company.now - timedelta(days=DAYS)).date(), earliest.astimezone(UTC).date()
        )
        self.roles = {eid: role for role, ids in company.staff.items() for eid in ids}
        self.statuses: Counter[str] = Counter()
        self.receipts = 0

    def write(self) -> None:
        last_day = (self.now - timedelta(days=1)).date()
        if last_day < self.first_day:
            return
        span = (last_day - self.first_day).days
        days = sorted(self.rng.randint(0, span) for _ in CLAIMANTS)
        for number, ((role, n), offset) in enumerate(zip(CLAIMANTS, days, strict=True)):
            self.claim(
                number, self.company.person(role, n), role, self.first_day + timedelta(offset)
            )
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
        self.company.summary.append(f"{sum(self.statuses.values())} expense claims ({statuses})")

    def budget(self, day: date) -> Budget | None:
        budget_id = budget_of_year(self.app, day.year)
        if budget_id is None:
            return None
        budget = self.app.get(budget_id, Budget)
        return budget if budget.status == "approved" else None

    def at(self, day: date, hours: float) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC) + timedelta(hours=hours)

    def claim(self, number: int, claimant: str, role: str, spent_on: date) -> None:
        """One claim from the spending to the payment, as far as the calendar has come."""
        budget = self.budget(spent_on)
        if budget is None:
            return
        app, rng = self.app, self.rng
        kind = rng.choice(KINDS[role])
        period = QUARTERS[(spent_on.month - 1) // 3]
        amount = Decimal(rng.randint(kind.low * 10, kind.high * 10)) / 10
        self.receipts += 1
        receipt = f"FP-{spent_on:%Y%m%d}-{self.receipts:03d}"
        handed_in = min(self.at(spent_on, rng.uniform(24, 72)), self.now - timedelta(minutes=5))
        fields: dict[str, Any] = {
            "expense_type": kind.expense_type,
            "spent_on": spent_on,
            "description": kind.what,
            "receipt_ref": receipt,
            "budget_id": budget.id,
            "category": kind.category,
            "period": period,
        }
        as_claimant = self.company.as_(claimant, role)
        if number == DOUBLE_FILED:
            whole_table = app.handle(
                as_claimant, SubmitExpenseClaim(amount=amount * 3, occurred_at=handed_in, **fields)
            ).id
            rejected_at = self.decide(whole_table, claimant, handed_in, reject=REFILE_REASON)
            if rejected_at is None:
                return
            handed_in = min(rejected_at + timedelta(hours=2), self.now - timedelta(minutes=1))
        claim_id = app.handle(
            as_claimant, SubmitExpenseClaim(amount=amount, occurred_at=handed_in, **fields)
        ).id
        reason = "a private purchase, not a business expense" if number == PRIVATE else None
        self.decide(claim_id, claimant, handed_in, reject=reason)

    def decide(
        self, claim_id: UUID, claimant: str, handed_in: datetime, reject: str | None = None
    ) -> datetime | None:
        """The manager (or the finance manager) decides; finance pays. When it was decided."""
        app, rng = self.app, self.rng
        decided = handed_in + timedelta(hours=rng.uniform(3, 70))
        if decided > self.now:
            self.statuses["submitted"] += 1
            return None
        manager = app.get(UUID(claimant), Employee).manager_id
        finance_head = self.company.person("finance")
        if manager is None or (rng.random() < 0.25 and claimant != finance_head):
            decider = self.company.as_(finance_head, "finance")
        else:
            decider = self.company.as_(manager, self.roles.get(manager, "sales_manager"))
        if reject is None and not self.has_room(claim_id):
            reject = "the budget line has no room left this quarter"
        if reject is not None:
            app.handle(decider, RejectExpenseClaim(claim_id, reject, occurred_at=decided))
            self.statuses["rejected"] += 1
            return decided
        app.handle(decider, ApproveExpenseClaim(claim_id, occurred_at=decided))
        paid_on = (decided + timedelta(days=rng.randint(2, 6))).date()
        if paid_on > self.now.date():
            self.statuses["approved"] += 1
            return decided
        payer = self.company.person("finance", 1 if claimant == finance_head else 0)
        app.handle(self.company.as_(payer, "finance"), MarkExpenseClaimPaid(claim_id, paid_on))
        self.statuses["paid"] += 1
        return decided

    def has_room(self, claim_id: UUID) -> bool:
        claim = self.app.get(claim_id, ExpenseClaim)
        budget = self.app.get(claim.budget_id, Budget)
        return budget.available(claim.category, claim.period) >= claim.amount


def write_claims(company: DemoCompany) -> None:
    """Write a month of the staff's expense claims; adds a line to the summary."""
    ClaimWriter(company).write()
