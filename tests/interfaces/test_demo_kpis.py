"""After `mops demo`, the KPIs agree with the sales report, and verify passes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from typer.testing import CliRunner

from application.backoffice import Backoffice
from domain.employee import Employee
from interfaces.cli import cli
from projections.runner import READ_MODELS, close_view, construct_view

LATER = datetime(2100, 1, 1, tzinfo=UTC)


def test_demo_kpis_agree_with_the_sales_report_and_verify_passes(seeded_demo):
    database, env = seeded_demo.database, seeded_demo.env
    runner = CliRunner()
    rebuilt = runner.invoke(cli, ["projections", "rebuild", "sales", "kpis"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output

    kpis = construct_view(READ_MODELS["kpis"], database.env(), database.dialect)
    sales = construct_view(READ_MODELS["sales"], database.env(), database.dialect)
    try:
        compared = 0
        for key in ("month", "quarter"):
            for row in sales.report([key]):
                company = kpis.company(row[key], LATER)
                assert (company["revenue"], company["contracts_signed"]) == (
                    row["revenue"],
                    row["contracts_signed"],
                ), row[key]
                compared += 1
        years = {row["month"][:4] for row in sales.report(["month"])}
        for year in years:
            [total] = sales.report(
                [], day_from=date(int(year), 1, 1), day_to=date(int(year), 12, 31)
            )
            assert kpis.company(year, LATER)["revenue"] == total["revenue"]
        assert compared >= 4
        owners = set()
        for row in sales.report(["owner", "month"]):
            actual = kpis.actuals(row["owner_id"], row["month"])
            assert actual["revenue"] == Decimal(row["revenue"]), row
            assert actual["contracts_signed"] == row["contracts_signed"], row
            owners.add(row["owner_id"])
    finally:
        close_view(kpis)
        close_view(sales)
    app = Backoffice(database.env())
    kpis = construct_view(READ_MODELS["kpis"], database.env(), database.dialect)
    try:
        # The contracts are owned by the demo's sales employees.
        assert len(owners) >= 3
        assert all(app.exists(UUID(owner), Employee) for owner in owners)
        # Each appraisal of someone with targets read the attainment the rebuilt KPIs give.
        readings = 0
        for owner in owners:
            for appraisal in app.get(UUID(owner), Employee).appraisals.values():
                reading = appraisal["inputs"] and appraisal["inputs"]["kpi_attainment"]
                if not reading:
                    continue
                rebuilt = kpis.attainment(owner, appraisal["period"])
                assert reading["weighted_attainment"] == rebuilt["weighted_attainment"]
                assert appraisal["rating"] is not None
                readings += 1
        assert readings >= 3
    finally:
        close_view(kpis)
        app.close()

    verified = runner.invoke(cli, ["projections", "verify", "--allow-stopped"], env=env)
    assert verified.exit_code == 0, verified.output
