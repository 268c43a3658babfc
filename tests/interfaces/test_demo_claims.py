"""After `mops demo`, the staff's expense claims show in budget execution, and verify passes."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.budget import Budget
from domain.expense_claim import ExpenseClaim
from interfaces.cli import cli
from projections.runner import READ_MODELS, close_view, construct_view

LATER = datetime(2100, 1, 1, tzinfo=UTC)


def test_demo_claims_are_booked_on_the_budget_and_verify_passes(seeded_demo):
    database, env, output = seeded_demo.database, seeded_demo.env, seeded_demo.output
    runner = CliRunner()
    assert " expense claims (" in output
    rebuilt = runner.invoke(
        cli, ["projections", "rebuild", "expense_claims", "budget_execution"], env=env
    )
    assert rebuilt.exit_code == 0, rebuilt.output

    app = Backoffice(database.env())
    try:
        notifications = app.recorder.select_notifications(
            1, 100_000, topics=[get_topic(ExpenseClaim.Submitted)]
        )
        claims = [app.get(n.originator_id, ExpenseClaim) for n in notifications]
        budget_ids = {c.budget_id for c in claims}
        booked = {
            bid: [e for e in app.events.get(bid) if isinstance(e, Budget.ExpenseRecorded)]
            for bid in budget_ids
        }
    finally:
        app.close()

    now = datetime.now(UTC)
    assert len(claims) >= 15
    assert len({c.claimant_id for c in claims}) >= 6
    assert len({c.expense_type for c in claims}) >= 3
    statuses = Counter(c.status for c in claims)
    assert statuses["rejected"] >= 2 and statuses["paid"] >= 5
    decided = [c for c in claims if c.status in ("approved", "paid")]
    assert {c.approver_capacity for c in decided} == {"manager", "finance"}
    for claim in claims:
        assert now - timedelta(days=31) <= claim.submitted_at <= now
        assert claim.decided_by != claim.claimant_id
    # Each approved claim is one expense on its budget line, booked when it was approved.
    expenses = {e.reference: e for events in booked.values() for e in events}
    for claim in decided:
        expense = expenses[str(claim.id)]
        assert (expense.amount, expense.expense_type, expense.category, expense.period) == (
            claim.amount,
            claim.expense_type,
            claim.category,
            claim.period,
        )
        assert expense.occurred_at == claim.decided_at
    assert not {str(c.id) for c in claims if c.status == "rejected"} & expenses.keys()

    # Budget execution counts them like any other expense.
    view = construct_view(READ_MODELS["budget_execution"], database.env(), database.dialect)
    try:
        for bid, events in booked.items():
            report = view.report(str(bid), LATER)
            spent = defaultdict(Decimal)
            by_type = defaultdict(Decimal)
            for event in events:
                spent[(event.category, event.period)] += event.amount
                by_type[event.expense_type] += event.amount
            for line in report["lines"]:
                assert Decimal(line["spent"]) == spent[(line["category"], line["period"])]
            for expense_type, amount in by_type.items():
                assert Decimal(report["by_expense_type"][expense_type]) == amount
    finally:
        close_view(view)
    claims_view = construct_view(READ_MODELS["expense_claims"], database.env(), database.dialect)
    try:
        rows = claims_view.search(limit=1000)
        assert {UUID(r["id"]) for r in rows} == {c.id for c in claims}
    finally:
        close_view(claims_view)

    verified = runner.invoke(cli, ["projections", "verify", "--allow-stopped"], env=env)
    assert verified.exit_code == 0, verified.output
