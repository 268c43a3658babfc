"""Company and employee KPIs against hand-computed figures, on both databases.

The fold is fed events made by hand (and a Budget's own commands), so that every
figure below can be worked out on paper from the scenario.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from hypothesis import given, settings

from application.commands.budgets import ApproveBudget, DraftBudget, SubmitBudget
from domain.budget import QUARTERS, Budget
from domain.campaign import Campaign
from domain.complaint import Complaint
from domain.contract import Contract
from domain.customer import Customer
from domain.employee import Employee
from domain.errors import DomainError, ValidationFailed
from domain.values import Cause
from projections.kpis import KpiProjection, period_days, period_quarters
from projections.runner import READ_MODELS, close_view, fresh_view, verify
from tests.projections.test_budget_property import EXEC, FINANCE, LINES
from tests.projections.test_budget_property import run as run_budget_step
from tests.projections.test_budget_property import steps as budget_steps
from tests.projections.test_sales_credit_scenario import run_scenario

STANDARDS = {"advertising": Decimal("100000.00")}
E1, E2 = str(uuid4()), str(uuid4())
A, B = uuid4(), uuid4()
C1, C2, C3 = uuid4(), uuid4(), uuid4()
INV1, INV2 = uuid4(), uuid4()
K1, K2, K3 = uuid4(), uuid4(), uuid4()
CAMPAIGN = uuid4()
LATER = datetime(2026, 6, 30, tzinfo=UTC)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def ev(cls: type, originator: UUID | str, when: datetime, **fields: Any) -> Any:
    """An event as the fold sees it: envelope plus the business fields."""
    envelope: dict[str, Any] = {
        "originator_id": UUID(str(originator)),
        "originator_version": 1,
        "timestamp": when,
        "actor": "tester",
        "occurred_at": when,
    }
    if issubclass(cls, Aggregate.Created):
        envelope["originator_topic"] = "test"
    return cls(**envelope, **fields)


def drafted(contract: UUID, customer: UUID, owner: str, total: str, term: int) -> Any:
    return ev(
        Contract.Drafted,
        contract,
        at(1, 5),
        customer_id=customer,
        owner_id=owner,
        channel="direct",
        region="north",
        lines=[{"sku": "S", "quantity": 1, "unit_price": Decimal(total), "unit_cost": Decimal(0)}],
        payment_term_days=term,
        delivery_due_on=date(2026, 12, 1),
        penalty_rate=Decimal(0),
        notes=None,
    )


def signed(contract: UUID, customer: UUID, day: date, total: str) -> Any:
    return ev(
        Contract.Signed,
        contract,
        datetime.combine(day, datetime.min.time(), tzinfo=UTC),
        signed_on=day,
        customer_id=customer,
        total=Decimal(total),
        cost=Decimal(0),
    )


def invoice(contract: UUID, invoice_id: UUID, amount: str, issued: date, term: int) -> Any:
    return ev(
        Contract.InvoiceIssued,
        contract,
        at(issued.month, issued.day),
        invoice_id=invoice_id,
        amount=Decimal(amount),
        issued_on=issued,
        due_on=issued + timedelta(days=term),
    )


def payment(contract: UUID, invoice_id: UUID, amount: str, received: date) -> Any:
    return ev(
        Contract.PaymentRecorded,
        contract,
        at(received.month, received.day),
        amount=Decimal(amount),
        received_on=received,
        reference=f"bank-{uuid4().hex[:6]}",
        allocations=[{"invoice_id": invoice_id, "amount": Decimal(amount)}],
    )


def registered(customer: UUID, owner: str) -> Any:
    return ev(
        Customer.Registered,
        customer,
        at(1, 2),
        name="c",
        kind="company",
        industry=None,
        region=None,
        source="web",
        campaign_id=None,
        contacts=[],
        owner_id=owner,
        tags=[],
    )


def received(complaint: UUID, when: datetime, respond_hours: int, resolve_hours: int) -> Any:
    return ev(
        Complaint.Received,
        complaint,
        when,
        customer_id=A,
        contract_id=None,
        channel="hotline",
        category="service",
        severity="high",
        description="late",
        respond_by=when + timedelta(hours=respond_hours),
        resolve_by=when + timedelta(hours=resolve_hours),
    )


def resolved(complaint: UUID, when: datetime, assignee: str) -> Any:
    return ev(
        Complaint.Resolved,
        complaint,
        when,
        resolution="fixed",
        root_cause="process",
        corrective_action="train",
        assignee_id=assignee,
    )


def result(when: datetime, spend: str, revenue: str) -> Any:
    return ev(
        Campaign.ResultRecorded,
        CAMPAIGN,
        when,
        channel="web",
        spend=Decimal(spend),
        impressions=0,
        clicks=0,
        leads=0,
        conversions=0,
        attributed_revenue=Decimal(revenue),
        feedback=None,
    )


def targets(employee: str, period: str, *items: tuple[str, str, str]) -> Any:
    return ev(
        Employee.TargetsSet,
        employee,
        at(1, 3),
        period=period,
        items=[{"metric": m, "target": Decimal(t), "weight": Decimal(w)} for m, t, w in items],
    )


def training(employee: str, hours: str, day: date) -> Any:
    return ev(
        Employee.TrainingRecorded,
        employee,
        at(day.month, day.day),
        course="selling",
        kind="skills",
        hours=Decimal(hours),
        completed_on=day,
        score=None,
        feedback=None,
    )


def budget_events() -> list[Any]:
    """The approved 2026 budget: promotion Q1 12 000, sales Q2 6 000; Q2 sets no customers."""
    t0 = Cause("fiona", at(1, 10))
    budget = Budget.draft(
        t0,
        id=uuid4(),
        fiscal_year=2026,
        lines=[
            {"category": "promotion", "period": "Q1", "amount": "12000.00"},
            {"category": "sales", "period": "Q2", "amount": "6000.00"},
        ],
        targets=[
            {"period": "Q1", "revenue": "30000.00", "new_customers": 3},
            {"period": "Q2", "revenue": "9000.00"},
        ],
    )
    budget.submit(t0)
    budget.approve(Cause("eve", at(1, 10)))
    budget.commit(t0, category="promotion", period="Q1", amount=Decimal(5000), reference="fair")
    budget.record_expense(
        Cause("fiona", at(2, 12)),
        STANDARDS,
        category="promotion",
        period="Q1",
        amount=Decimal(3000),
        expense_type="advertising",
        reference="fair",
        description="banners",
    )
    budget.record_expense(
        Cause("fiona", at(3, 3)),
        STANDARDS,
        category="promotion",
        period="Q1",
        amount=Decimal(1500),
        expense_type="advertising",
        description="flyers",
    )
    # The next year's budget is still a draft: its targets do not count yet.
    draft = Budget.draft(
        t0,
        id=uuid4(),
        fiscal_year=2027,
        lines=[{"category": "sales", "period": "Q1", "amount": "100.00"}],
        targets=[{"period": "Q1", "revenue": "100.00", "new_customers": 1}],
    )
    return [*budget.collect_events(), *draft.collect_events()]


def scenario() -> list[Any]:
    k1, k2, k3 = at(2, 1, 9), at(2, 10, 10), at(2, 20, 10)
    return [
        *budget_events(),
        registered(A, E1),
        registered(B, "someone-else"),
        ev(Customer.OwnerAssigned, B, at(1, 3), owner_id=E2),
        drafted(C1, A, "first-owner", "10000.00", 30),
        ev(Contract.Amended, C1, at(1, 6), changed=["owner_id"], owner_id=E1),
        drafted(C2, B, E2, "5000.00", 0),
        drafted(C3, A, E1, "2500.00", 30),
        # Folded before its contract's signing: it takes the signing's day (15 January).
        ev(Customer.Converted, A, at(1, 20), contract_id=C1),
        signed(C1, A, date(2026, 1, 15), "10000.00"),
        signed(C2, B, date(2026, 2, 3), "5000.00"),
        ev(Customer.Converted, B, at(2, 3), contract_id=C2),
        signed(C3, A, date(2026, 4, 2), "2500.00"),
        invoice(C1, INV1, "6000.00", date(2026, 1, 20), 30),  # due 19 February
        payment(C1, INV1, "4000.00", date(2026, 2, 10)),
        payment(C1, INV1, "2000.00", date(2026, 3, 5)),
        invoice(C2, INV2, "5000.00", date(2026, 2, 3), 0),  # due 3 February
        payment(C2, INV2, "1000.00", date(2026, 2, 20)),
        # K1 met both deadlines; K2 answered late; K3 never answered.
        received(K1, k1, 8, 72),
        ev(Complaint.Responded, K1, at(2, 1, 12), message="on it"),
        resolved(K1, at(2, 3, 9), E1),
        ev(Complaint.Closed, K1, at(2, 5), satisfaction=4),
        received(K2, k2, 2, 24),
        ev(Complaint.Responded, K2, at(2, 10, 15), message="sorry"),
        resolved(K2, at(2, 12), E2),
        ev(Complaint.Closed, K2, at(2, 13), satisfaction=None),
        received(K3, k3, 72, 336),
        ev(Customer.SatisfactionRecorded, A, at(2, 14), score=5, source="survey"),
        result(at(2, 15), "2000.00", "5000.00"),
        result(at(3, 10), "1000.00", "0.00"),
        targets(
            E1,
            "2026-Q1",
            ("revenue", "20000", "0.5"),
            ("new_customers", "2", "0.3"),
            ("training_hours", "8", "0.2"),
        ),
        targets(E1, "2026", ("contracts_signed", "4", "1")),
        # A later setting of the same period replaces the earlier one.
        targets(E1, "2026", ("contracts_signed", "2", "0.6"), ("collections", "5000", "0.4")),
        targets(E2, "2026-02", ("complaints_resolved", "1", "0.5"), ("collections", "2000", "0.5")),
        training(E1, "6", date(2026, 3, 2)),
        training(E1, "1.5", date(2026, 4, 1)),
        ev(
            Employee.AppraisalFinalized,
            E1,
            at(4, 10),
            appraisal_id=uuid4(),
            cycle="quarterly",
            period="2026-Q1",
            score=Decimal("75.00"),
            rating="B",
            inputs={},
        ),
    ]


@pytest.fixture(scope="module")
def kpis(module_database):
    spec = READ_MODELS["kpis"]
    view = fresh_view(spec, module_database.env(), module_database.dialect, prefix="hand_")
    projection = KpiProjection(view)
    for position, event in enumerate(scenario(), start=1):
        projection.process_event(event, Tracking("Backoffice", position))
    yield view
    view.drop()
    close_view(view)


def test_periods_cover_their_days_and_quarters():
    assert period_days("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert period_days("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert period_days("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_quarters("2026") == ("Q1", "Q2", "Q3", "Q4")
    assert period_quarters("2026-05") == ("Q2",)
    for bad in ("2026-Q5", "2026-13", "26", "2026-1", "2026-Q1 ", None):
        with pytest.raises(ValidationFailed):
            period_days(bad)


def test_company_kpis_of_a_month_by_hand(kpis):
    february = kpis.company("2026-02", at(2, 21, 0))
    assert february == {
        "period": "2026-02",
        "revenue": "5000.00",
        # A month's target is a third of its quarter's.
        "revenue_target": "10000.00",
        "revenue_attainment": 0.5,
        "new_customers": 1,
        "new_customers_target": 1,
        "contracts_signed": 1,
        # Due in February: 6000 (19th) + 5000 (3rd); paid on them by the 28th: 4000 + 1000.
        "collection_rate": 0.4545,
        # K1 met, K2 breached, K3 not yet known on the 21st.
        "sla_compliance": 0.5,
        # A customer's 5 and K1's closing 4; K2 was closed without a score.
        "satisfaction_avg": 4.5,
        "campaign_roi": 1.5,
        # Q1's lines to the end of February: 2000 committed + 3000 spent of 12 000.
        "budget_utilisation": 0.4167,
        "market_share": None,
        "market_share_target": None,
        "brand_awareness": None,
        "brand_awareness_target": None,
        "customer_count": None,
        "customer_count_target": None,
    }
    # Once K3's response deadline has passed too, two of three breached.
    assert kpis.company("2026-02", LATER)["sla_compliance"] == 0.3333
    # Before K2 and K3 were received only K1 counts.
    assert kpis.company("2026-02", at(2, 5))["sla_compliance"] == 1


def test_company_kpis_of_a_month_with_nothing_to_divide_by(kpis):
    january = kpis.company("2026-01", LATER)
    assert january["revenue"] == "10000.00"
    assert (january["new_customers"], january["contracts_signed"]) == (1, 1)
    assert january["revenue_attainment"] == 1
    assert january["collection_rate"] is None  # nothing fell due in January
    assert january["sla_compliance"] is None
    assert january["satisfaction_avg"] is None
    assert january["campaign_roi"] is None
    assert january["budget_utilisation"] == 0.4167  # the commitment of 10 January
    march = kpis.company("2026-03", LATER)
    assert march["collection_rate"] is None
    assert march["campaign_roi"] == -1
    assert march["budget_utilisation"] == 0.5417  # 2000 + 3000 + 1500 of 12 000


def test_company_kpis_of_quarters_and_the_year(kpis):
    q1 = kpis.company("2026-Q1", LATER)
    assert (q1["revenue"], q1["revenue_target"], q1["revenue_attainment"]) == (
        "15000.00",
        "30000.00",
        0.5,
    )
    assert (q1["new_customers"], q1["new_customers_target"], q1["contracts_signed"]) == (2, 3, 2)
    # 6000 + 1000 collected by 31 March of the 11 000 due in the quarter.
    assert q1["collection_rate"] == 0.6364
    assert q1["campaign_roi"] == 0.6667
    assert q1["satisfaction_avg"] == 4.5
    q2 = kpis.company("2026-Q2", LATER)
    assert (q2["revenue"], q2["revenue_target"], q2["revenue_attainment"]) == (
        "2500.00",
        "9000.00",
        0.2778,
    )
    # No quarter target for new customers in Q2: no target, whatever the count.
    assert (q2["new_customers"], q2["new_customers_target"]) == (0, None)
    assert q2["budget_utilisation"] == 0
    year = kpis.company("2026", LATER)
    assert (year["revenue"], year["revenue_target"], year["revenue_attainment"]) == (
        "17500.00",
        "39000.00",
        0.4487,
    )
    assert (year["new_customers"], year["new_customers_target"]) == (2, 3)
    assert year["contracts_signed"] == 3
    assert year["budget_utilisation"] == 0.3611  # 6500 of 18 000
    assert year["sla_compliance"] == 0.3333
    # 2027's budget is only drafted; 2025 has none.
    for period in ("2027-Q1", "2025"):
        row = kpis.company(period, LATER)
        assert row["revenue_target"] is None
        assert row["revenue_attainment"] is None
        assert row["new_customers_target"] is None
        assert row["budget_utilisation"] is None
        assert row["revenue"] == "0.00"


def test_employee_kpis_by_hand(kpis):
    assert kpis.employee(E1, "2026-Q1") == {
        "employee_id": E1,
        "period": "2026-Q1",
        "metrics": [
            {"metric": "revenue", "actual": "10000.00", "target": "20000.00", "weight": 0.5,
             "attainment": 0.5},
            {"metric": "new_customers", "actual": 1, "target": 2, "weight": 0.3,
             "attainment": 0.5},
            {"metric": "training_hours", "actual": 6, "target": 8, "weight": 0.2,
             "attainment": 0.75},
        ],
        "weighted_attainment": 0.55,
        "training_hours": 6,
        "appraisal_rating": "B",
    }  # fmt: skip
    year = kpis.employee(E1, "2026")
    # C1 and C3 signed; 6000 collected on C1; uncapped above 1.
    assert [(m["metric"], m["actual"], m["attainment"]) for m in year["metrics"]] == [
        ("contracts_signed", 2, 1),
        ("collections", "6000.00", 1.2),
    ]
    assert year["weighted_attainment"] == 1.08
    assert (year["training_hours"], year["appraisal_rating"]) == (7.5, None)
    march = kpis.employee(E1, "2026-03")
    assert (march["metrics"], march["weighted_attainment"], march["training_hours"]) == (
        [],
        None,
        6,
    )
    february = kpis.employee(E2, "2026-02")
    assert [(m["metric"], m["actual"], m["attainment"]) for m in february["metrics"]] == [
        ("complaints_resolved", 1, 1),
        ("collections", "1000.00", 0.5),
    ]
    assert february["weighted_attainment"] == 0.75
    assert kpis.employee(str(uuid4()), "2026")["metrics"] == []


def test_attainment_for_appraisals_is_exact_and_absent_without_targets(kpis):
    reading = kpis.attainment(E1, "2026-Q1")
    assert reading["weighted_attainment"] == Decimal("0.5500")
    assert reading["metrics"][0] == {
        "metric": "revenue",
        "actual": Decimal("10000.00"),
        "target": Decimal("20000"),
        "weight": Decimal("0.5"),
        "attainment": Decimal("0.5000"),
    }
    assert kpis.attainment(E1, "2026-03") is None
    assert kpis.attainment(E2, "2026-Q1") is None


@pytest.fixture(scope="module")
def sales_scenario(module_database):
    services, _ids = run_scenario(module_database)
    assert services.read_side.wait("kpis", services.backoffice.max_position(), timeout=20)
    yield services
    services.close()


def test_kpis_of_the_sales_scenario_agree_with_sales_and_a_rebuild(sales_scenario, module_database):
    view = sales_scenario.read_side.view("kpis")
    sales = sales_scenario.read_side.view("sales")
    for key in ("month", "quarter"):
        for row in sales.report([key]):
            company = view.company(row[key], LATER)
            assert (company["revenue"], company["contracts_signed"]) == (
                row["revenue"],
                row["contracts_signed"],
            )
    assert view.company("2026-01", LATER)["revenue"] == "4600.00"
    assert view.company("2026-01", LATER)["new_customers"] == 2
    # K1's first invoice (800, due 19 Feb) was paid on 25 Feb.
    assert view.company("2026-02", LATER)["collection_rate"] == 1
    # Due in March: K1's second 800 (7 Mar) and K2's 3000 (16 Mar); 100.01 paid by the 31st.
    assert view.company("2026-03", LATER)["collection_rate"] == 0.0263
    assert view.company("2026-Q1", LATER)["collection_rate"] == 0.1957
    assert view.company("2026-04", LATER)["collection_rate"] is None
    # K2's 1000 of 5 April counts for the year; its write-off is no collection.
    assert view.company("2026", LATER)["collection_rate"] == 0.413
    sam, sue = view.actuals("sam", "2026-Q1"), view.actuals("sue", "2026")
    # Sam owns both customers, though Sue signed C2's contract.
    assert (sam["revenue"], sam["contracts_signed"], sam["new_customers"]) == (
        Decimal("6600.00"),
        2,
        2,
    )
    assert sam["collections"] == Decimal("900.01")
    assert (sue["revenue"], sue["new_customers"], sue["collections"]) == (
        Decimal("3000.00"),
        0,
        Decimal("1000.00"),
    )
    app = sales_scenario.backoffice
    assert verify(app, READ_MODELS["kpis"], module_database.env(), module_database.dialect) == []


_years = itertools.count(5000)


@settings(max_examples=10, deadline=None)
@given(steps=budget_steps)
def test_budget_utilisation_agrees_with_budget_execution_and_a_rebuild(
    services, module_database, steps
):
    app, read_side = services.backoffice, services.read_side
    year = next(_years)
    bid = app.handle(
        FINANCE,
        DraftBudget(
            fiscal_year=year,
            lines=[{"category": c, "period": p, "amount": "1500.00"} for c, p in LINES],
        ),
    ).id
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
    state = {"refs": [], "overruns": []}
    for step in steps:
        with contextlib.suppress(DomainError):
            run_budget_step(app, bid, step, state)
    for name in ("kpis", "budget_execution"):
        assert read_side.wait(name, app.max_position(), timeout=10)
    lines = read_side.view("budget_execution").report(
        str(bid), datetime(year + 1, 1, 1, tzinfo=UTC)
    )["lines"]
    for period, quarters in (
        (str(year), QUARTERS),
        (f"{year}-Q1", ("Q1",)),
        (f"{year}-05", ("Q2",)),
    ):
        chosen = [line for line in lines if line["period"] in quarters]
        used = sum(Decimal(line["committed"]) + Decimal(line["spent"]) for line in chosen)
        authorised = sum(
            Decimal(line[f])
            for line in chosen
            for f in ("planned", "adjustments", "overruns_approved")
        )
        expected = (
            float((used / authorised).quantize(Decimal("0.0001"), ROUND_HALF_UP))
            if authorised
            else None
        )
        assert read_side.view("kpis").company(period, LATER)["budget_utilisation"] == expected
    assert verify(app, READ_MODELS["kpis"], module_database.env(), module_database.dialect) == []
