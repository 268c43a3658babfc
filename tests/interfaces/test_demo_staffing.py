"""The demo's staff part approves a staffing plan per department and refuses one hire as
over plan, on SQLite and PostgreSQL (the rest of the demo is tested elsewhere)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from eventsourcing.utils import get_topic
from rich.console import Console

from application.backoffice import Backoffice
from domain.department import Department, department_id
from domain.employee import Employee
from domain.staffing_plan import StaffingPlan, staffing_plan_id
from interfaces.demo.company import DemoCompany
from interfaces.demo.people import ROSTER, write_staff


def test_the_demo_staff_fill_their_plans_and_the_next_hire_is_refused(database):
    app = Backoffice(database.env())
    try:
        company = DemoCompany(
            app, random.Random(1), datetime.now(UTC), timedelta(days=20), Console(quiet=True)
        )
        write_staff(company)
        departments = {hire.department for hire in ROSTER}
        assert f"{len(departments)} staffing plans approved (1 hire refused" in company.summary[0]
        year = company.now.year
        for name in departments:
            plan = app.get(staffing_plan_id(name, year), StaffingPlan)
            assert plan.status == "approved"
            roster = app.get(department_id(name), Department)
            planned = {line["position"]: line["headcount"] for line in plan.approved["lines"]}
            assert {p: len(ids) for p, ids in roster.positions.items()} == planned
        found = app.recorder.select_notifications(
            1, 1000, topics=[get_topic(Employee.CandidateRejected)]
        )
        reasons = {app.get(n.originator_id, Employee).rejection_reason for n in found}
        assert "no free place in the staffing plan" in reasons
    finally:
        app.close()
