"""Property: whatever commands ran, the live read models equal a rebuild from the events."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from application.commands.customers import (
    AssessCredit,
    AssignCustomerOwner,
    AwardPoints,
    EnrollMembership,
    MarkCustomerLost,
    PlaceCreditHold,
    QualifyCustomer,
    RecordFollowUp,
    RedeemPoints,
    RegisterLead,
    ReleaseCreditHold,
    ReopenCustomer,
    UpdateProfile,
)
from domain.errors import DomainError
from projections.runner import READ_MODELS, verify
from tests.conftest import as_, unique

ADMIN = as_("ada", "admin")

OPERATIONS = {
    "qualify": lambda app, cid, n: app.handle(ADMIN, QualifyCustomer(cid)),
    "lost": lambda app, cid, n: app.handle(ADMIN, MarkCustomerLost(cid, f"reason {n}")),
    "reopen": lambda app, cid, n: app.handle(ADMIN, ReopenCustomer(cid)),
    "rename": lambda app, cid, n: app.handle(
        ADMIN, UpdateProfile(cid, {"name": unique(), "region": f"r{n}"})
    ),
    "owner": lambda app, cid, n: app.handle(ADMIN, AssignCustomerOwner(cid, f"owner-{n % 3}")),
    "assess": lambda app, cid, n: app.handle(
        ADMIN,
        AssessCredit(
            cid,
            rating="ABCD"[n % 4],
            score=n % 101,
            credit_limit=Decimal(n * 100),
            max_payment_term_days=30,
            guarantee_required=False,
            valid_until=date.today() + timedelta(days=30),
            basis="property",
        ),
    ),
    "hold": lambda app, cid, n: app.handle(ADMIN, PlaceCreditHold(cid, "check")),
    "release": lambda app, cid, n: app.handle(ADMIN, ReleaseCreditHold(cid)),
    "member": lambda app, cid, n: app.handle(
        ADMIN, EnrollMembership(cid, ["silver", "gold"][n % 2])
    ),
    "award": lambda app, cid, n: app.handle(ADMIN, AwardPoints(cid, n + 1, "buy")),
    "redeem": lambda app, cid, n: app.handle(ADMIN, RedeemPoints(cid, n + 1, "gift")),
    "follow_up": lambda app, cid, n: app.handle(
        ADMIN, RecordFollowUp(cid, kind="call", notes=f"n{n}")
    ),
}

steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 4), st.integers(0, 50)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=8, deadline=None)
@given(steps=steps)
def test_live_read_models_equal_a_rebuild(services, module_database, steps):
    app, read_side = services.backoffice, services.read_side
    customers = [
        app.handle(ADMIN, RegisterLead(name=unique(), kind="company", source="web", contacts=[])).id
        for _ in range(5)
    ]
    for operation, which, n in steps:
        # A refused command writes nothing, which is part of the property.
        with contextlib.suppress(DomainError):
            OPERATIONS[operation](app, customers[which], n)
    for name, spec in READ_MODELS.items():
        assert read_side.wait(name, app.max_position(), timeout=10)
        assert verify(app, spec, module_database.env(), module_database.dialect) == []
