"""`/audit/events`: the global log, for auditors, executives and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.errors import Forbidden
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc
from interfaces.http.openapi import LIST
from interfaces.http.reads import (
    caught_up,
    decode_cursor,
    moment,
    page,
    page_limit,
    read_answer,
)

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/events", responses=LIST)
def audit_events(
    caller: CurrentCaller,
    services: ServicesDep,
    aggregate_type: str | None = None,
    aggregate_id: str | None = None,
    actor: str | None = None,
    type: str | None = None,
    recorded_from: Annotated[str | None, Query(alias="from")] = None,
    recorded_to: Annotated[str | None, Query(alias="to")] = None,
    after_position: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every business event in log order; `from`/`to` bound the recording time, inclusive."""
    if not caller.may_read_audit():
        raise Forbidden("the global log is for auditor, executive and admin")
    size = page_limit(limit)
    after = decode_cursor(cursor)
    if after_position is not None:
        after = max(after or 0, after_position)
    start = moment(recorded_from, "from", start_of_day=True)
    end = moment(recorded_to, "to")
    fresh = caught_up(services, "audit_log", wait_for)
    rows = services.read_side.view("audit_log").search(
        limit=size + 1,
        after_position=after,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        actor=actor,
        event_type=type,
        recorded_from=iso_utc(start) if start else None,
        recorded_to=iso_utc(end) if end else None,
    )
    return read_answer(page(rows, size, "position"), fresh)
