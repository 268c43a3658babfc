"""The business calendar: working time between instants, and deadlines in working hours.

DOMAIN.md, Complaint, "SLA clock": with `sla_clock = business` a complaint's deadlines
count only working time: working days (default Mon-Fri), working hours (09:00-18:00)
in the deployment's time zone, and not the holidays. Decisions where the spec is silent:

- A deadline that uses up a day's last working minute is that day's closing time
  (Friday 18:00), not the next opening.
- Time is counted on the local wall clock of the zone: a working day is its opening to
  its closing as the clock shows them (a zone with daylight saving has days of the
  same working length; the hour that does not exist or repeats is the zone's concern).
- A day that is a holiday has no working time even when it is a working day.
- The zone is handed in as a `tzinfo` (the composition root builds it from its name):
  the domain reads no time-zone database itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from domain.errors import ValidationFailed

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far a deadline may lie: ten years of days without working time is a broken calendar.
MAX_DAYS = 3660
HOUR = Decimal(3600)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days (0 = Monday), daily working hours, the zone, and the holidays."""

    days: frozenset[int] = frozenset(range(5))
    opens: time = time(9)
    closes: time = time(18)
    zone: tzinfo = UTC
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("a business calendar needs at least one working day, 0 to 6")
        if self.opens >= self.closes:
            raise ValueError("a working day opens before it closes")

    def is_working_day(self, day: date) -> bool:
        """True for a working weekday that is not a holiday."""
        return day.weekday() in self.days and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """A day's working time as aware local instants, or None on a day off."""
        if not self.is_working_day(day):
            return None
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )


def add_working_hours(
    start: datetime, hours: int | Decimal, calendar: BusinessCalendar
) -> datetime:
    """The instant (UTC) by which `hours` of working time have passed since `start`."""
    remaining = timedelta(seconds=float(Decimal(hours) * HOUR))
    at = start.astimezone(calendar.zone)
    for _ in range(MAX_DAYS):
        window = calendar.window(at.date())
        if window is not None:
            opens, closes = window
            at = max(at, opens)
            if at < closes:
                available = closes - at
                if remaining <= available:
                    return (at + remaining).astimezone(UTC)
                remaining -= available
        at = datetime.combine(at.date() + timedelta(days=1), time(0), tzinfo=calendar.zone)
    raise ValueError(f"no deadline within {MAX_DAYS} days of {start.isoformat()}")


def working_hours_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> Decimal:
    """The working hours from start to end (0 when end is not after start)."""
    if end <= start:
        return Decimal(0)
    at, stop = start.astimezone(calendar.zone), end.astimezone(calendar.zone)
    seconds = Decimal(0)
    day = at.date()
    while day <= stop.date():
        window = calendar.window(day)
        if window is not None:
            first, last = max(window[0], at), min(window[1], stop)
            if last > first:
                seconds += Decimal(str((last - first).total_seconds()))
        day += timedelta(days=1)
    return seconds / HOUR


def parse_days(text: str) -> frozenset[int]:
    """Working days from "Mon-Fri" or "Mon,Tue,Thu" (ranges and names, any case)."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        first, _, last = part.partition("-")
        try:
            start = DAY_NAMES.index(first.strip()[:3])
            stop = DAY_NAMES.index(last.strip()[:3]) if last else start
        except ValueError:
            raise ValidationFailed.of("business_days", f"{part!r} names no weekday") from None
        span = range(start, stop + 1) if start <= stop else [*range(start, 7), *range(stop + 1)]
        days.update(span)
    if not days:
        raise ValidationFailed.of("business_days", "names no working day")
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time]:
    """Working hours from "09:00-18:00"."""
    try:
        opens, closes = (time.fromisoformat(t.strip()) for t in text.split("-"))
    except ValueError:
        raise ValidationFailed.of("business_hours", "must read HH:MM-HH:MM") from None
    if opens >= closes:
        raise ValidationFailed.of("business_hours", "must open before it closes")
    return opens, closes


def parse_holidays(text: str) -> frozenset[date]:
    """Holidays from ISO dates separated by commas (empty: none)."""
    try:
        return frozenset(date.fromisoformat(d.strip()) for d in text.split(",") if d.strip())
    except ValueError:
        raise ValidationFailed.of("holidays", "must be ISO dates separated by commas") from None
