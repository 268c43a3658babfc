"""The employee API of API.md, over HTTP, on SQLite and PostgreSQL: people data guarded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from application.permissions import COMMAND_ROLES
from tests.conftest import assert_problem, bearer, unique

HR = bearer("harriet", "hr")
EXEC = bearer("eve", "executive")
AUDITOR = bearer("audrey", "auditor")
STRANGER = bearer("sam-stranger", "sales")


def today() -> str:
    """Today in UTC, read when asked: a run may cross midnight."""
    return datetime.now(UTC).date().isoformat()


ROUTES = {
    "employee.register_candidate": "/employees",
    "employee.erase": "/employees/{id}/erase",
    "employee.interview": "/employees/{id}/interviews",
    "employee.hire": "/employees/{id}/hire",
    "employee.reject_candidate": "/employees/{id}/reject",
    "employee.transfer": "/employees/{id}/transfer",
    "employee.promote": "/employees/{id}/promote",
    "employee.terminate": "/employees/{id}/terminate",
    "employee.targets": "/employees/{id}/targets",
    "employee.training": "/employees/{id}/trainings",
    "employee.appraisal_open": "/employees/{id}/appraisals",
    "employee.evaluation": "/employees/{id}/appraisals/{sub}/evaluations",
    "employee.appraisal_finalize": "/employees/{id}/appraisals/{sub}/finalize",
    "employee.bonus": "/employees/{id}/bonuses",
    "employee.honor": "/employees/{id}/honors",
    "employee.improvement_plan": "/employees/{id}/improvement-plans",
    "employee.improvement_plan_close": "/employees/{id}/improvement-plans/{sub}/close",
}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def candidate(client, name=None, department="sales") -> str:
    response = client.post(
        "/employees",
        json={"name": name or unique("Person"), "position": "Rep", "department": department},
        headers=HR,
    )
    return ok(response, 201)["id"]


def hired(client, manager_id=None, name=None, department="sales") -> str:
    eid = candidate(client, name, department)
    for kind in ("interview", "background_check"):
        ok(
            client.post(
                f"/employees/{eid}/interviews", json={"kind": kind, "result": "pass"}, headers=HR
            )
        )
    body = {"hired_on": today(), "position": "Sales rep", "department": department, "grade": "P3"}
    if manager_id:
        body["manager_id"] = manager_id
    ok(client.post(f"/employees/{eid}/hire", json=body, headers=HR))
    return eid


def test_every_employee_command_has_a_route():
    assert ROUTES.keys() == {c for c in COMMAND_ROLES if c.startswith("employee.")}


def test_candidate_to_appraisal_over_http(client):
    manager = hired(client, name=unique("Manager"))
    created = client.post(
        "/employees",
        json={"name": "Li Wei", "position": "Rep", "department": "sales", "source": "referral"},
        headers=HR,
    )
    assert created.status_code == 201, created.text
    eid = created.json()["id"]
    assert created.headers["location"] == f"/employees/{eid}"
    url = f"/employees/{eid}"
    interview = client.post(
        f"{url}/interviews",
        json={
            "kind": "interview",
            "result": "pass",
            "score": 82.5,
            "notes": "sharp",
            "occurred_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        },
        headers=HR,
    )
    assert ok(interview)["version"] == 2
    assert_problem(
        client.post(
            f"{url}/hire",
            json={"hired_on": today(), "position": "Rep", "department": "sales"},
            headers=HR,
        ),
        422,
        "hiring_incomplete",
    )
    ok(
        client.post(
            f"{url}/interviews", json={"kind": "background_check", "result": "pass"}, headers=HR
        )
    )
    ok(
        client.post(
            f"{url}/hire",
            json={
                "hired_on": today(),
                "position": "Rep",
                "department": "sales",
                "manager_id": manager,
                "grade": "P2",
            },
            headers=HR,
        )
    )
    ok(client.post(f"{url}/transfer", json={"department": "key accounts"}, headers=HR))
    ok(client.post(f"{url}/promote", json={"position": "Senior rep", "grade": "P3"}, headers=HR))
    targets = {
        "period": "2026-Q2",
        "items": [
            {"metric": "revenue", "target": "100000", "weight": "0.7"},
            {"metric": "new_customers", "target": 3, "weight": 0.3},
        ],
    }
    ok(client.post(f"{url}/targets", json=targets, headers=bearer("mia", "sales_manager")))
    ok(
        client.post(
            f"{url}/trainings",
            json={"course": "CRM", "kind": "skills", "hours": "4.5", "completed_on": today()},
            headers=bearer(manager, "sales_manager"),
        )
    )
    opened = client.post(
        f"{url}/appraisals", json={"cycle": "annual", "period": "2026"}, headers=HR
    )
    assert opened.status_code == 201, opened.text
    aid = opened.json()["id"]
    assert opened.headers["location"] == f"{url}/appraisals/{aid}"
    for who, source, scores in (
        (bearer(manager, "sales_manager"), "superior", (80, 70, 90)),
        (bearer(eid, "sales"), "self", (90, 90, 90)),
        (bearer("sue", "service"), "customer", ("70", "60", "80")),
    ):
        body = dict(zip(("kpi_score", "goals_score", "attitude_score"), scores, strict=True))
        ok(
            client.post(
                f"{url}/appraisals/{aid}/evaluations", json={"source": source, **body}, headers=who
            )
        )
    # Targets of 2026-Q2 do not touch the annual appraisal of 2026.
    # superior 5/8, self 1/8, customer 2/8: kpi (400+90+140)/8 = 78.75, goals (350+90+120)/8 = 70,
    # attitude (450+90+160)/8 = 87.5; 0.6*78.75 + 0.25*70 + 0.15*87.5 = 47.25+17.5+13.125 = 77.875
    finalized = ok(client.post(f"{url}/appraisals/{aid}/finalize", json={}, headers=HR))
    assert (finalized["score"], finalized["rating"]) == ("77.88", "B")
    bonus = {"amount": "2000.00", "reason": "good year", "appraisal_id": aid}
    ok(client.post(f"{url}/bonuses", json=bonus, headers=EXEC))
    ok(client.post(f"{url}/honors", json={"title": "Rookie"}, headers=HR))
    assert_problem(
        client.post(f"{url}/improvement-plans", json={"goals": "x", "due_on": today()}, headers=HR),
        422,
        "improvement_plan_not_allowed",
    )
    got = client.get(url, headers=HR)
    assert got.status_code == 200 and got.headers["etag"] == f'"{got.json()["version"]}"'
    employee = got.json()
    assert (
        employee["status"],
        employee["department"],
        employee["position"],
        employee["grade"],
    ) == (
        "active",
        "key accounts",
        "Senior rep",
        "P3",
    )
    assert employee["manager_id"] == manager
    assert employee["training_hours"] == "4.5"
    assert employee["latest_rating"] == "B"
    [appraisal] = employee["appraisals"]
    assert (appraisal["score"], appraisal["status"], len(appraisal["evaluations"])) == (
        "77.88",
        "finalized",
        3,
    )
    assert employee["targets"] == [
        {
            "period": "2026-Q2",
            "items": [
                {"metric": "revenue", "target": "100000", "weight": "0.7"},
                {"metric": "new_customers", "target": "3", "weight": "0.3"},
            ],
        }
    ]
    history = client.get(f"{url}/history", headers=AUDITOR).json()["items"]
    assert [h["type"] for h in history][:2] == ["CandidateRegistered", "InterviewRecorded"]
    assert history[-1]["type"] == "HonorGranted"
    then = client.get(url, params={"version": 4}, headers=HR).json()
    assert (then["status"], then["version"]) == ("active", 4)
    earlier = client.get(url, params={"as_of": history[0]["recorded_at"]}, headers=HR).json()
    assert (earlier["status"], earlier["version"]) == ("candidate", 1)
    ok(client.post(f"{url}/terminate", json={"reason": "moved", "on": today()}, headers=HR))
    assert client.get(url, headers=HR).json()["status"] == "terminated"


def test_people_data_is_read_by_hr_the_employee_and_their_manager_only(client):
    manager = hired(client, name=unique("Manager"))
    eid = hired(client, manager)
    colleague = hired(client, manager)
    allowed = [
        HR,
        EXEC,
        AUDITOR,
        bearer("root", "admin"),
        bearer(eid, "sales"),
        bearer(manager, "sales_manager"),
    ]
    refused = [
        STRANGER,
        bearer(colleague, "sales"),
        bearer("mia", "sales_manager"),
        bearer("fiona", "finance"),
    ]
    reads = (("", {}), ("", {"version": 1}), ("", {"as_of": today()}), ("/history", {}))
    for path, params in reads:
        for headers in allowed:
            response = client.get(f"/employees/{eid}{path}", params=params, headers=headers)
            assert response.status_code == 200, (path, params, response.text)
        for headers in refused:
            problem = assert_problem(
                client.get(f"/employees/{eid}{path}", params=params, headers=headers),
                403,
                "forbidden",
            )
            assert "grade" not in problem
    assert_problem(client.get(f"/employees/{uuid4()}", headers=HR), 404, "not_found")
    assert_problem(client.get(f"/employees/{uuid4()}", headers=STRANGER), 404, "not_found")
    assert client.get(f"/employees/{eid}").status_code == 401


def test_the_directory_shows_every_role_the_staff_without_people_data(client):
    department = unique("dept")
    manager = hired(client, name=unique("Boss"), department=department)
    names = [unique("Alpha"), unique("Beta"), unique("Gamma")]
    ids = [hired(client, manager, name, department) for name in names]
    pending = candidate(client, unique("Delta"), department)
    page = client.get(
        "/employees", params={"department": department}, headers=bearer("sue", "service")
    )
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert [i["id"] for i in items] == [manager, *ids, pending]
    assert set(items[1]) == {
        "id",
        "name",
        "position",
        "department",
        "status",
        "manager_id",
        "hired_on",
        "version",
        "registered_position",
    }
    assert (items[1]["name"], items[1]["position"], items[1]["manager_id"]) == (
        names[0],
        "Sales rep",
        manager,
    )
    active = client.get(
        "/employees", params={"department": department, "status": "candidate"}, headers=STRANGER
    ).json()["items"]
    assert [i["id"] for i in active] == [pending]
    reports = client.get("/employees", params={"manager_id": manager}, headers=STRANGER).json()[
        "items"
    ]
    assert [i["id"] for i in reports] == ids
    found = client.get("/employees", params={"q": names[1].lower()}, headers=STRANGER).json()[
        "items"
    ]
    assert [i["id"] for i in found] == [ids[1]]
    first = client.get(
        "/employees", params={"department": department, "limit": 2}, headers=STRANGER
    ).json()
    assert [i["id"] for i in first["items"]] == [manager, ids[0]]
    second = client.get(
        "/employees",
        params={"department": department, "limit": 2, "cursor": first["next_cursor"]},
        headers=STRANGER,
    ).json()
    assert [i["id"] for i in second["items"]] == ids[1:]
    assert second["next_cursor"] is not None


def test_checks_run_in_the_order_of_the_contract(client, position):
    manager = hired(client, name=unique("Manager"))
    eid = hired(client, manager)
    url = f"/employees/{eid}"
    before = position()
    # 403 role before 404 id before 422 body.
    assert_problem(
        client.post(f"/employees/{uuid4()}/promote", json={"x": 1}, headers=STRANGER),
        403,
        "forbidden",
    )
    assert_problem(
        client.post(f"/employees/{uuid4()}/promote", json={"x": 1}, headers=HR), 404, "not_found"
    )
    problem = assert_problem(
        client.post(f"{url}/promote", json={"x": 1}, headers=HR), 422, "validation_error"
    )
    assert {e["field"] for e in problem["errors"]} == {"x", "position"}
    # 422 body before 409 If-Match before 409 state.
    assert_problem(
        client.post(f"{url}/interviews", json={"kind": "chat"}, headers={**HR, "If-Match": '"1"'}),
        422,
        "validation_error",
    )
    assert_problem(
        client.post(
            f"{url}/interviews",
            json={"kind": "interview", "result": "pass"},
            headers={**HR, "If-Match": '"1"'},
        ),
        409,
        "version_conflict",
    )
    assert_problem(
        client.post(f"{url}/interviews", json={"kind": "interview", "result": "pass"}, headers=HR),
        409,
        "invalid_state",
    )
    # 409 state before 403 identity before 422 rule.
    opened = ok(
        client.post(
            f"{url}/appraisals", json={"cycle": "quarterly", "period": "2026-Q1"}, headers=HR
        ),
        201,
    )
    aid = opened["id"]
    evaluation = {"source": "superior", "kpi_score": 70, "goals_score": 70, "attitude_score": 70}
    assert_problem(
        client.post(f"{url}/appraisals/{aid}/evaluations", json=evaluation, headers=STRANGER),
        403,
        "forbidden",
    )
    assert_problem(
        client.post(f"{url}/appraisals/{aid}/finalize", json={}, headers=HR),
        422,
        "evaluation_incomplete",
    )
    manager_token = bearer(manager, "sales_manager")
    ok(client.post(f"{url}/appraisals/{aid}/evaluations", json=evaluation, headers=manager_token))
    assert_problem(
        client.post(f"{url}/appraisals/{aid}/evaluations", json=evaluation, headers=manager_token),
        422,
        "duplicate_evaluation",
    )
    assert_problem(
        client.post(
            f"{url}/appraisals/{uuid4()}/evaluations", json=evaluation, headers=manager_token
        ),
        404,
        "not_found",
    )
    etag = client.get(url, headers=HR).headers["etag"]
    finalized = client.post(
        f"{url}/appraisals/{aid}/finalize", json={}, headers={**HR, "If-Match": etag}
    )
    assert ok(finalized) == {
        "id": eid,
        "version": int(etag.strip('"')) + 1,
        "score": "70.00",
        "rating": "B",
        "position": finalized.json()["position"],
    }
    assert_problem(
        client.post(f"{url}/appraisals/{aid}/evaluations", json=evaluation, headers=HR),
        409,
        "invalid_state",
    )
    assert position() == before + 3


def test_improvement_plans_answer_201_with_their_id(client):
    manager = hired(client, name=unique("Manager"))
    eid = hired(client, manager)
    url = f"/employees/{eid}"
    aid = ok(
        client.post(
            f"{url}/appraisals", json={"cycle": "monthly", "period": "2026-01"}, headers=HR
        ),
        201,
    )["id"]
    low = {"source": "superior", "kpi_score": 55, "goals_score": 55, "attitude_score": 55}
    ok(client.post(f"{url}/appraisals/{aid}/evaluations", json=low, headers=HR))
    assert ok(client.post(f"{url}/appraisals/{aid}/finalize", json={}, headers=HR))["rating"] == "D"
    due = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    started = client.post(
        f"{url}/improvement-plans", json={"goals": "three deals", "due_on": due}, headers=EXEC
    )
    assert started.status_code == 201, started.text
    pid = started.json()["id"]
    assert started.headers["location"] == f"{url}/improvement-plans/{pid}"
    assert_problem(
        client.post(f"{url}/improvement-plans/{pid}/close", json={"outcome": "meh"}, headers=HR),
        422,
        "validation_error",
    )
    ok(client.post(f"{url}/improvement-plans/{pid}/close", json={"outcome": "passed"}, headers=HR))
    assert_problem(
        client.post(f"{url}/improvement-plans/{pid}/close", json={"outcome": "passed"}, headers=HR),
        409,
        "invalid_state",
    )
    [plan] = client.get(url, headers=bearer(eid, "sales")).json()["improvement_plans"]
    assert (plan["plan_id"], plan["outcome"]) == (pid, "passed")


def test_bodies_out_of_the_rules_are_validation_errors(client, position):
    eid = hired(client)
    url = f"/employees/{eid}"
    before = position()
    for path, body in (
        (
            "targets",
            {"period": "2026-Q5", "items": [{"metric": "revenue", "target": 1, "weight": 1}]},
        ),
        (
            "targets",
            {"period": "2026", "items": [{"metric": "revenue", "target": 1, "weight": "0.9"}]},
        ),
        ("targets", {"period": "2026", "items": [{"metric": "smiles", "target": 1, "weight": 1}]}),
        ("appraisals", {"cycle": "quarterly", "period": "2026"}),
        ("appraisals", {"cycle": "weekly", "period": "2026"}),
        (
            "trainings",
            {"course": "x", "kind": "skills", "hours": "2", "completed_on": "2001-01-01"},
        ),
        ("hire", {"hired_on": today()}),
        ("bonuses", {"amount": "10.001", "reason": "x"}),
        ("honors", {"title": "x", "extra": 1}),
    ):
        assert_problem(client.post(f"{url}/{path}", json=body, headers=HR), 422, "validation_error")
    assert position() == before


def test_an_unknown_appraisal_answers_404_before_a_bad_body(client):
    hr = bearer("hr-404", "hr")
    employee_id = client.post(
        "/employees",
        json={"name": "Nobody Yet", "position": "clerk", "department": "ops"},
        headers=hr,
    ).json()["id"]
    unknown = uuid4()
    for path in (
        f"/employees/{employee_id}/appraisals/{unknown}/evaluations",
        f"/employees/{employee_id}/improvement-plans/{unknown}/close",
    ):
        response = client.post(path, json={"source": "oracle"}, headers=hr)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
