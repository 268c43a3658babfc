"""Demo risk register: two risks of each category, assessed, treated, one closed.

Written last, from a fixed plan (no dice: the parts before it see the same sequence
of their seed with or without it). Each risk is identified, assessed and treated at
business times spread over the demo's window, in the order they happened and never
later than now; some are reassessed, their actions fall due before or after today and
some are completed, so the register shows overdue actions and past levels. One risk
is closed after its action was completed; one is only identified. The owners are the
demo's staff of the matching function (finance for credit, sales for market, service
for operational, legal for legal), and they record their own risks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.commands.risks import (
    AddRiskAction,
    AssessRisk,
    CloseRisk,
    CompleteRiskAction,
    IdentifyRisk,
)
from interfaces.demo.company import DemoCompany


@dataclass(frozen=True)
class Step:
    """One step of a risk at a share of the demo's window (0 its start, 1 now)."""

    at: float
    kind: str
    fields: dict


@dataclass(frozen=True)
class PlannedRisk:
    category: str
    title: str
    description: str
    owner: tuple[str, int]
    steps: tuple[Step, ...]


def assess(at: float, likelihood: int, impact: int, rationale: str) -> Step:
    return Step(at, "assess", {"likelihood": likelihood, "impact": impact, "rationale": rationale})


def action(
    at: float, description: str, due_in_days: int, done: tuple[float, str] | None = None
) -> Step:
    """An action due some days from today (before it when negative); done: (when, outcome)."""
    return Step(at, "action", {"description": description, "due": due_in_days, "done": done})


def close(at: float, reason: str) -> Step:
    return Step(at, "close", {"reason": reason})


PLAN = (
    PlannedRisk(
        "credit",
        "Distributor slow to pay",
        "Our largest distributor has let two invoices run past 60 days.",
        ("finance", 0),
        (
            assess(0.20, 4, 4, "payment history of the last two quarters"),
            action(
                0.22,
                "ask for a bank guarantee before the next order",
                -40,
                done=(0.45, "guarantee signed"),
            ),
            assess(0.50, 3, 4, "guarantee in place, exposure still large"),
            action(0.55, "monthly ageing review with the account manager", 20),
        ),
    ),
    PlannedRisk(
        "credit",
        "Revenue concentrated on a few customers",
        "The top customers hold most of the receivables.",
        ("finance", 1),
        (
            assess(0.35, 3, 3, "share of receivables of the top customers"),
            action(0.40, "set a credit limit review for the top accounts", -10),
        ),
    ),
    PlannedRisk(
        "market",
        "Rival price cuts in the north",
        "A rival agency cut its campaign prices by a fifth in the northern region.",
        ("sales_manager", 0),
        (
            assess(0.30, 4, 3, "two tenders lost on price this quarter"),
            action(0.32, "bundle offer for northern accounts", -15),
            assess(0.70, 4, 4, "a third tender lost"),
        ),
    ),
    PlannedRisk(
        "market",
        "Event season demand slump",
        "Exhibition bookings fell after the trade fair moved to another city.",
        ("marketing", 0),
        (
            assess(0.15, 2, 4, "bookings of the last season"),
            action(
                0.18, "shift the event budget to online campaigns", -60, done=(0.40, "budget moved")
            ),
            close(0.45, "online campaigns replaced the lost bookings"),
        ),
    ),
    PlannedRisk(
        "operational",
        "Complaint backlog at peak season",
        "At peak season complaints wait longer than the SLA allows.",
        ("service", 0),
        (
            assess(0.25, 3, 4, "response times of the last peak"),
            action(0.27, "train two sales assistants as stand-in agents", -20),
            assess(0.80, 4, 4, "late responses again this month"),
            action(0.82, "temporary agents for the season", 14),
        ),
    ),
    PlannedRisk(
        "operational",
        "Single printer for all brochures",
        "Every printed item comes from one supplier without a backup.",
        ("service", 1),
        (assess(0.60, 2, 3, "one late delivery in a year"),),
    ),
    PlannedRisk(
        "legal",
        "Consent for customer contact data",
        "Contact details from events were collected without a written consent.",
        ("legal", 0),
        (
            assess(0.10, 3, 5, "new data protection rules apply from this year"),
            action(0.12, "new consent forms for every event", -50, done=(0.30, "forms in use")),
        ),
    ),
    PlannedRisk(
        "legal",
        "Penalty clauses in framework contracts",
        "Some framework contracts carry penalties without a cap.",
        ("legal", 0),
        (),
    ),
)


def write_risks(company: DemoCompany) -> None:
    """Write the demo's risk register; adds a line to the summary."""
    RiskWriter(company).write()


class RiskWriter:
    """Writes each planned risk, step by step, through the application."""

    def __init__(self, company: DemoCompany) -> None:
        self.company = company
        self.app = company.app
        self.start = company.now - company.reach + timedelta(days=2)
        self.today = company.now.date()
        self.closed = 0
        self.overdue = 0

    def moment(self, share: float) -> datetime:
        return self.start + (self.company.now - self.start) * share

    def write(self) -> None:
        for number, planned in enumerate(PLAN):
            self.write_risk(planned, identified=0.02 + 0.005 * number)
        self.company.summary.append(
            f"{len(PLAN)} risks ({self.closed} closed, {self.overdue} overdue actions)"
        )

    def write_risk(self, planned: PlannedRisk, identified: float) -> None:
        app = self.app
        role = planned.owner[0]
        who = self.company.as_(self.company.person(*planned.owner), role)
        rid = app.handle(
            who,
            IdentifyRisk(
                category=planned.category,
                title=planned.title,
                description=planned.description,
                occurred_at=self.moment(identified),
            ),
        ).id
        # (when, outcome, action id): written when their time comes, among later steps.
        completions: list[tuple[float, str, str]] = []
        for step in (*planned.steps, Step(1.0, "end", {})):
            for done in sorted(c for c in completions if c[0] <= step.at):
                done_at, outcome, aid = done
                app.handle(
                    who,
                    CompleteRiskAction(
                        rid, UUID(aid), outcome=outcome, occurred_at=self.moment(done_at)
                    ),
                )
                completions.remove(done)
            at = self.moment(step.at)
            if step.kind == "assess":
                app.handle(who, AssessRisk(rid, **step.fields, occurred_at=at))
            elif step.kind == "action":
                aid = app.handle(
                    who,
                    AddRiskAction(
                        rid,
                        description=step.fields["description"],
                        due_on=self.today + timedelta(days=step.fields["due"]),
                        occurred_at=at,
                    ),
                ).extra["action_id"]
                if step.fields["done"] is not None:
                    completions.append((*step.fields["done"], aid))
                elif step.fields["due"] < 0:
                    self.overdue += 1
            elif step.kind == "close":
                app.handle(who, CloseRisk(rid, step.fields["reason"], occurred_at=at))
                self.closed += 1
