"""After `mops demo`, the year's marketing plan is approved in two revisions and measured,
the KPIs set it beside the targets, and verify passes."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.budget import QUARTERS, quarter_bounds
from domain.marketing_plan import MarketingPlan, MarketingPlanYear
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli
from projections.runner import READ_MODELS, close_view, construct_view

LATER = datetime(2100, 1, 1, tzinfo=UTC)


def test_demo_plan_is_approved_twice_measured_and_verified(database):
    runner = CliRunner()
    env = {"MOPS_DATABASE_URL": database.url, "MOPS_JWT_SECRET": DEV_JWT_SECRET}
    started = datetime.now(UTC)
    demo = runner.invoke(cli, ["demo", "--customers", "12", "--seed", "5"], env=env)
    assert demo.exit_code == 0, demo.output
    assert "marketing plan" in demo.output
    rebuilt = runner.invoke(cli, ["projections", "rebuild", "kpis", "marketing_plans"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output

    app = Backoffice(database.env())
    kpis = construct_view(READ_MODELS["kpis"], database.env(), database.dialect)
    plans = construct_view(READ_MODELS["marketing_plans"], database.env(), database.dialect)
    try:
        [row] = plans.search(limit=10)
        year = row["fiscal_year"]
        key = app.get(MarketingPlanYear.id_for(year), MarketingPlanYear)
        assert str(key.plan_id) == row["id"]
        plan = app.get(UUID(row["id"]), MarketingPlan)
        assert (plan.status, plan.revision) == ("approved", 2)
        first, second = plan.revisions
        assert first["approved_by"] != second["approved_by"]
        assert {first["submitted_by"], second["submitted_by"]}.isdisjoint(
            {first["approved_by"], second["approved_by"]}
        )
        first_targets = app.get(plan.id, MarketingPlan, version=first["version"]).approved
        raised = {t["period"]: t["market_share"] for t in plan.approved["targets"]}
        earlier = {t["period"]: t["market_share"] for t in first_targets["targets"]}
        assert raised["Q4"] > earlier["Q4"] and raised["Q1"] == earlier["Q1"]
        elapsed = [q for q in QUARTERS if quarter_bounds(year, q)[1] <= started]
        measured = {m["period"] for m in plan.measurements}
        assert measured and measured <= set(elapsed)
        assert {m["metric"] for m in plan.measurements} <= {"market_share", "brand_awareness"}
        for m in plan.measurements:
            assert quarter_bounds(year, m["period"])[1] <= m["occurred_at"] <= datetime.now(UTC)
        for quarter in QUARTERS:
            figures = kpis.company(f"{year}-{quarter}", LATER)
            assert figures["market_share_target"] == float(raised[quarter])
            assert isinstance(figures["customer_count"], int)
            shares = [
                m["value"]
                for m in plan.measurements
                if m["period"] == quarter and m["metric"] == "market_share"
            ]
            assert figures["market_share"] == (float(shares[-1]) if shares else None)
        year_figures = kpis.company(str(year), LATER)
        assert year_figures["market_share_target"] == float(raised["Q4"])
        assert year_figures["customer_count"] >= 1
    finally:
        close_view(kpis)
        close_view(plans)
        app.close()

    verified = runner.invoke(cli, ["projections", "verify", "kpis", "marketing_plans"], env=env)
    assert verified.exit_code == 0, verified.output
