"""`/reports/complaints`: complaints and their SLA, as of a business time.

`group_by` takes any of `period`, `category`, `severity`, repeated or comma-separated;
without any, one row over every complaint. `as_of` (a date meaning the end of that day
UTC, or a timestamp; now by default) is echoed as passed, or as the moment used when
none was. `GET /reports/complaints/{id}` answers one complaint's timings as of then.
Both take `known_at` (a date meaning the end of that day UTC, or a timestamp): the
answer as the service gave it then, echoed as passed (interfaces/http/reads.py,
`report_side`); without `as_of`, computed for that moment.
The figures and their definitions: `projections/complaints.py`.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from domain.complaint import Complaint
from domain.errors import NotFound
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc
from interfaces.http.openapi import LIST, READ, answer_of
from interfaces.http.reads import (
    group_keys,
    moment,
    must_exist,
    offset_page,
    page_limit,
    page_offset,
    report_side,
)
from interfaces.http.routers.report_answers import as_of_echo
from interfaces.http.schemas.answers import reports as answers
from projections.complaints import GROUP_KEYS

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/complaints", responses=answer_of(answers.ComplaintsReport, LIST))
def complaints_report(
    caller: CurrentCaller,
    services: ServicesDep,
    group_by: Annotated[list[str] | None, Query()] = None,
    as_of: str | None = None,
    known_at: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Count, open, breaches, on-time shares, mean and p90 hours, reopens, causes, satisfaction."""
    keys = group_keys(group_by, GROUP_KEYS)
    passed = moment(as_of, "as_of")
    size = page_limit(limit)
    offset = page_offset(cursor)
    side = report_side(services, ["complaints"], known_at, wait_for)
    at = passed or side.now
    rows = side.view("complaints").report(keys, at)
    return side.answer({"as_of": as_of_echo(as_of, at), **offset_page(rows, offset, size)})


@router.get("/complaints/{complaint_id}", responses=answer_of(answers.ComplaintTimings, READ))
def complaint_timings(
    complaint_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    as_of: str | None = None,
    known_at: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """One complaint's deadlines, response and resolution hours and breaches as of then."""
    passed = moment(as_of, "as_of")
    must_exist(services, Complaint, complaint_id)
    side = report_side(services, ["complaints"], known_at, wait_for)
    at = passed or side.now
    timing = side.view("complaints").timing(str(complaint_id), at)
    if timing is None:
        raise NotFound(f"complaint {complaint_id} was not received by {iso_utc(at)}")
    return side.answer({"as_of": as_of_echo(as_of, at), **timing})
