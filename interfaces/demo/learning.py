"""Demo training and research: two programs run and reviewed, two research reports published.

Training (培訓計劃, 培訓實施, 培訓效果評估): hr plans a selling workshop for the sales
team and a service course for the service team, each paid from the personnel line of a
quarter of the demo's budget; an executive approves them (the planned cost is committed),
hr enrols the people, records who attended which session and how they scored, completes
the program (the cost is booked, the hours go on every participant's record) and reviews
it. Their quarters are the latest of the budget's year whose following quarter is over,
so the review may be made now and reads the KPIs of the quarters before and after (the
sales people have targets in both, so the workshop's review carries a KPI change).
A third program, planned for the current quarter, is cancelled, releasing its commitment.

The program commands carry no business time of their own (API.md gives them none): they
happen today; the sessions are dated in their quarter and the completion on its day,
within the demo's back-dating window.

Research (市場調研與分析, 報告撰寫): the marketing manager publishes a market survey, and
the head of sales a win-loss study that an executive first returns for more detail; they
name the competitors the pipeline demo loses opportunities to (one written in other
case, as names are compared casefolded), and measure market share and brand awareness of
quarters already over with the values the marketing plan demo measured, which publishing
records on the year's approved plan.

No dice are thrown: the parts written after this one keep the seeded course they had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.commands.research_reports import (
    AcceptResearchReport,
    AmendResearchReport,
    DraftResearchReport,
    ReturnResearchReport,
    SubmitResearchReport,
)
from application.commands.training_programs import (
    ApproveTrainingProgram,
    CancelTrainingProgram,
    CompleteTrainingProgram,
    EnrollInTrainingProgram,
    EvaluateTrainingProgram,
    PlanTrainingProgram,
    RecordTrainingAssessment,
    RecordTrainingAttendance,
)
from application.ports import no_kpi_attainment
from domain.budget import QUARTERS, Budget, BudgetYear, quarter_bounds
from domain.marketing_plan import MarketingPlan, MarketingPlanYear
from domain.training_program import TrainingProgram, quarter_end, quarter_of, shift_quarter
from interfaces.demo.company import DemoCompany
from interfaces.demo.plans import MEASURED

CATEGORY = "personnel"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Course:
    """One demo program: what it is, who attends, what it costs and how it goes."""

    title: str
    kind: str
    objectives: str
    trainer: str
    # The departments it is for, the staff roles enrolled (everyone in them), and each
    # session's hours.
    departments: tuple[str, ...]
    roles: tuple[str, ...]
    hours: tuple[str, ...]
    planned_cost: Decimal
    # The actual cost as a share of the planned cost.
    spent: Decimal
    # (role, n) of participants who miss every session, and who miss the last one.
    absent: tuple[tuple[str, int], ...] = ()
    partly: tuple[tuple[str, int], ...] = ()


COURSES = (
    Course(
        "Solution selling workshop",
        "skills",
        "qualify needs, build the business case, negotiate on value rather than price",
        "Qin Wei (external trainer)",
        ("sales",),
        ("sales", "sales_manager"),
        ("6", "6", "4.5"),
        Decimal("4800.00"),
        Decimal("0.95"),
        absent=(("sales", 4),),
        partly=(("sales", 2), ("sales_manager", 0)),
    ),
    Course(
        "Complaint handling and service recovery",
        "professional",
        "answer within the SLA, find root causes, win the customer back",
        "Feng Lan with the customer service institute",
        ("service",),
        ("service",),
        ("4", "4"),
        Decimal("3200.00"),
        Decimal("0.9"),
        partly=(("service", 2),),
    ),
)
CANCELLED = Course(
    "Key account management",
    "management",
    "plan and grow the ten largest accounts",
    "external academy",
    ("sales",),
    ("sales_manager",),
    ("8",),
    Decimal("2500.00"),
    Decimal("0"),
)


def write_learning(company: DemoCompany) -> None:
    """Write the training programs and the research reports; adds to the summary."""
    TrainingWriter(company).write()
    ResearchWriter(company).write()


class TrainingWriter:
    """Runs each demo program from plan to review on the year's budget."""

    def __init__(self, company: DemoCompany) -> None:
        self.company, self.app = company, company.app
        self.today = company.now.astimezone(UTC).date()
        # The earliest day the demo's back-dating window allows.
        self.earliest = (company.now - company.reach + timedelta(hours=1)).date()
        # The year of the demo's budget (as the marketing demo chooses it).
        self.year = (company.now - company.reach / 2).year
        self.hr = company.as_(company.person("hr"), "hr")
        self.executive = company.as_(company.person("executive"), "executive")

    def budget(self) -> Budget | None:
        """The year's approved budget, or None."""
        try:
            key = self.app.get(BudgetYear.id_for(self.year), BudgetYear)
            budget = self.app.get(key.budget_id, Budget)
        except AggregateNotFoundError:
            return None
        return budget if budget.status == "approved" else None

    def quarters(self) -> list[str]:
        """The budget's quarters a program can be held in and reviewed now: the latest two."""
        reviewable = [
            q
            for q in QUARTERS
            if quarter_end(shift_quarter(f"{self.year}-{q}", 1)) < self.today
            and quarter_end(f"{self.year}-{q}") - timedelta(days=10) >= self.earliest
        ]
        return reviewable[-2:]

    def write(self) -> None:
        budget = self.budget()
        quarters = self.quarters()
        if budget is None or not quarters:
            self.company.summary.append("no training programs (no budget quarter to review)")
            return
        reviewed = 0
        for number, course in enumerate(COURSES):
            # The workshop in the latest quarter: its review compares two full quarters.
            quarter = quarters[max(len(quarters) - 1 - number, 0)]
            reviewed += self.run(budget.id, course, quarter)
        cancelled = self.cancel(budget.id)
        self.company.summary.append(
            f"{reviewed} training programs reviewed" + (", 1 cancelled" if cancelled else "")
        )

    def sessions(self, course: Course, first: date) -> list[dict[str, Any]]:
        """The course's sessions a week apart from a day, at nine in the morning."""
        return [
            {
                "starts_at": datetime.combine(first + timedelta(days=7 * n), time(9), tzinfo=UTC),
                "hours": Decimal(hours),
                "location": "Training room, head office",
            }
            for n, hours in enumerate(course.hours)
        ]

    def plan(self, budget_id: UUID, course: Course, quarter: str, first: date) -> UUID | None:
        """Plan and approve the program; None when the budget line has no room for it."""
        budget = self.app.get(budget_id, Budget)
        if budget.available(CATEGORY, quarter) < course.planned_cost:
            return None
        program_id = self.app.handle(
            self.hr,
            PlanTrainingProgram(
                title=course.title,
                kind=course.kind,
                objectives=course.objectives,
                trainer=course.trainer,
                sessions=self.sessions(course, first),
                planned_cost=course.planned_cost,
                budget_id=budget_id,
                period=quarter,
                target_departments=list(course.departments),
            ),
        ).id
        self.app.handle(self.executive, ApproveTrainingProgram(program_id))
        return program_id

    def participants(self, course: Course) -> list[tuple[str, int, str]]:
        """Everyone in the course's roles: (role, n, employee id)."""
        return [
            (role, n, eid)
            for role in course.roles
            for n, eid in enumerate(self.company.staff.get(role, []))
        ]

    def run(self, budget_id: UUID, course: Course, quarter: str) -> int:
        """Plan, approve, attend, assess, complete and review one program; 1 when reviewed."""
        app, hr = self.app, self.hr
        starts, ends = quarter_bounds(self.year, quarter[-2:])
        first = starts.date() + timedelta(days=35)
        program_id = self.plan(budget_id, course, quarter[-2:], first)
        if program_id is None:
            return 0
        sessions = [UUID(s["session_id"]) for s in app.get(program_id, TrainingProgram).sessions]
        for number, (role, n, eid) in enumerate(self.participants(course)):
            employee_id = UUID(eid)
            app.handle(hr, EnrollInTrainingProgram(program_id, employee_id))
            if (role, n) in course.absent:
                continue
            attended = sessions[:-1] if (role, n) in course.partly else sessions
            for session_id in sessions:
                app.handle(
                    hr,
                    RecordTrainingAttendance(
                        program_id, session_id, employee_id, session_id in attended
                    ),
                )
            pre = Decimal(52 + 3 * (number % 5))
            app.handle(
                hr,
                RecordTrainingAssessment(
                    program_id,
                    employee_id,
                    post_score=pre + 12 + 2 * (number % 4),
                    reaction=5 if number % 3 else 4,
                    pre_score=pre,
                    feedback="useful cases" if number % 2 else None,
                ),
            )
        completed_on = min(first + timedelta(days=7 * len(sessions)), ends.date(), self.today)
        completed_on = max(completed_on, self.earliest)  # a short demo's window is short
        actual = (course.planned_cost * course.spent).quantize(CENT)
        app.handle(hr, CompleteTrainingProgram(program_id, completed_on, actual))
        if app.ports.kpi_attainment is no_kpi_attainment:
            return 0  # the review reads the KPI attainments: left completed
        app.handle(hr, EvaluateTrainingProgram(program_id))
        return 1

    def cancel(self, budget_id: UUID) -> bool:
        """A program of the current quarter, approved and then called off."""
        quarter = quarter_of(self.today)
        if not quarter.startswith(str(self.year)):
            return False
        first = self.today + timedelta(days=14)
        program_id = self.plan(budget_id, CANCELLED, quarter[-2:], first)
        if program_id is None:
            return False
        self.app.handle(
            self.hr, CancelTrainingProgram(program_id, "the academy moved the course to next year")
        )
        return True


@dataclass(frozen=True)
class Study:
    """One demo research report: its fields, its author's role, whether it is returned once."""

    author: str
    fields: dict[str, Any]
    metric: str
    returned: bool = False


def competitor(
    name: str, share: str, position: str, strengths: list[str], weaknesses: list[str]
) -> dict[str, Any]:
    return {
        "name": name,
        "market_share": Decimal(share),
        "price_position": position,
        "strengths": strengths,
        "weaknesses": weaknesses,
    }


SURVEY = Study(
    "marketing",
    {
        "title": "Agency market survey",
        "topic": "how firms choose a marketing agency, and whom they choose",
        "method": "survey",
        "region": "north",
        "sample_size": 420,
        "market_size": Decimal("86000000.00"),
        "growth_rate": Decimal("0.065"),
        "competitors": [
            competitor(
                "Bluewave Media",
                "18.5",
                "high",
                ["national reach", "creative awards"],
                ["premium prices", "slow turnaround"],
            ),
            competitor("Apex Marketing", "12", "low", ["price"], ["thin service team"]),
            competitor(
                "Sunrise Agency", "7.5", "par", ["local presence", "price"], ["small portfolio"]
            ),
        ],
        "swot": {
            "strengths": ["service", "reporting"],
            "weaknesses": ["brand awareness in the south"],
            "opportunities": ["video for small firms"],
            "threats": ["price war"],
        },
        "customer_needs": ["measurable results", "one contact for every channel"],
        "findings": "Price decides the first deal; service decides the second.",
        "recommendations": ["bundle reporting with every package", "a video starter package"],
    },
    "market_share",
)
WIN_LOSS = Study(
    "sales_manager",
    {
        "title": "Win-loss interviews",
        "topic": "why prospects chose another agency",
        "method": "interview",
        "region": "south",
        "sample_size": 24,
        "competitors": [
            # Written as the interviewees did: compared casefolded with the pipeline's.
            competitor(
                "APEX marketing", "13.2", "low", ["price", "fast quotes"], ["thin service team"]
            ),
            competitor("Nova Digital", "5", "par", ["digital tooling"], ["no offline events"]),
            competitor("Bluewave Media", "17.9", "high", ["national reach"], ["premium prices"]),
        ],
        "customer_needs": ["a quote within two days"],
        "findings": "Deals lost on price went to Apex Marketing; larger ones to Bluewave Media.",
    },
    "brand_awareness",
    returned=True,
)


class ResearchWriter:
    """Drafts, submits and publishes the two research reports."""

    def __init__(self, company: DemoCompany) -> None:
        self.company, self.app = company, company.app
        self.now = company.now
        # The year of the demo's marketing plan (as the plan demo chooses it).
        self.year = (company.now - company.reach / 2).year
        self.chief = company.as_(company.person("executive"), "executive")
        self.cfo = company.as_(company.person("executive", 1), "executive")

    def measurable(self) -> list[int]:
        """Indexes of the plan year's quarters over, when the year's plan is approved."""
        try:
            key = self.app.get(MarketingPlanYear.id_for(self.year), MarketingPlanYear)
            plan = self.app.get(key.plan_id, MarketingPlan)
        except AggregateNotFoundError:
            return []
        if plan.approved is None:
            return []
        return [n for n, q in enumerate(QUARTERS) if quarter_bounds(self.year, q)[1] <= self.now]

    def write(self) -> None:
        over = self.measurable()
        self.publish(SURVEY, over[0] if over else None)
        self.publish(WIN_LOSS, over[-1] if over else None)
        measured = f", measuring {self.year}" if over else ""
        self.company.summary.append(f"2 research reports published{measured}")

    def fieldwork(self, quarter: int | None) -> tuple[date, date]:
        """Fieldwork in the last month of a quarter measured, else the last month."""
        if quarter is None:
            ends = self.now.astimezone(UTC).date()
        else:
            ends = quarter_bounds(self.year, QUARTERS[quarter])[1].date() - timedelta(days=3)
        return ends - timedelta(days=25), ends

    def publish(self, study: Study, quarter: int | None) -> UUID:
        """Draft, submit (again after a return when the study is returned) and accept."""
        app = self.app
        author = self.company.as_(self.company.person(study.author), study.author)
        fieldwork_from, fieldwork_to = self.fieldwork(quarter)
        measurements: list[dict[str, Any]] = []
        if quarter is not None:
            period = f"{self.year}-{QUARTERS[quarter]}"
            value = MEASURED[quarter][0 if study.metric == "market_share" else 1]
            measurements = [
                {"metric": study.metric, "period": period, "value": Decimal(value)},
                {"metric": "satisfaction", "period": period, "value": Decimal("84")},
            ]
        fields = {
            **study.fields,
            "title": f"{study.fields['title']} {fieldwork_to:%b %Y}",
            "fieldwork_from": fieldwork_from,
            "fieldwork_to": fieldwork_to,
            "measurements": measurements,
        }
        report_id = app.handle(author, DraftResearchReport(fields)).id
        app.handle(author, SubmitResearchReport(report_id))
        if study.returned:
            app.handle(
                self.chief,
                ReturnResearchReport(report_id, "name the deals lost to each competitor"),
            )
            app.handle(
                author,
                AmendResearchReport(
                    report_id,
                    {"recommendations": ["a price-match review for deals above 60,000"]},
                ),
            )
            app.handle(author, SubmitResearchReport(report_id))
        app.handle(self.cfo if study.returned else self.chief, AcceptResearchReport(report_id))
        return report_id
