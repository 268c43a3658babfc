"""A seeded demo company, written through the application layer like any client would."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from rich.console import Console

from application.backoffice import Backoffice
from application.ports import Ports
from interfaces.bootstrap import kpi_attainment_source, policy_of
from interfaces.demo.claims import write_claims
from interfaces.demo.company import DemoCompany
from interfaces.demo.customers import write_customers
from interfaces.demo.learning import write_learning
from interfaces.demo.marketing import write_marketing
from interfaces.demo.people import write_appraisals, write_staff
from interfaces.demo.pipeline import write_pipeline
from interfaces.demo.plans import write_plan
from interfaces.demo.risks import write_risks
from interfaces.demo.sales import write_contracts
from interfaces.demo.service import write_complaints
from interfaces.settings import Settings
from projections.runner import ReadSide


def write_demo(
    settings: Settings,
    *,
    customers: int,
    months: int,
    seed: int,
    console: Console,
    sla_clock: Literal["24x7", "business"] = "24x7",
) -> str:
    """Write the demo company, part by part; answers a summary. Its complaints run the
    SLA clock asked for, round the clock unless `business` (whatever MOPS_SLA_CLOCK says)."""
    now = datetime.now(UTC)
    reach = timedelta(days=31 * months)
    # The demo writes a history that reaches back months, beyond the everyday window.
    policy = replace(policy_of(settings), backdating=reach + timedelta(days=1), sla_clock=sla_clock)
    env = settings.persistence_env()
    # The demo writes without projection runners: the appraisals read the KPI read model
    # after folding into it what the log holds, read through a back office of its own
    # (the one writing is built with the port), as a runner would have; or, when a
    # server runs the read side, after that one folded it (waiting up to a minute).
    log = Backoffice(env)
    kpis = ReadSide(Backoffice, env, settings.dialect, run=False, names=["kpis"])
    kpi_attainment = kpi_attainment_source(kpis, timeout=60, catch_up_from=log)
    app = Backoffice(env, policy=policy, ports=Ports(kpi_attainment=kpi_attainment))
    company = DemoCompany(
        app, random.Random(seed), now, reach, console, planned_customers=customers
    )
    try:
        # The staff first: every other part acts as these people.
        write_staff(company)
        # Budget and campaigns first: campaign-sourced leads are customers too.
        write_marketing(company)
        write_plan(company)
        written = write_customers(company, customers)
        # The price list and the opportunities: won ones become contracts.
        write_pipeline(company)
        write_contracts(company)
        # Complaints about the customers and their signed contracts.
        write_complaints(company, sla_clock)
        # A month of the staff's expense claims, booked on the budget as approved.
        write_claims(company)
        # Appraisals last: the quarter they judge has been written.
        write_appraisals(company)
        # Training and research: a program's review reads the KPIs the parts above wrote.
        write_learning(company)
        # The risk register last: its warnings read what every other part wrote.
        write_risks(company)
        company.summary.insert(0, f"{written} customers written")
        return f"demo: {', '.join(company.summary)}; log at position {app.max_position()}"
    finally:
        kpis.close()
        app.close()
        log.close()
