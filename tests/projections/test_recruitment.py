"""The recruitment read model on SQLite and PostgreSQL: a row worked by hand, the
staffing-plan directory against its aggregates, live equal to a rebuild, and
`mops upgrade` writing the rosters of a log written before them."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.employees import (
    HireEmployee,
    PromoteEmployee,
    RecordInterview,
    RegisterCandidate,
    RejectCandidate,
    TerminateEmployee,
    TransferEmployee,
)
from application.commands.staffing import (
    ApproveStaffingPlan,
    DraftStaffingPlan,
    ReviseStaffingPlan,
    SubmitStaffingPlan,
)
from domain.department import Department, department_id, quarter_of
from domain.employee import Employee
from domain.errors import DomainError
from domain.values import Cause
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from projections.crosscheck import crosscheck_all
from projections.recruitment import public
from projections.runner import READ_MODELS, verify
from tests.conftest import as_, unique

HR = as_("hana", "hr")
EXEC = as_("eve", "executive")
NOW = datetime.now(UTC)
TODAY = NOW.date()


def plan(app, department, headcount, position="Engineer"):
    body = [
        {"position": position, "quarter": q, "headcount": headcount, "monthly_cost_per_head": "1"}
        for q in ("Q1", "Q2", "Q3", "Q4")
    ]
    pid = app.handle(
        HR, DraftStaffingPlan(department=department, fiscal_year=TODAY.year, lines=body)
    ).id
    app.handle(HR, SubmitStaffingPlan(pid))
    app.handle(EXEC, ApproveStaffingPlan(pid))
    return pid


def register(app, department, source, position="Engineer", interviews=("interview",)):
    eid = app.handle(
        HR,
        RegisterCandidate(
            name=unique("P"), position=position, department=department, source=source
        ),
    ).id
    for kind in (*interviews, "background_check"):
        app.handle(HR, RecordInterview(eid, kind=kind, result="pass"))
    return eid


def report_row(services, department, quarter, position="Engineer"):
    app, read_side = services.backoffice, services.read_side
    assert read_side.wait("recruitment", app.max_position(), timeout=10)
    items = read_side.view("recruitment").report(TODAY.year, datetime.now(UTC), department)
    [row] = [public(i) for i in items if (i["quarter"], i["position"]) == (quarter, position)]
    return row


def test_a_recruitment_row_worked_by_hand(services, module_database):
    app, department = services.backoffice, unique("Dept")
    # Two candidates registered ten days ago, one four days ago (a clock of their own).
    ten_ago, four_ago = NOW - timedelta(days=10), NOW - timedelta(days=4)
    early = Backoffice(module_database.env(), clock=lambda: ten_ago)
    later = Backoffice(module_database.env(), clock=lambda: four_ago)
    try:
        a = register(early, department, "referral", interviews=("screening", "interview"))
        b = register(early, department, "web")
        c = register(later, department, "web")
    finally:
        early.close()
        later.close()
    d = app.handle(HR, RegisterCandidate(name="D", position="Engineer", department=department)).id
    app.handle(HR, RejectCandidate(d, "withdrew"))
    plan(app, department, headcount=2)
    for eid in (a, b):
        app.handle(
            HR, HireEmployee(eid, hired_on=TODAY, position="Engineer", department=department)
        )
    with contextlib.suppress(DomainError):  # headcount_exceeded: the third has no place
        app.handle(HR, HireEmployee(c, hired_on=TODAY, position="Engineer", department=department))
    quarter = quarter_of(TODAY)
    registered = [ten_ago.date(), ten_ago.date(), four_ago.date(), TODAY]
    row = report_row(services, department.upper(), quarter)
    assert row == {
        "department": department,
        "fiscal_year": TODAY.year,
        "quarter": quarter,
        "position": "Engineer",
        # The approved plan's 2 places, both filled by the two hires: none open.
        "planned": 2,
        "filled": 2,
        "open": 0,
        "hires_planned": 2,
        "hires_unplanned": 0,
        # a, b, c and d registered; d is the one turned down; a, b and c interviewed
        # (a twice, counted once); c's hire was refused and left nothing.
        "candidates": sum(quarter_of(day) == quarter for day in registered),
        "interviewed": sum(quarter_of(day) == quarter for day in registered[:3]),
        "rejected": 1,
        "hired": 2,
        # Both hired ten days after registering.
        "mean_days_to_hire": 10.0,
        "hires_by_source": {"referral": 1, "web": 1},
    }
    # The quarters before this one had nobody and no hire.
    if quarter != "Q1":
        before = report_row(services, department, "Q1")
        assert (before["filled"], before["hired"], before["planned"], before["open"]) == (
            0, 0, 2, 2,
        )  # fmt: skip


def test_an_unplanned_hire_and_a_plan_revised_after_it(services):
    app, department = services.backoffice, unique("Dept")
    eid = register(app, department, None)
    app.handle(HR, HireEmployee(eid, hired_on=TODAY, position="Engineer", department=department))
    row = report_row(services, department, quarter_of(TODAY))
    assert (row["planned"], row["open"], row["hires_unplanned"], row["filled"]) == (
        None,
        None,
        1,
        1,
    )
    assert row["hires_by_source"] == {"unknown": 1}
    plan(app, department, headcount=3)
    row = report_row(services, department, quarter_of(TODAY))
    assert (row["planned"], row["open"], row["hires_unplanned"]) == (3, 2, 1)


OPERATIONS = {
    "register": lambda app, s, n: s["ids"].append(register(app, s["depts"][n % 2], f"src{n % 3}")),
    "hire": lambda app, s, n: app.handle(
        HR,
        HireEmployee(
            s["ids"][n % len(s["ids"])],
            hired_on=TODAY,
            position="Engineer",
            department=s["depts"][n % 2],
        ),
    ),
    "transfer": lambda app, s, n: app.handle(
        HR, TransferEmployee(s["ids"][n % len(s["ids"])], department=s["depts"][(n + 1) % 2])
    ),
    "promote": lambda app, s, n: app.handle(
        HR, PromoteEmployee(s["ids"][n % len(s["ids"])], position=["Engineer", "Lead"][n % 2])
    ),
    "terminate": lambda app, s, n: app.handle(
        HR, TerminateEmployee(s["ids"][n % len(s["ids"])], reason="left", on=TODAY)
    ),
    "reject": lambda app, s, n: app.handle(HR, RejectCandidate(s["ids"][n % len(s["ids"])], "no")),
    "plan": lambda app, s, n: plan(app, s["depts"][n % 2], n % 4),
    "revise": lambda app, s, n: app.handle(HR, ReviseStaffingPlan(s["plans"][0])),
}


@settings(max_examples=6, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 20)), min_size=1, max_size=20
    )
)
def test_live_recruitment_equals_a_rebuild_and_the_directory_its_plans(
    services, module_database, steps
):
    app, read_side = services.backoffice, services.read_side
    state = {"depts": [unique("Dept"), unique("Dept")], "ids": [], "plans": []}
    state["ids"].append(register(app, state["depts"][0], "referral"))
    state["plans"].append(plan(app, unique("Dept"), 1))
    for operation, n in steps:
        with contextlib.suppress(DomainError):
            OPERATIONS[operation](app, state, n)
    head = app.max_position()
    for name in ("recruitment", "staffing_plans"):
        assert read_side.wait(name, head, timeout=10)
        assert verify(app, READ_MODELS[name], module_database.env(), module_database.dialect) == []
    found = crosscheck_all(app, {"staffing_plans": read_side.view("staffing_plans")})
    assert found == {"staffing_plans": []}


def test_upgrade_writes_the_rosters_of_a_log_written_before_them(services, module_database):
    app, department = services.backoffice, unique("Dept")
    # Hired as before rosters existed: the employee's events alone, saved directly.
    cause = Cause("hana", datetime.now(UTC))
    old = [
        Employee.register_candidate(
            cause, id=uuid4(), name="Old", position="Clerk", department=department
        )
        for _ in range(2)
    ]
    for employee in old:
        employee.record_interview(cause, kind="interview", result="pass")
        employee.record_interview(cause, kind="background_check", result="pass")
        employee.hire(cause, hired_on=TODAY, position="Clerk", department=department)
    old[1].terminate(cause, reason="left", on=TODAY)
    app.save(*old)
    assert not app.exists(department_id(department), Department)
    env = {"MOPS_DATABASE_URL": module_database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    first = CliRunner().invoke(cli, ["upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert "department rosters written" in first.output
    roster = app.get(department_id(department), Department)
    assert roster.positions == {"Clerk": [str(old[0].id)]}
    assert roster.members[str(old[0].id)]["since"] == TODAY
    head = app.max_position()
    second = CliRunner().invoke(cli, ["upgrade"], env=env)
    assert "the department rosters are up to date" in second.output
    assert app.max_position() == head
    row = report_row(services, department, quarter_of(TODAY), "Clerk")
    # Written by the upgrade: on the roster, but no hire of the plan's count.
    assert (row["filled"], row["hires_planned"], row["hires_unplanned"], row["hired"]) == (
        1,
        0,
        0,
        2,
    )
    assert Decimal(row["mean_days_to_hire"]) == 0
