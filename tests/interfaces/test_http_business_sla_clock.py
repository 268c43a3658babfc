"""Complaints received under the business SLA clock (MOPS_SLA_CLOCK=business), over HTTP
on SQLite and PostgreSQL: the deadlines shown are the ones worked out by hand in working
hours of the calendar of the settings (Mon-Fri, 09:00-18:00, Asia/Shanghai, a holiday),
and a deployment with another clock later shows the same stamped deadlines."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from interfaces.bootstrap import build
from interfaces.http.app import create_app
from interfaces.settings import Settings
from tests.conftest import bearer
from tests.factories import customer

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICE = bearer("sue", "service")
AUDITOR = bearer("audrey", "auditor")


def last_friday() -> datetime:
    """The latest Friday before today (Shanghai), at midnight there."""
    today = datetime.now(SHANGHAI).date()
    friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
    return datetime.combine(friday, time(0), tzinfo=SHANGHAI)


def at(day: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """A local wall-clock time some days after a local midnight."""
    return day + timedelta(days=days, hours=hour, minutes=minute)


def received(client: TestClient, customer_id: object, severity: str, when: datetime) -> str:
    body = {
        "customer_id": str(customer_id),
        "channel": "hotline",
        "category": "delivery",
        "severity": severity,
        "description": "the booth arrived after the fair opened",
        "occurred_at": when.isoformat(),
    }
    answer = client.post("/complaints", json=body, headers=SERVICE)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def deadlines(client: TestClient, kid: str) -> tuple[datetime, datetime]:
    got = client.get(f"/complaints/{kid}", headers=AUDITOR)
    assert got.status_code == 200, got.text
    body = got.json()
    return datetime.fromisoformat(body["respond_by"]), datetime.fromisoformat(body["resolve_by"])


def test_friday_evening_complaints_are_due_in_working_hours_across_a_holiday(
    module_database, monkeypatch
):
    friday = last_friday()
    tuesday = friday + timedelta(days=4)  # the holiday: Tuesday after the Friday
    for name, value in {
        "MOPS_SLA_CLOCK": "business",
        "MOPS_BUSINESS_DAYS": "Mon-Fri",
        "MOPS_BUSINESS_HOURS": "09:00-18:00",
        "MOPS_TIMEZONE": "Asia/Shanghai",
        "MOPS_HOLIDAYS": f"2026-01-01, {tuesday.date().isoformat()}",
        "MOPS_BACKDATING_DAYS": "14",
    }.items():
        monkeypatch.setenv(name, value)
    settings = module_database.settings()
    assert (settings.sla_clock, settings.holidays.endswith(tuesday.date().isoformat())) == (
        "business",
        True,
    )
    services = build(settings, run_projections=False)
    try:
        cid = customer(services.backoffice)
        with TestClient(create_app(services=services)) as client:
            critical = received(client, cid, "critical", at(friday, 0, 19, 30))
            high = received(client, cid, "high", at(friday, 0, 17))
            # Critical (2 h to answer, 24 to resolve), received Friday 19:30, after closing:
            # answered by Monday 11:00; resolved with Monday's 9 h, the Tuesday holiday
            # off, Wednesday's 9 and 6 on Thursday: Thursday 15:00.
            assert deadlines(client, critical) == (at(friday, 3, 11), at(friday, 6, 15))
            # High (8 h, 72 h), received Friday 17:00: 1 h on Friday + 7 on Monday, Monday
            # 16:00. 72 h: Fri 1, Mon 10, (Tue off) Wed 19, Thu 28, Fri 37, Mon 46, Tue 55,
            # Wed 64, and 8 on the next Thursday: 17:00, thirteen days after the Friday.
            assert deadlines(client, high) == (at(friday, 3, 16), at(friday, 13, 17))
    finally:
        services.close()

    # The deadlines were stamped at receipt: a deployment round the clock without the
    # holiday shows the same ones, while its own new complaint is due 2 hours after.
    monkeypatch.setenv("MOPS_SLA_CLOCK", "24x7")
    monkeypatch.setenv("MOPS_HOLIDAYS", "")
    round_the_clock = build(module_database.settings(), run_projections=False)
    try:
        with TestClient(create_app(services=round_the_clock)) as client:
            assert deadlines(client, critical) == (at(friday, 3, 11), at(friday, 6, 15))
            later = received(client, cid, "critical", at(friday, 0, 19, 30))
            assert deadlines(client, later) == (at(friday, 0, 21, 30), at(friday, 1, 19, 30))
    finally:
        round_the_clock.close()


def test_the_settings_refuse_an_unknown_sla_clock(monkeypatch):
    monkeypatch.setenv("MOPS_SLA_CLOCK", "office")
    try:
        Settings(database_url="sqlite:///unused.db", jwt_secret="x" * 32)
    except ValueError as refused:
        assert "sla_clock" in str(refused)
    else:
        raise AssertionError("MOPS_SLA_CLOCK=office was accepted")
