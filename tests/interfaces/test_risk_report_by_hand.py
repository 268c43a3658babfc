"""`GET /reports/risks` whole, at two dates around a reassessment, against figures worked
by hand, on both databases.

The facts behind the indicators are those of `tests/projections/test_warnings.py` (its
docstring works them out); the risks are added over HTTP, dated by `occurred_at`:

- R1 credit: identified 03-01, assessed 2 x 3 (medium) 03-05, reassessed 5 x 4
  (critical) 04-12.
- R2 operational: identified and assessed 3 x 3 (medium) 03-12, an action due 04-20
  added the same day and never completed.
- R3 market: identified 03-02, assessed 4 x 2 (medium) 03-03, an action due 03-20 added
  the same day, completed 04-02, the risk closed 04-03.

| as_of | heat map | overdue actions | warnings (risk_ids) |
|---|---|---|---|
| 03-31 | 2-3, 3-3, 4-2 | R3's | overdue 0.3333 (R1), lines 1 (R2), revenue 0.5556 (R3) |
| 04-30 | 5-4, 3-3 | R2's | sla_breach_rate 0.5 (R2) |
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from interfaces.http.app import create_app
from tests.conftest import bearer
from tests.projections.test_warnings import run_scenario

FINANCE = bearer("fiona", "finance")
AUDITOR = bearer("audrey", "auditor")


def at(month: int, day: int) -> str:
    return f"2026-{month:02d}-{day:02d}T09:00:00+00:00"


@pytest.fixture(scope="module")
def client(module_database) -> Iterator[TestClient]:
    services = run_scenario(module_database)
    try:
        with TestClient(create_app(services=services)) as test_client:
            yield test_client
    finally:
        services.close()


@pytest.fixture(scope="module")
def risks(client) -> dict[str, str]:
    def post(path: str, body: dict) -> dict:
        response = client.post(path, json=body, headers=FINANCE)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def identify(category: str, title: str, when: str) -> str:
        body = {"category": category, "title": title, "description": title, "occurred_at": when}
        return post("/risks", body)["id"]

    def assess(risk: str, likelihood: int, impact: int, when: str) -> None:
        body = {"likelihood": likelihood, "impact": impact, "rationale": "as seen"}
        post(f"/risks/{risk}/assess", {**body, "occurred_at": when})

    def action(risk: str, due_on: str, when: str) -> str:
        body = {"description": "act", "due_on": due_on, "occurred_at": when}
        return post(f"/risks/{risk}/actions", body)["id"]

    r1 = identify("credit", "Slow payers", at(3, 1))
    r3 = identify("market", "Price war", at(3, 2))
    assess(r3, 4, 2, at(3, 3))
    a3 = action(r3, "2026-03-20", at(3, 3))
    assess(r1, 2, 3, at(3, 5))
    r2 = identify("operational", "Late answers", at(3, 12))
    assess(r2, 3, 3, at(3, 12))
    a2 = action(r2, "2026-04-20", at(3, 12))
    post(f"/risks/{r3}/actions/{a3}/complete", {"outcome": "matched", "occurred_at": at(4, 2)})
    post(f"/risks/{r3}/close", {"reason": "rivals backed off", "occurred_at": at(4, 3)})
    assess(r1, 5, 4, at(4, 12))
    return {"r1": r1, "r2": r2, "r3": r3, "a2": a2, "a3": a3}


def report(client, as_of: str) -> dict:
    response = client.get("/reports/risks", params={"as_of": as_of}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()


def cells(heat_map: dict[str, int]) -> dict[str, int]:
    assert len(heat_map) == 25
    return {cell: count for cell, count in heat_map.items() if count}


def test_before_the_reassessment(client, risks):
    body = report(client, "2026-03-31")
    assert body["as_of"] == "2026-03-31"
    levels = {
        e["risk_id"]: (e["likelihood"], e["impact"], e["level"], e["status"])
        for e in body["register"]
    }
    assert levels == {
        risks["r1"]: (2, 3, "medium", "assessed"),
        risks["r2"]: (3, 3, "medium", "mitigating"),
        risks["r3"]: (4, 2, "medium", "mitigating"),
    }
    assert cells(body["heat_map"]) == {"2-3": 1, "3-3": 1, "4-2": 1}
    assert [(a["risk_id"], a["action_id"], a["due_on"]) for a in body["overdue_actions"]] == [
        (risks["r3"], risks["a3"], "2026-03-20")
    ]
    indicators = {i["name"]: i for i in body["indicators"]}
    assert {n: (i["value"], i["warning"], i["risk_ids"]) for n, i in indicators.items()} == {
        "overdue_share": (0.3333, True, [risks["r1"]]),
        "sla_breach_rate": (0, False, [risks["r2"]]),
        "budget_lines_over_90": (1, True, [risks["r2"]]),
        "revenue_attainment": (0.5556, True, [risks["r3"]]),
    }


def test_after_the_reassessment(client, risks):
    body = report(client, "2026-04-30")
    levels = {
        e["risk_id"]: (e["likelihood"], e["impact"], e["level"], e["status"])
        for e in body["register"]
    }
    assert levels == {
        risks["r1"]: (5, 4, "critical", "assessed"),
        risks["r2"]: (3, 3, "medium", "mitigating"),
        risks["r3"]: (4, 2, "medium", "closed"),
    }
    [r1] = [e for e in body["register"] if e["risk_id"] == risks["r1"]]
    assert [p["level"] for p in r1["past_levels"]] == ["medium", "critical"]
    assert cells(body["heat_map"]) == {"5-4": 1, "3-3": 1}
    assert [(a["risk_id"], a["action_id"]) for a in body["overdue_actions"]] == [
        (risks["r2"], risks["a2"])
    ]
    indicators = {i["name"]: i for i in body["indicators"]}
    assert {n: (i["value"], i["warning"], i["risk_ids"]) for n, i in indicators.items()} == {
        "overdue_share": (0.1429, False, [risks["r1"]]),
        "sla_breach_rate": (0.5, True, [risks["r2"]]),
        "budget_lines_over_90": (0, False, [risks["r2"]]),
        "revenue_attainment": (1.0417, False, []),
    }
