"""`GET /reports/follow-ups`: the customers due for a follow-up, with their last contact.

Every authenticated role may read it. `due_by` (required; a date, or a timestamp
meaning its UTC day) and `owner_id` (optional) filter; items `{customer_id, name,
owner_id, next_follow_up_on, last_contact_at, status}` come earliest date first, then
by name, paged by `limit`/`cursor`. Lost customers are left out (projections/follow_ups.py).
`as_of` (a date meaning the end of that day UTC, or a timestamp; echoed when passed)
takes each customer's next date and last contact from its latest follow-up dated by
then. `known_at` (likewise) answers as the service did then, echoed as passed
(interfaces/http/reads.py, `report_side`).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.errors import ValidationFailed
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import (
    moment,
    page_limit,
    page_offset,
    refuse_nul,
    report_side,
)
from interfaces.http.routers.report_answers import echo_as_of, fetched_page
from interfaces.http.schemas.answers import reports as answers

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/follow-ups", responses=answer_of(answers.FollowUpsReport, LIST))
def follow_ups_report(
    caller: CurrentCaller,
    services: ServicesDep,
    due_by: str | None = None,
    owner_id: str | None = None,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Customers whose next follow-up falls on or before `due_by`, with their last contact."""
    if due_by is None:
        raise ValidationFailed.of("due_by", "is required: a date YYYY-MM-DD")
    day = moment(due_by, "due_by").date()
    at = moment(as_of, "as_of")
    refuse_nul(owner_id=owner_id)
    size = page_limit(limit)
    offset = page_offset(cursor)
    side = report_side(services, ["follow_ups"], known_at, wait_for)
    view = side.view("follow_ups")
    if at is None:
        rows = view.due(day, owner_id=owner_id, limit=size + 1, offset=offset)
    else:
        rows = view.due_then(day, at, owner_id=owner_id, limit=size + 1, offset=offset)
    return side.answer(echo_as_of(as_of, fetched_page(rows, offset, size)))
