"""Sales and credit reports after a small company's quarter, against figures worked by hand.

The scenario runs through the application with a clock set to each business day, on
SQLite and PostgreSQL:

- C1 North Co (north): assessed 01-05 A/85, limit 10000, 30 days, valid to 06-30;
  reassessed 03-20 B/70 limit 7000 (valid to 09-30) and 04-25 C/50 limit 5000.
- C2 South Co (south): assessed 01-05 B/60, limit 5000, 60 days, valid to 03-31;
  guarantee 1000 registered 01-06, expiring 04-20; on hold from 03-18 to 04-12.
- C3 registered, never assessed nor sold to: no credit row.
- K1 (C1, sam, direct, north): A 10 x 100.00 (cost 60.00), B 3 x 200.00 (cost
  120.00, amended from 180.00): total 1600.00, cost 960.00; signed 01-10; delivered
  A 10 + B 1 on 01-20 and B 2 on 02-03; invoiced 800.00 on 01-20 (I1, due 02-19)
  and 800.00 on 02-05 (I2, due 03-07); paid 800.00 on 02-25 (I1) and 100.01 on
  03-10 (I2: A 62.51, B 37.50).
- K2 (C2, sue, agent, region east): C 2 x 1500.00 (cost 1000.00); signed 01-15;
  invoiced 3000.00 on 01-15 (I3, due 03-16); delivered C 2 on 01-31; paid 1000.00
  on 04-05; 500.00 written off on 04-10.
- K3 (C1, sam, direct, north): A 50 x 100.00 (cost 60.00); signed 02-14.
- K4 (C1) drafted and cancelled: books nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    CancelContract,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    SignContract,
    SubmitContract,
    WriteOff,
)
from application.commands.customers import (
    AssessCredit,
    PlaceCreditHold,
    RegisterGuarantee,
    RegisterLead,
    ReleaseCreditHold,
)
from interfaces.bootstrap import build
from tests.conftest import as_

SAM = as_("sam", "sales")
SUE = as_("sue", "sales")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
MANAGER = as_("mia", "sales_manager")


def line(sku, quantity, price, cost):
    return {"sku": sku, "quantity": quantity, "unit_price": price, "unit_cost": cost}


def run_scenario(database):
    """Services over the database with the scenario written; its ids by name."""
    now = [datetime(2026, 1, 5, 12, tzinfo=UTC)]
    services = build(
        database.settings(backdating_days=400), run_projections=True, clock=lambda: now[0]
    )
    app = services.backoffice

    def on(month, day):
        now[0] = datetime(2026, month, day, 12, tzinfo=UTC)
        return date(2026, month, day)

    def assess(customer, rating, score, limit, term, valid_until):
        app.handle(
            FINANCE,
            AssessCredit(
                customer,
                rating=rating,
                score=score,
                credit_limit=Decimal(limit),
                max_payment_term_days=term,
                guarantee_required=False,
                valid_until=valid_until,
                basis="accounts",
            ),
        )

    def signed(owner, customer, lines, term, signed_on, **fields):
        contract = app.handle(
            owner,
            DraftContract(
                customer_id=customer,
                channel=fields.pop("channel", "direct"),
                lines=lines,
                payment_term_days=term,
                delivery_due_on=date(2026, 6, 30),
                **fields,
            ),
        ).id
        app.handle(owner, SubmitContract(contract))
        app.handle(LEGAL, ApproveContractReview(contract, "legal"))
        app.handle(FINANCE, ApproveContractReview(contract, "finance"))
        app.handle(MANAGER, SignContract(contract, signed_on))
        return contract

    ids = {}
    on(1, 5)
    for name, region in (("C1", "north"), ("C2", "south"), ("C3", "west")):
        ids[name] = app.handle(
            SAM,
            RegisterLead(
                name=f"{name} Co", kind="company", source="web", region=region, contacts=[]
            ),
        ).id
    assess(ids["C1"], "A", 85, "10000.00", 30, date(2026, 6, 30))
    assess(ids["C2"], "B", 60, "5000.00", 60, date(2026, 3, 31))
    on(1, 6)
    app.handle(
        FINANCE,
        RegisterGuarantee(
            ids["C2"], amount=Decimal("1000.00"), kind="bank", expires_on=date(2026, 4, 20)
        ),
    )
    day = on(1, 10)
    k1 = app.handle(
        SAM,
        DraftContract(
            customer_id=ids["C1"],
            channel="direct",
            lines=[line("A", 10, "100.00", "60.00"), line("B", 3, "180.00", "120.00")],
            payment_term_days=30,
            delivery_due_on=date(2026, 6, 30),
        ),
    ).id
    app.handle(
        SAM,
        AmendContract(
            k1, {"lines": [line("A", 10, "100.00", "60.00"), line("B", 3, "200.00", "120.00")]}
        ),
    )
    app.handle(SAM, SubmitContract(k1))
    app.handle(LEGAL, ApproveContractReview(k1, "legal"))
    app.handle(FINANCE, ApproveContractReview(k1, "finance"))
    app.handle(MANAGER, SignContract(k1, day))
    ids["K1"] = k1
    k4 = app.handle(
        SAM,
        DraftContract(
            customer_id=ids["C1"],
            channel="online",
            lines=[line("A", 1, "999.00", "1.00")],
            payment_term_days=30,
            delivery_due_on=date(2026, 6, 30),
        ),
    ).id
    app.handle(SAM, CancelContract(k4, "customer changed its mind"))
    day = on(1, 15)
    ids["K2"] = signed(
        SUE,
        ids["C2"],
        [line("C", 2, "1500.00", "1000.00")],
        60,
        day,
        channel="agent",
        region="east",
    )
    app.handle(FINANCE, IssueInvoice(ids["K2"], Decimal("3000.00"), day))
    day = on(1, 20)
    app.handle(SAM, RecordDelivery(k1, {"A": 10, "B": 1}))
    app.handle(FINANCE, IssueInvoice(k1, Decimal("800.00"), day))
    on(1, 31)
    app.handle(SUE, RecordDelivery(ids["K2"], {"C": 2}))
    on(2, 3)
    app.handle(SAM, RecordDelivery(k1, {"B": 2}))
    day = on(2, 5)
    app.handle(FINANCE, IssueInvoice(k1, Decimal("800.00"), day))
    day = on(2, 14)
    ids["K3"] = signed(SAM, ids["C1"], [line("A", 50, "100.00", "60.00")], 30, day)
    day = on(2, 25)
    app.handle(FINANCE, RecordPayment(k1, Decimal("800.00"), day, "p1"))
    day = on(3, 10)
    app.handle(FINANCE, RecordPayment(k1, Decimal("100.01"), day, "p2"))
    on(3, 18)
    app.handle(FINANCE, PlaceCreditHold(ids["C2"], "payment late"))
    on(3, 20)
    assess(ids["C1"], "B", 70, "7000.00", 30, date(2026, 9, 30))
    day = on(4, 5)
    app.handle(FINANCE, RecordPayment(ids["K2"], Decimal("1000.00"), day, "p3"))
    on(4, 10)
    app.handle(FINANCE, WriteOff(ids["K2"], Decimal("500.00"), "customer in difficulty"))
    on(4, 12)
    app.handle(FINANCE, ReleaseCreditHold(ids["C2"]))
    on(4, 25)
    assess(ids["C1"], "C", 50, "5000.00", 30, date(2026, 10, 31))
    for name in ("sales", "credit"):
        assert services.read_side.wait(name, app.max_position(), timeout=20)
    return services, {k: str(v) for k, v in ids.items()}


@pytest.fixture(scope="module")
def scenario(module_database):
    services, ids = run_scenario(module_database)
    yield services, ids
    services.close()


@pytest.fixture
def sales(scenario):
    return scenario[0].read_side.view("sales").report


@pytest.fixture
def credit(scenario):
    view = scenario[0].read_side.view("credit")
    ids = scenario[1]
    names = {v: k for k, v in ids.items()}

    def by_customer(day):
        return {names[row.pop("customer_id")]: row for row in view.report(day, limit=100)}

    return by_customer


FIGURES = (
    "contracts_signed",
    "revenue",
    "cost",
    "gross_profit",
    "units",
    "units_delivered",
    "invoiced",
    "collected",
    "written_off",
)


def figures(*values):
    # No penalty nor interest in this scenario: API.md's rows carry both all the same.
    return dict(zip(FIGURES, values, strict=True)) | {
        "penalties": "0.00",
        "interest_charged": "0.00",
    }


def test_sales_by_month(sales):
    assert sales(["month"]) == [
        {"month": "2026-01"}
        | figures(2, "4600.00", "2960.00", "1640.00", 15, 13, "3800.00", "0.00", "0.00"),
        {"month": "2026-02"}
        | figures(1, "5000.00", "3000.00", "2000.00", 50, 2, "800.00", "800.00", "0.00"),
        {"month": "2026-03"} | figures(0, "0.00", "0.00", "0.00", 0, 0, "0.00", "100.01", "0.00"),
        {"month": "2026-04"}
        | figures(0, "0.00", "0.00", "0.00", 0, 0, "0.00", "1000.00", "500.00"),
    ]


def test_sales_by_quarter_and_in_total(sales):
    assert sales(["quarter"]) == [
        {"quarter": "2026-Q1"}
        | figures(3, "9600.00", "5960.00", "3640.00", 65, 15, "4600.00", "900.01", "0.00"),
        {"quarter": "2026-Q2"}
        | figures(0, "0.00", "0.00", "0.00", 0, 0, "0.00", "1000.00", "500.00"),
    ]
    assert sales([]) == [
        figures(3, "9600.00", "5960.00", "3640.00", 65, 15, "4600.00", "1900.01", "500.00")
    ]


def test_sales_by_customer_region_channel_and_owner(scenario, sales):
    ids = scenario[1]
    c1 = figures(2, "6600.00", "3960.00", "2640.00", 63, 13, "1600.00", "900.01", "0.00")
    c2 = figures(1, "3000.00", "2000.00", "1000.00", 2, 2, "3000.00", "1000.00", "500.00")
    by_customer = {row.pop("customer_id"): row for row in sales(["customer"])}
    assert by_customer == {ids["C1"]: c1, ids["C2"]: c2}
    assert sales(["region"]) == [{"region": "east"} | c2, {"region": "north"} | c1]
    assert sales(["channel"]) == [{"channel": "agent"} | c2, {"channel": "direct"} | c1]
    assert sales(["owner"]) == [{"owner_id": "sam"} | c1, {"owner_id": "sue"} | c2]


def test_sales_by_sku_splits_invoices_and_payments_over_the_lines(sales):
    assert sales(["sku"]) == [
        {"sku": "A"}
        | figures(2, "6000.00", "3600.00", "2400.00", 60, 10, "1000.00", "562.51", "0.00"),
        {"sku": "B"} | figures(1, "600.00", "360.00", "240.00", 3, 3, "600.00", "337.50", "0.00"),
        {"sku": "C"}
        | figures(1, "3000.00", "2000.00", "1000.00", 2, 2, "3000.00", "1000.00", "500.00"),
    ]


def test_sales_in_a_date_range_by_month_and_sku(scenario, sales):
    ids = scenario[1]
    rows = sales(["customer"], day_from=date(2026, 2, 1), day_to=date(2026, 3, 31))
    assert rows == [
        {"customer_id": ids["C1"]}
        | figures(1, "5000.00", "3000.00", "2000.00", 50, 2, "800.00", "900.01", "0.00")
    ]
    rows = sales(["month", "sku"], day_from=date(2026, 3, 1))
    assert rows == [
        {"month": "2026-03", "sku": "A"}
        | figures(0, "0.00", "0.00", "0.00", 0, 0, "0.00", "62.51", "0.00"),
        {"month": "2026-03", "sku": "B"}
        | figures(0, "0.00", "0.00", "0.00", 0, 0, "0.00", "37.50", "0.00"),
        {"month": "2026-04", "sku": "C"}
        | figures(0, "0.00", "0.00", "0.00", 0, 0, "0.00", "1000.00", "500.00"),
    ]
    # The range bounds are inclusive: the signing of K1 on 01-10 only.
    [row] = sales([], day_from=date(2026, 1, 10), day_to=date(2026, 1, 10))
    assert (row["contracts_signed"], row["revenue"], row["units"]) == (1, "1600.00", 13)


def test_sales_pages_follow_the_group_order(sales):
    every = sales(["month", "sku"])
    pages = [sales(["month", "sku"], limit=2, offset=o) for o in range(0, len(every), 2)]
    assert [row for page in pages for row in page] == every
    # January A, B, C; February A, B; March A, B; April C.
    assert [(r["month"], r["sku"]) for r in every] == [
        ("2026-01", "A"),
        ("2026-01", "B"),
        ("2026-01", "C"),
        ("2026-02", "A"),
        ("2026-02", "B"),
        ("2026-03", "A"),
        ("2026-03", "B"),
        ("2026-04", "C"),
    ]


def overdue(a="0.00", b="0.00", c="0.00", d="0.00"):
    return {"1_30": a, "31_60": b, "61_90": c, "over_90": d}


def test_credit_before_any_assessment_has_no_rows(credit):
    assert credit(date(2026, 1, 4)) == {}


def test_credit_at_the_end_of_january(credit):
    rows = credit(date(2026, 1, 31))
    assert rows == {
        "C1": {
            "name": "C1 Co",
            "rating": "A",
            "score": 85,
            "credit_limit": "10000.00",
            "guarantees": "0.00",
            "exposure": "1600.00",
            "outstanding": "800.00",
            "overdue": overdue(),
            "utilisation": 0.16,
            "dso": 90.0,
            "on_hold": False,
            "alerts": [],
            "seq": rows["C1"]["seq"],
        },
        "C2": {
            "name": "C2 Co",
            "rating": "B",
            "score": 60,
            "credit_limit": "5000.00",
            "guarantees": "1000.00",
            "exposure": "3000.00",
            "outstanding": "3000.00",
            "overdue": overdue(),
            "utilisation": 0.5,
            "dso": 90.0,
            "on_hold": False,
            "alerts": [],
            "seq": rows["C2"]["seq"],
        },
    }
    assert rows["C1"]["seq"] < rows["C2"]["seq"]


def test_credit_at_the_end_of_march(credit):
    rows = credit(date(2026, 3, 31))
    c1, c2 = rows["C1"], rows["C2"]
    # C1: reassessed on 03-20; K1 1600 - 900.01 + K3 5000; I2 24 days past due.
    assert (c1["rating"], c1["score"], c1["credit_limit"]) == ("B", 70, "7000.00")
    assert (c1["exposure"], c1["outstanding"]) == ("5699.99", "699.99")
    assert c1["overdue"] == overdue(a="699.99")
    assert (c1["utilisation"], c1["dso"]) == (0.8143, 39.37)
    assert c1["alerts"] == ["near_limit"]
    # C2: on hold since 03-18; the guarantee expires in 20 days; I3 15 days past due.
    assert (c2["exposure"], c2["outstanding"], c2["overdue"]) == (
        "3000.00",
        "3000.00",
        overdue(a="3000.00"),
    )
    assert (c2["on_hold"], c2["utilisation"], c2["dso"]) == (True, 0.5, 90.0)
    assert c2["alerts"] == ["credit_hold", "guarantee_expiring"]


def test_credit_in_mid_april_at_the_bucket_and_window_edges(credit):
    rows = credit(date(2026, 4, 15))
    c1, c2 = rows["C1"], rows["C2"]
    # I2, due 03-07, is 39 days past due.
    assert c1["overdue"] == overdue(b="699.99")
    assert c1["alerts"] == ["near_limit", "overdue_30"]
    # C2 paid 1000 and wrote off 500; I3, due 03-16, is exactly 30 days past due; it
    # was issued on 01-15, exactly 90 days back, so nothing was invoiced in the window.
    assert (c2["exposure"], c2["outstanding"]) == ("1500.00", "1500.00")
    assert c2["overdue"] == overdue(a="1500.00")
    assert (c2["on_hold"], c2["utilisation"], c2["dso"]) == (False, 0.25, None)
    assert c2["alerts"] == ["assessment_expired", "guarantee_expiring"]
    next_day = credit(date(2026, 4, 16))["C2"]
    assert next_day["overdue"] == overdue(b="1500.00")
    assert next_day["alerts"] == ["overdue_30", "assessment_expired", "guarantee_expiring"]


def test_credit_in_may_after_the_limit_was_cut_and_the_guarantee_expired(credit):
    rows = credit(date(2026, 5, 1))
    c1, c2 = rows["C1"], rows["C2"]
    assert (c1["rating"], c1["credit_limit"], c1["utilisation"]) == ("C", "5000.00", 1.14)
    assert c1["dso"] == 78.75
    assert c1["alerts"] == ["over_limit", "overdue_30"]
    assert (c2["guarantees"], c2["utilisation"], c2["dso"]) == ("0.00", 0.3, None)
    assert c2["alerts"] == ["overdue_30", "assessment_expired"]
    later = credit(date(2026, 5, 20))
    assert later["C1"]["overdue"] == overdue(c="699.99")
    assert later["C1"]["alerts"] == ["over_limit", "overdue_60"]
    assert later["C2"]["overdue"] == overdue(c="1500.00")
    summer = credit(date(2026, 6, 20))
    assert summer["C1"]["overdue"] == overdue(d="699.99")
    assert summer["C1"]["alerts"] == ["over_limit", "overdue_90"]
    assert summer["C2"]["alerts"] == ["overdue_90", "assessment_expired"]


def test_credit_alerts_page_through_customers_and_their_alerts(scenario):
    view = scenario[0].read_side.view("credit")
    ids = {v: k for k, v in scenario[1].items()}
    every = view.alerts(date(2026, 3, 31), limit=10)
    assert [(ids[a["customer_id"]], a["alert"]) for a in every] == [
        ("C1", "near_limit"),
        ("C2", "credit_hold"),
        ("C2", "guarantee_expiring"),
    ]
    assert every[1]["detail"] == "on credit hold since 2026-03-18"
    first = view.alerts(date(2026, 3, 31), limit=2)
    rest = view.alerts(date(2026, 3, 31), after=first[-1]["key"], limit=2, chunk=1)
    assert first + rest == every
    pages = view.report(date(2026, 3, 31), limit=1)
    assert [ids[r["customer_id"]] for r in pages] == ["C1"]
    after = view.report(date(2026, 3, 31), after=pages[0]["seq"], limit=5)
    assert [ids[r["customer_id"]] for r in after] == ["C2"]
