"""Values shared by the aggregates: money, enumerations, and the cause of a command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.errors import ValidationFailed

CENT = Decimal("0.01")
# Larger than any amount this company books, small enough to keep every sum exact.
MAX_MONEY = Decimal("999999999999999.99")
# Counts, levels and points are 32-bit signed integers wherever a read model keeps them
# (INTEGER columns, which PostgreSQL refuses to overflow: a larger value stored in an
# event would stop the read model folding it, for good).
MAX_COUNT = 2**31 - 1
# The longest payment term a contract, a quote or a credit assessment names: ten years.
MAX_TERM_DAYS = 3650


def money(value: Decimal | int | str | None, field: str = "amount") -> Decimal:
    """A money amount with exactly two places; more places than two are refused."""
    if value is None:
        raise ValidationFailed.of(field, "not a decimal amount")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed.of(field, "not a decimal amount") from None
    if not amount.is_finite():
        raise ValidationFailed.of(field, "not a finite amount")
    if abs(amount) > MAX_MONEY:
        raise ValidationFailed.of(field, f"must not exceed {MAX_MONEY} in size")
    quantized = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized != amount:
        raise ValidationFailed.of(field, "money has at most two decimal places")
    return quantized


def count(value: Any, field: str, *, least: int = 0, most: int = MAX_COUNT) -> int:
    """A whole number from `least` to `most` (at most MAX_COUNT); a bool is not one."""
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ValidationFailed.of(field, f"must be a whole number from {least} to {most}")
    return value


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class SourceChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    SOCIAL = "social"
    EXHIBITION = "exhibition"
    REFERRAL = "referral"
    CAMPAIGN = "campaign"
    OTHER = "other"


class CustomerStatus(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    LOST = "lost"


class FollowUpKind(StrEnum):
    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    MEETING = "meeting"


class CreditRating(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class GuaranteeKind(StrEnum):
    BANK = "bank"
    DEPOSIT = "deposit"
    CORPORATE = "corporate"
    OTHER = "other"


@dataclass(frozen=True)
class Cause:
    """Who issues a command and when, with the back-dating window in force.

    The application builds one per command from the authenticated subject, its clock
    and the settings; the domain never reads a clock or a setting itself.
    """

    actor: str
    now: datetime
    backdating: timedelta = timedelta(days=31)

    def occurred(self, at: datetime | None, field: str = "occurred_at") -> datetime:
        """Business time of a fact: now by default, never ahead, never beyond the window."""
        if at is None:
            return self.now
        if at.tzinfo is None:
            raise ValidationFailed.of(field, "a timestamp needs a UTC offset")
        try:
            at = at.astimezone(UTC)
        except OverflowError:
            # Year 1 east of UTC or year 9999 west of it: no UTC instant to record.
            raise ValidationFailed.of(field, "lies outside the years 1 to 9999 in UTC") from None
        if at > self.now:
            raise ValidationFailed.of(field, "may not lie in the future")
        if at < self.now - self.backdating:
            raise ValidationFailed.of(
                field, f"may not lie more than {self.backdating.days} days back"
            )
        return at

    def business_date(self, on: date, field: str) -> date:
        """A date of a fact that has happened: not after today, not before the window."""
        today = self.now.astimezone(UTC).date()
        if on > today:
            raise ValidationFailed.of(field, "may not lie in the future")
        if on < (self.now - self.backdating).astimezone(UTC).date():
            raise ValidationFailed.of(
                field, f"may not lie more than {self.backdating.days} days back"
            )
        return on


_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """A name as duplicate detection compares it: trimmed, inner spaces collapsed, casefolded."""
    return _SPACES.sub(" ", name.strip()).casefold()


def subject_key(subject: str) -> str:
    """A subject (a token's `sub`, an owner or manager id) as identity compares it."""
    return subject.strip().casefold()


def same_subject(one: str | None, other: str | None) -> bool:
    """Whether two subjects name the same person: trimmed and casefolded, None is nobody."""
    return one is not None and other is not None and subject_key(one) == subject_key(other)


def phone_digits(phone: str) -> str:
    """A phone number as duplicate detection compares it: its digits only."""
    return "".join(ch for ch in phone if ch.isdigit())


def required_text(value: str | None, field: str, max_length: int = 500) -> str:
    """A non-blank text, trimmed."""
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.of(field, "is required")
    if len(text) > max_length:
        raise ValidationFailed.of(field, f"is longer than {max_length} characters")
    return text


# Budget and Campaign (DOMAIN.md, Budget and Campaign).


class BudgetCategory(StrEnum):
    SALES = "sales"
    PROMOTION = "promotion"
    CUSTOMER_SERVICE = "customer_service"
    PERSONNEL = "personnel"


class Quarter(StrEnum):
    Q1 = "Q1"
    Q2 = "Q2"
    Q3 = "Q3"
    Q4 = "Q4"


class BudgetStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    CLOSED = "closed"


class ExpenseType(StrEnum):
    ADVERTISING = "advertising"
    EVENT = "event"
    TRAVEL = "travel"
    ENTERTAINMENT = "entertainment"
    OFFICE = "office"
    TRAINING = "training"
    SALARY = "salary"
    OTHER = "other"


class OverrunStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class CampaignChannel(StrEnum):
    SOCIAL = "social"
    SEARCH = "search"
    EMAIL = "email"
    INDUSTRY_SITE = "industry_site"
    ADVERTISING = "advertising"
    PR_EVENT = "pr_event"
    EXHIBITION = "exhibition"
    PROMOTION = "promotion"


ONLINE_CHANNELS = frozenset({"social", "search", "email", "industry_site"})


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    RUNNING = "running"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CANCELLED = "cancelled"
