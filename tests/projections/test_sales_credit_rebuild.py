"""Property: after any sequence of contract and credit commands, the live sales and credit
read models equal a rebuild from the events, and the sales figures add up."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from application.commands.contracts import (
    AmendContract,
    ApproveContractReview,
    DraftContract,
    IssueInvoice,
    RecordDelivery,
    RecordPayment,
    SignContract,
    SubmitContract,
    TerminateContract,
    WriteOff,
)
from application.commands.customers import (
    AssessCredit,
    PlaceCreditHold,
    RegisterGuarantee,
    RegisterLead,
    ReleaseCreditHold,
    UpdateProfile,
)
from domain.errors import DomainError
from projections.runner import READ_MODELS, verify
from tests.conftest import as_, unique

ADMIN = as_("ada", "admin")
SALES = as_("sam", "sales")
LEGAL = as_("lee", "legal")
FINANCE = as_("fiona", "finance")
MANAGER = as_("mia", "sales_manager")


def days_ago(n: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=n)


OPERATIONS = {
    "deliver": lambda app, k, c, n: app.handle(MANAGER, RecordDelivery(k, {"A": 1 + n % 2})),
    "deliver_b": lambda app, k, c, n: app.handle(MANAGER, RecordDelivery(k, {"B": 1})),
    "invoice": lambda app, k, c, n: app.handle(
        FINANCE, IssueInvoice(k, Decimal(f"{37 + n}.{n:02d}"), days_ago(n % 20))
    ),
    "pay": lambda app, k, c, n: app.handle(
        FINANCE, RecordPayment(k, Decimal(f"{11 + n}.0{n % 10}"), days_ago(n % 10), f"ref-{k}-{n}")
    ),
    "write_off": lambda app, k, c, n: app.handle(
        FINANCE, WriteOff(k, Decimal(f"{3 + n}.33"), "bad")
    ),
    "terminate": lambda app, k, c, n: app.handle(FINANCE, TerminateContract(k, "ended")),
    "hold": lambda app, k, c, n: app.handle(FINANCE, PlaceCreditHold(c, "check")),
    "release": lambda app, k, c, n: app.handle(FINANCE, ReleaseCreditHold(c)),
    "guarantee": lambda app, k, c, n: app.handle(
        FINANCE, RegisterGuarantee(c, amount=Decimal(100 + n), kind="bank", expires_on=days_ago(-n))
    ),
    "assess": lambda app, k, c, n: app.handle(
        FINANCE,
        AssessCredit(
            c,
            rating="ABCD"[n % 4],
            score=n,
            credit_limit=Decimal(5000 + n * 100),
            max_payment_term_days=30,
            guarantee_required=False,
            valid_until=days_ago(-30 - n),
            basis="property",
        ),
    ),
    "rename": lambda app, k, c, n: app.handle(ADMIN, UpdateProfile(c, {"name": unique()})),
}

steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 2), st.integers(0, 40)),
    min_size=1,
    max_size=25,
)


def signed_contract(app, customer, n: int):
    contract = app.handle(
        SALES,
        DraftContract(
            customer_id=customer,
            channel=["direct", "online", "agent"][n % 3],
            lines=[
                {"sku": "A", "quantity": 3, "unit_price": "70.01", "unit_cost": "20.00"},
                {"sku": "B", "quantity": 2, "unit_price": "33.33", "unit_cost": "30.00"},
            ],
            payment_term_days=[0, 10, 30][n % 3],
            delivery_due_on=days_ago(-10),
        ),
    ).id
    if n == 2:
        app.handle(SALES, AmendContract(contract, {"region": None, "owner_id": "sue"}))
    app.handle(MANAGER, SubmitContract(contract))
    app.handle(LEGAL, ApproveContractReview(contract, "legal"))
    app.handle(FINANCE, ApproveContractReview(contract, "finance"))
    app.handle(MANAGER, SignContract(contract, days_ago(5 * n)))
    return contract


@settings(max_examples=8, deadline=None)
@given(steps=steps)
def test_live_sales_and_credit_equal_a_rebuild(services, module_database, steps):
    app, read_side = services.backoffice, services.read_side
    customers = []
    for _ in range(2):
        customer = app.handle(
            SALES,
            RegisterLead(name=unique(), kind="company", source="web", region="north", contacts=[]),
        ).id
        OPERATIONS["assess"](app, None, customer, 10)
        customers.append(customer)
    contracts = [(signed_contract(app, customers[n % 2], n), customers[n % 2]) for n in range(3)]
    for operation, which, n in steps:
        contract, customer = contracts[which]
        # A refused command writes nothing, which is part of the property.
        with contextlib.suppress(DomainError):
            OPERATIONS[operation](app, contract, customer, n)
    for name in ("sales", "credit"):
        assert read_side.wait(name, app.max_position(), timeout=10)
        spec = READ_MODELS[name]
        assert verify(app, spec, module_database.env(), module_database.dialect) == []
    # Per sku, per customer and in total, the sales figures are the same money.
    view = read_side.view("sales")
    [total] = view.report([])
    for keys in (["sku"], ["customer"], ["month", "channel", "owner"]):
        rows = view.report(keys)
        for figure in ("revenue", "invoiced", "collected", "written_off"):
            assert sum(Decimal(r[figure]) for r in rows) == Decimal(total[figure])
