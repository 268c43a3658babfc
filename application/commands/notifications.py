"""Notification commands (DOMAIN.md, Notifications): webhooks, and a recipient's receipts."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.commands import Command


@dataclass(frozen=True)
class SubscribeWebhook(Command):
    """Deliver the notifications of some rules to a URL, signed with a secret (admin)."""

    permission = "webhook.subscribe"
    creates = True
    url: str
    secret: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class DeleteWebhook(Command):
    """Stop delivering to a webhook (admin)."""

    permission = "webhook.delete"
    webhook_id: UUID


@dataclass(frozen=True)
class MarkNotificationRead(Command):
    """A recipient has read a notification of their inbox."""

    permission = "notification.read"
    notification_id: UUID


@dataclass(frozen=True)
class AcknowledgeNotification(Command):
    """A recipient acknowledges a notification of their inbox: they are dealing with it."""

    permission = "notification.acknowledge"
    notification_id: UUID
