"""No body, however odd, makes a budget or campaign command fail with a server error."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import bearer

ADMIN = bearer("fuzz", "admin")
EXEC = bearer("eve", "executive")
FIELDS = [
    "fiscal_year",
    "name",
    "lines",
    "targets",
    "category",
    "period",
    "amount",
    "reference",
    "expense_type",
    "overrun_id",
    "description",
    "occurred_at",
    "justification",
    "reasons",
    "reason",
    "from_category",
    "from_period",
    "to_category",
    "to_period",
    "objective",
    "channels",
    "starts_on",
    "ends_on",
    "budget_amount",
    "budget_id",
    "budget_period",
    "owner_id",
    "channel",
    "spend",
    "impressions",
    "leads",
    "attributed_revenue",
    "summary",
    "rating",
]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        ["2026-02-30", "2026-11-27T10:00:00", "1e400", "NaN", "-0.001", "Q2", "promotion"]
    ),
    st.lists(st.text(max_size=5), max_size=3),
    st.lists(
        st.fixed_dictionaries(
            {"category": st.sampled_from(["sales", "x"]), "period": st.text(max_size=3)}
        ),
        max_size=2,
    ),
    st.fixed_dictionaries({"leads": st.integers(-5, 5)}),
)
BUDGET_COMMANDS = [
    "",
    "amend",
    "submit",
    "approve",
    "reject",
    "commitments",
    "commitments/po-1/release",
    "expenses",
    "overruns",
    "reallocations",
]
CAMPAIGN_COMMANDS = [
    "",
    "amend",
    "submit",
    "approve",
    "reject",
    "launch",
    "results",
    "complete",
    "evaluate",
    "cancel",
]


@pytest.fixture(scope="module")
def targets(client):
    year = datetime.now(UTC).year + 30
    budget = client.post(
        "/budgets",
        json={
            "fiscal_year": year,
            "lines": [{"category": "promotion", "period": "Q2", "amount": "100000"}],
        },
        headers=ADMIN,
    ).json()["id"]
    client.post(f"/budgets/{budget}/submit", json={}, headers=ADMIN)
    client.post(f"/budgets/{budget}/approve", json={}, headers=EXEC)
    campaign = client.post(
        "/campaigns",
        json={
            "name": "Fuzz",
            "objective": "x",
            "channels": ["social"],
            "starts_on": "2026-04-01",
            "ends_on": "2026-04-30",
            "budget_amount": "10",
            "budget_id": budget,
            "budget_period": "Q2",
        },
        headers=ADMIN,
    ).json()["id"]
    return budget, campaign


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    resource=st.sampled_from(["budgets", "campaigns"]),
    command=st.integers(0, 9),
    body=st.dictionaries(st.sampled_from(FIELDS), ODD, max_size=6),
)
def test_odd_bodies_never_make_a_server_error(client, targets, resource, command, body):
    budget, campaign = targets
    if resource == "budgets":
        name, target = BUDGET_COMMANDS[command], budget
    else:
        name, target = CAMPAIGN_COMMANDS[command], campaign
    path = f"/{resource}/{target}/{name}" if name else f"/{resource}"
    response = client.post(
        path, content=json.dumps(body), headers={**ADMIN, "content-type": "application/json"}
    )
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert response.json()["code"]
