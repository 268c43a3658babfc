"""After `mops demo`, the risk register holds every category, a warning names its risks,
and the live read models equal a rebuild."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from interfaces.bootstrap import build
from interfaces.cli import cli
from interfaces.http.app import create_app
from tests.conftest import bearer


def test_the_demo_register_warns_with_the_open_risks_of_the_category(seeded_demo):
    database, env, output = seeded_demo.database, seeded_demo.env, seeded_demo.output
    runner = CliRunner()
    assert " risks (" in output

    # The read models fold the demo's log live, as a deployment would; the report waits
    # for those it reads (a loaded test machine may need more than the default 5 s).
    services = build(database.settings(read_wait_seconds=120), run_projections=True)
    try:
        with TestClient(create_app(services=services)) as client:
            response = client.get("/reports/risks", headers=bearer("audrey", "auditor"))
            listed = client.get(
                "/risks", params={"limit": 1000}, headers=bearer("audrey", "auditor")
            )
    finally:
        services.close()
    assert response.status_code == 200, response.text
    assert "mops-read-model-lagging" not in response.headers
    body = response.json()
    register = body["register"]
    assert {e["category"] for e in register} == {"market", "credit", "operational", "legal"}
    assert sorted(e["risk_id"] for e in register) == sorted(r["id"] for r in listed.json()["items"])
    assert any(e["status"] == "closed" for e in register)
    assert any(len(e["past_levels"]) > 1 for e in register)
    assert any(e["level"] is None for e in register)
    assert body["overdue_actions"]
    assert sum(body["heat_map"].values()) == sum(
        1 for e in register if e["status"] != "closed" and e["level"] is not None
    )
    warnings = [i for i in body["indicators"] if i["warning"]]
    assert warnings, body["indicators"]
    for warning in warnings:
        open_ids = sorted(
            e["risk_id"]
            for e in register
            if e["category"] == warning["category"] and e["status"] != "closed"
        )
        assert warning["risk_ids"] == open_ids and open_ids, warning

    verified = runner.invoke(cli, ["projections", "verify", "--allow-stopped"], env=env)
    assert verified.exit_code == 0, verified.output
