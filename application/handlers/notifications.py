"""Handlers of the notification commands: `(command, context) -> Decision` each.

Whether the caller is a recipient of the notification is the inbox's to say (the
`notifications` read model); the route asks it before it issues a receipt command, as
it asks a read model for any other query. A receipt is found by its `uuid5` of
notification and reader, or opened by the first read or acknowledgement.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from application.commands.notifications import (
    AcknowledgeNotification,
    DeleteWebhook,
    MarkNotificationRead,
    SubscribeWebhook,
)
from application.context import Context
from application.handlers import Handlers
from application.messages import Decision
from domain.notification import NotificationReceipt, Webhook


def subscribe_webhook(cmd: SubscribeWebhook, ctx: Context) -> Decision:
    """A new subscription, its URL checked against the deployment's allowed hosts."""
    webhook = Webhook.subscribe(
        ctx.cause,
        id=uuid4(),
        url=cmd.url,
        secret=cmd.secret,
        rules=list(cmd.rules),
        allowed_hosts=ctx.policy.webhook_hosts,
    )
    return Decision(webhook)


def delete_webhook(cmd: DeleteWebhook, ctx: Context) -> Decision:
    webhook = ctx.addressed(cmd.webhook_id, Webhook)
    webhook.delete(ctx.cause)
    return Decision(webhook)


def receipt_of(ctx: Context, notification_id: UUID) -> NotificationReceipt:
    """The caller's receipt of a notification, opened if they never touched it."""
    found = ctx.find(NotificationReceipt.id_for(notification_id, ctx.cause.actor))
    if isinstance(found, NotificationReceipt):
        return found
    return NotificationReceipt.open(ctx.cause, notification_id)


def mark_notification_read(cmd: MarkNotificationRead, ctx: Context) -> Decision:
    receipt = receipt_of(ctx, cmd.notification_id)
    receipt.mark_read(ctx.cause)
    return Decision(receipt)


def acknowledge_notification(cmd: AcknowledgeNotification, ctx: Context) -> Decision:
    receipt = receipt_of(ctx, cmd.notification_id)
    receipt.acknowledge(ctx.cause)
    return Decision(receipt)


HANDLERS: Handlers = {
    SubscribeWebhook: subscribe_webhook,
    DeleteWebhook: delete_webhook,
    MarkNotificationRead: mark_notification_read,
    AcknowledgeNotification: acknowledge_notification,
}
