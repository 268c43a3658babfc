"""The second derivation: every directory row agrees with the state of its aggregate.

On the demo company, and after a sequence of commands of every aggregate drawn by
hypothesis; and a fold that is wrong (the customer directory before it folded
`Customer.Converted`) is seen by it though a rebuild with the same fold is not.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.customer import Customer
from interfaces.cli import cli
from projections.crosscheck import MIRRORS, crosscheck_all
from projections.customer_directory import CustomerDirectoryProjection
from projections.customer_directory import fold as directory_fold
from projections.rebuild import fresh_view, replay
from projections.runner import READ_MODELS, close_view, construct_view
from tests.conftest import bearer, unique
from tests.hardening import test_extremes as extremes

ADMIN = bearer("ada", "admin")
# Approves, returns and rejects what ADMIN submitted (segregation of duties).
REVIEWER = bearer("bob", "admin")
REVIEWS = {"approve", "return", "reject", "reviews/reject"}
AUDITOR = bearer("audrey", "auditor")
TODAY = extremes.today()


def fold_without_conversion(row: Any, event: Any, position: int) -> Any:
    """The directory's fold as it was: a conversion left the customer a prospect."""
    if isinstance(event, Customer.Converted):
        return None if row is None else {**row, "version": event.originator_version}
    return directory_fold(row, event, position)


class DirectoryWithoutConversion(CustomerDirectoryProjection):
    """The customer directory with the fold that missed `Customer.Converted`."""

    fold = staticmethod(fold_without_conversion)


def views_of(database: Any, names: Any = MIRRORS) -> dict[str, Any]:
    return {n: construct_view(READ_MODELS[n], database.env(), database.dialect) for n in names}


def test_the_demo_company_agrees_with_its_aggregates(seeded_demo):
    env = seeded_demo.env
    rebuilt = CliRunner().invoke(cli, ["projections", "rebuild", *MIRRORS], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    database = seeded_demo.database
    app, views = Backoffice(database.env()), views_of(database)
    try:
        found = crosscheck_all(app, views)
        counts = {
            n: len(v.query(f"SELECT id FROM {v.table(MIRRORS[n].table)}")) for n, v in views.items()
        }
    finally:
        for view in views.values():
            close_view(view)
        app.close()
    assert {n: [str(m) for m in ms] for n, ms in found.items() if ms} == {}
    assert [n for n, count in counts.items() if count == 0] == [], counts
    assert set(found) == set(MIRRORS)


def test_a_fold_missing_a_case_is_seen_though_a_rebuild_agrees_with_it(seeded_demo):
    database = seeded_demo.database
    app = Backoffice(database.env())
    spec = READ_MODELS["customer_directory"]
    first = fresh_view(spec, database.env(), database.dialect, prefix="xa_")
    second = fresh_view(spec, database.env(), database.dialect, prefix="xb_")
    try:
        replay(app, first, DirectoryWithoutConversion)
        replay(app, second, DirectoryWithoutConversion)
        table = "customer_directory"
        rows = [v.query(f"SELECT * FROM {v.table(table)} ORDER BY id") for v in (first, second)]
        assert rows[0] == rows[1]  # the first derivation, folding again, is blind to it
        found = crosscheck_all(app, {"customer_directory": first})["customer_directory"]
        converted = [v for v in rows[0] if v["status"] == "customer"]
    finally:
        close_view(first)
        close_view(second)
        app.close()
    assert converted == []
    assert found, "every converted customer differs in status"
    assert {(m.field, m.aggregate) for m in found} == {("status", "customer")}
    assert {m.row for m in found} <= {"lead", "prospect"}


def post(client: Any, path: str, body: dict[str, Any]) -> Any:
    reviewing = path.rsplit("/", 1)[-1] in REVIEWS or path.endswith("reviews/reject")
    response = client.post(path, json=body, headers=REVIEWER if reviewing else ADMIN)
    assert response.status_code < 500, response.text
    return response


# Commands of every aggregate that take it along another branch than the scenarios do
# (reject, return, cancel, lose, reopen, terminate, ...), each with a body it accepts
# in some state; a command refused in the state drawn writes nothing.
BRANCHES: list[tuple[str, str, dict[str, Any]]] = [
    ("customers", "qualify", {}),
    ("customers", "lost", {"reason": "went quiet"}),
    ("customers", "reopen", {}),
    ("customers", "owner", {"owner_id": "olga"}),
    ("customers", "profile", {"name": "Renamed Co", "region": "west", "tags": ["vip"]}),
    ("customers", "credit-hold", {"reason": "check"}),
    ("customers", "membership", {"tier": "silver"}),
    ("customers", "points/award", {"points": 5, "reason": "x"}),
    ("contracts", "cancel", {"reason": "no"}),
    ("contracts", "terminate", {"reason": "breach"}),
    ("contracts", "submit", {}),
    ("contracts", "reviews/reject", {"department": "legal", "reasons": "clause"}),
    ("budgets", "close", {}),
    ("budgets", "submit", {}),
    ("budgets", "reject", {"reasons": "too much"}),
    ("campaigns", "cancel", {"reason": "stop"}),
    ("campaigns", "complete", {}),
    ("complaints", "reopen", {"reason": "again"}),
    ("opportunities", "lose", {"reason": "price", "competitor": "Rival"}),
    ("opportunities", "reopen", {}),
    ("opportunities", "regress", {"to_stage": "qualification", "reason": "budget cut"}),
    ("opportunities", "advance", {"to_stage": "negotiation"}),
    ("campaigns", "submit", {}),
    ("campaigns", "reject", {"reasons": "later"}),
    ("price-lists", "prices", {"sku": "EXTRA-1", "unit_price": "12.50"}),
    ("price-lists", "publish", {}),
    ("risks", "close", {"reason": "gone"}),
    ("risks", "reopen", {"reason": "back"}),
    ("risks", "assess", {"likelihood": 4, "impact": 5, "rationale": "worse"}),
    ("marketing-plans", "revise", {}),
    ("marketing-plans", "submit", {}),
    ("marketing-plans", "return", {"comments": "sharper"}),
    ("marketing-plans", "approve", {}),
    ("expense-claims", "reject", {"reasons": "no receipt"}),
    ("employees", "transfer", {"department": "service", "position": "Agent"}),
    ("employees", "promote", {"position": "Lead"}),
    ("employees", "terminate", {"reason": "left", "on": extremes.today()}),
    ("employees", "reject", {"reason": "no"}),
]


def listed(client: Any, collection: str) -> list[str]:
    answer = client.get(f"/{collection}", params={"limit": 1000}, headers=AUDITOR)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def givens(client: Any) -> None:
    """Aggregates in their first state, for the branches that start there."""
    customer = extremes.lead(client)
    post(client, "/employees", {"name": unique("Cand"), "position": "Rep", "department": "x"})
    line = {"sku": "A", "quantity": 1, "unit_price": "10", "unit_cost": "5"}
    draft = {"customer_id": customer, "channel": "direct", "lines": [line]}
    post(client, "/contracts", {**draft, "payment_term_days": 30, "delivery_due_on": TODAY})
    opened = {"customer_id": customer, "title": "Spring", "expected_value": "100"}
    post(client, "/opportunities", {**opened, "expected_close_on": TODAY})


def walk(client: Any, steps: list[tuple[int, int]]) -> None:
    """The branch commands drawn, each on one of the aggregates of its collection, the
    newest most often."""
    givens(client)
    ids: dict[str, list[str]] = {}
    for branch, pick in steps:
        collection, command, body = BRANCHES[branch]
        known = ids.setdefault(collection, listed(client, collection))
        if known:
            target = known[-1 - pick % len(known)]
            post(client, f"/{collection}/{target}/{command}", body)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    choices=st.lists(st.booleans(), min_size=extremes.CHOICES, max_size=extremes.CHOICES),
    steps=st.lists(st.tuples(st.integers(0, len(BRANCHES) - 1), st.integers(0, 3)), max_size=40),
)
def test_every_directory_agrees_with_its_aggregates_after_commands_of_every_aggregate(
    services, client, choices, steps
):
    pick = extremes.Pick(choices)
    for scenario in extremes.SCENARIOS:
        scenario(client, pick)
    walk(client, steps)
    walk(client, [(branch, 0) for branch in range(len(BRANCHES))])
    head = services.backoffice.max_position()
    for name in MIRRORS:
        assert services.read_side.wait(name, head, timeout=30), name
    views = {name: services.read_side.view(name) for name in MIRRORS}
    found = crosscheck_all(services.backoffice, views)
    assert {n: [str(m) for m in ms] for n, ms in found.items() if ms} == {}
    for name, view in views.items():
        assert view.query(f"SELECT id FROM {view.table(MIRRORS[name].table)} LIMIT 1"), name
