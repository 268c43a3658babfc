"""The aggregate cache is copy-on-write: loads share a cached state that nothing changes.

A command is lent its aggregates (`application.backoffice.lend`); the first event on one
copies its state first, so a command refused after changing what it loaded leaves the
cache as it was. A query gets a copy of its own. Both databases.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.backoffice import Backoffice, copied_state
from application.commands.contracts import SignContract
from application.commands.customers import RecordFollowUp, RegisterGuarantee, ReleaseGuarantee
from domain.customer import Customer
from domain.values import Cause
from tests import factories
from tests.application.test_contract_commands import MANAGER, TODAY, approved, customer
from tests.conftest import as_, refused

FINANCE = as_("fiona", "finance")
SALES = as_("sam", "sales")


@pytest.fixture
def office(database):
    app = Backoffice(database.env())
    yield app
    app.close()


def cached(app: Backoffice, aggregate_id: UUID) -> Any:
    """The aggregate the cache holds now (never lent out, never changed)."""
    assert app.repository.cache is not None
    return app.repository.cache.get(aggregate_id)


def guaranteed(app: Backoffice) -> tuple[UUID, str]:
    """A customer holding one guarantee; its id and the guarantee's."""
    cid = factories.customer(app)
    outcome = app.handle(
        FINANCE,
        RegisterGuarantee(cid, Decimal("5000"), "bank", date.today() + timedelta(days=90)),
    )
    return cid, outcome.extra["guarantee_id"]


def test_a_load_shares_the_cached_state_until_the_first_change(office):
    cid, guarantee = guaranteed(office)
    lent = office.repository.get(cid)
    before = copy.deepcopy(cached(office, cid))
    assert lent is not cached(office, cid)
    assert lent.guarantees is cached(office, cid).guarantees  # nothing copied on load
    # GuaranteeReleased changes the guarantee's dict in place.
    lent.release_guarantee(Cause("fiona", lent.modified_on + timedelta(seconds=1)), guarantee)
    assert lent.guarantees[guarantee]["released"] is True
    assert lent.guarantees is not cached(office, cid).guarantees
    assert cached(office, cid) == before
    assert office.repository.get(cid).guarantees[guarantee]["released"] is False


def test_a_command_refused_after_changing_what_it_loaded_leaves_the_cache_unchanged(office):
    cid = customer(office, limit="2500")
    first, second = approved(office, cid), approved(office, cid)
    office.handle(MANAGER, SignContract(first, TODAY))
    contract_before = copy.deepcopy(office.repository.cache.get(second))
    customer_before = copy.deepcopy(cached(office, cid))
    # The handler signs the contract (an event on the lent contract), then the credit
    # check on the customer refuses: nothing is saved, and nothing cached changed.
    refused(
        office, "credit_limit_exceeded", lambda: office.handle(MANAGER, SignContract(second, TODAY))
    )
    assert office.repository.cache.get(second) == contract_before
    assert cached(office, cid) == customer_before
    assert office.repository.get(second).status == "approved"
    fresh = Backoffice(office.env)
    try:
        assert office.repository.get(second) == fresh.repository.get(second)
    finally:
        fresh.close()


def test_a_query_gets_a_copy_of_its_own(office):
    cid, guarantee = guaranteed(office)
    mine = office.get(cid, Customer)
    mine.guarantees.popitem()
    mine.tags.append("changed by a reader")
    assert list(office.get(cid, Customer).guarantees) == [guarantee]
    assert office.get(cid, Customer).tags == []


def test_a_saved_decision_is_cached_as_it_stands(office):
    cid = factories.customer(office)
    office.get(cid, Customer)  # cached at version 1
    office.handle(SALES, RecordFollowUp(cid, kind="call", notes="first"))
    published = cached(office, cid)
    assert published.version == 2 and published.follow_ups == 1
    # Nothing newer is stored: the next load lends the same cached state.
    assert office.repository.get(cid).version == 2
    assert cached(office, cid) is published


def test_a_write_elsewhere_publishes_a_new_cached_aggregate_and_lent_ones_keep_theirs(database):
    here, elsewhere = Backoffice(database.env()), Backoffice(database.env())
    try:
        cid, guarantee = guaranteed(here)
        lent: Customer = here.repository.get(cid)
        old = cached(here, cid)
        elsewhere.handle(FINANCE, _release(cid, guarantee))
        assert here.repository.get(cid).guarantees[guarantee]["released"] is True
        assert cached(here, cid) is not old
        assert old.guarantees[guarantee]["released"] is False
        assert lent.guarantees[guarantee]["released"] is False
    finally:
        here.close()
        elsewhere.close()


def _release(cid: UUID, guarantee: str) -> ReleaseGuarantee:
    return ReleaseGuarantee(cid, UUID(guarantee))


def test_a_copy_shares_what_never_changes_and_keeps_what_was_shared_shared():
    entry = {"amount": Decimal("1.00"), "on": date(2026, 1, 1), "id": uuid4()}
    state = {"a": entry, "b": [entry, ("x", entry)], "tags": {"t"}}
    copied = copied_state(state, {})
    assert copied == state
    assert copied["a"] is not entry and copied["b"][0] is copied["a"]
    assert copied["b"][1][1] is copied["a"]
    assert copied["a"]["id"] is entry["id"] and copied["a"]["on"] is entry["on"]
    assert copied["tags"] is not state["tags"]


def test_a_deep_copy_of_a_lent_aggregate_copies_before_its_own_first_change(office):
    cid, guarantee = guaranteed(office)
    lent = office.repository.get(cid)
    twin = copy.deepcopy(lent)
    twin.release_guarantee(Cause("fiona", twin.modified_on + timedelta(seconds=1)), guarantee)
    assert twin.guarantees[guarantee]["released"] is True
    assert lent.guarantees[guarantee]["released"] is False
    assert lent == office.repository.get(cid)
