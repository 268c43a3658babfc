"""The business calendar: deadlines in working hours across weekends and holidays."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import (
    BusinessCalendar,
    add_working_hours,
    parse_days,
    parse_holidays,
    parse_hours,
    working_hours_between,
)
from domain.complaint import Complaint
from domain.errors import ValidationFailed
from tests.gwt import cause

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = BusinessCalendar(zone=SHANGHAI)
FRIDAY_5PM = datetime(2026, 3, 6, 17, tzinfo=SHANGHAI)
MONDAY = date(2026, 3, 9)
WITH_HOLIDAY = BusinessCalendar(zone=SHANGHAI, holidays=frozenset({MONDAY}))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_a_high_complaint_received_friday_5pm_is_answered_by_monday_4pm():
    # 1 working hour on Friday (17:00-18:00) + 7 on Monday (09:00-16:00).
    assert add_working_hours(FRIDAY_5PM, 8, CALENDAR) == local(2026, 3, 9, 16)


def test_a_monday_holiday_moves_it_to_tuesday_4pm():
    assert add_working_hours(FRIDAY_5PM, 8, WITH_HOLIDAY) == local(2026, 3, 10, 16)


def test_a_resolution_of_72_working_hours_spans_two_weekends_and_the_holiday():
    # Fri 1 h + Mon-Fri 45 h + Mon 9 + Tue 9 + Wed 8 = 72: Wednesday of the next week, 17:00.
    assert add_working_hours(FRIDAY_5PM, 72, CALENDAR) == local(2026, 3, 18, 17)
    # Monday off: Fri 1 + Tue-Fri 36 + Mon 9 + Tue 9 + Wed 9 + Thu 8 = 72.
    assert add_working_hours(FRIDAY_5PM, 72, WITH_HOLIDAY) == local(2026, 3, 19, 17)


def test_a_deadline_using_up_a_day_ends_at_its_close_and_night_starts_at_the_opening():
    assert add_working_hours(local(2026, 3, 9, 9), 9, CALENDAR) == local(2026, 3, 9, 18)
    assert add_working_hours(local(2026, 3, 7, 23), 2, CALENDAR) == local(2026, 3, 9, 11)


def test_working_hours_between_two_instants():
    assert working_hours_between(FRIDAY_5PM, local(2026, 3, 10, 16), WITH_HOLIDAY) == Decimal(8)
    assert working_hours_between(FRIDAY_5PM, FRIDAY_5PM, CALENDAR) == Decimal(0)


def test_settings_texts_parse_and_malformed_ones_are_refused():
    assert parse_days("Mon-Fri") == frozenset(range(5))
    assert parse_days("sat-mon") == frozenset({5, 6, 0})
    assert parse_hours("08:30-17:00")[0].minute == 30
    assert parse_holidays("2026-05-01, 2026-10-01") == {date(2026, 5, 1), date(2026, 10, 1)}
    assert parse_holidays("") == frozenset()
    for parse, text in (
        (parse_days, "Funday"),
        (parse_hours, "18:00-09:00"),
        (parse_holidays, "May 1"),
    ):
        with pytest.raises(ValidationFailed):
            parse(text)


def test_a_complaint_received_with_a_calendar_stamps_working_hour_deadlines():
    now = datetime(2026, 3, 6, 12, tzinfo=SHANGHAI)
    complaint = Complaint.receive(
        cause("sue", now=now.astimezone(ZoneInfo("UTC"))),
        id=uuid4(),
        customer_id=uuid4(),
        channel="hotline",
        category="delivery",
        severity="high",
        description="late",
        response_hours={"high": 8},
        resolution_hours={"high": 72},
        occurred_at=local(2026, 3, 6, 9),
        calendar=WITH_HOLIDAY,
    )
    # Friday 09:00 + 8 working hours = Friday 17:00. + 72: Fri 9 + (Monday off) Tue-Fri 36
    # + Mon 9 + Tue 9 + Wed 9 = 72, Wednesday of the next week at 18:00.
    assert complaint.respond_by == local(2026, 3, 6, 17)
    assert complaint.resolve_by == local(2026, 3, 18, 18)
