"""Demo people: a staffed company hired from candidates, and its quarterly appraisal.

`write_staff` runs first and draws no dice: the roster is fixed, so every later part
of the demo sees the same sequence of its seed. Everyone is hired through candidate,
screening, interview and background check at the start of the demo's window; a couple
of candidates are turned down on the way. Then hr drafts a staffing plan per department
for the demo's year, as many places per position as the roster fills, which an
executive approves; the next sales representative, who passed every step, is refused
as over plan (`headcount_exceeded`) and turned down. Each person's employee id is the subject
the other parts of the demo act as (`DemoCompany.person`).

`write_appraisals` runs last: the quarterly appraisal of the last full quarter for
everyone hired before it ended, with evaluations by the manager (hr for the chief
executive), the employee, two peers and, for sales and service staff, a user from the
other customer-facing team. Employees with targets for the quarter are finalised only
when the back office can read their KPI attainment (the back office's `kpi_attainment` port);
otherwise their appraisal is left open with its evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import ROUND_CEILING, Decimal
from random import Random
from uuid import UUID

from application.backoffice import Request
from application.commands.employees import (
    AwardBonus,
    FinalizeAppraisal,
    GrantHonor,
    HireEmployee,
    OpenAppraisal,
    RecordInterview,
    RecordTraining,
    RegisterCandidate,
    RejectCandidate,
    SetEmployeeTargets,
    StartImprovementPlan,
    SubmitEvaluation,
)
from application.commands.staffing import (
    ApproveStaffingPlan,
    DraftStaffingPlan,
    SubmitStaffingPlan,
)
from application.ports import no_kpi_attainment
from domain.employee import Employee, Target
from domain.errors import HeadcountExceeded
from interfaces.demo.company import DemoCompany

# The subject that staffs the company before its hr exists.
FOUNDER = "it-admin"


@dataclass(frozen=True)
class Hire:
    """One person of the roster: staff role, name, position, department, grade, manager."""

    role: str
    name: str
    position: str
    department: str
    grade: str
    manager: tuple[str, int] | None


ROSTER = (
    Hire("executive", "Chen Jianguo", "Chief executive", "management", "E1", None),
    Hire("hr", "Zhao Min", "Head of HR", "hr", "M2", ("executive", 0)),
    Hire("executive", "Lin Yue", "Chief financial officer", "management", "E2", ("executive", 0)),
    Hire("hr", "Sun Li", "HR specialist", "hr", "P3", ("hr", 0)),
    Hire("legal", "Gao Ping", "Legal counsel", "legal", "P4", ("executive", 0)),
    Hire("finance", "Wu Fang", "Finance manager", "finance", "M1", ("executive", 1)),
    Hire("finance", "Zheng Hao", "Accountant", "finance", "P3", ("finance", 0)),
    Hire("sales_manager", "Wang Qiang", "Head of sales", "sales", "M2", ("executive", 0)),
    Hire("sales_manager", "Liu Na", "Sales team lead", "sales", "M1", ("sales_manager", 0)),
    Hire("sales", "Li Lei", "Account manager", "sales", "P3", ("sales_manager", 0)),
    Hire("sales", "Han Mei", "Account manager", "sales", "P3", ("sales_manager", 0)),
    Hire("sales", "Zhou Jie", "Sales representative", "sales", "P2", ("sales_manager", 0)),
    Hire("sales", "Xu Ting", "Sales representative", "sales", "P2", ("sales_manager", 1)),
    Hire("sales", "Ma Chao", "Sales representative", "sales", "P2", ("sales_manager", 1)),
    Hire("marketing", "He Jing", "Marketing manager", "marketing", "M1", ("executive", 0)),
    Hire("marketing", "Luo Bin", "Digital marketer", "marketing", "P3", ("marketing", 0)),
    Hire("marketing", "Tang Xue", "Events marketer", "marketing", "P2", ("marketing", 0)),
    Hire("service", "Feng Lan", "Service lead", "service", "M1", ("executive", 0)),
    Hire("service", "Deng Yu", "Service agent", "service", "P2", ("service", 0)),
    Hire("service", "Cao Yang", "Service agent", "service", "P2", ("service", 0)),
)
# Candidates who do not make it: (name, position, department, the step they fail; "plan":
# none, their hire is refused as over the staffing plan).
TURNED_DOWN = (
    ("Qian Bo", "Sales representative", "sales", "plan"),
    ("Yang Fei", "Accountant", "finance", "background_check"),
)
# Every sales person's quarterly targets (metrics of DOMAIN.md; weights sum to 1), for a
# demo of 300 customers: about what the demo's five sales people reach in a quarter of it.
# Smaller or larger demos scale them by their number of customers.
SALES_TARGETS = (
    ("revenue", Decimal("750000"), Decimal("0.4")),
    ("contracts_signed", Decimal("28"), Decimal("0.2")),
    ("collections", Decimal("600000"), Decimal("0.25")),
    ("new_customers", Decimal("11"), Decimal("0.15")),
)
TARGETS_FOR_CUSTOMERS = 300
# The budgeted monthly cost of a head, by the first letter of the grade.
MONTHLY_COST = {"E": Decimal("80000"), "M": Decimal("40000"), "P": Decimal("18000")}
CUSTOMER_FACING = ("sales", "service")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarters_from(first: date, last: date) -> list[str]:
    """The periods `YYYY-Qn` from the quarter of one day to that of another."""
    year, quarter = quarter_of(first)
    periods = []
    while (year, quarter) <= quarter_of(last):
        periods.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return periods


class StaffWriter:
    """Hires the roster, then trains it and sets the sales people's targets."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app = company.app
        # The first moment the demo's back-dating window allows, as the other parts use.
        self.start = company.now - company.reach + timedelta(hours=1)
        self.today = company.now.astimezone(UTC).date()
        self.hired_on = min((self.start + timedelta(hours=3)).astimezone(UTC).date(), self.today)
        self.founder = company.as_(FOUNDER, "admin")

    def hr(self) -> Request:
        staff = self.company.staff.get("hr")
        return self.company.as_(staff[0], "hr") if staff else self.founder

    def recruit(self, name: str, position: str, department: str, fails: str | None = None) -> UUID:
        """A candidate through screening, interview and background check."""
        app, hr = self.app, self.hr()
        eid = app.handle(
            hr,
            RegisterCandidate(
                name=name, position=position, department=department, source="referral"
            ),
        ).id
        for step, kind in enumerate(("screening", "interview", "background_check")):
            result = "fail" if kind == fails else "pass"
            app.handle(
                hr,
                RecordInterview(
                    eid,
                    kind=kind,
                    result=result,
                    score=None if kind == "background_check" else 70 + 5 * step + len(name) % 10,
                    notes=f"{kind.replace('_', ' ')}: {result}",
                    occurred_at=self.start + timedelta(minutes=10 * step),
                ),
            )
            if result == "fail":
                app.handle(hr, RejectCandidate(eid, f"did not pass the {kind.replace('_', ' ')}"))
                break
        return eid

    def write(self) -> None:
        company, app = self.company, self.app
        for hire in ROSTER:
            eid = self.recruit(hire.name, hire.position, hire.department)
            manager = company.person(*hire.manager) if hire.manager else None
            app.handle(
                self.hr(),
                HireEmployee(
                    eid,
                    hired_on=self.hired_on,
                    position=hire.position,
                    department=hire.department,
                    manager_id=manager,
                    grade=hire.grade,
                ),
            )
            company.staff.setdefault(hire.role, []).append(str(eid))
        plans = self.staffing_plans()
        refused = 0
        for name, position, department, fails in TURNED_DOWN:
            eid = self.recruit(name, position, department, fails)
            if fails == "plan":
                refused += self.over_plan(eid, position, department)
        company.sales_people = list(company.staff["sales"])
        self.train()
        targets = self.targets()
        company.summary.append(
            f"{len(ROSTER)} staff hired ({len(TURNED_DOWN)} candidates turned down), "
            f"{plans} staffing plans approved ({refused} hire refused as over plan), "
            f"{targets} quarterly targets set"
        )

    def staffing_plans(self) -> int:
        """A plan per department for the demo's year: the roster's places, approved."""
        company, app = self.company, self.app
        lines: dict[str, dict[str, tuple[int, str]]] = {}
        for hire in ROSTER:
            held, grade = lines.setdefault(hire.department, {}).get(hire.position, (0, hire.grade))
            lines[hire.department][hire.position] = (held + 1, grade)
        hr = self.hr()
        chief = company.as_(company.person("executive"), "executive")
        for department, positions in lines.items():
            plan = app.handle(
                hr,
                DraftStaffingPlan(
                    department=department,
                    fiscal_year=self.today.year,
                    lines=[
                        {
                            "position": position,
                            "quarter": quarter,
                            "headcount": headcount,
                            "monthly_cost_per_head": MONTHLY_COST[grade[0]],
                        }
                        for position, (headcount, grade) in positions.items()
                        for quarter in ("Q1", "Q2", "Q3", "Q4")
                    ],
                ),
            ).id
            app.handle(hr, SubmitStaffingPlan(plan))
            app.handle(chief, ApproveStaffingPlan(plan))
        return len(lines)

    def over_plan(self, eid: UUID, position: str, department: str) -> int:
        """Try to hire a candidate the plan has no place for; turn them down. 1 if refused."""
        try:
            self.app.handle(
                self.hr(),
                HireEmployee(eid, hired_on=self.today, position=position, department=department),
            )
        except HeadcountExceeded:
            self.app.handle(self.hr(), RejectCandidate(eid, "no free place in the staffing plan"))
            return 1
        return 0

    def train(self) -> None:
        """Onboarding for everyone by hr; a skills course for each sales person by their manager."""
        company, app = self.company, self.app
        onboarding = min(self.hired_on + timedelta(days=2), self.today)
        for role, ids in company.staff.items():
            for eid in ids:
                app.handle(
                    self.hr(),
                    RecordTraining(
                        UUID(eid),
                        course="Company onboarding",
                        kind="onboarding",
                        hours=Decimal("8"),
                        completed_on=onboarding,
                        score=90,
                        feedback="welcome days" if role != "executive" else None,
                    ),
                )
        skills = min(self.hired_on + timedelta(days=20), self.today)
        for number, eid in enumerate(company.staff["sales"]):
            manager = company.person("sales_manager", 0 if number < 3 else 1)
            app.handle(
                company.as_(manager, "sales_manager"),
                RecordTraining(
                    UUID(eid),
                    course="Consultative selling",
                    kind="skills",
                    hours=Decimal("12.5"),
                    completed_on=skills,
                    score=75 + 4 * number,
                ),
            )

    def targets(self) -> int:
        """Every sales person's targets for each quarter of the demo, set by the head of sales."""
        company = self.company
        head = company.as_(company.person("sales_manager"), "sales_manager")
        scale = Decimal(company.planned_customers) / TARGETS_FOR_CUSTOMERS
        items: list[Target] = [
            {
                "metric": metric,
                "target": max((target * scale).quantize(Decimal(1), ROUND_CEILING), Decimal(1)),
                "weight": weight,
            }
            for metric, target, weight in SALES_TARGETS
        ]
        count = 0
        for period in quarters_from(self.hired_on, self.today):
            for eid in company.staff["sales"]:
                self.app.handle(head, SetEmployeeTargets(UUID(eid), period=period, items=items))
                count += 1
        return count


def write_staff(company: DemoCompany) -> None:
    """Staff the company; the other parts act as these people."""
    StaffWriter(company).write()


def scores(rng: Random, base: int, spread: int = 6) -> dict[str, int]:
    """Three component scores around a person's level."""
    return {
        f"{c}_score": max(0, min(100, base + rng.randint(-spread, spread)))
        for c in ("kpi", "goals", "attitude")
    }


def last_full_quarter(today: date) -> str:
    year, quarter = quarter_of(today)
    year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return f"{year}-Q{quarter}"


def evaluators(
    company: DemoCompany,
    role_of: dict[str, str],
    eid: str,
    record: Employee,
    hr_head: Request,
) -> list[tuple[Request, str]]:
    """Who evaluates a person, and as what: superior, self, two peers, maybe a customer voice."""
    rng = company.rng
    superior = (
        company.as_(record.manager_id, role_of[record.manager_id]) if record.manager_id else hr_head
    )
    evaluations = [(superior, "superior"), (company.as_(eid, role_of[eid]), "self")]
    # One evaluation per evaluator: the superior (hr for whoever has no manager) is
    # never drawn as a peer too.
    everyone = list(role_of)
    peers = [p for p in everyone if p not in (eid, record.manager_id, superior.caller.actor)]
    for peer in rng.sample(peers, k=2):
        evaluations.append((company.as_(peer, role_of[peer]), "peer"))
    if role_of[eid] in CUSTOMER_FACING:
        other_team = "service" if role_of[eid] == "sales" else "sales"
        voice = rng.choice(company.staff[other_team])
        if all(voice != who.caller.actor for who, _ in evaluations):
            evaluations.append((company.as_(voice, other_team), "customer"))
    return evaluations


def write_appraisals(company: DemoCompany) -> None:
    """The quarterly appraisal of the last full quarter, evaluated and finalised."""
    app, rng = company.app, company.rng
    today = company.now.astimezone(UTC).date()
    period = last_full_quarter(today)
    year, quarter = int(period[:4]), int(period[-1])
    ends = quarter_start(year + (quarter == 4), 1 if quarter == 4 else quarter + 1)
    hr_head = company.as_(company.person("hr"), "hr")
    role_of = {eid: role for role, ids in company.staff.items() for eid in ids}
    everyone = list(role_of)
    finalised, left_open, ratings = 0, 0, {}
    for number, eid in enumerate(everyone):
        employee_id = UUID(eid)
        record = app.get(employee_id, Employee)
        assert record.hired_on is not None, "the demo's staff are all hired"
        if record.hired_on >= ends:
            continue
        appraisal = UUID(
            app.handle(hr_head, OpenAppraisal(employee_id, cycle="quarterly", period=period)).extra[
                "appraisal_id"
            ]
        )
        # Most people do well; a few do not (one in seven is weak).
        base = rng.randint(50, 66) if number % 7 == 3 else rng.randint(70, 95)

        for who, source in evaluators(company, role_of, eid, record, hr_head):
            app.handle(
                who,
                SubmitEvaluation(
                    employee_id,
                    appraisal,
                    source=source,
                    comments=f"{source} view of the quarter",
                    **scores(rng, base),
                ),
            )
        if record.targets_for(period) is not None and app.ports.kpi_attainment is no_kpi_attainment:
            left_open += 1
            continue
        result = app.handle(hr_head, FinalizeAppraisal(employee_id, appraisal)).extra
        finalised += 1
        ratings[eid] = (result["rating"], Decimal(result["score"]), appraisal)
    incentives(company, ratings, today)
    company.summary.append(
        f"{period} appraisals: {finalised} finalised"
        + (f", {left_open} awaiting KPI attainment" if left_open else "")
    )


def incentives(
    company: DemoCompany, ratings: dict[str, tuple[str, Decimal, UUID]], today: date
) -> None:
    """Bonuses for S and A, an honour for the best, an improvement plan for C and D."""
    app = company.app
    executive = company.as_(company.person("executive"), "executive")
    hr_head = company.as_(company.person("hr"), "hr")
    for eid, (rating, _score, appraisal) in ratings.items():
        if rating in ("S", "A"):
            app.handle(
                executive,
                AwardBonus(
                    UUID(eid),
                    amount=Decimal("8000.00") if rating == "S" else Decimal("3000.00"),
                    reason=f"quarterly appraisal rated {rating}",
                    appraisal_id=appraisal,
                ),
            )
        elif rating in ("C", "D"):
            app.handle(
                hr_head,
                StartImprovementPlan(
                    UUID(eid),
                    goals=(
                        "close the gaps named in the appraisal; a monthly check-in with the manager"
                    ),
                    due_on=today + timedelta(days=90),
                ),
            )
    if ratings:
        best = max(ratings, key=lambda e: ratings[e][1])
        app.handle(executive, GrantHonor(UUID(best), title="Employee of the quarter"))
