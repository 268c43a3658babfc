"""Answers of the notifications, the webhooks and the dunning report (API.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from interfaces.http.schemas.answers.common import Answer, Id, Money
from interfaces.http.schemas.answers.reports import PagedReport


class Delivery(Answer):
    """One attempt at delivering a notification to a webhook."""

    webhook_id: Id
    attempt: int = Field(ge=1)
    attempted_at: str
    status: int | None = Field(description="the receiver's HTTP status; null: no answer")
    ok: bool
    error: str | None


class Notification(Answer):
    """A notification of the caller's inbox (API.md, Report rows, notifications)."""

    id: Id
    rule: str
    subject_type: str
    subject_id: str
    level: int | str = Field(description="the dunning level (1-3), else the rule's level")
    raised_at: str
    cleared_at: str | None = Field(description="when its condition stopped holding")
    facts: dict[str, Any]
    read: bool
    acknowledged: bool
    deliveries: list[Delivery]


class LoggedDelivery(Delivery):
    """A delivery attempt in a webhook's log."""

    notification_id: Id


class WebhookView(Answer):
    """A webhook subscription (never its secret) with its latest delivery attempts."""

    id: Id
    url: str
    rules: list[str]
    subscribed_at: str
    deleted_at: str | None
    pending: int = Field(ge=0, description="deliveries not yet made nor given up")
    deliveries: list[LoggedDelivery]


class LastReminder(Answer):
    level: int
    sent_on: str


class DunningRow(Answer):
    """An overdue invoice (or debit note) with its dunning level and last reminder."""

    customer_id: Id
    invoice_id: Id
    contract_id: Id
    due_on: str
    days_overdue: int
    open: Money
    level: int = Field(ge=0, le=3, description="by MOPS_DUNNING_LEVELS; 0 below the first")
    last_reminder: LastReminder | None


class DunningReport(PagedReport):
    """`/reports/credit/dunning`."""

    items: list[DunningRow]
