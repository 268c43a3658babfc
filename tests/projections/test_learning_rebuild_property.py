"""Property: whatever training, research and loss commands ran, the training and competitors
read models maintained live equal a rebuild from the events, on SQLite and PostgreSQL.

Steps draw commands on a few programs, reports and opportunities in any order: most are
refused in some states (a refusal writes nothing, which is part of the property). The
back office's window reaches far enough back for a completion whose review may be made.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.commands.budgets import ApproveBudget, DraftBudget, SubmitBudget
from application.commands.opportunities import (
    LoseOpportunity,
    OpenOpportunity,
    ReopenOpportunity,
)
from application.commands.research_reports import (
    AcceptResearchReport,
    AmendResearchReport,
    DraftResearchReport,
    ReturnResearchReport,
    SubmitResearchReport,
)
from application.commands.training_programs import (
    AmendTrainingProgram,
    ApproveTrainingProgram,
    CancelTrainingProgram,
    CompleteTrainingProgram,
    EnrollInTrainingProgram,
    EvaluateTrainingProgram,
    PlanTrainingProgram,
    RecordTrainingAssessment,
    RecordTrainingAttendance,
)
from domain.errors import DomainError
from domain.training_program import TrainingProgram
from projections.runner import READ_MODELS, verify
from tests.conftest import as_
from tests.factories import customer, employee

HR = as_("hana", "hr")
EXEC = as_("eve", "executive")
FINANCE = as_("fiona", "finance")
MARKETING = as_("mark", "marketing")
SALES = as_("sam", "sales")
MANAGER = as_("mia", "sales_manager")
# The same competitors written the ways people write them.
NAMES = ("Bluewave Media", " bluewave media", "APEX Marketing", "Apex marketing", "Nova Digital")
TODAY = datetime.now(UTC).date()
# A completion long enough ago that the quarter after its quarter has ended.
COMPLETED = TODAY - timedelta(days=250)
FIRST_SESSION = datetime.combine(COMPLETED - timedelta(days=3), time(9), tzinfo=UTC)
_years = itertools.count(2101 - 90)


@dataclass
class World:
    """What the steps act on: the budget, employees, a customer, and what they made."""

    budget_id: UUID
    employees: list[UUID]
    customer_id: UUID
    programs: list[UUID] = field(default_factory=list)
    reports: list[UUID] = field(default_factory=list)
    opportunities: list[UUID] = field(default_factory=list)


@pytest.fixture(scope="module")
def world(services) -> Iterator[World]:
    """A budget with room, three employees and a customer; a window reaching 600 days back."""
    app = services.backoffice
    kept = app.policy
    app.policy = replace(kept, backdating=timedelta(days=600))
    bid = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=next(_years),
            lines=[
                {"category": "personnel", "period": q, "amount": "1000000.00"}
                for q in ("Q1", "Q2", "Q3", "Q4")
            ],
        ),
    ).id
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
    people = [UUID(employee(app)) for _ in range(3)]
    yield World(bid, people, customer(app))
    app.policy = kept


def pick(items: list[UUID], n: int) -> UUID:
    if not items:
        raise LookupError("nothing made yet")
    return items[n % len(items)]


def plan(app: Any, w: World, n: int) -> None:
    sessions = [
        {"starts_at": FIRST_SESSION + timedelta(days=d), "hours": Decimal(2 + n % 3)}
        for d in range(1 + n % 2)
    ]
    w.programs.append(
        app.handle(
            HR,
            PlanTrainingProgram(
                title=f"Course {n}",
                kind="skills",
                objectives="do better",
                trainer="Ms Lin",
                sessions=sessions,
                planned_cost=Decimal(100 * (1 + n)),
                budget_id=w.budget_id,
                period="Q2",
            ),
        ).id
    )


def attend(app: Any, w: World, n: int) -> None:
    pid = pick(w.programs, n)
    sessions = app.get(pid, TrainingProgram).sessions
    session = UUID(sessions[n % len(sessions)]["session_id"])
    app.handle(HR, RecordTrainingAttendance(pid, session, pick(w.employees, n), n % 3 != 0))


def report_fields(n: int) -> dict[str, Any]:
    return {
        "title": f"Study {n}",
        "topic": "agencies",
        "method": "survey",
        "fieldwork_from": TODAY - timedelta(days=20 + n),
        "fieldwork_to": TODAY - timedelta(days=n % 15),
        "findings": "prices decide",
        "competitors": [
            {
                "name": NAMES[(n + 2 * k) % len(NAMES)],
                "market_share": Decimal(5 + n % 7) if k == 0 else None,
                "price_position": ("low", "par", "high")[(n + k) % 3],
                "strengths": [("price", "reach")[k % 2]],
                "weaknesses": ["service"] if n % 2 else [],
            }
            for k in range(1 + n % 2)
        ],
        # A market share needs an approved plan of its year: there is none, so a report
        # measuring one is refused when accepted (no_approved_plan).
        "measurements": [{"metric": "market_share", "period": "1901-Q1", "value": 3}]
        if n % 5 == 4
        else [],
    }


def open_opportunity(app: Any, w: World, n: int) -> None:
    w.opportunities.append(
        app.handle(
            SALES,
            OpenOpportunity(
                customer_id=w.customer_id,
                title=f"deal {n}",
                expected_value=Decimal(1000 + 250 * n),
                expected_close_on=TODAY + timedelta(days=30),
            ),
        ).id
    )


Step = Callable[[Any, World, int], Any]
OPERATIONS: dict[str, Step] = {
    "plan": plan,
    "amend": lambda app, w, n: app.handle(
        HR, AmendTrainingProgram(pick(w.programs, n), {"planned_cost": Decimal(50 + n)})
    ),
    "approve": lambda app, w, n: app.handle(EXEC, ApproveTrainingProgram(pick(w.programs, n))),
    "enroll": lambda app, w, n: app.handle(
        HR, EnrollInTrainingProgram(pick(w.programs, n), pick(w.employees, n))
    ),
    "attend": attend,
    "assess": lambda app, w, n: app.handle(
        HR,
        RecordTrainingAssessment(
            pick(w.programs, n),
            pick(w.employees, n),
            post_score=Decimal(60 + n),
            reaction=1 + n % 5,
            pre_score=None if n % 4 == 0 else Decimal(40 + n),
        ),
    ),
    "complete": lambda app, w, n: app.handle(
        HR, CompleteTrainingProgram(pick(w.programs, n), COMPLETED, Decimal(10 * n))
    ),
    "evaluate": lambda app, w, n: app.handle(HR, EvaluateTrainingProgram(pick(w.programs, n))),
    "cancel": lambda app, w, n: app.handle(
        HR, CancelTrainingProgram(pick(w.programs, n), f"reason {n}")
    ),
    "draft": lambda app, w, n: w.reports.append(
        app.handle(MARKETING, DraftResearchReport(report_fields(n))).id
    ),
    "amend_report": lambda app, w, n: app.handle(
        MARKETING,
        AmendResearchReport(
            pick(w.reports, n), {"competitors": report_fields(n + 1)["competitors"]}
        ),
    ),
    "submit": lambda app, w, n: app.handle(MARKETING, SubmitResearchReport(pick(w.reports, n))),
    "accept": lambda app, w, n: app.handle(EXEC, AcceptResearchReport(pick(w.reports, n))),
    "return": lambda app, w, n: app.handle(
        EXEC, ReturnResearchReport(pick(w.reports, n), "more detail")
    ),
    "open": open_opportunity,
    "lose": lambda app, w, n: app.handle(
        SALES,
        LoseOpportunity(
            pick(w.opportunities, n),
            reason="competitor",
            competitor=None if n % 4 == 0 else NAMES[n % len(NAMES)],
        ),
    ),
    "reopen": lambda app, w, n: app.handle(MANAGER, ReopenOpportunity(pick(w.opportunities, n))),
}

steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 30)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=6, deadline=None)
@given(steps=steps)
def test_training_and_competitors_live_equal_a_rebuild(services, module_database, world, steps):
    app, read_side = services.backoffice, services.read_side
    # Each example starts with a program, a report and an opportunity of its own.
    for operation in ("plan", "draft", "open"):
        OPERATIONS[operation](app, world, len(world.programs))
    for operation, n in steps:
        with contextlib.suppress(DomainError, LookupError):
            OPERATIONS[operation](app, world, n)
    for name in ("training", "competitors"):
        assert read_side.wait(name, app.max_position(), timeout=10)
        differences = verify(app, READ_MODELS[name], module_database.env(), module_database.dialect)
        assert differences == [], name


def test_the_steps_reach_a_review_a_publication_and_a_loss(services, world):
    """The property's steps reach the states that matter: checked once, in a fixed order."""
    app, read_side = services.backoffice, services.read_side
    fresh = World(world.budget_id, world.employees, world.customer_id)
    script = ["plan", "approve", "enroll", "attend", "assess", "complete", "evaluate"]
    script += ["draft", "submit", "accept", "open", "lose"]
    # With n = 1: two sessions, the second attended; the report and the loss name
    # " bluewave media"; the report measures nothing that needs a plan.
    for operation in script:
        OPERATIONS[operation](app, fresh, 1)
    assert app.get(fresh.programs[0], TrainingProgram).status == "evaluated"
    assert read_side.wait("competitors", app.max_position(), timeout=10)
    rows = read_side.view("competitors").report_rows(
        day_from=None, day_to=None, as_of=datetime.now(UTC)
    )
    [bluewave] = [r for r in rows if r["name"].strip().casefold() == "bluewave media"]
    assert bluewave["reports"] >= 1 and bluewave["lost_count"] >= 1
