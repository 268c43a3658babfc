"""`/webhooks` (admin): subscribe a URL to notification rules, delete it, and the delivery log.

`POST /webhooks` `{url, secret, rules}` answers 201 with the subscription's id; its host
must be one of `MOPS_WEBHOOK_HOSTS` (`validation_error` otherwise). `GET /webhooks` lists
the subscriptions (never their secrets) in the order made, each with its pending
deliveries and its latest delivery attempts (`notification_id, attempt, attempted_at,
status, ok, error`), from the notifications read model.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.notifications import DeleteWebhook, SubscribeWebhook
from domain.errors import Forbidden
from domain.notification import Webhook
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import COMMAND, CREATE, list_of
from interfaces.http.reads import caught_up, encode_cursor, page_limit, page_offset, read_answer
from interfaces.http.schemas import notifications as bodies
from interfaces.http.schemas.answers import notifications as answers
from interfaces.http.schemas.common import Empty

router = APIRouter(prefix="/webhooks", tags=["notifications"])


@router.post("", status_code=201, openapi_extra=body_schema(bodies.Subscribe), responses=CREATE)
async def subscribe_webhook(call: CommandDep) -> JSONResponse:
    """Deliver the notifications of some rules to a URL of an allowed host (admin)."""
    body = await call.read(SubscribeWebhook, bodies.Subscribe)
    return await call.answer(SubscribeWebhook(body.url, body.secret, tuple(body.rules)))


@router.post("/{webhook_id}/delete", openapi_extra=body_schema(Empty), responses=COMMAND)
async def delete_webhook(webhook_id: UUID, call: CommandDep) -> JSONResponse:
    """Stop delivering to a webhook (admin); its delivery log stays."""
    await call.read(DeleteWebhook, Empty, Target(Webhook, webhook_id))
    return await call.answer(DeleteWebhook(webhook_id))


@router.get("", responses=list_of(answers.WebhookView))
def list_webhooks(
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """The subscriptions and their delivery log (admin)."""
    if "admin" not in caller.roles:
        raise Forbidden("the webhooks are the admin's")
    size = page_limit(limit)
    offset = page_offset(cursor)
    fresh = caught_up(services, "notifications", wait_for)
    rows = services.read_side.view("notifications").webhooks(limit=size + 1, offset=offset)
    more = len(rows) > size
    page = {"items": rows[:size], "next_cursor": encode_cursor(offset + size) if more else None}
    return read_answer(page, fresh)
