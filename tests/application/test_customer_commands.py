"""Customer commands through the application, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from application.backoffice import Backoffice, Request
from application.commands.customers import (
    AssessCredit,
    AssignCustomerOwner,
    AwardPoints,
    EnrollMembership,
    MarkCustomerLost,
    PlaceCreditHold,
    QualifyCustomer,
    RecordFollowUp,
    RecordSatisfaction,
    RedeemPoints,
    RegisterGuarantee,
    RegisterLead,
    ReleaseCreditHold,
    ReleaseGuarantee,
    ReopenCustomer,
    UpdateProfile,
)
from domain.customer import Customer
from domain.errors import DomainError
from tests.conftest import as_, refused, unique

SALES = as_("sam", "sales")
FINANCE = as_("fiona", "finance")
SERVICE = as_("sue", "service")
MANAGER = as_("mia", "sales_manager")


def register(app, name=None, phone=None, **fields):
    return app.handle(
        SALES,
        RegisterLead(
            name=name or unique(),
            kind="company",
            source="web",
            contacts=[
                {
                    "name": "Bob",
                    "phone": phone or uuid4().hex[:10].translate(str.maketrans("abcdef", "123456")),
                    "email": None,
                }
            ],
            **fields,
        ),
    )


def test_every_customer_command_is_stored_with_actor_and_times(app):
    outcome = register(app, region="north", tags=["vip"])
    cid = outcome.id
    steps = [
        lambda: app.handle(SALES, UpdateProfile(cid, {"industry": "retail"})),
        lambda: app.handle(MANAGER, AssignCustomerOwner(cid, "sam2")),
        lambda: app.handle(SALES, QualifyCustomer(cid)),
        lambda: app.handle(
            SALES,
            RecordFollowUp(
                cid,
                kind="call",
                notes="hello",
                occurred_at=datetime.now(UTC) - timedelta(hours=3),
                next_follow_up_on=date.today() + timedelta(days=3),
            ),
        ),
        lambda: app.handle(
            FINANCE,
            AssessCredit(
                cid,
                rating="A",
                score=90,
                credit_limit=Decimal("100000"),
                max_payment_term_days=60,
                guarantee_required=False,
                valid_until=date.today() + timedelta(days=365),
                basis="audited accounts",
            ),
        ),
        lambda: app.handle(FINANCE, PlaceCreditHold(cid, "late")),
        lambda: app.handle(FINANCE, ReleaseCreditHold(cid)),
        lambda: app.handle(
            FINANCE,
            RegisterGuarantee(
                cid,
                amount=Decimal("5000"),
                kind="bank",
                expires_on=date.today() + timedelta(days=90),
            ),
        ),
        lambda: app.handle(SERVICE, EnrollMembership(cid, "gold")),
        lambda: app.handle(SERVICE, AwardPoints(cid, 300, "order")),
        lambda: app.handle(SERVICE, RedeemPoints(cid, 120, "voucher")),
        lambda: app.handle(SERVICE, RecordSatisfaction(cid, 4, "survey")),
        lambda: app.handle(SALES, MarkCustomerLost(cid, "went quiet")),
        lambda: app.handle(SALES, ReopenCustomer(cid)),
    ]
    for version, step in enumerate(steps, start=2):
        result = step()
        assert (result.id, result.version) == (cid, version)
        assert result.position == app.max_position()
    guarantee_id = app.get(cid, Customer).guarantees.popitem()[0]
    app.handle(FINANCE, ReleaseGuarantee(cid, guarantee_id))
    customer = app.get(cid, Customer)
    assert customer.version == len(steps) + 2
    assert (customer.status, customer.points, customer.owner_id) == ("lead", 180, "sam2")
    events = list(app.events.get(cid))
    assert {e.actor for e in events} == {"sam", "mia", "fiona", "sue"}
    follow_up = next(e for e in events if isinstance(e, Customer.FollowUpRecorded))
    assert follow_up.occurred_at < follow_up.timestamp - timedelta(hours=2)


def test_refusals_answer_their_code_and_store_nothing(app):
    cid = register(app).id
    refused(app, "invalid_state", lambda: app.handle(SALES, ReopenCustomer(cid)))
    refused(app, "validation_error", lambda: app.handle(SALES, MarkCustomerLost(cid, "  ")))
    refused(app, "invalid_state", lambda: app.handle(FINANCE, ReleaseCreditHold(cid)))
    refused(app, "invalid_state", lambda: app.handle(SERVICE, AwardPoints(cid, 5, "x")))
    refused(app, "not_found", lambda: app.handle(FINANCE, ReleaseGuarantee(cid, uuid4())))
    refused(app, "not_found", lambda: app.handle(SALES, QualifyCustomer(uuid4())))
    assessment = AssessCredit(
        cid,
        rating="A",
        score=90,
        credit_limit=Decimal("1000"),
        max_payment_term_days=30,
        guarantee_required=False,
        valid_until=date.today(),
        basis="x",
    )
    refused(app, "forbidden", lambda: app.handle(SALES, assessment))
    refused(app, "forbidden", lambda: app.handle(as_("audrey", "auditor"), QualifyCustomer(cid)))
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            SALES,
            RecordFollowUp(
                cid, kind="call", notes="x", occurred_at=datetime.now(UTC) - timedelta(days=40)
            ),
        ),
    )
    app.handle(SERVICE, EnrollMembership(cid, "silver"))
    app.handle(SERVICE, AwardPoints(cid, 10, "x"))
    refused(app, "insufficient_points", lambda: app.handle(SERVICE, RedeemPoints(cid, 11, "mug")))
    refused(
        app,
        "validation_error",
        lambda: app.handle(
            FINANCE,
            AssessCredit(
                cid,
                rating="A",
                score=101,
                credit_limit=Decimal("1"),
                max_payment_term_days=1,
                guarantee_required=False,
                valid_until=date.today(),
                basis="x",
            ),
        ),
    )


def test_a_duplicate_lead_is_refused_with_the_existing_id(app):
    name = unique()
    first = register(app, name=name, phone="+86 139 1111 2222")
    refusal = refused(
        app,
        "duplicate_customer",
        lambda: register(app, name=f"  {name.upper()} ", phone="86-139-1111-2222"),
    )
    assert refusal.facts["existing_id"] == str(first.id)
    # Same name with another phone is another customer.
    register(app, name=name, phone="+86 139 9999 0000")


def test_a_profile_change_onto_another_customers_identity_is_refused(app):
    taken = register(app, name=unique(), phone="5550001")
    mine = register(app, name=unique(), phone="5550001")
    taken_name = app.get(taken.id, Customer).name
    refusal = refused(
        app,
        "duplicate_customer",
        lambda: app.handle(SALES, UpdateProfile(mine.id, {"name": taken_name})),
    )
    assert refusal.facts["existing_id"] == str(taken.id)
    # Renaming frees the old identity for someone else.
    old_name = app.get(mine.id, Customer).name
    app.handle(SALES, UpdateProfile(mine.id, {"name": unique()}))
    register(app, name=old_name, phone="5550001")


def test_a_stale_expected_version_is_a_conflict(app):
    cid = register(app).id
    stale = replace(SALES, expected_version=5)
    refused(app, "version_conflict", lambda: app.handle(stale, QualifyCustomer(cid)))
    assert app.handle(replace(SALES, expected_version=1), QualifyCustomer(cid)).version == 2


def test_an_idempotent_retry_writes_once_and_a_reused_key_is_refused(app):
    key = Request(SALES.caller, idempotency_key=uuid4().hex, fingerprint="body-1")
    name = unique()
    first = register_with(app, key, name)
    position = app.max_position()
    again = register_with(app, key, name)
    assert (again.id, again.version) == (first.id, first.version)
    assert app.max_position() == position
    other = replace(key, fingerprint="body-2")
    refused(app, "idempotency_key_reused", lambda: register_with(app, other, unique()))
    # Keys belong to their subject: another subject may use the same key.
    mine = replace(key, caller=as_("sara", "sales").caller)
    assert register_with(app, mine, unique()).id != first.id


def register_with(app, request, name):
    return app.handle(
        request,
        RegisterLead(
            name=name,
            kind="person",
            source="phone",
            contacts=[{"name": name, "phone": None, "email": None}],
        ),
    )


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_writers_on_one_customer_lose_nothing(app, threads):
    cid = register(app).id
    app.handle(SERVICE, EnrollMembership(cid, "gold"))
    awards = 10
    failures = []

    def award():
        for _ in range(awards):
            try:
                app.handle(SERVICE, AwardPoints(cid, 1, "race"))
            except DomainError as error:
                failures.append(error.code)

    workers = [threading.Thread(target=award) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    customer = app.get(cid, Customer)
    # A writer that loses every retry is answered version_conflict, never silently dropped.
    assert set(failures) <= {"version_conflict"}
    succeeded = threads * awards - len(failures)
    assert customer.points == succeeded
    assert customer.version == 2 + succeeded
    assert succeeded >= awards


def test_two_simultaneous_registrations_of_one_identity_make_one_customer(app):
    name, phone = unique(), "777123456"
    barrier = threading.Barrier(4)
    results, refusals = [], []

    def attempt():
        barrier.wait()
        try:
            results.append(register(app, name=name, phone=phone).id)
        except DomainError as error:
            refusals.append(error.code)

    workers = [threading.Thread(target=attempt) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(results) == 1
    assert refusals == ["duplicate_customer"] * 3


def test_state_as_of_a_version_and_a_recording_time(app):
    cid = register(app).id
    app.handle(SALES, QualifyCustomer(cid))
    between = datetime.now(UTC)
    app.handle(SALES, MarkCustomerLost(cid, "budget"))
    assert app.get(cid, Customer, version=1).status == "lead"
    assert app.get(cid, Customer, version=2).status == "prospect"
    assert app.get(cid, Customer, as_of=between).status == "prospect"
    assert app.get(cid, Customer).status == "lost"
    with pytest.raises(DomainError) as missing:
        app.get(cid, Customer, version=9)
    assert missing.value.code == "not_found"
    with pytest.raises(DomainError) as before:
        app.get(cid, Customer, as_of=between - timedelta(days=1))
    assert before.value.code == "not_found"


def test_a_long_history_replays_from_snapshots(app):
    cid = register(app).id
    app.handle(SERVICE, EnrollMembership(cid, "gold"))
    for _ in range(120):
        app.handle(SERVICE, AwardPoints(cid, 1, "loyal"))
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(cid))
    assert [s.originator_version for s in snapshots] == [50, 100]
    assert app.get(cid, Customer).points == 120
    assert app.get(cid, Customer, version=75).points == 73


def test_as_of_finds_the_version_recorded_by_each_moment(app):
    cid = register(app).id
    app.handle(SERVICE, EnrollMembership(cid, "gold"))
    moments = {}
    for points in range(1, 12):
        app.handle(SERVICE, AwardPoints(cid, 1, "loyal"))
        moments[points] = datetime.now(UTC)
    for points, moment in moments.items():
        customer = app.get(cid, Customer, as_of=moment)
        assert (customer.points, customer.version) == (points, points + 2)


@pytest.mark.parametrize(
    ("setup", "refusal", "code"),
    [
        (["qualify"], lambda app, cid: app.handle(SALES, QualifyCustomer(cid)), "invalid_state"),
        (
            ["lost"],
            lambda app, cid: app.handle(SALES, MarkCustomerLost(cid, "again")),
            "invalid_state",
        ),
        ([], lambda app, cid: app.handle(SALES, ReopenCustomer(cid)), "invalid_state"),
        (
            ["hold"],
            lambda app, cid: app.handle(FINANCE, PlaceCreditHold(cid, "again")),
            "invalid_state",
        ),
        (
            ["gold"],
            lambda app, cid: app.handle(SERVICE, EnrollMembership(cid, "gold")),
            "invalid_state",
        ),
        ([], lambda app, cid: app.handle(SERVICE, RedeemPoints(cid, 1, "mug")), "invalid_state"),
        ([], lambda app, cid: app.handle(SALES, UpdateProfile(cid, {})), "validation_error"),
        (
            [],
            lambda app, cid: app.handle(MANAGER, AssignCustomerOwner(cid, " ")),
            "validation_error",
        ),
        (
            [],
            lambda app, cid: app.handle(SERVICE, RecordSatisfaction(cid, 0, "survey")),
            "validation_error",
        ),
        (
            [],
            lambda app, cid: app.handle(SALES, RecordFollowUp(cid, kind="fax", notes="x")),
            "validation_error",
        ),
        (
            [],
            lambda app, cid: app.handle(
                FINANCE,
                RegisterGuarantee(
                    cid, amount=Decimal("100"), kind="bank", expires_on=date(2020, 1, 1)
                ),
            ),
            "validation_error",
        ),
        ([], lambda app, cid: app.handle(SALES, AssignCustomerOwner(cid, "sam")), "forbidden"),
    ],
)
def test_each_refusal_stores_nothing(app, setup, refusal, code):
    cid = register(app).id
    for step in setup:
        {
            "qualify": lambda: app.handle(SALES, QualifyCustomer(cid)),
            "lost": lambda: app.handle(SALES, MarkCustomerLost(cid, "price")),
            "hold": lambda: app.handle(FINANCE, PlaceCreditHold(cid, "late")),
            "gold": lambda: app.handle(SERVICE, EnrollMembership(cid, "gold")),
        }[step]()
    version = app.get(cid, Customer).version
    refused(app, code, lambda: refusal(app, cid))
    assert app.get(cid, Customer).version == version


def test_idempotency_keys_survive_a_restart(database):
    key = Request(SALES.caller, idempotency_key=uuid4().hex, fingerprint="same")
    name = unique()
    first_app = Backoffice(database.env())
    try:
        first = register_with(first_app, key, name)
    finally:
        first_app.close()
    restarted = Backoffice(database.env())
    try:
        position = restarted.max_position()
        again = register_with(restarted, key, name)
        assert (again.id, again.version) == (first.id, first.version)
        assert restarted.max_position() == position
    finally:
        restarted.close()


def test_a_lead_from_an_unknown_campaign_is_refused(app):
    err = refused(
        app,
        "validation_error",
        lambda: app.handle(
            SALES,
            RegisterLead(
                name=unique(), kind="company", source="campaign", campaign_id=uuid4(), contacts=[]
            ),
        ),
    )
    assert err.errors[0]["field"] == "campaign_id"
