"""The audit log shows business facts, not the keys that keep them unique."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from application.commands.expense_claims import SubmitExpenseClaim
from application.commands.marketing_plans import DraftMarketingPlan
from tests.application.test_expense_claim_commands import approved_budget, team
from tests.conftest import as_, bearer

AUDITOR = bearer("audrey", "auditor")


def audit(client, **filters) -> list[dict]:
    response = client.get("/audit/events", params={**filters, "limit": 1000}, headers=AUDITOR)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_plan_years_and_claim_receipts_stay_out_of_the_audit_log(client, app):
    plan = app.handle(as_("mia", "marketing"), DraftMarketingPlan(fiscal_year=2031, targets=[]))
    _, ann = team(app)
    claim = app.handle(
        as_(ann, "sales"),
        SubmitExpenseClaim(
            expense_type="travel",
            amount=Decimal("80.00"),
            spent_on=datetime.now(UTC).date() - timedelta(days=1),
            description="taxi to a client",
            receipt_ref="T-1",
            budget_id=approved_budget(app),
            category="sales",
            period="Q4",
        ),
    )
    logged = audit(client, wait_for=claim.position)
    types = {item["aggregate_type"] for item in logged}
    assert {"MarketingPlan", "ExpenseClaim"} <= types
    assert not types & {"MarketingPlanYear", "ClaimReceipt"}
    assert audit(client, aggregate_id=str(plan.id))[0]["type"] == "Drafted"
