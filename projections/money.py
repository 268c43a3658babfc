"""Money, ratio and date helpers shared by the read models.

Money is stored as whole cents (`cents`) and carried as a decimal string with two
places (`money_text`); ratios are quantized decimals (`ratio`, `ratio_float`); days are
UTC calendar days of an event's business time (`utc_day`, `day_text`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

RATIO = Decimal("0.0001")
CENT = Decimal("0.01")


def cents(amount: Decimal | int | str) -> int:
    """Money as a whole number of cents, half up."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money_text(amount_cents: int | str | None) -> str:
    """Cents as the decimal string API.md carries money in (None counts as 0)."""
    return str((Decimal(int(amount_cents or 0)) / 100).quantize(CENT))


def number(value: Decimal | None) -> float | int | None:
    """A decimal as a JSON number: whole numbers as integers."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def ratio(numerator: Decimal | int, denominator: Decimal | int | None) -> Decimal | None:
    """numerator / denominator to 4 places, half up; None when the divisor is 0 or unknown."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


def ratio_float(
    numerator: Decimal | int,
    denominator: Decimal | int | None,
    places: Decimal = RATIO,
    rounding: str = ROUND_HALF_UP,
) -> float | None:
    """numerator / denominator quantized to `places` as a float; None when the divisor is 0."""
    if not denominator:
        return None
    quotient = Decimal(numerator) / Decimal(denominator)
    return float(quotient.quantize(places, rounding=rounding))


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of a moment."""
    return moment.astimezone(UTC).date()


def day_text(moment: datetime) -> str:
    """The UTC calendar day of a moment, as `YYYY-MM-DD`."""
    return utc_day(moment).isoformat()


def iso_date(day: date | None) -> str | None:
    """A day as `YYYY-MM-DD`, or None."""
    return None if day is None else day.isoformat()


def month_of(day: date) -> str:
    """The month of a day, as `YYYY-MM`."""
    return f"{day.year:04d}-{day.month:02d}"


def quarter_of(day: date) -> str:
    """The quarter of a day, as `YYYY-Qn`."""
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
