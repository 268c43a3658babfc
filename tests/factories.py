"""Givens made through the application: a customer, a draft contract, an employee."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from application.commands.contracts import DraftContract
from application.commands.customers import MarkCustomerLost, RegisterLead
from application.commands.employees import (
    HireEmployee,
    RecordInterview,
    RegisterCandidate,
    TerminateEmployee,
)
from tests.conftest import as_, unique

SALES = as_("sam", "sales")
HR = as_("harriet", "hr")


def customer(app, *, region="north", lost=False) -> UUID:
    """A fresh company lead with an email contact, registered by sales; marked lost if asked."""
    cid = app.handle(
        SALES,
        RegisterLead(
            name=unique(),
            kind="company",
            source="web",
            region=region,
            contacts=[{"name": "Bob", "phone": None, "email": f"{uuid4().hex[:8]}@x.cn"}],
        ),
    ).id
    if lost:
        app.handle(SALES, MarkCustomerLost(cid, "went quiet"))
    return cid


def contract(app, customer_id) -> UUID:
    """A draft contract of one line for the customer."""
    return app.handle(
        SALES,
        DraftContract(
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
        ),
    ).id


def employee(app, hire=True, terminate=False) -> str:
    """An employee id: hired (active), or only a candidate, or hired and terminated."""
    eid = app.handle(
        HR, RegisterCandidate(name=unique("Agent"), position="Service agent", department="service")
    ).id
    if hire:
        app.handle(HR, RecordInterview(eid, kind="interview", result="pass", score=80))
        app.handle(HR, RecordInterview(eid, kind="background_check", result="pass"))
        app.handle(
            HR,
            HireEmployee(
                eid,
                hired_on=datetime.now(UTC).date(),
                position="Service agent",
                department="service",
            ),
        )
    if terminate:
        app.handle(HR, TerminateEmployee(eid, reason="left", on=datetime.now(UTC).date()))
    return str(eid)
