"""The training-program and research-report APIs and their reports, over HTTP, on SQLite
and PostgreSQL: every route, API.md's order of checks, versions, history, the reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from application.commands.opportunities import LoseOpportunity, OpenOpportunity
from application.permissions import COMMAND_ROLES, ROLES
from projections.crosscheck import crosscheck_all
from projections.runner import READ_MODELS, verify
from tests.application.test_training_program_commands import approved_budget
from tests.conftest import as_, assert_problem, bearer
from tests.factories import customer, employee

HR = bearer("hana", "hr")
EXEC = bearer("eve", "executive")
MARKETING = bearer("mark", "marketing")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})
THIS_YEAR = datetime.now(UTC).year

ROUTES = {
    "training_program.plan": "/training-programs",
    "training_program.amend": "/training-programs/{id}/amend",
    "training_program.approve": "/training-programs/{id}/approve",
    "training_program.enroll": "/training-programs/{id}/enrollments",
    "training_program.attendance": "/training-programs/{id}/attendance",
    "training_program.assessment": "/training-programs/{id}/assessments",
    "training_program.complete": "/training-programs/{id}/complete",
    "training_program.evaluate": "/training-programs/{id}/evaluate",
    "training_program.cancel": "/training-programs/{id}/cancel",
    "research_report.draft": "/research-reports",
    "research_report.amend": "/research-reports/{id}/amend",
    "research_report.submit": "/research-reports/{id}/submit",
    "research_report.accept": "/research-reports/{id}/accept",
    "research_report.return": "/research-reports/{id}/return",
}


def today() -> date:
    return datetime.now(UTC).date()


def program_body(bid, **overrides):
    starts = datetime.now(UTC) - timedelta(days=2)
    return {
        "title": "Negotiation skills",
        "kind": "skills",
        "objectives": "close better",
        "trainer": "Ms Lin",
        "sessions": [
            {"starts_at": starts.isoformat(), "hours": "3", "location": "Room 1"},
            {"starts_at": (starts + timedelta(days=1)).isoformat(), "hours": 4.5},
        ],
        "planned_cost": "5000.00",
        "budget_id": str(bid),
        "period": "Q2",
        **overrides,
    }


def report_body(**overrides):
    return {
        "title": "Agencies in the north",
        "topic": "who wins the north",
        "method": "survey",
        "fieldwork_from": today().isoformat(),
        "fieldwork_to": today().isoformat(),
        "competitors": [
            {
                "name": "Bluewave Media",
                "market_share": "21.5",
                "price_position": "low",
                "strengths": ["price", "reach"],
                "weaknesses": ["service"],
            },
            {"name": "Apex Marketing", "price_position": "high", "strengths": ["price"]},
        ],
        "findings": "prices drive choice",
        **overrides,
    }


def created(response) -> str:
    assert response.status_code == 201, response.text
    return response.json()["id"]


def plan(client, app, **overrides) -> str:
    bid = approved_budget(app)
    return created(
        client.post("/training-programs", json=program_body(bid, **overrides), headers=HR)
    )


def draft(client, **overrides) -> str:
    return created(
        client.post("/research-reports", json=report_body(**overrides), headers=MARKETING)
    )


def test_every_command_has_a_route():
    assert ROUTES.keys() == {
        c for c in COMMAND_ROLES if c.startswith(("training_program.", "research_report."))
    }


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, app, position, command):
    target = plan(client, app) if command.startswith("training") else draft(client)
    url = ROUTES[command].format(id=target)
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert_problem(response, 422, "validation_error")
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_401_then_403_then_404_then_422(client, position, command):
    before = position()
    url = ROUTES[command].format(id=uuid4())
    assert_problem(client.post(url, json={}), 401, "unauthenticated")
    assert_problem(client.post(url, json={"x": 1}, headers=AUDITOR), 403, "forbidden")
    allowed = bearer("someone", *sorted(COMMAND_ROLES[command]))
    if "{id}" in ROUTES[command]:
        assert_problem(client.post(url, json={"x": 1}, headers=allowed), 404, "not_found")
    else:
        assert_problem(client.post(url, json={"x": 1}, headers=allowed), 422, "validation_error")
    assert position() == before


def test_a_program_over_http_then_the_order_if_match_state_duties_rule(client, app, position):
    ann, ben = employee(app), employee(app)
    pid = plan(client, app)
    url = f"/training-programs/{pid}"
    before = position()
    assert_problem(
        client.post(f"{url}/approve", json={}, headers={**EXEC, "If-Match": '"7"'}),
        409,
        "version_conflict",
    )
    assert_problem(
        client.post(
            f"{url}/complete",
            json={"completed_on": today().isoformat(), "actual_cost": "1"},
            headers=HR,
        ),
        409,
        "invalid_state",
    )
    assert_problem(
        client.post(f"{url}/approve", json={}, headers=bearer("hana", "executive")),
        403,
        "segregation_of_duties",
    )
    assert_problem(
        client.post(f"{url}/enrollments", json={"employee_id": str(uuid4())}, headers=HR),
        422,
        "validation_error",
    )
    assert position() == before
    approved = client.post(f"{url}/approve", json={}, headers={**EXEC, "If-Match": '"1"'})
    assert approved.status_code == 200 and approved.json()["version"] == 2
    for eid in (ann, ben):
        assert (
            client.post(f"{url}/enrollments", json={"employee_id": eid}, headers=HR).status_code
            == 200
        )
    before = position()
    problem = assert_problem(
        client.post(f"{url}/enrollments", json={"employee_id": ann}, headers=HR),
        422,
        "already_enrolled",
    )
    assert problem["employee_id"] == ann
    assert position() == before
    sessions = client.get(url, headers=AUDITOR).json()["sessions"]
    for eid, attended in ((ann, True), (ben, False)):
        for session in sessions:
            body = {"session_id": session["session_id"], "employee_id": eid, "attended": attended}
            assert client.post(f"{url}/attendance", json=body, headers=HR).status_code == 200
    assessment = {"employee_id": ann, "pre_score": 55, "post_score": "85", "reaction": 4}
    assert client.post(f"{url}/assessments", json=assessment, headers=HR).status_code == 200
    done = {"completed_on": today().isoformat(), "actual_cost": "4200.00"}
    assert client.post(f"{url}/complete", json=done, headers=HR).status_code == 200
    assert_problem(client.post(f"{url}/evaluate", json={}, headers=HR), 422, "evaluation_too_early")
    # The program now, at version 2, and its history.
    now = client.get(url, headers=AUDITOR)
    assert now.headers["ETag"] == f'"{now.json()["version"]}"'
    assert now.json()["recorded_hours"] == {ann: "7.5"}
    assert client.get(url, params={"version": 2}, headers=AUDITOR).json()["status"] == "approved"
    planned_at = client.get(f"{url}/history", headers=AUDITOR).json()["items"][0]["recorded_at"]
    assert (
        client.get(url, params={"as_of": planned_at}, headers=AUDITOR).json()["status"] == "planned"
    )
    types = [h["type"] for h in client.get(f"{url}/history", headers=AUDITOR).json()["items"]]
    assert types[:3] == ["Planned", "Approved", "Enrolled"] and types[-1] == "Completed"
    # The report, worked by hand: 2 enrolled, 1 attended 7.5 h, 4200 spent.
    rows = client.get("/reports/training", params={"program_id": pid}, headers=AUDITOR).json()
    assert rows["items"] == [
        {
            "program_id": pid,
            "title": "Negotiation skills",
            "status": "completed",
            "participants": 2,
            "attended": 1,
            "completion_rate": 0.5,
            "hours": 7.5,
            "planned_cost": "5000.00",
            "actual_cost": "4200.00",
            "cost_per_participant": "4200.00",
            "cost_per_attended_hour": "560.00",
            "reaction_avg": 4,
            "learning_gain_avg": 30,
            "kpi_change_avg": None,
        }
    ]
    # As of a day before anything was recorded: nothing; known_at is echoed.
    yesterday = (today() - timedelta(days=1)).isoformat()
    past = client.get(
        "/reports/training", params={"as_of": yesterday, "program_id": pid}, headers=AUDITOR
    ).json()
    assert past == {"as_of": yesterday, "items": [], "next_cursor": None}
    known = client.get(
        "/reports/training", params={"known_at": planned_at, "program_id": pid}, headers=AUDITOR
    ).json()
    assert known["known_at"] == planned_at and known["items"][0]["status"] == "planned"
    listed = client.get("/training-programs", params={"status": "completed"}, headers=AUDITOR)
    assert pid in [p["id"] for p in listed.json()["items"]]


def test_research_and_lost_opportunities_make_the_competitors_report(client, app, position):
    rid = draft(client)
    url = f"/research-reports/{rid}"
    assert client.post(f"{url}/submit", json={}, headers=MARKETING).status_code == 200
    before = position()
    assert_problem(
        client.post(f"{url}/accept", json={}, headers={**EXEC, "If-Match": '"1"'}),
        409,
        "version_conflict",
    )
    assert_problem(
        client.post(f"{url}/amend", json={"title": "x"}, headers=MARKETING), 409, "invalid_state"
    )
    assert_problem(
        client.post(f"{url}/accept", json={}, headers=bearer("mark", "executive")),
        403,
        "segregation_of_duties",
    )
    no_plan = draft(
        client, measurements=[{"metric": "market_share", "period": "1901-Q1", "value": 3}]
    )
    client.post(f"/research-reports/{no_plan}/submit", json={}, headers=MARKETING)
    before = position()
    problem = assert_problem(
        client.post(f"/research-reports/{no_plan}/accept", json={}, headers=EXEC),
        422,
        "no_approved_plan",
    )
    assert problem["fiscal_year"] == 1901
    assert position() == before
    assert client.post(f"{url}/accept", json={}, headers=EXEC).status_code == 200
    assert client.get(url, params={"version": 2}, headers=AUDITOR).json()["status"] == "submitted"
    # Two opportunities lost to Bluewave (written differently), one to nobody.
    cid = customer(app)
    sales = as_("sam", "sales")
    for value, competitor in (
        ("1000.00", "  bluewave media "),
        ("2500.50", "BLUEWAVE MEDIA"),
        ("99.00", None),
    ):
        oid = app.handle(
            sales,
            OpenOpportunity(
                customer_id=cid, title="deal", expected_value=value, expected_close_on=today()
            ),
        ).id
        app.handle(sales, LoseOpportunity(oid, reason="competitor", competitor=competitor))
    rows = client.get(
        "/reports/competitors", params={"from": today().isoformat()}, headers=AUDITOR
    ).json()["items"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["Bluewave Media"] == {
        "name": "Bluewave Media",
        "reports": 1,
        "market_share": 21.5,
        "price_position": "low",
        "lost_count": 2,
        "lost_value": "3500.50",
        "strengths": {"price": 1, "reach": 1},
        "weaknesses": {"service": 1},
    }
    assert by_name["Apex Marketing"]["lost_count"] == 0
    assert by_name["Apex Marketing"]["market_share"] is None
    yesterday = (today() - timedelta(days=1)).isoformat()
    past = client.get("/reports/competitors", params={"as_of": yesterday}, headers=AUDITOR).json()
    assert past["as_of"] == yesterday
    assert "Bluewave Media" not in {r["name"] for r in past["items"]}
    listed = client.get("/research-reports", params={"status": "published"}, headers=AUDITOR)
    assert rid in [r["id"] for r in listed.json()["items"]]


def test_live_tables_equal_a_rebuild(client, app, services, module_database):
    plan(client, app)
    draft(client)
    assert services.read_side.wait("training", app.max_position(), timeout=10)
    assert services.read_side.wait("competitors", app.max_position(), timeout=10)
    for name in ("training", "competitors"):
        differences = verify(app, READ_MODELS[name], module_database.env(), module_database.dialect)
        assert differences == [], name


def test_the_lists_agree_with_their_aggregates(client, app, services):
    pid = plan(client, app)
    client.post(f"/training-programs/{pid}/approve", json={}, headers=EXEC)
    client.post(
        f"/training-programs/{pid}/enrollments", json={"employee_id": employee(app)}, headers=HR
    )
    rid = draft(client)
    client.post(f"/research-reports/{rid}/submit", json={}, headers=MARKETING)
    client.post(f"/research-reports/{rid}/accept", json={}, headers=EXEC)
    names = ("training", "competitors")
    for name in names:
        assert services.read_side.wait(name, app.max_position(), timeout=10)
    views = {name: services.read_side.view(name) for name in names}
    assert crosscheck_all(app, views) == {"training": [], "competitors": []}
