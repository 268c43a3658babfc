"""`GET /reports/credit/dunning`: the credit report's overdue items and their dunning (催收).

Every invoice and interest debit note overdue at `as_of`, customer by customer in the
credit report's order, oldest due first: `customer_id, invoice_id, contract_id, due_on,
days_overdue, open, level` (the dunning level its days overdue reach, by
`MOPS_DUNNING_LEVELS`; 0 below the first) and `last_reminder` (`{level, sent_on}` of the
last reminder sent on its contract by `as_of`, or null). Takes `as_of` and `known_at`
like every report; pages by offset.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.openapi import LIST, answer_of
from interfaces.http.reads import offset_page, page_limit, page_offset
from interfaces.http.routers.reports_sales import credit_side
from interfaces.http.schemas.answers import notifications as answers

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/credit/dunning", responses=answer_of(answers.DunningReport, LIST))
def credit_dunning(
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Each overdue invoice's dunning level at `as_of`, and the last reminder sent."""
    side, day, echo = credit_side(services, as_of, known_at, wait_for)
    size = page_limit(limit)
    offset = page_offset(cursor)
    found = side.view("credit").dunning(day)
    return side.answer({"as_of": echo, **offset_page(found, offset, size)})
