"""Two clocks on every report (DOMAIN.md, Principles): `known_at` and `as_of`, both databases.

A company's first quarter goes through the application with a clock set to each
business day (2026, UTC). Every report is fetched at FIRST (03-10 12:00); then, on
03-11, more is written, much of it back-dated before FIRST: a payment and a delivery
dated 03-05, a contract signed 03-02, a campaign result of 03-01, an expense, a
complaint received 03-05, a reassessed risk, a follow-up, a training and an
opportunity's move. Asked with `known_at` = 03-10 13:00 (after the first fetch, before
the later writes), each report answers exactly what it answered at FIRST, plus the
echoed `known_at`; asked now, it answers otherwise (so the comparison could fail).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from application.commands.budgets import ApproveBudget, DraftBudget, RecordExpense, SubmitBudget
from application.commands.campaigns import (
    ApproveCampaign,
    DraftCampaign,
    LaunchCampaign,
    RecordCampaignResult,
    SubmitCampaign,
)
from application.commands.complaints import (
    AssignComplaint,
    ReceiveComplaint,
    RespondToComplaint,
)
from application.commands.contracts import (
    ApproveContractReview,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    SignContract,
    SubmitContract,
)
from application.commands.customers import AssessCredit, RecordFollowUp, RegisterLead
from application.commands.employees import (
    HireEmployee,
    RecordInterview,
    RecordTraining,
    RegisterCandidate,
    SetEmployeeTargets,
)
from application.commands.opportunities import AdvanceOpportunity, OpenOpportunity
from application.commands.risks import AssessRisk, IdentifyRisk
from domain.employee import Target
from interfaces.bootstrap import Services, build
from interfaces.http.app import create_app
from tests.conftest import as_, assert_problem, bearer

SAM = as_("sam", "sales")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
EXEC = as_("eve", "executive")
MANAGER = as_("mia", "sales_manager")
MARKETING = as_("mark", "marketing")
SERVICE = as_("sid", "service")
HR = as_("harriet", "hr")
AUDITOR = bearer("audrey", "auditor")

FIRST = datetime(2026, 3, 10, 12, tzinfo=UTC)
BETWEEN = "2026-03-10T13:00:00+00:00"
LATER = datetime(2026, 3, 11, 12, tzinfo=UTC)


@dataclass
class Company:
    """The services, a client, the clock, the ids, and every report as fetched at FIRST."""

    services: Services
    client: TestClient
    now: list[datetime]
    ids: dict[str, Any]
    first: dict[str, dict[str, Any]]


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def report_paths(ids: dict[str, Any]) -> dict[str, str]:
    """Every report, with the parameters it is fetched with (as_of where it echoes now)."""
    return {
        "sales": "/reports/sales?group_by=month,customer",
        "credit": "/reports/credit",
        "credit alerts": "/reports/credit/alerts",
        "budgets": f"/reports/budgets/{ids['budget']}?as_of=2026-03-10",
        "campaigns": "/reports/campaigns",
        "complaints": "/reports/complaints?group_by=category&as_of=2026-03-10T12:00:00Z",
        "complaint": f"/reports/complaints/{ids['complaint']}?as_of=2026-03-10T12:00:00Z",
        "company KPIs": "/reports/kpis/company?period=2026-Q1&as_of=2026-03-10T12:00:00Z",
        "employee KPIs": f"/reports/kpis/employees/{ids['employee']}?period=2026-Q1",
        "pipeline": "/reports/pipeline?group_by=stage&as_of=2026-03-10T12:00:00Z",
        "risks": "/reports/risks?as_of=2026-03-10T12:00:00Z",
        "follow-ups": "/reports/follow-ups?due_by=2026-03-31",
    }


def get(client: TestClient, path: str, **params: str) -> dict[str, Any]:
    if params:
        path += ("&" if "?" in path else "?") + urlencode(params)
    response = client.get(path, headers=AUDITOR)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def signed(app: Any, customer: UUID, total: str, signed_on: date) -> UUID:
    line = {"sku": "AD", "quantity": 10, "unit_price": Decimal(total) / 10, "unit_cost": 0}
    contract = app.handle(
        SAM,
        DraftContract(
            customer_id=customer,
            channel="direct",
            lines=[line],
            payment_term_days=30,
            delivery_due_on=date(2026, 12, 31),
        ),
    ).id
    app.handle(SAM, SubmitContract(contract))
    app.handle(LEGAL, ApproveContractReview(contract, "legal"))
    app.handle(FINANCE, ApproveContractReview(contract, "finance"))
    app.handle(MANAGER, SignContract(contract, signed_on))
    return contract


def employee(app: Any, now: list[datetime]) -> UUID:
    eid = app.handle(HR, RegisterCandidate(name="Agent", position="agent", department="service")).id
    app.handle(HR, RecordInterview(eid, kind="interview", result="pass"))
    app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))
    app.handle(
        HR, HireEmployee(eid, hired_on=now[0].date(), position="agent", department="service")
    )
    target = Target(metric="training_hours", target=Decimal("10"), weight=Decimal("1"))
    app.handle(HR, SetEmployeeTargets(eid, period="2026-Q1", items=[target]))
    return eid


def training(app: Any, eid: UUID, hours: str, completed_on: date) -> None:
    app.handle(
        HR,
        RecordTraining(
            eid, course="Sales", kind="skills", hours=Decimal(hours), completed_on=completed_on
        ),
    )


def customers(app: Any) -> list[UUID]:
    found = []
    for n in (1, 2):
        cid = app.handle(
            SAM, RegisterLead(name=f"C{n} Co", kind="company", source="web", contacts=[])
        ).id
        app.handle(
            FINANCE,
            AssessCredit(
                cid,
                rating="A",
                score=90,
                credit_limit=Decimal("100000.00"),
                max_payment_term_days=60,
                guarantee_required=False,
                valid_until=date(2026, 12, 31),
                basis="accounts",
            ),
        )
        found.append(cid)
    return found


def budget(app: Any) -> UUID:
    lines = [{"category": c, "period": "Q1", "amount": "10000.00"} for c in ("promotion", "sales")]
    targets = [{"period": q, "revenue": "30000.00"} for q in ("Q1", "Q2", "Q3", "Q4")]
    bid = app.handle(FINANCE, DraftBudget(fiscal_year=2026, lines=lines, targets=targets)).id
    app.handle(FINANCE, SubmitBudget(bid))
    app.handle(EXEC, ApproveBudget(bid))
    return bid


def campaign(app: Any, budget_id: UUID) -> UUID:
    cid = app.handle(
        MARKETING,
        DraftCampaign(
            name="Spring fair",
            objective="leads",
            channels=["exhibition"],
            starts_on=date(2026, 2, 1),
            ends_on=date(2026, 4, 30),
            budget_amount=Decimal("5000.00"),
            budget_id=budget_id,
            budget_period="Q1",
            targets={"leads": 20},
        ),
    ).id
    app.handle(MARKETING, SubmitCampaign(cid))
    app.handle(EXEC, ApproveCampaign(cid))
    app.handle(MARKETING, LaunchCampaign(cid))
    return cid


def result(app: Any, campaign_id: UUID, spend: str, leads: int, when: datetime) -> None:
    app.handle(
        MARKETING,
        RecordCampaignResult(
            campaign_id, channel="exhibition", spend=Decimal(spend), leads=leads, occurred_at=when
        ),
    )


def complaint(app: Any, customer: UUID, when: datetime) -> UUID:
    return app.handle(
        SERVICE,
        ReceiveComplaint(
            customer_id=customer,
            channel="hotline",
            category="service",
            severity="high",
            description="late",
            occurred_at=when,
        ),
    ).id


def the_first_weeks(app: Any, now: list[datetime]) -> dict[str, Any]:
    """Everything written up to FIRST; the ids by name."""
    now[0] = at(1, 5)
    ids: dict[str, Any] = {"employee": employee(app, now)}
    ids["C1"], ids["C2"] = customers(app)
    ids["budget"] = budget(app)
    now[0] = at(2, 1)
    ids["K1"] = signed(app, ids["C1"], "20000.00", date(2026, 2, 1))
    app.handle(FINANCE, IssueInvoice(ids["K1"], Decimal("10000.00"), date(2026, 2, 1)))
    ids["campaign"] = campaign(app, ids["budget"])
    now[0] = at(2, 20)
    result(app, ids["campaign"], "1000.00", 5, at(2, 15))
    training(app, ids["employee"], "4", date(2026, 2, 20))
    ids["opportunity"] = app.handle(
        SAM,
        OpenOpportunity(
            ids["C2"],
            title="Fair stand",
            expected_value=Decimal("8000.00"),
            expected_close_on=date(2026, 5, 31),
        ),
    ).id
    ids["risk"] = app.handle(
        FINANCE, IdentifyRisk(category="credit", title="C1 pays late", description="slow")
    ).id
    app.handle(FINANCE, AssessRisk(ids["risk"], likelihood=2, impact=3, rationale="first look"))
    now[0] = at(3, 1, 14)
    ids["complaint"] = complaint(app, ids["C1"], at(3, 1, 10))
    app.handle(
        SAM, RecordFollowUp(ids["C1"], kind="call", notes="ok", next_follow_up_on=date(2026, 3, 9))
    )
    now[0] = FIRST
    return ids


def the_day_after(app: Any, now: list[datetime], ids: dict[str, Any]) -> None:
    """What 03-11 brings, most of it dated before FIRST."""
    now[0] = LATER
    app.handle(FINANCE, RecordPayment(ids["K1"], Decimal("4000.00"), date(2026, 3, 5), "p1"))
    app.handle(SAM, RecordDelivery(ids["K1"], {"AD": 3}, occurred_at=at(3, 5)))
    signed(app, ids["C2"], "6000.00", date(2026, 3, 2))
    result(app, ids["campaign"], "500.00", 3, at(3, 1))
    app.handle(
        FINANCE,
        RecordExpense(
            ids["budget"],
            category="sales",
            period="Q1",
            amount=Decimal("900.00"),
            expense_type="advertising",
            description="flyers",
            occurred_at=at(3, 2),
        ),
    )
    complaint(app, ids["C2"], at(3, 5))
    assigned = at(3, 1, 10).replace(minute=30)
    app.handle(SERVICE, AssignComplaint(ids["complaint"], str(ids["employee"]), assigned))
    app.handle(SERVICE, RespondToComplaint(ids["complaint"], "on it", at(3, 1, 11)))
    app.handle(
        FINANCE,
        AssessRisk(ids["risk"], likelihood=5, impact=4, rationale="worse", occurred_at=at(3, 5)),
    )
    app.handle(
        SAM, AdvanceOpportunity(ids["opportunity"], to_stage="proposal", occurred_at=at(3, 5))
    )
    app.handle(
        SAM,
        RecordFollowUp(
            ids["C2"],
            kind="visit",
            notes="met",
            occurred_at=at(3, 5),
            next_follow_up_on=date(2026, 3, 8),
        ),
    )
    training(app, ids["employee"], "2", date(2026, 3, 1))


@pytest.fixture(scope="module")
def company(module_database) -> Iterator[Company]:
    now = [at(1, 5)]
    services = build(
        module_database.settings(backdating_days=400), run_projections=True, clock=lambda: now[0]
    )
    try:
        ids = the_first_weeks(services.backoffice, now)
        with TestClient(create_app(services=services)) as client:
            first = {name: get(client, path) for name, path in report_paths(ids).items()}
            the_day_after(services.backoffice, now, ids)
            yield Company(services, client, now, ids, first)
    finally:
        services.close()


@pytest.mark.parametrize(
    "name", list(report_paths({k: "x" for k in ("budget", "complaint", "employee")}))
)
def test_a_report_known_at_a_past_moment_answers_as_it_did_then(company, name):
    path = report_paths(company.ids)[name]
    then = get(company.client, path, known_at=BETWEEN)
    assert then.pop("known_at") == BETWEEN
    assert then == company.first[name]
    assert get(company.client, path) != company.first[name], "the later writes change nothing"


def test_known_at_is_echoed_after_as_of(company):
    body = get(company.client, "/reports/credit", as_of="2026-03-10", known_at=BETWEEN)
    assert list(body)[:3] == ["as_of", "known_at", "items"]
    assert body["as_of"] == "2026-03-10"


def test_without_as_of_a_report_known_then_is_computed_for_then(company):
    body = get(company.client, "/reports/pipeline", known_at=BETWEEN)
    assert body["as_of"] == "2026-03-10T13:00:00.000000+00:00"
    credit = get(company.client, "/reports/credit", known_at=BETWEEN)
    assert credit["as_of"] == "2026-03-10"


def test_a_known_at_in_the_future_answers_as_now(company):
    path = report_paths(company.ids)["sales"]
    future = get(company.client, path, known_at="2030-01-01")
    assert future.pop("known_at") == "2030-01-01"
    assert future == get(company.client, path)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "0001-01-01", "2026-03-10T25:00"])
def test_a_bad_known_at_is_refused_and_nothing_is_written(company, value):
    before = company.services.backoffice.max_position()
    for path in report_paths(company.ids).values():
        query = ("&" if "?" in path else "?") + urlencode({"known_at": value})
        response = company.client.get(path + query, headers=AUDITOR)
        body = assert_problem(response, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == ["known_at"], path
    assert company.services.backoffice.max_position() == before


def test_repeated_known_at_questions_are_answered_alike(company):
    path = report_paths(company.ids)["risks"]
    first = get(company.client, path, known_at=BETWEEN)
    assert get(company.client, path, known_at=BETWEEN) == first
    # A moment with nothing recorded between it and BETWEEN: the same events count.
    assert (
        get(company.client, path, known_at="2026-03-10T18:00:00Z")["register"] == first["register"]
    )


def test_sales_as_of_leaves_out_facts_dated_after_it(company):
    path = "/reports/sales"
    before = get(company.client, path, as_of="2026-03-04")
    after = get(company.client, path, as_of="2026-03-05")
    assert before["as_of"] == "2026-03-04"
    assert before["items"][0]["collected"] == "0.00"
    assert before["items"][0]["units_delivered"] == 0
    assert after["items"][0]["collected"] == "4000.00"
    assert after["items"][0]["units_delivered"] == 3
    # The contract signed 03-02 counts from that day on.
    assert get(company.client, path, as_of="2026-03-01")["items"][0]["contracts_signed"] == 1
    assert before["items"][0]["contracts_signed"] == 2


def test_campaigns_as_of_leaves_out_results_dated_after_it(company):
    before = get(company.client, "/reports/campaigns", as_of="2026-02-28")
    after = get(company.client, "/reports/campaigns", as_of="2026-03-01")
    assert before["as_of"] == "2026-02-28"
    assert [(i["spend"], i["leads"], i["status"]) for i in before["items"]] == [
        ("1000.00", 5, "running")
    ]
    assert [(i["spend"], i["leads"]) for i in after["items"]] == [("1500.00", 8)]
    now = get(company.client, "/reports/campaigns")["items"]
    assert [(i["spend"], i["leads"]) for i in now] == [("1500.00", 8)]
    # Before it was drafted, no campaign.
    assert get(company.client, "/reports/campaigns", as_of="2026-01-31")["items"] == []


def test_employee_kpis_as_of_leave_out_facts_dated_after_it(company):
    path = f"/reports/kpis/employees/{company.ids['employee']}"
    before = get(company.client, path, period="2026-Q1", as_of="2026-02-28")
    after = get(company.client, path, period="2026-Q1", as_of="2026-03-01")
    assert before["as_of"] == "2026-02-28"
    assert before["items"][0]["training_hours"] == 4
    assert before["items"][0]["metrics"][0]["actual"] == 4
    assert after["items"][0]["training_hours"] == 6
    assert "as_of" not in get(company.client, path, period="2026-Q1")


def test_follow_ups_as_of_take_the_latest_follow_up_dated_by_then(company):
    path = "/reports/follow-ups"
    before = get(company.client, path, due_by="2026-03-31", as_of="2026-03-04")
    after = get(company.client, path, due_by="2026-03-31", as_of="2026-03-05")
    assert before["as_of"] == "2026-03-04"
    assert [(i["customer_id"], i["next_follow_up_on"]) for i in before["items"]] == [
        (str(company.ids["C1"]), "2026-03-09")
    ]
    assert [(i["customer_id"], i["last_contact_at"]) for i in after["items"]] == [
        (str(company.ids["C2"]), "2026-03-05T12:00:00.000000+00:00"),
        (str(company.ids["C1"]), "2026-03-01T14:00:00.000000+00:00"),
    ]
    now = get(company.client, path, due_by="2026-03-31")
    assert "as_of" not in now
    assert now["items"] == after["items"]
