"""Issue 17, point 1: the most and the least each bound admits keep every read model folding.

A property test: for the numeric fields of commands of every aggregate it draws either the
smallest or the largest value the request body admits (one example takes every minimum,
one every maximum, the others a mix), sends the commands over HTTP, expects each to be
accepted, and then checks that every read model folds to the head of the log, with none
failed or restarted, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.contract import MAX_QUANTITY
from domain.values import MAX_COUNT, MAX_MONEY, MAX_TERM_DAYS
from tests.conftest import bearer, unique

CENT = Decimal("0.01")
SALES = bearer("sam", "sales")
MANAGER = bearer("mia", "sales_manager")
FINANCE = bearer("fiona", "finance")
EXECUTIVE = bearer("eve", "executive")
WRITER_OFF = bearer("fred", "finance", "executive")
SERVICE = bearer("sue", "service")
MARKETING = bearer("mark", "marketing")
HR = bearer("hana", "hr")
AUDITOR = bearer("audrey", "auditor")
REVIEWERS = {"legal": "legal", "finance": "finance", "pricing": "sales_manager"}
# Each example's budget and marketing plan take a fiscal year of their own.
_years = itertools.count(5000)
# How many choices an example draws; a scenario wanting more starts over from the first.
CHOICES = 96


class Pick:
    """The least or the most of a bound, as the example's next choice says."""

    def __init__(self, choices: list[bool]) -> None:
        self._choices = itertools.cycle(choices)

    def __call__(self, least: Any, most: Any) -> Any:
        return most if next(self._choices) else least


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def days_ago(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


def per_unit(total: Decimal, quantity: int) -> Decimal:
    """The largest unit amount, in cents, that `quantity` units may cost within `total`."""
    return (total / quantity).quantize(CENT, rounding=ROUND_DOWN)


def ok(response: Any) -> dict[str, Any]:
    assert response.is_success, f"{response.request.url}: {response.text}"
    return response.json()


def post(client: Any, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return ok(client.post(path, json=jsonable(body), headers=headers))


def jsonable(value: Any) -> Any:
    """A body with its decimals as the strings API.md carries money in."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def lead(client: Any) -> str:
    body = {"name": unique(), "kind": "company", "source": "web", "contacts": []}
    return post(client, "/customers", body, SALES)["id"]


def assess(client: Any, cid: str, pick: Pick, *, limit: Decimal | None = None) -> None:
    body = {
        "rating": "A",
        "score": pick(0, 100),
        "credit_limit": pick(Decimal(0), MAX_MONEY) if limit is None else limit,
        "max_payment_term_days": MAX_TERM_DAYS if limit is not None else pick(0, MAX_TERM_DAYS),
        "guarantee_required": False,
        "valid_until": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "basis": "audited accounts",
    }
    post(client, f"/customers/{cid}/credit-assessments", body, FINANCE)


def customer_scenario(client: Any, pick: Pick) -> None:
    cid = lead(client)
    assess(client, cid, pick)
    guarantee = {"amount": pick(CENT, MAX_MONEY), "kind": "bank", "expires_on": days_ago(-30)}
    post(client, f"/customers/{cid}/guarantees", guarantee, FINANCE)
    post(client, f"/customers/{cid}/membership", {"tier": "gold"}, SERVICE)
    points = pick(1, MAX_COUNT)
    post(client, f"/customers/{cid}/points/award", {"points": points, "reason": "x"}, SERVICE)
    redeem = {"points": pick(1, points), "reward": "voucher"}
    post(client, f"/customers/{cid}/points/redeem", redeem, SERVICE)
    post(client, f"/customers/{cid}/satisfaction", {"score": pick(1, 5), "source": "call"}, SERVICE)


def contract_scenario(client: Any, pick: Pick) -> None:
    cid = lead(client)
    assess(client, cid, pick, limit=MAX_MONEY)
    quantity = pick(1, MAX_QUANTITY)
    price = pick(CENT, per_unit(MAX_MONEY, quantity))
    line = {
        "sku": "AD-1",
        "quantity": quantity,
        "unit_price": price,
        "unit_cost": pick(Decimal(0), per_unit(MAX_MONEY, quantity)),
    }
    draft = {
        "customer_id": cid,
        "channel": "direct",
        "lines": [line],
        "payment_term_days": pick(0, MAX_TERM_DAYS),
        "delivery_due_on": days_ago(20),
        "penalty_rate": pick(Decimal(0), Decimal(1)),
    }
    kid = post(client, "/contracts", draft, SALES)["id"]
    post(client, f"/contracts/{kid}/submit", {}, SALES)
    for review in ok(client.get(f"/contracts/{kid}", headers=AUDITOR))["required_reviews"]:
        role = REVIEWERS.get(review["department"], "executive")
        body = {"department": review["department"]}
        post(client, f"/contracts/{kid}/reviews/approve", body, bearer(f"r-{role}", role))
    post(client, f"/contracts/{kid}/sign", {"signed_on": days_ago(20)}, MANAGER)
    post(client, f"/contracts/{kid}/deliveries", {"lines": {"AD-1": quantity}}, SALES)
    total = quantity * price
    invoiced = pick(2 * CENT, total) if total > CENT else total
    post(
        client,
        f"/contracts/{kid}/invoices",
        {"amount": invoiced, "issued_on": days_ago(20)},
        FINANCE,
    )
    # The late delivery's penalty is credited against the invoice (DOMAIN.md, Penalties):
    # what is left open is what may be paid and written off.
    contract = ok(client.get(f"/contracts/{kid}", headers=AUDITOR))
    still_open = invoiced - Decimal(contract["penalties_credited"])
    if still_open < CENT:
        return
    paid = pick(CENT, still_open - CENT) if still_open > CENT else still_open
    payment = {"amount": paid, "received_on": today(), "reference": uuid4().hex}
    post(client, f"/contracts/{kid}/payments", payment, FINANCE)
    if paid == still_open:
        return
    if draft["payment_term_days"] == 0:  # the invoice is overdue
        post(client, f"/contracts/{kid}/reminders", {"level": pick(1, 3)}, FINANCE)
    write_off = {"amount": pick(CENT, still_open - paid), "reason": "settled"}
    post(client, f"/contracts/{kid}/write-offs", write_off, WRITER_OFF)


def budget_scenario(client: Any, pick: Pick) -> None:
    year = next(_years)
    sales, service = pick(CENT, MAX_MONEY), pick(CENT, MAX_MONEY)
    targets = [
        {
            "period": period,
            "revenue": pick(Decimal(0), MAX_MONEY),
            "units": pick(0, MAX_COUNT),
            "new_customers": pick(0, MAX_COUNT),
        }
        for period in ("Q1", "Q2", "Q3", "Q4")
    ]
    lines = [
        {"category": "sales", "period": "Q1", "amount": sales},
        {"category": "promotion", "period": "Q1", "amount": MAX_MONEY},
        {"category": "customer_service", "period": "Q1", "amount": service},
        {"category": "personnel", "period": "Q1", "amount": Decimal(0)},
    ]
    body = {"fiscal_year": year, "lines": lines, "targets": targets}
    bid = post(client, "/budgets", body, FINANCE)["id"]
    post(client, f"/budgets/{bid}/submit", {}, FINANCE)
    post(client, f"/budgets/{bid}/approve", {}, EXECUTIVE)
    committed = pick(CENT, sales)
    commitment = {"category": "sales", "period": "Q1", "amount": committed, "reference": "PO-1"}
    post(client, f"/budgets/{bid}/commitments", commitment, FINANCE)
    expense = {**commitment, "expense_type": "event", "description": "booth"}
    post(client, f"/budgets/{bid}/expenses", expense, FINANCE)
    overrun = pick(CENT, MAX_MONEY)
    asked = {"category": "sales", "period": "Q1", "amount": overrun, "justification": "fair"}
    oid = post(client, f"/budgets/{bid}/overruns", asked, FINANCE)["id"]
    post(client, f"/budgets/{bid}/overruns/{oid}/approve", {}, EXECUTIVE)
    moved = {
        "from_category": "customer_service",
        "from_period": "Q1",
        "to_category": "personnel",
        "to_period": "Q1",
        "amount": pick(CENT, service),
        "reason": "hiring",
    }
    post(client, f"/budgets/{bid}/reallocations", moved, EXECUTIVE)
    campaign_scenario(client, pick, bid)
    claim_scenario(client, pick, bid, overrun)


def campaign_scenario(client: Any, pick: Pick, budget_id: str) -> None:
    amount = pick(CENT, MAX_MONEY)
    draft = {
        "name": unique("Fair"),
        "objective": "leads",
        "channels": ["social", "exhibition"],
        "starts_on": today(),
        "ends_on": today(),
        "budget_amount": amount,
        "budget_id": budget_id,
        "budget_period": "Q1",
        "targets": {
            "impressions": pick(0, MAX_COUNT),
            "leads": pick(0, MAX_COUNT),
            "conversions": pick(0, MAX_COUNT),
            "revenue": pick(Decimal(0), MAX_MONEY),
        },
    }
    gid = post(client, "/campaigns", draft, MARKETING)["id"]
    post(client, f"/campaigns/{gid}/submit", {}, MARKETING)
    post(client, f"/campaigns/{gid}/approve", {}, EXECUTIVE)
    post(client, f"/campaigns/{gid}/launch", {}, MARKETING)
    for channel, spend in (("social", pick(Decimal(0), amount)), ("exhibition", Decimal(0))):
        result = {
            "channel": channel,
            "spend": spend,
            "impressions": pick(0, MAX_COUNT),
            "clicks": pick(0, MAX_COUNT),
            "leads": pick(0, MAX_COUNT),
            "conversions": pick(0, MAX_COUNT),
            "attributed_revenue": pick(Decimal(0), MAX_MONEY),
        }
        post(client, f"/campaigns/{gid}/results", result, MARKETING)
    post(client, f"/campaigns/{gid}/complete", {}, MARKETING)
    post(client, f"/campaigns/{gid}/evaluate", {"summary": "ok", "rating": pick(1, 5)}, MARKETING)


def hired(client: Any, pick: Pick, manager_id: str | None = None) -> str:
    body = {"name": unique("Staff"), "position": "Rep", "department": "sales"}
    eid = post(client, "/employees", body, HR)["id"]
    interview = {"kind": "interview", "result": "pass", "score": pick(Decimal(0), Decimal(100))}
    post(client, f"/employees/{eid}/interviews", interview, HR)
    post(client, f"/employees/{eid}/interviews", {"kind": "background_check", "result": "pass"}, HR)
    hire = {"hired_on": today(), "position": "Rep", "department": "sales"}
    if manager_id is not None:
        hire["manager_id"] = manager_id
    post(client, f"/employees/{eid}/hire", hire, HR)
    return eid


def claim_scenario(client: Any, pick: Pick, budget_id: str, room: Decimal) -> None:
    claimant = hired(client, pick)
    claim = {
        "expense_type": "event",
        "amount": pick(CENT, room),
        "spent_on": today(),
        "description": "stand",
        "receipt_ref": uuid4().hex[:12],
        "budget_id": budget_id,
        "category": "sales",
        "period": "Q1",
    }
    kid = post(client, "/expense-claims", claim, bearer(claimant, "sales"))["id"]
    post(client, f"/expense-claims/{kid}/approve", {}, FINANCE)
    post(client, f"/expense-claims/{kid}/pay", {"paid_on": today()}, FINANCE)


def employee_scenario(client: Any, pick: Pick) -> None:
    eid = hired(client, pick)
    weight = pick(Decimal("0.0001"), Decimal("0.9999"))
    items = [
        {"metric": "revenue", "target": pick(CENT, MAX_MONEY), "weight": weight},
        {"metric": "new_customers", "target": pick(CENT, MAX_MONEY), "weight": 1 - weight},
    ]
    period = quarter()
    post(client, f"/employees/{eid}/targets", {"period": period, "items": items}, HR)
    training = {
        "course": "Selling",
        "kind": "skills",
        "hours": pick(CENT, Decimal(1000)),
        "completed_on": today(),
        "score": pick(Decimal(0), Decimal(100)),
    }
    post(client, f"/employees/{eid}/trainings", training, HR)
    opened = post(
        client, f"/employees/{eid}/appraisals", {"cycle": "quarterly", "period": period}, HR
    )
    scores = {
        k: pick(Decimal(0), Decimal(100)) for k in ("kpi_score", "goals_score", "attitude_score")
    }
    evaluation = {"source": "superior", **scores}
    appraisal = f"/employees/{eid}/appraisals/{opened['id']}"
    post(client, f"{appraisal}/evaluations", evaluation, HR)
    post(client, f"{appraisal}/finalize", {}, HR)
    post(client, f"/employees/{eid}/bonuses", {"amount": pick(CENT, MAX_MONEY), "reason": "x"}, HR)


def quarter() -> str:
    now = datetime.now(UTC)
    return f"{now.year}-Q{(now.month - 1) // 3 + 1}"


def opportunity_scenario(client: Any, pick: Pick) -> None:
    sku = f"SKU-{uuid4().hex[:8]}"
    pid = post(client, "/price-lists", {"name": unique("List"), "valid_from": today()}, MANAGER)[
        "id"
    ]
    listed = pick(CENT, MAX_MONEY)
    price = {"sku": sku, "unit_price": listed, "floor_price": pick(CENT, listed)}
    post(client, f"/price-lists/{pid}/prices", price, MANAGER)
    post(client, f"/price-lists/{pid}/publish", {}, MANAGER)
    cid = lead(client)
    opened = {
        "customer_id": cid,
        "title": "Autumn",
        "expected_value": pick(CENT, MAX_MONEY),
        "expected_close_on": today(),
    }
    oid = post(client, "/opportunities", opened, SALES)["id"]
    post(client, f"/opportunities/{oid}/advance", {"to_stage": "proposal"}, SALES)
    quantity = pick(1, MAX_QUANTITY)
    line = {
        "sku": sku,
        "quantity": quantity,
        "unit_price": pick(Decimal(0), per_unit(MAX_MONEY, quantity)),
        "unit_cost": pick(Decimal(0), per_unit(MAX_MONEY, quantity)),
    }
    quote = {"lines": [line], "valid_until": today(), "payment_term_days": pick(0, MAX_TERM_DAYS)}
    qid = post(client, f"/opportunities/{oid}/quotes", quote, SALES)["id"]
    post(client, f"/opportunities/{oid}/win", {"quote_id": qid, "delivery_due_on": today()}, SALES)


def plan_scenario(client: Any, pick: Pick) -> None:
    targets = [
        {
            "period": period,
            "market_share": pick(Decimal(0), Decimal(100)),
            "brand_awareness": pick(Decimal(0), Decimal(100)),
            "customer_count": pick(0, MAX_COUNT),
        }
        for period in ("Q1", "Q2", "Q3", "Q4")
    ]
    approved_plan(client, next(_years), targets)
    # A measurement is dated within its quarter, by now: on this year's plan, one a year.
    year, current = quarter().split("-")
    listed = ok(client.get("/marketing-plans", params={"fiscal_year": year}, headers=AUDITOR))
    plans = [item["id"] for item in listed["items"]]
    pid = (
        plans[0]
        if plans
        else approved_plan(client, int(year), [{"period": current, "customer_count": 1}])
    )
    measured = {
        "metric": pick("market_share", "brand_awareness"),
        "period": current,
        "value": pick(Decimal(0), Decimal(100)),
        "source": "panel",
    }
    post(client, f"/marketing-plans/{pid}/measurements", measured, MARKETING)


def approved_plan(client: Any, year: int, targets: list[dict[str, Any]]) -> str:
    body = {"fiscal_year": year, "strategies": {"promotion": "fairs"}, "targets": targets}
    pid = post(client, "/marketing-plans", body, MARKETING)["id"]
    post(client, f"/marketing-plans/{pid}/submit", {}, MARKETING)
    post(client, f"/marketing-plans/{pid}/approve", {}, EXECUTIVE)
    return pid


def risk_scenario(client: Any, pick: Pick) -> None:
    body = {"category": "credit", "title": "Slow payers", "description": "late invoices"}
    rid = post(client, "/risks", body, FINANCE)["id"]
    levels = {"likelihood": pick(1, 5), "impact": pick(1, 5), "rationale": "two accounts"}
    post(client, f"/risks/{rid}/assess", levels, FINANCE)
    action = post(
        client, f"/risks/{rid}/actions", {"description": "call", "due_on": today()}, FINANCE
    )
    post(client, f"/risks/{rid}/actions/{action['id']}/complete", {"outcome": "paid"}, FINANCE)


def complaint_scenario(client: Any, pick: Pick) -> None:
    body = {
        "customer_id": lead(client),
        "channel": "email",
        "category": "billing",
        "severity": "medium",
        "description": "charged twice",
    }
    kid = post(client, "/complaints", body, SERVICE)["id"]
    post(client, f"/complaints/{kid}/assign", {"assignee_id": hired(client, pick)}, SERVICE)
    post(client, f"/complaints/{kid}/respond", {"message": "looking into it"}, SERVICE)
    level = pick(1, MAX_COUNT - 1)
    post(client, f"/complaints/{kid}/escalate", {"level": level, "reason": "key"}, SERVICE)
    top = {"level": pick(level + 1, MAX_COUNT), "reason": "board"}
    post(client, f"/complaints/{kid}/escalate", top, SERVICE)
    resolution = {"resolution": "refund", "root_cause": "process", "corrective_action": "check"}
    post(client, f"/complaints/{kid}/resolve", resolution, SERVICE)
    post(client, f"/complaints/{kid}/close", {"satisfaction": pick(1, 5)}, SERVICE)


def staffing_scenario(client: Any, pick: Pick) -> None:
    department = unique("Dept")
    line = {"position": "Rep", "headcount": pick(0, 100_000), "monthly_cost_per_head": "0"}
    lines = [{**line, "quarter": q} for q in ("Q1", "Q2", "Q3", "Q4")]
    year = pick(1900, 9998)
    body = {"department": department, "fiscal_year": year, "lines": lines}
    pid = post(client, "/staffing-plans", body, HR)["id"]
    post(client, f"/staffing-plans/{pid}/submit", {}, HR)
    post(client, f"/staffing-plans/{pid}/approve", {}, EXECUTIVE)


def learning_scenario(client: Any, pick: Pick) -> None:
    """A training program on its own budget's personnel line, run to completion, and a
    research report naming a competitor, accepted (no measurements: no plan needed)."""
    year = next(_years)
    line = {"category": "personnel", "period": "Q1", "amount": MAX_MONEY}
    bid = post(client, "/budgets", {"fiscal_year": year, "lines": [line]}, FINANCE)["id"]
    post(client, f"/budgets/{bid}/submit", {}, FINANCE)
    post(client, f"/budgets/{bid}/approve", {}, EXECUTIVE)
    starts = datetime.now(UTC) - timedelta(days=2)
    program = {
        "title": unique("Course"),
        "kind": "skills",
        "objectives": "sell",
        "trainer": "Ms Lin",
        "sessions": [{"starts_at": starts.isoformat(), "hours": pick(CENT, Decimal(24))}],
        "planned_cost": pick(CENT, MAX_MONEY),
        "budget_id": bid,
        "period": "Q1",
    }
    tid = post(client, "/training-programs", program, HR)["id"]
    post(client, f"/training-programs/{tid}/approve", {}, EXECUTIVE)
    agent = hired(client, pick)
    post(client, f"/training-programs/{tid}/enrollments", {"employee_id": agent}, HR)
    done = {"completed_on": today(), "actual_cost": pick(Decimal(0), program["planned_cost"])}
    post(client, f"/training-programs/{tid}/complete", done, HR)
    report = {
        "title": unique("Survey"),
        "topic": "the north",
        "method": "survey",
        "fieldwork_from": today(),
        "fieldwork_to": today(),
        "sample_size": pick(0, MAX_COUNT),
        "competitors": [{"name": unique("Rival"), "market_share": pick(Decimal(0), Decimal(100))}],
        "findings": "prices drive choice",
    }
    rid = post(client, "/research-reports", report, MARKETING)["id"]
    post(client, f"/research-reports/{rid}/submit", {}, MARKETING)
    post(client, f"/research-reports/{rid}/accept", {}, EXECUTIVE)


SCENARIOS: list[Callable[[Any, Pick], None]] = [
    customer_scenario,
    contract_scenario,
    budget_scenario,
    employee_scenario,
    opportunity_scenario,
    plan_scenario,
    risk_scenario,
    complaint_scenario,
    staffing_scenario,
    learning_scenario,
]


def every_read_model_folds(client: Any, timeout: float = 30.0) -> None:
    """Every read model reaches the head of the log; none failed or restarted."""
    deadline = time.monotonic() + timeout
    while True:
        items = ok(client.get("/projections", headers=AUDITOR))["items"]
        for item in items:
            assert not str(item["state"]).startswith("failed"), item
            assert item["restarts"] == 0, item
        if all(item["lag"] == 0 for item in items) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [i["name"] for i in items if i["lag"]] == []


def folded_reports(client: Any) -> Iterator[tuple[str, int]]:
    """A report of each read model the scenarios fill, and how it answered."""
    for path in (
        "/reports/sales?group_by=customer",
        "/reports/credit",
        "/reports/campaigns",
        "/reports/complaints?group_by=severity",
        f"/reports/kpis/company?period={quarter()}",
        "/reports/pipeline?group_by=stage",
        "/reports/risks",
        "/customers",
        "/complaints",
    ):
        yield path, client.get(path, headers=AUDITOR).status_code


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(choices=st.lists(st.booleans(), min_size=CHOICES, max_size=CHOICES))
@example(choices=[False] * CHOICES)
@example(choices=[True] * CHOICES)
def test_the_extremes_of_every_bound_keep_every_read_model_folding(client, choices):
    pick = Pick(choices)
    for scenario in SCENARIOS:
        scenario(client, pick)
    every_read_model_folds(client)
    assert [(path, status) for path, status in folded_reports(client) if status != 200] == []


def test_the_first_and_last_fiscal_years_fold(client):
    for year in (1900, 9998):
        lines = [{"category": "sales", "period": "Q4", "amount": MAX_MONEY}]
        targets = [{"period": "Q4", "revenue": MAX_MONEY, "units": MAX_COUNT}]
        body = {"fiscal_year": year, "lines": lines, "targets": targets}
        bid = post(client, "/budgets", body, FINANCE)["id"]
        post(client, f"/budgets/{bid}/submit", {}, FINANCE)
        post(client, f"/budgets/{bid}/approve", {}, EXECUTIVE)
        plan = {
            "fiscal_year": year,
            "strategies": {"price": "premium"},
            "targets": [{"period": "Q4", "market_share": 100, "customer_count": MAX_COUNT}],
        }
        pid = post(client, "/marketing-plans", plan, MARKETING)["id"]
        post(client, f"/marketing-plans/{pid}/submit", {}, MARKETING)
        post(client, f"/marketing-plans/{pid}/approve", {}, EXECUTIVE)
        assert ok(client.get(f"/reports/budgets/{bid}", headers=AUDITOR))["fiscal_year"] == year
    every_read_model_folds(client)
