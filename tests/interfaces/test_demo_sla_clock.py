"""`mops demo --sla-clock business` receives the demo's complaints under the business SLA
clock of the settings; without the option the demo runs round the clock, whatever
MOPS_SLA_CLOCK says."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from application.backoffice import Backoffice
from application.policy import Policy
from domain.calendar import BusinessCalendar, add_working_hours
from domain.complaint import Complaint
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.cli import cli


def _a_recent_weekday() -> date:
    """A working day three weeks back: a holiday inside the demo's two months."""
    day = date.today() - timedelta(days=21)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


HOLIDAY = _a_recent_weekday()
CALENDAR = BusinessCalendar(zone=ZoneInfo("Asia/Shanghai"), holidays=frozenset({HOLIDAY}))


def receipts(database) -> list[Any]:
    app = Backoffice(database.env())
    try:
        received = app.recorder.select_notifications(
            1, 10_000, topics=[get_topic(Complaint.Received)]
        )
        return [next(iter(app.events.get(UUID(str(n.originator_id))))) for n in received]
    finally:
        app.close()


def demo(database, *options: str):
    env = {
        "MOPS_DATABASE_URL": database.url,
        "MOPS_JWT_SECRET": DEV_JWT_SECRET,
        "MOPS_SLA_CLOCK": "business",
        "MOPS_HOLIDAYS": HOLIDAY.isoformat(),
    }
    args = ["demo", "--customers", "8", "--months", "2", "--seed", "3", *options]
    return CliRunner().invoke(cli, args, env=env)


def test_the_demo_receives_its_complaints_under_the_clock_asked_for(database):
    written = demo(database, "--sla-clock", "business")
    assert written.exit_code == 0, written.output
    assert " complaints under the business SLA clock (" in " ".join(written.output.split())
    policy = Policy()
    events = receipts(database)
    assert len(events) >= 12
    weekend_or_evening = 0
    for event in events:
        hours = policy.sla_response_hours[event.severity]
        assert event.respond_by == add_working_hours(event.occurred_at, hours, CALENDAR)
        resolve = policy.sla_resolution_hours[event.severity]
        assert event.resolve_by == add_working_hours(event.occurred_at, resolve, CALENDAR)
        weekend_or_evening += event.respond_by - event.occurred_at > timedelta(hours=hours)
    # Working hours are fewer than the hours of the clock: some deadlines lie later.
    assert weekend_or_evening > 0


def test_without_the_option_the_demo_runs_round_the_clock(database):
    written = demo(database)
    assert written.exit_code == 0, written.output
    assert "business SLA clock" not in written.output
    policy = Policy()
    for event in receipts(database):
        hours = policy.sla_response_hours[event.severity]
        assert event.respond_by == event.occurred_at + timedelta(hours=hours)
    refused = demo(database, "--sla-clock", "office")
    assert refused.exit_code == 2
