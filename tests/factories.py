"""Givens made through the application: a customer, a draft contract, an employee."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from tests.conftest import as_, unique

SALES = as_("sam", "sales")
HR = as_("harriet", "hr")


def customer(app, *, region="north", lost=False) -> UUID:
    """A fresh company lead with an email contact, registered by sales; marked lost if asked."""
    cid = app.register_lead(
        SALES,
        name=unique(),
        kind="company",
        source="web",
        region=region,
        contacts=[{"name": "Bob", "phone": None, "email": f"{uuid4().hex[:8]}@x.cn"}],
    ).id
    if lost:
        app.mark_customer_lost(SALES, cid, "went quiet")
    return cid


def contract(app, customer_id) -> UUID:
    """A draft contract of one line for the customer."""
    return app.draft_contract(
        SALES,
        customer_id=customer_id,
        channel="direct",
        lines=[
            {
                "sku": "AD-1",
                "quantity": 1,
                "unit_price": Decimal("100"),
                "unit_cost": Decimal("40"),
            }
        ],
        payment_term_days=30,
        delivery_due_on=date.today() + timedelta(days=30),
    ).id


def employee(app, hire=True, terminate=False) -> str:
    """An employee id: hired (active), or only a candidate, or hired and terminated."""
    eid = app.register_candidate(
        HR, name=unique("Agent"), position="Service agent", department="service"
    ).id
    if hire:
        app.record_interview(HR, eid, kind="interview", result="pass", score=80)
        app.record_interview(HR, eid, kind="background_check", result="pass")
        app.hire_employee(
            HR,
            eid,
            hired_on=datetime.now(UTC).date(),
            position="Service agent",
            department="service",
        )
    if terminate:
        app.terminate_employee(HR, eid, reason="left", on=datetime.now(UTC).date())
    return str(eid)
