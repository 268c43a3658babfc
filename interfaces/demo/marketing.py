"""Demo budget and campaigns: an approved annual budget, its execution, a dozen campaigns.

The budget is for the year most of the demo's history (`DemoCompany.reach`) lies in: this
year, or early in a year the one before. Every fact is dated in the part of that year the
history reaches, so a short history simply has fewer results.
Campaigns run online and offline; two overspend their commitment and the line, and an
executive approves an overrun for them; one is rejected, revised and approved; one is
cancelled; those of quarters still ahead are approved but not launched. Campaigns bring
leads registered with the campaign as their source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from application.backoffice import Request
from application.commands.budgets import (
    ApproveBudget,
    ApproveOverrun,
    CommitBudget,
    DraftBudget,
    ReallocateBudget,
    RecordExpense,
    ReleaseCommitment,
    RequestOverrun,
    SubmitBudget,
)
from application.commands.campaigns import (
    AmendCampaign,
    ApproveCampaign,
    CancelCampaign,
    CompleteCampaign,
    DraftCampaign,
    EvaluateCampaign,
    LaunchCampaign,
    RecordCampaignResult,
    RejectCampaign,
    SubmitCampaign,
)
from application.commands.customers import RegisterLead
from domain.budget import QUARTERS, Budget, quarter_bounds
from domain.campaign import Campaign
from domain.errors import DuplicateBudget, DuplicateCustomer
from interfaces.demo.company import DemoCompany

REGIONS = ["north", "south", "east", "west", "central"]
INDUSTRIES = ["retail", "manufacturing", "finance", "education", "healthcare", "logistics"]
NAMES = ["Xinghe", "Hengtai", "Longsheng", "Anda", "Shengshi", "Yongxin", "Fuhua", "Zhongtian"]
SUFFIXES = ["Trading", "Technology", "Foods", "Logistics", "Media", "Textiles", "Pharma"]
ONLINE = {"social", "search", "email", "industry_site"}

PLAN = {
    "sales": ("80000", "90000", "90000", "100000"),
    "promotion": ("60000", "70000", "70000", "80000"),
    "customer_service": ("30000", "30000", "30000", "30000"),
    "personnel": ("200000", "200000", "200000", "200000"),
}
TARGETS = (
    ("1200000", 400, 20),
    ("1400000", 450, 24),
    ("1500000", 480, 26),
    ("1800000", 560, 30),
)


@dataclass(frozen=True)
class Plan:
    """One demo campaign: what it is, what it may spend, and how it goes."""

    name: str
    objective: str
    channels: tuple[str, ...]
    quarter: str
    amount: int
    # Spend as a share of the budget amount (above 1: over budget, with an overrun).
    spent: float = 0.9
    rejected_first_at: int | None = None
    cancelled: bool = False
    # Runs until its quarter ends (so, in the current quarter, it is still running).
    to_quarter_end: bool = False


CAMPAIGNS = (
    Plan(
        "New Year social push",
        "brand awareness after the holidays",
        ("social", "search"),
        "Q1",
        18000,
    ),
    Plan(
        "Spring trade fair",
        "meet distributors at the spring fair",
        ("exhibition", "pr_event"),
        "Q1",
        30000,
        spent=1.2,
    ),
    Plan(
        "Industry portal banners", "leads from the industry portal", ("industry_site",), "Q1", 8000
    ),
    Plan("Email nurture series", "wake dormant leads", ("email",), "Q2", 6000, spent=0.7),
    Plan("Search always-on Q2", "steady inbound leads", ("search",), "Q2", 20000),
    Plan(
        "Dealer promotion",
        "sell-in through dealers",
        ("promotion", "advertising"),
        "Q2",
        25000,
        rejected_first_at=35000,
    ),
    Plan("Customer day", "loyalty of key accounts", ("pr_event",), "Q2", 15000, spent=0.85),
    Plan("Summer print ads", "reach in the trade press", ("advertising",), "Q3", 28000),
    Plan("Social video series", "product demos on video", ("social",), "Q3", 22000, spent=1.25),
    Plan("Regional roadshow", "visit the southern region", ("exhibition", "pr_event"), "Q3", 18000),
    Plan("Podcast sponsorship", "reach engineers", ("advertising",), "Q3", 8000, cancelled=True),
    Plan(
        "Year-end promotion",
        "close the year strong",
        ("promotion", "search", "social"),
        "Q4",
        40000,
        to_quarter_end=True,
    ),
    Plan("Autumn trade fair", "meet buyers at the autumn fair", ("exhibition",), "Q4", 30000),
)


class MarketingDemo:
    """Writes the budget and the campaigns; keeps what it needs between its steps."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app = company.app
        self.rng = company.rng
        self.now = company.now
        # The year most of the history lies in: early in a year, the year before.
        self.year = (company.now - company.reach / 2).year
        # The earliest business time the back-dating window of the demo accepts.
        self.earliest = company.now - company.reach + timedelta(hours=1)
        self.finance = company.as_(company.person("finance"), "finance")
        self.executive = company.as_(company.person("executive", 0), "executive")
        self.cfo = company.as_(company.person("executive", 1), "executive")
        self.manager = company.as_(company.person("sales_manager"), "sales_manager")
        self.marketers = list(company.staff["marketing"])
        self.lead_number = 0
        self.statuses: dict[str, int] = {}
        self.leads = 0
        self.overruns = 0

    def moment(self, day: date, hour: int = 10) -> datetime | None:
        """A business time on a day, within the window; None when it lies ahead."""
        at = datetime.combine(day, time(hour), tzinfo=UTC)
        if at > self.now:
            return None
        return max(at, self.earliest)

    def write(self) -> None:
        try:
            budget_id = self.budget()
        except DuplicateBudget as duplicate:
            self.company.summary.append(
                f"budget {self.year} exists ({duplicate.facts['existing_id']}); campaigns skipped"
            )
            return
        self.expenses(budget_id)
        for number, plan in enumerate(CAMPAIGNS):
            self.campaign(budget_id, number, plan)
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        self.company.summary.append(
            f"budget {self.year} approved, {sum(self.statuses.values())} campaigns ({statuses}), "
            f"{self.overruns} overruns approved, {self.leads} campaign leads"
        )

    def budget(self) -> UUID:
        """Draft, submit and approve the year's budget; one reallocation in Q3."""
        app = self.app
        lines = [
            {"category": category, "period": QUARTERS[n], "amount": amount}
            for category, amounts in PLAN.items()
            for n, amount in enumerate(amounts)
        ]
        targets = [
            {"period": QUARTERS[n], "revenue": revenue, "units": units, "new_customers": new}
            for n, (revenue, units, new) in enumerate(TARGETS)
        ]
        budget_id = app.handle(
            self.finance,
            DraftBudget(
                fiscal_year=self.year,
                name=f"Operating budget {self.year}",
                lines=lines,
                targets=targets,
            ),
        ).id
        app.handle(self.finance, SubmitBudget(budget_id))
        app.handle(self.executive, ApproveBudget(budget_id))
        app.handle(
            self.executive,
            ReallocateBudget(
                budget_id,
                from_category="customer_service",
                from_period="Q3",
                to_category="promotion",
                to_period="Q3",
                amount=Decimal("10000"),
                reason="summer campaigns ahead of plan",
            ),
        )
        return budget_id

    def expense(self, budget_id: UUID, day: date, **fields: Any) -> None:
        at = self.moment(day)
        if at is not None:
            self.app.handle(self.finance, RecordExpense(budget_id, occurred_at=at, **fields))

    def expenses(self, budget_id: UUID) -> None:
        """Salaries, offices, travel and entertainment by month; a booth committed a quarter."""
        self.monthly_expenses(budget_id)
        self.exhibition_booths(budget_id)
        self.key_account_dinner(budget_id)

    def monthly_expenses(self, budget_id: UUID) -> None:
        """The running costs of each month so far, and a sales training mid-quarter."""
        rng = self.rng
        for month in range(1, 13):
            quarter = QUARTERS[(month - 1) // 3]
            day = date(self.year, month, 25)
            if self.moment(day) is None:
                break
            for category, kind, low, high in (
                ("personnel", "salary", 55000, 62000),
                ("customer_service", "office", 3000, 6000),
                ("sales", "travel", 5000, 15000),
                ("sales", "entertainment", 2000, 4800),
            ):
                self.expense(
                    budget_id,
                    day,
                    category=category,
                    period=quarter,
                    amount=Decimal(rng.randint(low, high)),
                    expense_type=kind,
                    description=f"{kind} {day:%Y-%m}",
                )
            if month % 3 == 2:
                self.expense(
                    budget_id,
                    day - timedelta(days=10),
                    category="personnel",
                    period=quarter,
                    amount=Decimal(rng.randint(3000, 6000)),
                    expense_type="training",
                    description=f"sales training {day:%Y-%m}",
                )

    def exhibition_booths(self, budget_id: UUID) -> None:
        """A booth a quarter: committed, spent, and released once the quarter is over."""
        app = self.app
        for n, quarter in enumerate(QUARTERS):
            start, _ = quarter_bounds(self.year, quarter)
            if start > self.now:
                break
            reference = f"PO-{self.year}-{quarter}-BOOTH"
            app.handle(
                self.finance,
                CommitBudget(
                    budget_id,
                    category="sales",
                    period=quarter,
                    amount=Decimal("20000"),
                    reference=reference,
                ),
            )
            self.expense(
                budget_id,
                start.date() + timedelta(days=40),
                category="sales",
                period=quarter,
                amount=Decimal(15000 + 1000 * n),
                expense_type="event",
                reference=reference,
                description=f"exhibition booth {quarter}",
            )
            if quarter_bounds(self.year, quarter)[1] < self.now:
                app.handle(self.finance, ReleaseCommitment(budget_id, reference))

    def key_account_dinner(self, budget_id: UUID) -> None:
        """A key-account dinner above the entertainment standard, with an approved overrun."""
        app = self.app
        day = min(self.now.date(), date(self.year, 6, 18))
        at = self.moment(day)
        if at is None:
            return
        quarter = QUARTERS[(day.month - 1) // 3]
        overrun = app.handle(
            self.manager,
            RequestOverrun(
                budget_id,
                category="sales",
                period=quarter,
                amount=Decimal("2500"),
                justification="dinner with the board of a key account",
            ),
        ).extra["overrun_id"]
        app.handle(self.cfo, ApproveOverrun(budget_id, overrun))
        self.overruns += 1
        self.expense(
            budget_id,
            day,
            category="sales",
            period=quarter,
            amount=Decimal("7200"),
            expense_type="entertainment",
            overrun_id=overrun,
            description="key account dinner",
        )

    def campaign(self, budget_id: UUID, number: int, plan: Plan) -> None:
        """One campaign through its lifecycle, as far as the calendar has come."""
        app = self.app
        owner_id = self.marketers[number % len(self.marketers)]
        owner = self.company.as_(owner_id, "marketing")
        starts_on, ends_on = self.campaign_dates(plan)
        campaign_id = self.approved_campaign(budget_id, owner, plan, starts_on, ends_on)
        if self.moment(starts_on) is None:
            if plan.cancelled:
                app.handle(owner, CancelCampaign(campaign_id, "the sponsor changed its format"))
            return self.tally(campaign_id)
        app.handle(owner, LaunchCampaign(campaign_id))
        self.results(budget_id, campaign_id, owner, plan, starts_on, ends_on)
        self.campaign_leads(campaign_id, starts_on, ends_on)
        if plan.cancelled:
            app.handle(owner, CancelCampaign(campaign_id, "the sponsor changed its format"))
        elif self.moment(ends_on + timedelta(days=1)) is not None:
            self.complete_and_evaluate(owner, campaign_id, plan)
        return self.tally(campaign_id)

    def campaign_dates(self, plan: Plan) -> tuple[date, date]:
        """When a campaign starts and ends: within its quarter, a few weeks long."""
        rng = self.rng
        quarter_start, quarter_end = quarter_bounds(self.year, plan.quarter)
        starts_on = quarter_start.date() + timedelta(days=rng.randint(3, 20))
        ends_on = min(
            starts_on + timedelta(days=rng.randint(25, 60)), quarter_end.date() - timedelta(days=1)
        )
        if plan.to_quarter_end:
            ends_on = quarter_end.date() - timedelta(days=1)
        return starts_on, ends_on

    def approved_campaign(
        self, budget_id: UUID, owner: Request, plan: Plan, starts_on: date, ends_on: date
    ) -> UUID:
        """Draft and submit a campaign (rejected and amended first if so planned); approve it."""
        app = self.app
        targets = {
            "impressions": plan.amount * (5 if ONLINE & set(plan.channels) else 2),
            "leads": plan.amount // 400,
            "conversions": plan.amount // 3000,
            "revenue": str(plan.amount * 6),
        }
        campaign_id = app.handle(
            owner,
            DraftCampaign(
                name=f"{plan.name} {self.year}",
                objective=plan.objective,
                channels=list(plan.channels),
                starts_on=starts_on,
                ends_on=ends_on,
                budget_amount=Decimal(plan.rejected_first_at or plan.amount),
                budget_id=budget_id,
                budget_period=plan.quarter,
                targets=targets,
            ),
        ).id
        app.handle(owner, SubmitCampaign(campaign_id))
        if plan.rejected_first_at is not None:
            app.handle(
                self.executive,
                RejectCampaign(
                    campaign_id,
                    f"{plan.rejected_first_at} is more than this channel returned last year; "
                    f"come back with at most {plan.amount}",
                ),
            )
            app.handle(owner, AmendCampaign(campaign_id, {"budget_amount": Decimal(plan.amount)}))
            app.handle(owner, SubmitCampaign(campaign_id))
        app.handle(self.executive, ApproveCampaign(campaign_id))
        return campaign_id

    def complete_and_evaluate(self, owner: Request, campaign_id: UUID, plan: Plan) -> None:
        """Complete a campaign that has ended; most are evaluated by the sales manager."""
        app, rng = self.app, self.rng
        app.handle(owner, CompleteCampaign(campaign_id))
        if rng.random() < 0.7:
            app.handle(
                self.manager,
                EvaluateCampaign(
                    campaign_id,
                    "reach as planned; leads above target"
                    if plan.spent <= 1
                    else "over budget, but the leads justified it",
                    rng.randint(3, 5),
                ),
            )

    def tally(self, campaign_id: UUID) -> None:
        status = self.app.get(campaign_id, Campaign).status
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def results(
        self,
        budget_id: UUID,
        campaign_id: UUID,
        owner: Any,
        plan: Plan,
        starts_on: date,
        ends_on: date,
    ) -> None:
        """Results spread over the campaign's days so far; spend as planned."""
        app, rng = self.app, self.rng
        last = min(ends_on, self.now.date())
        days = max((last - starts_on).days, 0)
        count = 1 if plan.cancelled else rng.randint(2, 4)
        total = Decimal(int(plan.amount * plan.spent))
        shares = [rng.uniform(0.7, 1.3) for _ in range(count)]
        for n, share in enumerate(shares):
            day = starts_on + timedelta(days=days * (n + 1) // count)
            at = self.moment(day, hour=17)
            if at is None:
                continue
            spend = (total * Decimal(share / sum(shares))).quantize(Decimal("1"))
            if plan.cancelled:
                spend = (spend / 3).quantize(Decimal("1"))
            self.make_room(budget_id, campaign_id, owner, plan, spend)
            channel = plan.channels[n % len(plan.channels)]
            online = channel in ONLINE
            impressions = int(float(spend) * (rng.uniform(3, 8) if online else rng.uniform(1, 3)))
            clicks = int(impressions * rng.uniform(0.008, 0.02)) if online else 0
            leads = max(int((clicks if online else impressions / 40) * rng.uniform(0.02, 0.05)), 1)
            conversions = int(leads * rng.uniform(0.08, 0.25))
            revenue = Decimal(conversions * rng.randint(8000, 25000))
            app.handle(
                owner,
                RecordCampaignResult(
                    campaign_id,
                    channel=channel,
                    spend=spend,
                    impressions=impressions,
                    clicks=clicks,
                    leads=leads,
                    conversions=conversions,
                    attributed_revenue=revenue,
                    feedback=rng.choice(
                        ["on plan", "strong response", "slow start", "good lead quality", None]
                    ),
                    occurred_at=at,
                ),
            )

    def make_room(
        self, budget_id: UUID, campaign_id: UUID, owner: Any, plan: Plan, spend: Decimal
    ) -> None:
        """Spend beyond the commitment gets an overrun: asked by the owner, approved."""
        budget = self.app.get(budget_id, Budget)
        uncovered = spend - budget.open_commitment(str(campaign_id))
        # The company's practice: spend above a campaign's approved amount is approved as
        # an overrun even where the line still has room.
        if uncovered <= 0 or (
            plan.spent <= 1 and uncovered <= budget.available("promotion", plan.quarter)
        ):
            return
        shortfall = (uncovered / 1000).to_integral_value(rounding="ROUND_CEILING")
        overrun = self.app.handle(
            owner,
            RequestOverrun(
                budget_id,
                category="promotion",
                period=plan.quarter,
                amount=shortfall * 1000,
                justification=f"{plan.name}: response above plan, extending the run",
            ),
        ).extra["overrun_id"]
        self.app.handle(self.executive, ApproveOverrun(budget_id, overrun))
        self.overruns += 1

    def campaign_leads(self, campaign_id: UUID, starts_on: date, ends_on: date) -> None:
        """A few customers registered with the campaign as their source."""
        app, rng = self.app, self.rng
        for _ in range(rng.randint(2, 5)):
            self.lead_number += 1
            sales = self.company.as_(rng.choice(self.company.sales_people), "sales")
            try:
                customer = app.handle(
                    sales,
                    RegisterLead(
                        name=f"{rng.choice(NAMES)} {rng.choice(SUFFIXES)} C{self.lead_number:03d}",
                        kind="company",
                        source="campaign",
                        campaign_id=campaign_id,
                        industry=rng.choice(INDUSTRIES),
                        region=rng.choice(REGIONS),
                        contacts=[
                            {
                                "name": f"Visitor {self.lead_number}",
                                "phone": f"+86 139 {self.lead_number:08d}",
                            }
                        ],
                    ),
                ).id
            except DuplicateCustomer:
                continue
            self.company.customers.append(customer)
            self.leads += 1


def write_marketing(company: DemoCompany) -> None:
    """Write the year's budget, its execution and the campaigns (before the customers)."""
    MarketingDemo(company).write()
