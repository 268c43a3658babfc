"""After `mops demo`, the notifications of its year reach the inboxes of its staff.

The read side folds the demo's log live and then ticks once at the present moment, as a
deployment's clock does: the demo's overdue invoices raise dunning, its customers the
credit report's alerts, its newest complaint (85 % of its response window gone)
`sla_at_risk`; each reaches its owner's or assignee's inbox and the role's, and a
second tick raises and clears nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from interfaces.bootstrap import build
from interfaces.http.app import create_app
from projections.notice_clock import tick
from tests.conftest import bearer
from tests.web.conftest import session

ROLE_OF = {"dunning_due": "finance", "credit_alert": "finance", "sla_at_risk": "service"}


def test_the_demo_year_raises_a_realistic_set_seen_by_its_staff(seeded_demo):
    services = build(
        seeded_demo.database.settings(read_wait_seconds=120, tick_seconds=1e6),
        run_projections=True,
    )
    try:
        read_side = services.read_side
        assert read_side.wait("notifications", services.backoffice.max_position(), timeout=120)
        assert read_side.wait("credit", services.backoffice.max_position(), timeout=120)
        view = read_side.view("notifications")
        now = datetime.now(UTC)
        with read_side.runners["notifications"].lock:
            tick(view, now, views=read_side.view)
            again = tick(view, now, views=read_side.view)
        rows = view.query(f"SELECT * FROM {view.table('notices')} WHERE cleared_at IS NULL")
        credit_alerts = read_side.view("credit").alerts(now.date(), limit=10_000)
        with TestClient(create_app(services=services)) as client:
            dunning = client.get(
                "/reports/credit/dunning", params={"limit": 1000}, headers=bearer("f", "finance")
            )
            dashboard = client.get("/ui?lang=zh", headers=session("fiona", "finance")).text
            seen = {row["id"]: inboxes(client, row) for row in rows if row["rule"] in ROLE_OF}
    finally:
        services.close()
    assert again == 0
    assert "我的通知" in dashboard and "dunning_due" in dashboard  # the dashboard's panel
    opened = Counter(row["rule"] for row in rows)
    assert {
        "credit_alert",
        "dunning_due",
        "sla_at_risk",
        "budget_line_90",
        "risk_warning",
    } <= opened.keys(), opened
    assert {(row["subject_id"], row["level"]) for row in rows if row["rule"] == "credit_alert"} == {
        (a["customer_id"], a["alert"]) for a in credit_alerts
    }
    assert dunning.status_code == 200, dunning.text
    levels = {item["invoice_id"]: item["level"] for item in dunning.json()["items"]}
    for row in rows:
        if row["rule"] == "dunning_due":  # each at the level the credit report shows
            assert levels[row["subject_id"]] == int(row["level"]), row
    for notice_id, (by_person, by_role) in seen.items():
        assert by_role, notice_id
        assert by_person is None or by_person, notice_id


def inboxes(client, row) -> tuple[bool | None, bool]:
    """Whether the notice is in its employee recipient's inbox (None: it has none) and in
    the inbox of someone holding its rule's role."""
    people = [r["employee"] for r in json.loads(row["recipients"]) if "employee" in r]
    role = ROLE_OF[row["rule"]]
    query = {"rule": row["rule"], "limit": 1000}
    by_role = row["id"] in ids(
        client.get("/notifications", params=query, headers=bearer("x", role))
    )
    if not people:
        return None, by_role
    answer = client.get("/notifications", params=query, headers=bearer(people[0], "sales"))
    return row["id"] in ids(answer), by_role


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]
