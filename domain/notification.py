"""Notifications (預警機制, 催收): webhook subscriptions and what a recipient did with a notice.

DOMAIN.md, Notifications. The notices themselves are raised by the read side (the
`notifications` read model, from the rules below); what is a fact with a history of its
own is kept here:

- `Webhook`: an admin subscribes a URL with a secret to some rules, and may delete the
  subscription. The URL's host must be one of the deployment's allowed hosts (the
  setting `MOPS_WEBHOOK_HOSTS`, handed in as an argument), its scheme http or https;
  every rule named must be one of `RULES`; the secret is not blank. Deleting a deleted
  subscription is `invalid_state`.
- `NotificationReceipt`: one per notification and reader (a `uuid5` of both), recording
  that the reader read it and, later or at once, acknowledged it. Reading twice records
  nothing new; acknowledging implies reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.base import MopsAggregate
from domain.errors import InvalidState, ValidationFailed
from domain.values import Cause, required_text, subject_key

# The rules of DOMAIN.md, Notifications, in its order.
RULES = (
    "credit_alert",
    "dunning_due",
    "sla_at_risk",
    "sla_breached",
    "follow_up_due",
    "risk_warning",
    "budget_line_90",
)
RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "mops:notification-receipt")


def webhook_url(url: str, allowed_hosts: frozenset[str]) -> str:
    """A webhook URL: http(s), to one of the allowed hosts; `validation_error` otherwise."""
    text = required_text(url, "url", max_length=2000)
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").casefold()
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        raise ValidationFailed.of("url", "is not a URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationFailed.of("url", "must be an http or https URL")
    if host not in {h.strip().casefold() for h in allowed_hosts}:
        allowed = ", ".join(sorted(allowed_hosts))
        raise ValidationFailed.of("url", f"host {host} is not allowed (allowed: {allowed})")
    return text


def webhook_rules(rules: list[str]) -> list[str]:
    """The rules a webhook follows: at least one, each a rule of `RULES`, no repeats."""
    if not rules:
        raise ValidationFailed.of("rules", "name at least one rule")
    unknown = [rule for rule in rules if rule not in RULES]
    if unknown:
        raise ValidationFailed.of("rules", f"unknown rules {unknown}; rules are {list(RULES)}")
    return list(dict.fromkeys(rules))


class Webhook(MopsAggregate):
    """A URL that receives the notifications of some rules, signed with its secret."""

    if TYPE_CHECKING:
        url: str
        secret: str
        rules: list[str]
        deleted: bool

    class Subscribed(MopsAggregate.Created):
        url: str
        secret: str
        rules: list[str]

        def apply(self, webhook: Webhook) -> None:
            webhook.url = self.url
            webhook.secret = self.secret
            webhook.rules = list(self.rules)
            webhook.deleted = False

    class Deleted(MopsAggregate.Event):
        def apply(self, webhook: Webhook) -> None:
            webhook.deleted = True

    @classmethod
    def subscribe(
        cls,
        cause: Cause,
        *,
        id: UUID,
        url: str,
        secret: str,
        rules: list[str],
        allowed_hosts: frozenset[str],
    ) -> Webhook:
        """Subscribe a URL of an allowed host to some rules."""
        return cls._start(
            cls.Subscribed,
            cause,
            id=id,
            url=webhook_url(url, allowed_hosts),
            secret=required_text(secret, "secret", max_length=500),
            rules=webhook_rules(rules),
        )

    def delete(self, cause: Cause) -> None:
        """Stop delivering to this webhook; what it was sent stays in the log."""
        if self.deleted:
            raise InvalidState("delete", "deleted")
        self._record(self.Deleted, cause)


class NotificationReceipt(MopsAggregate):
    """What one reader did with one notification: read it, acknowledged it."""

    if TYPE_CHECKING:
        notification_id: UUID
        reader: str
        read: bool
        acknowledged: bool

    class Opened(MopsAggregate.Created):
        notification_id: UUID
        reader: str

        def apply(self, receipt: NotificationReceipt) -> None:
            receipt.notification_id = self.notification_id
            receipt.reader = self.reader
            receipt.read = False
            receipt.acknowledged = False

    class Read(MopsAggregate.Event):
        def apply(self, receipt: NotificationReceipt) -> None:
            receipt.read = True

    class Acknowledged(MopsAggregate.Event):
        def apply(self, receipt: NotificationReceipt) -> None:
            receipt.read = True
            receipt.acknowledged = True

    @staticmethod
    def id_for(notification_id: UUID, reader: str) -> UUID:
        """The receipt of a notification for a reader (subjects compared casefolded)."""
        return uuid5(RECEIPT_NAMESPACE, f"{notification_id}|{subject_key(reader)}")

    @classmethod
    def open(cls, cause: Cause, notification_id: UUID) -> NotificationReceipt:
        """The caller's receipt of a notification, nothing done with it yet."""
        return cls._start(
            cls.Opened,
            cause,
            id=cls.id_for(notification_id, cause.actor),
            notification_id=notification_id,
            reader=cause.actor,
        )

    def mark_read(self, cause: Cause) -> None:
        """The reader has read it (once: reading again records nothing)."""
        if not self.read:
            self._record(self.Read, cause)

    def acknowledge(self, cause: Cause) -> None:
        """The reader acknowledges it: they are dealing with it."""
        if not self.acknowledged:
            self._record(self.Acknowledged, cause)
