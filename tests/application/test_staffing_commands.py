"""StaffingPlan commands, the rosters and the hire gate through the application, on both
databases: stored, refused with nothing stored, and raced."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from application.backoffice import Request
from application.commands.employees import (
    HireEmployee,
    PromoteEmployee,
    RecordInterview,
    RegisterCandidate,
    TerminateEmployee,
    TransferEmployee,
)
from application.commands.staffing import (
    AmendStaffingPlan,
    ApproveStaffingPlan,
    DraftStaffingPlan,
    RebuildRoster,
    ReturnStaffingPlan,
    ReviseStaffingPlan,
    SubmitStaffingPlan,
)
from domain.department import Department, department_id, quarter_of
from domain.employee import Employee
from domain.errors import DomainError
from domain.staffing_plan import StaffingPlan, staffing_plan_id
from tests.conftest import as_, refused, unique

HR = as_("hana", "hr")
EXEC = as_("eve", "executive")
EXEC_2 = as_("max", "executive")
SALES = as_("sam", "sales")
ADMIN = as_("root", "admin")
TODAY = datetime.now(UTC).date()
QUARTER = quarter_of(TODAY)
_years = itertools.count(1950)


def lines(position="Engineer", headcount=2, quarters=("Q1", "Q2", "Q3", "Q4")):
    return [
        {
            "position": position,
            "quarter": q,
            "headcount": headcount,
            "monthly_cost_per_head": "9000",
        }
        for q in quarters
    ]


def drafted(app, department=None, year=None, who=HR, **fields):
    return app.handle(
        who,
        DraftStaffingPlan(
            department=department or unique("Dept"),
            fiscal_year=year or next(_years),
            lines=fields.get("lines", lines()),
        ),
    ).id


def approved_plan(app, department, headcount=2, position="Engineer", year=TODAY.year):
    pid = drafted(app, department, year, lines=lines(position, headcount))
    app.handle(HR, SubmitStaffingPlan(pid))
    app.handle(EXEC, ApproveStaffingPlan(pid))
    return pid


def candidate(app, department, position="Engineer"):
    eid = app.handle(
        HR, RegisterCandidate(name=unique("Person"), position=position, department=department)
    ).id
    app.handle(HR, RecordInterview(eid, kind="interview", result="pass"))
    app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))
    return eid


def hire(app, eid, department, position="Engineer", on=TODAY):
    return app.handle(HR, HireEmployee(eid, hired_on=on, position=position, department=department))


def roster(app, department):
    return app.get(department_id(department), Department).positions


def test_every_plan_command_is_stored_in_order(app):
    department, year = unique("Dept"), next(_years)
    created = app.handle(HR, DraftStaffingPlan(department=department, fiscal_year=year, lines=[]))
    pid = created.id
    assert (created.version, created.created, pid) == (1, True, staffing_plan_id(department, year))
    assert app.handle(HR, AmendStaffingPlan(pid, lines(headcount=3))).version == 2
    assert app.handle(HR, SubmitStaffingPlan(pid)).version == 3
    assert app.handle(EXEC, ReturnStaffingPlan(pid, "too many engineers")).version == 4
    app.handle(HR, AmendStaffingPlan(pid, lines(headcount=2)))
    app.handle(HR, SubmitStaffingPlan(pid))
    app.handle(EXEC, ApproveStaffingPlan(pid))
    assert app.handle(HR, ReviseStaffingPlan(pid)).version == 8
    plan = app.get(pid, StaffingPlan)
    assert (plan.department, plan.fiscal_year, plan.status, plan.revision) == (
        department, year, "draft", 2,
    )  # fmt: skip
    assert plan.approved["revision"] == 1 and plan.approved["approved_by"] == "eve"
    assert plan.approved["lines"][0]["headcount"] == 2
    assert [type(e).__name__ for e in app.events.get(pid)] == [
        "Drafted", "Amended", "Submitted", "Returned", "Amended", "Submitted", "Approved",
        "Revised",
    ]  # fmt: skip


def test_a_second_plan_for_a_department_and_year_is_refused_with_the_existing_id(app):
    department, year = unique("Dept"), next(_years)
    pid = drafted(app, department, year)
    refusal = refused(app, "duplicate_plan", lambda: drafted(app, f"  {department.upper()} ", year))
    assert refusal.facts["existing_id"] == str(pid)
    assert drafted(app, department, year + 1000) != pid


def test_racing_drafts_for_one_department_and_year_leave_one_plan(app):
    department, year = unique("Dept"), next(_years)
    results, barrier = [], threading.Barrier(4)

    def draft():
        barrier.wait()
        try:
            results.append(drafted(app, department, year))
        except DomainError as error:
            results.append(error.code)

    threads = [threading.Thread(target=draft) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)).count("duplicate_plan") == 3
    assert len(list(app.events.get(staffing_plan_id(department, year)))) == 1


@pytest.mark.parametrize(
    "bad",
    [
        [{"position": "A", "quarter": "Q5", "headcount": 1, "monthly_cost_per_head": "1"}],
        [{"position": "A", "quarter": "Q1", "headcount": -1, "monthly_cost_per_head": "1"}],
        [{"position": "A", "quarter": "Q1", "headcount": 1, "monthly_cost_per_head": "-1"}],
        [{"position": "A", "quarter": "Q1", "headcount": 1, "monthly_cost_per_head": "1.001"}],
        [{"position": "", "quarter": "Q1", "headcount": 1, "monthly_cost_per_head": "1"}],
        [{"position": "A", "quarter": "Q1", "headcount": True, "monthly_cost_per_head": "1"}],
        [*lines("A", 1, ("Q1",)), *lines(" a ", 2, ("Q1",))],
        [{"position": "A", "quarter": "Q1", "headcount": 1, "monthly_cost_per_head": "1", "x": 1}],
    ],
)
def test_malformed_lines_are_refused(app, bad):
    refused(app, "validation_error", lambda: drafted(app, lines=bad))
    pid = drafted(app)
    refused(app, "validation_error", lambda: app.handle(HR, AmendStaffingPlan(pid, bad)))


def test_a_bad_year_or_department_and_an_empty_submission_are_refused(app):
    for year in (1899, 9999):
        refused(app, "validation_error", lambda y=year: drafted(app, year=y))
    refused(app, "validation_error", lambda: drafted(app, department="  "))
    empty = drafted(app, lines=[])
    refused(app, "validation_error", lambda: app.handle(HR, SubmitStaffingPlan(empty)))


def test_commands_the_state_does_not_allow_are_refused(app):
    pid = drafted(app)
    refused(app, "invalid_state", lambda: app.handle(EXEC, ApproveStaffingPlan(pid)))
    refused(app, "invalid_state", lambda: app.handle(EXEC, ReturnStaffingPlan(pid, "no")))
    refused(app, "invalid_state", lambda: app.handle(HR, ReviseStaffingPlan(pid)))
    app.handle(HR, SubmitStaffingPlan(pid))
    refused(app, "invalid_state", lambda: app.handle(HR, SubmitStaffingPlan(pid)))
    refused(app, "invalid_state", lambda: app.handle(HR, AmendStaffingPlan(pid, lines())))
    app.handle(EXEC, ApproveStaffingPlan(pid))
    refused(app, "invalid_state", lambda: app.handle(EXEC_2, ApproveStaffingPlan(pid)))
    refused(app, "invalid_state", lambda: app.handle(HR, AmendStaffingPlan(pid, lines())))


def test_the_submitter_may_not_approve_or_return_the_revision(app):
    pid = drafted(app)
    both = as_("boss", "hr", "executive")
    app.handle(both, SubmitStaffingPlan(pid))
    refusal = refused(
        app, "segregation_of_duties", lambda: app.handle(both, ApproveStaffingPlan(pid))
    )
    assert refusal.facts["submitted_by"] == "boss"
    refused(app, "segregation_of_duties", lambda: app.handle(both, ReturnStaffingPlan(pid, "x")))
    app.handle(EXEC, ApproveStaffingPlan(pid))


@pytest.mark.parametrize(
    "who, command",
    [(SALES, "draft"), (EXEC, "draft"), (EXEC, "amend"), (EXEC, "submit"), (HR, "approve"),
     (HR, "return"), (EXEC, "revise"), (HR, "rebuild"), (as_("a", "auditor"), "draft")],
)  # fmt: skip
def test_roles_not_allowed_are_refused(app, who, command):
    pid = drafted(app)
    calls = {
        "draft": lambda: drafted(app, who=who),
        "amend": lambda: app.handle(who, AmendStaffingPlan(pid, lines())),
        "submit": lambda: app.handle(who, SubmitStaffingPlan(pid)),
        "approve": lambda: app.handle(who, ApproveStaffingPlan(pid)),
        "return": lambda: app.handle(who, ReturnStaffingPlan(pid, "no")),
        "revise": lambda: app.handle(who, ReviseStaffingPlan(pid)),
        "rebuild": lambda: app.handle(who, RebuildRoster("Anything")),
    }
    refused(app, "forbidden", calls[command])


def test_an_unknown_plan_and_a_stale_version_are_refused(app):
    refused(app, "not_found", lambda: app.handle(HR, SubmitStaffingPlan(uuid4())))
    pid = drafted(app)
    stale = Request(HR.caller, expected_version=2)
    refused(app, "version_conflict", lambda: app.handle(stale, SubmitStaffingPlan(pid)))


def test_hires_fill_the_roster_in_the_same_save_and_the_gate_refuses_the_one_too_many(app):
    department = unique("Dept")
    approved_plan(app, department, headcount=1)
    first = candidate(app, department)
    outcome = hire(app, first, department)
    [joined] = [
        e for e in app.events.get(department_id(department)) if type(e).__name__ == "Joined"
    ]
    assert (joined.planned, joined.filled, joined.reason) == (1, 0, "hire")
    assert roster(app, department) == {"Engineer": [str(first)]}
    second = candidate(app, department)
    refusal = refused(app, "headcount_exceeded", lambda: hire(app, second, f" {department} "))
    assert (refusal.facts["planned"], refusal.facts["filled"]) == (1, 1)
    assert refusal.facts["quarter"] == QUARTER
    assert roster(app, department) == {"Engineer": [str(first)]}
    # A position the plan does not list has no place at all.
    refusal = refused(app, "headcount_exceeded", lambda: hire(app, second, department, "Chef"))
    assert (refusal.facts["planned"], refusal.facts["filled"]) == (0, 0)
    # The termination frees the place, dated the day it takes effect.
    app.handle(HR, TerminateEmployee(first, reason="moved away", on=TODAY))
    assert roster(app, department) == {}
    hire(app, second, department)
    assert roster(app, department) == {"Engineer": [str(second)]}
    assert outcome.position < app.max_position()


def test_a_department_without_an_approved_plan_hires_as_before(app):
    department = unique("Dept")
    drafted(app, department, TODAY.year)  # a draft is no plan in force
    hired = [candidate(app, department) for _ in range(3)]
    for eid in hired:
        hire(app, eid, department)
    assert sorted(roster(app, department)["Engineer"]) == sorted(map(str, hired))
    joined = [e for e in app.events.get(department_id(department)) if type(e).__name__ == "Joined"]
    assert {e.planned for e in joined} == {None}


def test_transfers_and_promotions_into_a_full_position_are_refused(app):
    full, other = unique("Dept"), unique("Dept")
    approved_plan(app, full, headcount=1)
    approved_plan(app, other, headcount=5, position="Lead")
    incumbent = candidate(app, full)
    hire(app, incumbent, full)
    mover = candidate(app, other, "Lead")
    hire(app, mover, other, "Lead")
    refused(
        app,
        "headcount_exceeded",
        lambda: app.handle(HR, TransferEmployee(mover, department=full, position="Engineer")),
    )
    refused(app, "headcount_exceeded", lambda: app.handle(HR, PromoteEmployee(incumbent, "Lead")))
    # Into a free place: left and joined in the same save.
    app.handle(HR, TransferEmployee(incumbent, department=other, position="Lead"))
    assert roster(app, full) == {}
    assert sorted(roster(app, other)["Lead"]) == sorted([str(incumbent), str(mover)])
    app.handle(HR, TransferEmployee(mover, department=full, position="Engineer"))
    assert roster(app, full) == {"Engineer": [str(mover)]}
    # A transfer that changes nothing records nothing on the roster.
    version = app.get(department_id(full), Department).version
    app.handle(HR, TransferEmployee(mover, department=full.upper()))
    assert app.get(department_id(full), Department).version == version


def test_the_approved_revision_stays_in_force_until_the_next_approval(app):
    department = unique("Dept")
    pid = approved_plan(app, department, headcount=1)
    hire(app, candidate(app, department), department)
    app.handle(HR, ReviseStaffingPlan(pid))
    app.handle(HR, AmendStaffingPlan(pid, lines(headcount=2)))
    waiting = candidate(app, department)
    refused(app, "headcount_exceeded", lambda: hire(app, waiting, department))
    app.handle(HR, SubmitStaffingPlan(pid))
    app.handle(EXEC_2, ApproveStaffingPlan(pid))
    hire(app, waiting, department)
    assert len(roster(app, department)["Engineer"]) == 2


def test_eight_concurrent_hires_for_the_last_two_places_let_exactly_two_in(app):
    department = unique("Dept")
    approved_plan(app, department, headcount=3)
    hire(app, candidate(app, department), department)
    racers = [candidate(app, department) for _ in range(8)]
    results, barrier = [], threading.Barrier(8)

    def race(eid):
        barrier.wait()
        try:
            results.append(hire(app, eid, department).version)
        except DomainError as error:
            results.append(error.code)

    threads = [threading.Thread(target=race, args=(eid,)) for eid in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)).count("headcount_exceeded") == 6
    members = roster(app, department)["Engineer"]
    assert len(members) == 3
    hired = [e for e in racers if app.get(e, Employee).status == "active"]
    assert sorted(map(str, hired)) == sorted(m for m in members if m in map(str, racers))


def test_rebuilding_a_roster_writes_it_as_the_employees_stand_and_then_nothing(app):
    department = unique("Dept")
    eid = candidate(app, department)
    hire(app, eid, department)
    # A roster that lost its member (as a log written before rosters would be).
    rid = department_id(department)
    stale = app.get(rid, Department)
    assert app.handle(ADMIN, RebuildRoster(department, (eid,))).position is None
    assert app.get(rid, Department).version == stale.version
    other = candidate(app, department)
    app.handle(HR, TerminateEmployee(eid, reason="left", on=TODAY))
    assert app.handle(ADMIN, RebuildRoster(department, (eid, other))).position is None
    assert roster(app, department) == {}
