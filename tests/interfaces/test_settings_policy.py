"""Business settings reach the domain through the back office's policy."""

from __future__ import annotations

from decimal import Decimal

from interfaces.bootstrap import policy_of
from interfaces.settings import Settings


def test_defaults_are_those_of_the_spec():
    policy = policy_of(Settings())
    assert policy.write_off_limit == Decimal("50000.00")
    assert policy.expense_standards == {
        "entertainment": Decimal("5000.00"),
        "travel": Decimal("20000.00"),
        "office": Decimal("10000.00"),
    }
    assert policy.backdating.days == 31


def test_the_environment_sets_the_write_off_limit_and_the_expense_standards(monkeypatch):
    monkeypatch.setenv("MOPS_WRITE_OFF_LIMIT", "12000.50")
    monkeypatch.setenv("MOPS_EXPENSE_STANDARDS", '{"travel": "800", "event": 3000}')
    monkeypatch.setenv("MOPS_BACKDATING_DAYS", "400")
    policy = policy_of(Settings())
    assert policy.write_off_limit == Decimal("12000.50")
    assert policy.expense_standards == {"travel": Decimal("800"), "event": Decimal("3000")}
    assert policy.backdating.days == 400
