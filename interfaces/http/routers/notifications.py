"""`/notifications`: the caller's inbox, and reading and acknowledging a notification.

`GET /notifications` answers the notifications addressed to the caller, by employee id
(the token's `sub`) or by any of the caller's roles, newest first (`rule?`, `unread?`,
`from`/`to`: days of `raised_at`, UTC), each with the caller's own `read` and
`acknowledged` and the notification's webhook deliveries. `POST
/notifications/{nid}/read` and `/acknowledge` (a recipient; `{}`) record the caller's
receipt; a notification not in the caller's inbox is 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from application.commands.notifications import AcknowledgeNotification, MarkNotificationRead
from application.permissions import Caller
from domain.errors import NotFound, ValidationFailed
from domain.notification import RULES
from interfaces.bootstrap import Services
from interfaces.http.commands import CommandDep, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import COMMAND, list_of
from interfaces.http.reads import (
    caught_up,
    day_range,
    encode_cursor,
    page_limit,
    page_offset,
    read_answer,
    refuse_nul,
)
from interfaces.http.schemas.answers import notifications as answers
from interfaces.http.schemas.common import Empty
from projections.notifications import recipient_keys

router = APIRouter(prefix="/notifications", tags=["notifications"])


def in_inbox(services: Services, caller: Caller, notification_id: UUID) -> None:
    """Refuse (404) a notification that is not addressed to the caller."""
    caught_up(services, "notifications", None)
    keys = recipient_keys(caller.actor, sorted(caller.roles))
    if not services.read_side.view("notifications").addressed(str(notification_id), keys):
        raise NotFound(f"notification {notification_id} not found")


@router.get("", responses=list_of(answers.Notification))
def inbox(
    caller: CurrentCaller,
    services: ServicesDep,
    rule: str | None = None,
    unread: bool | None = None,
    day_from: Annotated[str | None, Query(alias="from")] = None,
    day_to: Annotated[str | None, Query(alias="to")] = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """The caller's notifications, newest first, with their receipts and deliveries."""
    refuse_nul(rule=rule)
    if rule is not None and rule not in RULES:
        raise ValidationFailed.of("rule", f"must be one of {', '.join(RULES)}")
    start, end = day_range(day_from, day_to)
    size = page_limit(limit)
    offset = page_offset(cursor)
    fresh = caught_up(services, "notifications", wait_for)
    rows = services.read_side.view("notifications").inbox(
        recipient_keys(caller.actor, sorted(caller.roles)),
        caller.actor,
        rule=rule,
        unread=unread,
        raised_from=None if start is None else start.isoformat(),
        raised_before=None if end is None else (end + timedelta(days=1)).isoformat(),
        limit=size + 1,
        offset=offset,
    )
    more = len(rows) > size
    page = {"items": rows[:size], "next_cursor": encode_cursor(offset + size) if more else None}
    return read_answer(page, fresh)


@router.post("/{notification_id}/read", openapi_extra=body_schema(Empty), responses=COMMAND)
async def read_notification(notification_id: UUID, call: CommandDep) -> JSONResponse:
    """The caller, a recipient, has read the notification."""
    await call.read(MarkNotificationRead, Empty)
    await run_in_threadpool(in_inbox, call.services, call.caller, notification_id)
    return await call.answer(MarkNotificationRead(notification_id))


@router.post("/{notification_id}/acknowledge", openapi_extra=body_schema(Empty), responses=COMMAND)
async def acknowledge_notification(notification_id: UUID, call: CommandDep) -> JSONResponse:
    """The caller, a recipient, acknowledges the notification: they are dealing with it."""
    await call.read(AcknowledgeNotification, Empty)
    await run_in_threadpool(in_inbox, call.services, call.caller, notification_id)
    return await call.answer(AcknowledgeNotification(notification_id))
