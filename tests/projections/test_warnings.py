"""Early-warning indicators against hand-computed figures, on both databases.

The facts go through the application with a clock set to each business day (2026,
times UTC). SLA: high severity, respond within 8 h, resolve within 72 h.

- Budget 2026 drafted 01-05, approved 01-08: promotion Q1 10000.00, sales Q1 5000.00,
  sales Q2 1000.00; revenue targets 36500.00 a quarter (146000.00 a year). Committed
  9500.00 on promotion Q1 on 03-15 (0.95: above 0.9); spent 4500.00 on sales Q1 on
  02-10 (0.9 exactly: not above). On 04-05, 1000.00 reallocated from sales Q2 (nothing
  authorised left there: no utilisation) to promotion Q1 (9500 / 11000 = 0.8636).
- K1 (C1, 20000.00, 30 days) signed 01-10: I1 10000.00 issued 01-10 (due 02-09), I2
  10000.00 issued 03-20 (due 04-19); 5000.00 paid 02-20 and 5000.00 on 04-10 (both to
  I1); 5000.00 written off on 04-25 (to I2).
- K2 (C2, 30000.00, 60 days) signed 04-15: I3 30000.00 issued 04-15 (due 06-14).
- Complaints: Q0 received 02-15, never answered (outside both windows); Q1 03-10 and
  Q2 03-20, answered and resolved on time; Q3 04-20, never answered; Q4 04-22, on time.

| as_of (end of day) | overdue_share | sla_breach_rate | lines over 0.9 | revenue_attainment |
|---|---|---|---|---|
| 01-07 | null (nothing invoiced) | null (none received) | 0 | null (budget not approved) |
| 03-31 | 5000 / 15000 = 0.3333 | 0 / 2 = 0 | 1 | 20000 / (146000 x 90/365) = 0.5556 |
| 04-30 | 5000 / 35000 = 0.1429 | 1 / 2 = 0.5 | 0 | 50000 / (146000 x 120/365) = 1.0417 |
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from application.commands.budgets import (
    ApproveBudget,
    CommitBudget,
    DraftBudget,
    ReallocateBudget,
    RecordExpense,
    SubmitBudget,
)
from application.commands.complaints import (
    AssignComplaint,
    ReceiveComplaint,
    ResolveComplaint,
    RespondToComplaint,
)
from application.commands.contracts import (
    ApproveContractReview,
    DraftContract,
    IssueInvoice,
    RecordPayment,
    SignContract,
    SubmitContract,
    WriteOff,
)
from application.commands.customers import AssessCredit, RegisterLead
from application.commands.employees import HireEmployee, RecordInterview, RegisterCandidate
from interfaces.bootstrap import build
from projections.runner import READ_MODELS, verify
from projections.warnings import WARNING_READ_MODELS, early_warnings, year_elapsed
from tests.conftest import as_

SAM = as_("sam", "sales")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
EXEC = as_("eve", "executive")
MANAGER = as_("mia", "sales_manager")
SERVICE = as_("sid", "service")
HR = as_("harriet", "hr")
THRESHOLDS = {
    "overdue_share": Decimal("0.2"),
    "sla_breach_rate": Decimal("0.1"),
    "budget_lines_over_90": Decimal("1"),
    "revenue_attainment": Decimal("0.8"),
}


def end_of(month: int, day: int) -> datetime:
    return datetime.combine(date(2026, month, day), time.max, tzinfo=UTC)


def run_scenario(database):
    now = [datetime(2026, 1, 5, 12, tzinfo=UTC)]
    services = build(
        database.settings(backdating_days=400), run_projections=True, clock=lambda: now[0]
    )
    app = services.backoffice

    def on(month, day, hour=12):
        now[0] = datetime(2026, month, day, hour, tzinfo=UTC)
        return date(2026, month, day)

    def signed(customer, total, term, signed_on):
        contract = app.handle(
            SAM,
            DraftContract(
                customer_id=customer,
                channel="direct",
                lines=[{"sku": "AD", "quantity": 1, "unit_price": Decimal(total), "unit_cost": 0}],
                payment_term_days=term,
                delivery_due_on=date(2026, 12, 31),
            ),
        ).id
        app.handle(SAM, SubmitContract(contract))
        app.handle(LEGAL, ApproveContractReview(contract, "legal"))
        app.handle(FINANCE, ApproveContractReview(contract, "finance"))
        app.handle(MANAGER, SignContract(contract, signed_on))
        return contract

    def complaint(month, day, answered):
        received = datetime(2026, month, day, 10, tzinfo=UTC)
        on(month, day, 11)
        cid = app.handle(
            SERVICE,
            ReceiveComplaint(
                customer_id=customers[0],
                channel="hotline",
                category="service",
                severity="high",
                description="late",
                occurred_at=received,
            ),
        ).id
        if answered:
            on(month, day + 1, 12)
            app.handle(SERVICE, AssignComplaint(cid, agent, received.replace(hour=11)))
            app.handle(SERVICE, RespondToComplaint(cid, "on it", received.replace(hour=12)))
            app.handle(
                SERVICE,
                ResolveComplaint(
                    cid,
                    resolution="fixed",
                    root_cause="process",
                    corrective_action="checklist",
                    occurred_at=received.replace(day=day + 1),
                ),
            )

    day = on(1, 5)
    hired = app.handle(
        HR, RegisterCandidate(name="Agent", position="agent", department="service")
    ).id
    app.handle(HR, RecordInterview(hired, kind="interview", result="pass"))
    app.handle(HR, RecordInterview(hired, kind="background_check", result="pass"))
    app.handle(HR, HireEmployee(hired, hired_on=day, position="agent", department="service"))
    agent = str(hired)
    customers = [
        app.handle(SAM, RegisterLead(name=f"C{n} Co", kind="company", source="web", contacts=[])).id
        for n in (1, 2)
    ]
    for customer in customers:
        app.handle(
            FINANCE,
            AssessCredit(
                customer,
                rating="A",
                score=90,
                credit_limit=Decimal("100000.00"),
                max_payment_term_days=60,
                guarantee_required=False,
                valid_until=date(2026, 12, 31),
                basis="accounts",
            ),
        )
    budget = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=2026,
            lines=[
                {"category": "promotion", "period": "Q1", "amount": "10000.00"},
                {"category": "sales", "period": "Q1", "amount": "5000.00"},
                {"category": "sales", "period": "Q2", "amount": "1000.00"},
            ],
            targets=[{"period": q, "revenue": "36500.00"} for q in ("Q1", "Q2", "Q3", "Q4")],
        ),
    ).id
    app.handle(FINANCE, SubmitBudget(budget))
    on(1, 8)
    app.handle(EXEC, ApproveBudget(budget))
    day = on(1, 10)
    k1 = signed(customers[0], "20000.00", 30, day)
    app.handle(FINANCE, IssueInvoice(k1, Decimal("10000.00"), day))
    on(2, 10)
    app.handle(
        FINANCE,
        RecordExpense(
            budget,
            category="sales",
            period="Q1",
            amount=Decimal("4500.00"),
            expense_type="advertising",
            description="flyers",
        ),
    )
    complaint(2, 15, answered=False)
    day = on(2, 20)
    app.handle(FINANCE, RecordPayment(k1, Decimal("5000.00"), day, "p1"))
    complaint(3, 10, answered=True)
    on(3, 15)
    app.handle(
        FINANCE,
        CommitBudget(
            budget, category="promotion", period="Q1", amount=Decimal("9500.00"), reference="fair"
        ),
    )
    day = on(3, 20)
    app.handle(FINANCE, IssueInvoice(k1, Decimal("10000.00"), day))
    complaint(3, 20, answered=True)
    on(4, 5)
    app.handle(
        EXEC,
        ReallocateBudget(
            budget,
            from_category="sales",
            from_period="Q2",
            to_category="promotion",
            to_period="Q1",
            amount=Decimal("1000.00"),
            reason="the fair",
        ),
    )
    day = on(4, 10)
    app.handle(FINANCE, RecordPayment(k1, Decimal("5000.00"), day, "p2"))
    day = on(4, 15)
    k2 = signed(customers[1], "30000.00", 60, day)
    app.handle(FINANCE, IssueInvoice(k2, Decimal("30000.00"), day))
    complaint(4, 20, answered=False)
    complaint(4, 22, answered=True)
    on(4, 25)
    app.handle(FINANCE, WriteOff(k1, Decimal("5000.00"), "settled for less"))
    on(4, 30)
    for name in WARNING_READ_MODELS:
        assert services.read_side.wait(name, app.max_position(), timeout=20)
    return services


@pytest.fixture(scope="module")
def services(module_database):
    services = run_scenario(module_database)
    yield services
    services.close()


@pytest.fixture
def read_side(services):
    return services.read_side


def indicators(read_side, as_of, thresholds=THRESHOLDS):
    return {item.pop("name"): item for item in early_warnings(read_side, as_of, thresholds)}


def test_the_indicators_come_in_the_agreed_order_and_shape(read_side):
    items = early_warnings(read_side, end_of(3, 31), THRESHOLDS)
    assert [(i["name"], i["category"]) for i in items] == [
        ("overdue_share", "credit"),
        ("sla_breach_rate", "operational"),
        ("budget_lines_over_90", "operational"),
        ("revenue_attainment", "market"),
    ]
    assert [i["threshold"] for i in items] == [0.2, 0.1, 1, 0.8]
    assert all(set(i) == {"name", "category", "value", "threshold", "warning"} for i in items)


def test_before_any_invoice_complaint_or_approval_the_ratios_are_null(read_side):
    assert indicators(read_side, end_of(1, 7)) == {
        "overdue_share": {"category": "credit", "value": None, "threshold": 0.2, "warning": False},
        "sla_breach_rate": {
            "category": "operational",
            "value": None,
            "threshold": 0.1,
            "warning": False,
        },
        "budget_lines_over_90": {
            "category": "operational",
            "value": 0,
            "threshold": 1,
            "warning": False,
        },
        "revenue_attainment": {
            "category": "market",
            "value": None,
            "threshold": 0.8,
            "warning": False,
        },
    }


def test_at_the_end_of_march(read_side):
    found = indicators(read_side, end_of(3, 31))
    assert {name: (i["value"], i["warning"]) for name, i in found.items()} == {
        "overdue_share": (0.3333, True),
        "sla_breach_rate": (0, False),
        "budget_lines_over_90": (1, True),
        "revenue_attainment": (0.5556, True),
    }


def test_at_the_end_of_april_every_indicator_has_crossed_its_threshold(read_side):
    found = indicators(read_side, end_of(4, 30))
    assert {name: (i["value"], i["warning"]) for name, i in found.items()} == {
        "overdue_share": (0.1429, False),
        "sla_breach_rate": (0.5, True),
        "budget_lines_over_90": (0, False),
        "revenue_attainment": (1.0417, False),
    }


def test_thresholds_come_from_the_mapping_given(read_side):
    found = indicators(
        read_side,
        end_of(3, 31),
        {
            "overdue_share": Decimal("0.5"),
            "sla_breach_rate": Decimal("0"),
            "budget_lines_over_90": Decimal("2"),
            "revenue_attainment": Decimal("0.5"),
        },
    )
    assert {name: (i["threshold"], i["warning"]) for name, i in found.items()} == {
        "overdue_share": (0.5, False),
        # 0 breached of 2 is not above 0.
        "sla_breach_rate": (0, False),
        "budget_lines_over_90": (2, False),
        "revenue_attainment": (0.5, False),
    }


def test_overdue_share_sums_the_credit_report(read_side):
    credit = read_side.view("credit")
    for as_of in (end_of(3, 31), end_of(4, 30)):
        rows = credit.report(as_of.date(), limit=100)
        outstanding = sum(Decimal(r["outstanding"]) for r in rows)
        overdue = sum(Decimal(v) for r in rows for v in r["overdue"].values())
        assert credit.receivables(as_of.date()) == (int(outstanding * 100), int(overdue * 100))


def test_budget_lines_agree_with_the_budget_report(read_side):
    view = read_side.view("budget_execution")
    [budget] = view.search(limit=10)
    for as_of, expected in ((end_of(3, 31), 1), (end_of(4, 30), 0)):
        lines = view.report(budget["id"], as_of)["lines"]
        assert sum(1 for x in lines if (x["utilisation"] or 0) > 0.9) == expected


def test_the_share_of_the_year_is_straight_line():
    assert year_elapsed(datetime(2026, 1, 1, tzinfo=UTC)) == 0
    assert year_elapsed(datetime(2026, 7, 2, 12, tzinfo=UTC)) == Decimal("0.5")
    assert year_elapsed(datetime(2027, 1, 1, tzinfo=UTC)) == 0


def test_the_read_models_read_equal_a_rebuild(services, module_database):
    for name in WARNING_READ_MODELS:
        differences = verify(
            services.backoffice,
            READ_MODELS[name],
            module_database.env(),
            module_database.dialect,
        )
        assert differences == [], name
