"""The complaint API of API.md and `/reports/complaints`, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.commands.complaints import AssignComplaint, EscalateComplaint, ReceiveComplaint
from application.permissions import COMMAND_ROLES, ROLES
from domain.complaint import Complaint
from domain.employee import Employee
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from tests.conftest import as_, assert_problem, bearer
from tests.factories import contract, customer, employee

SERVICE = bearer("sue", "service")
MANAGER = bearer("mia", "sales_manager")
AUDITOR = bearer("audrey", "auditor")
ALL_ROLES = sorted(ROLES - {"admin"})

ROUTES = {
    "complaint.receive": "/complaints",
    "complaint.assign": "/complaints/{id}/assign",
    "complaint.respond": "/complaints/{id}/respond",
    "complaint.progress": "/complaints/{id}/progress",
    "complaint.escalate": "/complaints/{id}/escalate",
    "complaint.resolve": "/complaints/{id}/resolve",
    "complaint.close": "/complaints/{id}/close",
    "complaint.reopen": "/complaints/{id}/reopen",
}


def iso(moment: datetime) -> str:
    return moment.isoformat()


def receive(client, customer_id, headers=SERVICE, **overrides):
    body = {
        "customer_id": str(customer_id),
        "channel": "email",
        "category": "billing",
        "severity": "medium",
        "description": "invoice charged twice",
        **overrides,
    }
    response = client.post("/complaints", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


RESOLVE = {"resolution": "refunded", "root_cause": "process", "corrective_action": "dedupe check"}


def test_a_response_logged_late_is_measured_from_when_it_happened(client, app):
    """The call came in at 9, was answered at 10, and both were logged at noon."""
    cid = customer(app)
    agent = employee(app)
    came_in = datetime.now(UTC) - timedelta(hours=3)
    kid = receive(client, cid, severity="critical", occurred_at=iso(came_in))
    assigned = client.post(
        f"/complaints/{kid}/assign",
        json={"assignee_id": agent, "occurred_at": iso(came_in + timedelta(minutes=10))},
        headers=SERVICE,
    )
    assert assigned.status_code == 200, assigned.text
    answered = client.post(
        f"/complaints/{kid}/respond",
        json={"message": "we call you back", "occurred_at": iso(came_in + timedelta(hours=1))},
        headers=SERVICE,
    )
    assert answered.status_code == 200, answered.text
    timings = client.get(f"/complaints/{kid}", headers=AUDITOR).json()["timings"]
    # One hour against the two hours of a critical complaint, though logged three hours on.
    assert timings["response_hours"] == 1.0
    assert timings["response_breached"] is False
    before = app.max_position()
    too_early = client.post(
        f"/complaints/{kid}/escalate",
        json={"level": 1, "reason": "vip", "occurred_at": iso(came_in - timedelta(minutes=1))},
        headers=SERVICE,
    )
    assert_problem(too_early, 422, "validation_error")
    assert app.max_position() == before


def test_every_complaint_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("complaint.")}


def test_the_whole_way_over_http(client, app):
    cid = customer(app)
    kid_contract = contract(app, cid)
    agent = employee(app)
    came_in = datetime.now(UTC) - timedelta(hours=30)
    response = client.post(
        "/complaints",
        json={
            "customer_id": str(cid),
            "contract_id": str(kid_contract),
            "channel": "hotline",
            "category": "delivery",
            "severity": "high",
            "description": "half the order missing",
            "occurred_at": iso(came_in),
        },
        headers=SERVICE,
    )
    assert response.status_code == 201, response.text
    kid = response.json()["id"]
    assert response.headers["location"] == f"/complaints/{kid}"
    assert response.json()["version"] == 1
    steps = [
        ("assign", {"assignee_id": agent}),
        ("escalate", {"level": 1, "reason": "key account"}),
        ("respond", {"message": "second shipment today"}),
        ("progress", {"note": "truck left", "customer_informed": True}),
        ("resolve", RESOLVE),
        ("close", {"satisfaction": 3}),
        ("reopen", {"reason": "still missing a box"}),
        ("resolve", {**RESOLVE, "root_cause": "supplier"}),
        ("close", {}),
    ]
    for version, (command, body) in enumerate(steps, start=2):
        answer = client.post(f"/complaints/{kid}/{command}", json=body, headers=MANAGER)
        assert answer.status_code == 200, (command, answer.text)
        assert (answer.json()["id"], answer.json()["version"]) == (kid, version)
    got = client.get(f"/complaints/{kid}", headers=AUDITOR)
    assert got.headers["etag"] == '"10"'
    body = got.json()
    assert (body["status"], body["assignee_id"], body["contract_id"]) == (
        "closed",
        agent,
        str(kid_contract),
    )
    assert body["respond_by"] == (came_in + timedelta(hours=8)).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%f+00:00"
    )
    # Answered about 30 hours after receipt against 8 hours: a breached response.
    assert body["timings"]["response_breached"] is True
    assert body["timings"]["resolution_breached"] is False
    assert 29.9 < body["timings"]["response_hours"] < 30.5
    assert (body["root_cause"], body["satisfaction"], len(body["reopens"])) == ("supplier", 3, 1)
    assert body["escalations"][0]["level"] == 1
    assert body["progress"][0]["customer_informed"] is True
    then = client.get(f"/complaints/{kid}", params={"version": 3}, headers=AUDITOR).json()
    assert (then["status"], then["version"], then["escalation_level"]) == ("assigned", 3, 1)
    history = client.get(f"/complaints/{kid}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history] == [
        "Received",
        "Assigned",
        "Escalated",
        "Responded",
        "ProgressRecorded",
        "Resolved",
        "Closed",
        "Reopened",
        "Resolved",
        "Closed",
    ]
    assert history[0]["occurred_at"].startswith(came_in.astimezone(UTC).isoformat()[:19])
    assert history[0]["data"]["respond_by"]
    first_recorded = history[0]["recorded_at"]
    at_receipt = client.get(
        f"/complaints/{kid}", params={"as_of": first_recorded}, headers=AUDITOR
    ).json()
    assert (at_receipt["version"], at_receipt["status"]) == (1, "received")
    timings = client.get(f"/reports/complaints/{kid}", headers=AUDITOR).json()
    assert (timings["status"], timings["reopens"], timings["response_breached"]) == (
        "closed",
        1,
        True,
    )


@pytest.mark.parametrize("command", sorted(ROUTES))
def test_roles_not_allowed_get_403_and_write_nothing(client, app, position, command):
    kid = receive(client, customer(app))
    url = ROUTES[command].format(id=kid)
    before = position()
    for role in ALL_ROLES:
        response = client.post(url, json={"unknown": 1}, headers=bearer("someone", role))
        if role in COMMAND_ROLES[command]:
            assert_problem(response, 422, "validation_error")
        else:
            assert_problem(response, 403, "forbidden")
    assert position() == before


def test_order_of_checks(client, app, position):
    before = position()
    assert client.post("/complaints", json={}).status_code == 401
    for command, path in ROUTES.items():
        if command != "complaint.receive":
            url = path.format(id=uuid4())
            assert_problem(client.post(url, json={"x": 1}, headers=SERVICE), 404, "not_found")
            assert_problem(client.post(url, json={"x": 1}, headers=AUDITOR), 403, "forbidden")
    problem = assert_problem(
        client.post(
            "/complaints",
            json={
                "customer_id": str(uuid4()),
                "channel": "email",
                "category": "billing",
                "severity": "medium",
                "description": "x",
            },
            headers=SERVICE,
        ),
        422,
        "validation_error",
    )
    assert {e["field"] for e in problem["errors"]} == {"customer_id"}
    problem = assert_problem(
        client.post(
            "/complaints",
            json={"customer_id": str(uuid4()), "channel": "fax", "category": "billing"},
            headers=SERVICE,
        ),
        422,
        "validation_error",
    )
    assert {"channel", "severity", "description"} <= {e["field"] for e in problem["errors"]}
    assert position() == before
    kid = receive(client, customer(app))
    url = f"/complaints/{kid}"
    agent = employee(app)
    before = position()
    # Body before If-Match, If-Match before state, state before the rule.
    assert_problem(
        client.post(f"{url}/resolve", json={**RESOLVE, "root_cause": "fate"}, headers=SERVICE),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(f"{url}/resolve", json=RESOLVE, headers={**SERVICE, "If-Match": '"7"'}),
        409,
        "version_conflict",
    )
    assert_problem(
        client.post(f"{url}/resolve", json=RESOLVE, headers={**SERVICE, "If-Match": '"1"'}),
        409,
        "invalid_state",
    )
    problem = assert_problem(
        client.post(f"{url}/assign", json={"assignee_id": "nobody"}, headers=SERVICE),
        422,
        "validation_error",
    )
    assert problem["errors"][0]["field"] == "assignee_id"
    assert_problem(
        client.post(f"{url}/close", json={"satisfaction": 6}, headers=SERVICE),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(f"{url}/escalate", json={"level": 0, "reason": "x"}, headers=SERVICE),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(
            f"{url}/assign",
            json={"assignee_id": agent, "occurred_at": iso(datetime.now(UTC) + timedelta(days=1))},
            headers=SERVICE,
        ),
        422,
        "validation_error",
    )
    assert position() == before
    good = client.post(
        f"{url}/assign",
        json={"assignee_id": agent},
        headers={**SERVICE, "If-Match": '"1"'},
    )
    assert good.status_code == 200 and good.json()["version"] == 2


def test_reopen_after_the_window_answers_422(client, app, position):
    back = datetime.now(UTC) - timedelta(days=30, hours=5)
    kid = receive(client, customer(app), occurred_at=iso(back))
    # Over HTTP an assignment happens when recorded; the application may date it.
    app.handle(
        as_("sue", "service"), AssignComplaint(UUID(kid), employee(app), back + timedelta(hours=1))
    )
    for command, body in (
        ("respond", {"message": "hi", "occurred_at": iso(back + timedelta(hours=2))}),
        ("resolve", {**RESOLVE, "occurred_at": iso(back + timedelta(hours=3))}),
    ):
        answer = client.post(f"/complaints/{kid}/{command}", json=body, headers=SERVICE)
        assert answer.status_code == 200, answer.text
    before = position()
    problem = assert_problem(
        client.post(f"/complaints/{kid}/reopen", json={"reason": "again"}, headers=SERVICE),
        422,
        "reopen_window_closed",
    )
    assert problem["resolved_at"]
    assert position() == before


def test_the_list_filters_and_pages(client, app):
    cid, other = customer(app), customer(app)
    agent = employee(app)
    first = receive(client, cid, severity="critical", category="delivery")
    second = receive(client, cid, severity="low", category="billing")
    third = receive(client, other, severity="low", category="service")
    client.post(f"/complaints/{second}/assign", json={"assignee_id": agent}, headers=SERVICE)
    mine = client.get("/complaints", params={"customer_id": str(cid)}, headers=AUDITOR).json()
    assert [c["id"] for c in mine["items"]] == [first, second]
    assert mine["items"][0]["respond_by"]
    for params, expected in (
        ({"customer_id": str(cid), "severity": "low"}, [second]),
        ({"customer_id": str(cid), "category": "delivery"}, [first]),
        ({"assignee_id": agent}, [second]),
        ({"customer_id": str(cid), "status": "received"}, [first]),
        ({"customer_id": str(cid), "status": "assigned"}, [second]),
        ({"customer_id": str(other)}, [third]),
    ):
        items = client.get("/complaints", params=params, headers=AUDITOR).json()["items"]
        assert [c["id"] for c in items] == expected, params
    page = client.get(
        "/complaints", params={"customer_id": str(cid), "limit": 1}, headers=AUDITOR
    ).json()
    assert [c["id"] for c in page["items"]] == [first] and page["next_cursor"]
    rest = client.get(
        "/complaints",
        params={"customer_id": str(cid), "limit": 1, "cursor": page["next_cursor"]},
        headers=AUDITOR,
    ).json()
    assert [c["id"] for c in rest["items"]] == [second] and rest["next_cursor"] is None


def test_reads_of_an_unknown_complaint_answer_404(client):
    for path in ("/complaints/{}", "/complaints/{}/history", "/reports/complaints/{}"):
        assert_problem(client.get(path.format(uuid4()), headers=AUDITOR), 404, "not_found")
    assert client.get("/complaints", headers=AUDITOR).status_code == 200
    assert_problem(
        client.get("/reports/complaints", params={"group_by": "owner"}, headers=AUDITOR),
        422,
        "validation_error",
    )


def test_mops_history_prints_a_complaints_events(database):
    app = Backoffice(database.env())
    try:
        kid = app.handle(
            as_("sue", "service"),
            ReceiveComplaint(
                customer_id=customer(app),
                channel="visit",
                category="service",
                severity="low",
                description="rude driver",
            ),
        ).id
        app.handle(as_("sue", "service"), EscalateComplaint(kid, 1, "repeat"))
    finally:
        app.close()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    result = CliRunner().invoke(cli, ["history", "complaint", str(kid)], env=env)
    assert result.exit_code == 0, result.output
    assert "Received" in result.output and "Escalated" in result.output


def test_the_demo_writes_complaints_handled_by_active_staff(database):
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    demo = CliRunner().invoke(cli, ["demo", "--customers", "12", "--seed", "5"], env=env)
    assert demo.exit_code == 0, demo.output
    assert " complaints (" in " ".join(demo.output.split())
    app = Backoffice(database.env())
    try:
        received = app.recorder.select_notifications(
            1, 100_000, topics=[get_topic(Complaint.Received)]
        )
        complaints = [app.get(n.originator_id, Complaint) for n in received]
        assignees = {c.assignee_id for c in complaints if c.assignee_id}
        staff = {a: app.get(UUID(a), Employee) for a in assignees}
        events = {c.id: list(app.events.get(c.id)) for c in complaints}
    finally:
        app.close()
    assert len(complaints) >= 24
    assert all(e.status == "active" and e.department == "service" for e in staff.values())
    assert {c.severity for c in complaints} == {"low", "medium", "high", "critical"}
    assert len({c.channel for c in complaints}) >= 4 and len({c.category for c in complaints}) >= 4
    assert any(c.reopens for c in complaints)
    assert any(c.status == "closed" and c.satisfaction for c in complaints)
    assert any(c.contract_id for c in complaints)
    now = datetime.now(UTC)
    breached = [
        c
        for c in complaints
        if any(c.timings(now)[k] for k in ("response_breached", "resolution_breached"))
    ]
    assert 0 < len(breached) < len(complaints) / 2
    for complaint in complaints:
        times = [e.occurred_at for e in events[complaint.id]]
        assert times == sorted(times) and times[-1] <= now
