"""Customer rules, in memory."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from application.backoffice import Backoffice
from domain.customer import Customer, CustomerIdentity, identity_keys
from domain.values import normalise_name, phone_digits
from tests.domain.stored_events import business_fields, store_v1, stored_state
from tests.gwt import NOW, cause, given, then_events, then_refused


def lead(**overrides) -> Customer:
    fields = {
        "id": uuid4(),
        "name": "Acme Trading",
        "kind": "company",
        "source": "web",
        "contacts": [{"name": "Bob", "phone": "+86 138-0000", "email": "Bob@Acme.cn"}],
    }
    fields.update(overrides)
    return Customer.register(cause(), **fields)


def test_registering_a_lead_records_who_and_when():
    customer = lead()
    [registered] = customer.collect_events()
    assert isinstance(registered, Customer.Registered)
    assert registered.actor == "alice"
    assert registered.occurred_at == NOW == registered.timestamp
    assert customer.status == "lead"
    assert customer.owner_id == "alice"


def test_owner_defaults_to_the_registering_actor_unless_named():
    assert lead(owner_id="bob").owner_id == "bob"


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "  "), ("kind", "robot"), ("source", "tv")],
)
def test_registering_with_bad_fields_is_a_validation_error(field, value):
    with pytest.raises(Exception) as refusal:
        lead(**{field: value})
    assert refusal.value.code == "validation_error"
    assert refusal.value.errors[0]["field"] == field


def test_a_campaign_lead_needs_its_campaign_and_only_it_has_one():
    with pytest.raises(Exception) as missing:
        lead(source="campaign")
    assert missing.value.code == "validation_error"
    with pytest.raises(Exception) as stray:
        lead(source="web", campaign_id=uuid4())
    assert stray.value.code == "validation_error"
    assert lead(source="campaign", campaign_id=uuid4()).source == "campaign"


def test_qualify_moves_a_lead_to_prospect_only():
    customer = given(lead)
    [event] = then_events(customer, lambda c: c.qualify(cause()))
    assert isinstance(event, Customer.Qualified)
    assert customer.status == "prospect"
    then_refused(customer, lambda c: c.qualify(cause()), "invalid_state")


def test_lost_and_reopen_follow_the_state_machine():
    customer = given(lead, lambda c: c.qualify(cause()))
    then_refused(customer, lambda c: c.reopen(cause()), "invalid_state")
    then_events(customer, lambda c: c.mark_lost(cause(), "price"))
    assert (customer.status, customer.lost_reason) == ("lost", "price")
    then_refused(customer, lambda c: c.mark_lost(cause(), "again"), "invalid_state")
    then_events(customer, lambda c: c.reopen(cause()))
    assert customer.status == "lead"


def test_marking_lost_needs_a_reason():
    then_refused(given(lead), lambda c: c.mark_lost(cause(), " "), "validation_error")


def test_follow_up_may_be_back_dated_within_the_window_only():
    customer = given(lead)
    yesterday = NOW - timedelta(days=1)
    [event] = then_events(
        customer,
        lambda c: c.record_follow_up(
            cause(),
            kind="call",
            notes="intro",
            occurred_at=yesterday,
            next_follow_up_on=date(2026, 6, 20),
        ),
    )
    assert event.occurred_at == yesterday
    assert event.timestamp == NOW
    assert customer.last_contact_at == yesterday
    too_old = NOW - timedelta(days=32)
    then_refused(
        customer,
        lambda c: c.record_follow_up(cause(), kind="call", notes="x", occurred_at=too_old),
        "validation_error",
    )
    future = NOW + timedelta(minutes=5)
    then_refused(
        customer,
        lambda c: c.record_follow_up(cause(), kind="call", notes="x", occurred_at=future),
        "validation_error",
    )


def test_the_latest_follow_up_by_business_time_sets_the_next_date():
    customer = given(lead)
    customer.record_follow_up(cause(), kind="call", notes="a", next_follow_up_on=date(2026, 7, 1))
    customer.record_follow_up(
        cause(),
        kind="visit",
        notes="older",
        occurred_at=NOW - timedelta(days=3),
        next_follow_up_on=date(2026, 6, 16),
    )
    assert customer.next_follow_up_on == date(2026, 7, 1)
    customer.record_follow_up(cause(), kind="email", notes="no next")
    assert customer.next_follow_up_on is None
    assert customer.follow_ups == 3


def assessment(**overrides):
    fields = {
        "rating": "B",
        "score": 72,
        "credit_limit": Decimal("50000"),
        "max_payment_term_days": 45,
        "guarantee_required": False,
        "valid_until": date(2027, 6, 30),
        "basis": "statements",
    }
    fields.update(overrides)
    return fields


def test_a_new_assessment_replaces_the_previous_one():
    customer = given(lead, lambda c: c.assess_credit(cause(), **assessment()))
    then_events(customer, lambda c: c.assess_credit(cause("fiona"), **assessment(rating="A")))
    assert customer.credit["rating"] == "A"
    assert customer.credit["credit_limit"] == Decimal("50000.00")
    assert customer.credit["assessed_by"] == "fiona"


@pytest.mark.parametrize(
    "bad",
    [
        {"score": 101},
        {"score": -1},
        {"rating": "E"},
        {"credit_limit": Decimal("-1")},
        {"credit_limit": Decimal("1.005")},
        {"credit_limit": Decimal("1e20")},
        {"valid_until": date(2026, 6, 1)},
        {"basis": ""},
    ],
)
def test_bad_assessments_are_refused(bad):
    then_refused(
        given(lead), lambda c: c.assess_credit(cause(), **assessment(**bad)), "validation_error"
    )


def test_credit_hold_is_placed_and_released_once():
    customer = given(lead)
    then_events(customer, lambda c: c.place_credit_hold(cause(), "late payer"))
    assert customer.on_hold
    then_refused(customer, lambda c: c.place_credit_hold(cause(), "again"), "invalid_state")
    then_events(customer, lambda c: c.release_credit_hold(cause()))
    then_refused(customer, lambda c: c.release_credit_hold(cause()), "invalid_state")


def test_guarantees_count_until_released_or_expired():
    customer = given(lead)
    first, second = uuid4(), uuid4()
    customer.register_guarantee(
        cause(),
        guarantee_id=first,
        amount=Decimal("1000"),
        kind="bank",
        expires_on=date(2026, 12, 31),
    )
    customer.register_guarantee(
        cause(),
        guarantee_id=second,
        amount=Decimal("500"),
        kind="deposit",
        expires_on=date(2026, 7, 1),
    )
    assert customer.unexpired_guarantees(date(2026, 6, 30)) == Decimal("1500.00")
    assert customer.unexpired_guarantees(date(2026, 7, 2)) == Decimal("1000.00")
    customer.release_guarantee(cause(), first)
    assert customer.unexpired_guarantees(date(2026, 6, 30)) == Decimal("500.00")
    customer.collect_events()
    then_refused(customer, lambda c: c.release_guarantee(cause(), first), "invalid_state")
    then_refused(customer, lambda c: c.release_guarantee(cause(), uuid4()), "not_found")


@pytest.mark.parametrize(
    ("amount", "expires_on"),
    [(Decimal("0"), date(2027, 1, 1)), (Decimal("10"), date(2026, 6, 14))],
)
def test_bad_guarantees_are_refused(amount, expires_on):
    then_refused(
        given(lead),
        lambda c: c.register_guarantee(
            cause(), guarantee_id=uuid4(), amount=amount, kind="bank", expires_on=expires_on
        ),
        "validation_error",
    )


def test_points_need_membership_and_never_go_negative():
    customer = given(lead)
    then_refused(customer, lambda c: c.award_points(cause(), 10, "buy"), "invalid_state")
    customer.enroll_membership(cause(), "gold")
    customer.award_points(cause(), 100, "purchase")
    customer.collect_events()
    refusal = then_refused(
        customer, lambda c: c.redeem_points(cause(), 101, "mug"), "insufficient_points"
    )
    assert refusal.facts == {"balance": 100, "requested": 101}
    then_events(customer, lambda c: c.redeem_points(cause(), 100, "mug"))
    assert customer.points == 0
    then_refused(customer, lambda c: c.award_points(cause(), 0, "x"), "validation_error")
    then_refused(customer, lambda c: c.enroll_membership(cause(), "gold"), "invalid_state")


@hypothesis_given(st.lists(st.tuples(st.booleans(), st.integers(1, 300)), max_size=30))
def test_points_balance_is_never_negative(moves):
    customer = given(lead, lambda c: c.enroll_membership(cause(), "silver"))
    for award, points in moves:
        try:
            if award:
                customer.award_points(cause(), points, "buy")
            else:
                customer.redeem_points(cause(), points, "gift")
        except Exception as refusal:
            assert refusal.code == "insufficient_points"
        assert customer.points >= 0


def test_satisfaction_is_one_to_five():
    customer = given(lead)
    then_events(customer, lambda c: c.record_satisfaction(cause(), 5, "survey"))
    then_refused(
        customer, lambda c: c.record_satisfaction(cause(), 6, "survey"), "validation_error"
    )


def test_profile_update_needs_a_change():
    customer = given(lead)
    then_refused(customer, lambda c: c.update_profile(cause()), "validation_error")
    then_events(customer, lambda c: c.update_profile(cause(), region="east", tags=["vip", "vip "]))
    assert (customer.region, customer.tags) == ("east", ["vip"])


def test_a_profile_update_names_its_changed_fields_and_leaves_the_others_none():
    customer = given(lead)
    [updated] = then_events(
        customer, lambda c: c.update_profile(cause(), industry="  ", name=" Acme Holdings ")
    )
    assert updated.changed == ["name", "industry"]
    assert updated.changes == {"name": "Acme Holdings", "industry": None}
    assert (updated.region, updated.contacts, updated.tags) == (None, None, None)
    assert (customer.name, customer.industry, customer.region) == ("Acme Holdings", None, None)


V1_CHANGES = {
    "name": "Acme Holdings",
    "industry": None,
    "contacts": [{"name": "Eve", "phone": None, "email": "eve@acme.cn"}],
}


def test_a_profile_update_stored_as_v1_still_replays(database):
    """v1 stored `changes: {field: value}`; it reads back as the v2 event of that change."""
    writer = Backoffice(database.env())
    customer = lead(industry="retail", region="north", tags=["vip"])
    writer.save(customer)
    v1 = {"timestamp": NOW, "actor": "bob", "occurred_at": NOW, "changes": V1_CHANGES}
    store_v1(writer, Customer.ProfileUpdated, customer.id, 2, v1)
    assert stored_state(writer, customer.id, 2) == v1
    writer.close()

    reader = Backoffice(database.env())
    try:
        loaded = reader.repository.get(customer.id)
        [_, updated] = reader.events.get(customer.id)
    finally:
        reader.close()
    assert loaded.version == 2
    assert (loaded.name, loaded.industry, loaded.region) == ("Acme Holdings", None, "north")
    assert loaded.contacts == V1_CHANGES["contacts"]
    assert loaded.tags == ["vip"]
    assert updated.changes == V1_CHANGES
    today = given(lead)
    today.update_profile(
        cause("bob"), name="Acme Holdings", industry="", contacts=V1_CHANGES["contacts"]
    )
    [recorded_today] = today.collect_events()
    assert business_fields(updated) == business_fields(recorded_today)


def test_a_profile_update_round_trips_as_v2(database):
    writer = Backoffice(database.env())
    customer = lead(industry="retail")
    customer.update_profile(cause(), region="east", industry="", tags=["vip", "key"])
    writer.save(customer)
    state = stored_state(writer, customer.id, 2)
    writer.close()
    assert state["class_version"] == 2
    assert "changes" not in state
    assert state["changed"] == ["industry", "region", "tags"]

    reader = Backoffice(database.env())
    try:
        loaded = reader.repository.get(customer.id)
        [_, updated] = reader.events.get(customer.id)
    finally:
        reader.close()
    assert (loaded.industry, loaded.region, loaded.tags) == (None, "east", ["key", "vip"])
    assert loaded.name == "Acme Trading"
    assert updated.changes == {"industry": None, "region": "east", "tags": ["key", "vip"]}


def test_identity_is_name_normalised_with_phone_digits_or_email():
    keys = identity_keys(
        "  ACME   trading ", [{"name": "x", "phone": "(86) 138-0000", "email": "B@A.cn"}]
    )
    assert keys == {"acme trading|phone:861380000", "acme trading|email:b@a.cn"}
    assert normalise_name("Straße  X") == "strasse x"
    assert phone_digits("+86 (10) 1234") == "86101234"


def test_an_identity_held_by_another_customer_is_a_duplicate():
    first, second = uuid4(), uuid4()
    held = CustomerIdentity.claim(cause(), "acme|phone:1", first, None)
    assert CustomerIdentity.claim(cause(), "acme|phone:1", first, held) is held
    with pytest.raises(Exception) as duplicate:
        CustomerIdentity.claim(cause(), "acme|phone:1", second, held)
    assert duplicate.value.code == "duplicate_customer"
    assert duplicate.value.facts["existing_id"] == str(first)
    held.release(cause())
    assert CustomerIdentity.claim(cause(), "acme|phone:1", second, held).customer_id == second
