"""`/research-reports`: commands, the report now and as of a time, its history, the list."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.research_reports import (
    AcceptResearchReport,
    AmendResearchReport,
    DraftResearchReport,
    ReturnResearchReport,
    SubmitResearchReport,
)
from domain.research_report import ResearchReport
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, plain
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import aggregate_answer, directory_answer, history_answer
from interfaces.http.schemas import research_reports as bodies
from interfaces.http.schemas.answers import research_reports as answers
from interfaces.http.schemas.common import Empty

router = APIRouter(prefix="/research-reports", tags=["research-reports"])

FIELDS = (
    "title",
    "topic",
    "method",
    "fieldwork_from",
    "fieldwork_to",
    "region",
    "sample_size",
    "market_size",
    "growth_rate",
    "competitors",
    "swot",
    "customer_needs",
    "findings",
    "recommendations",
    "measurements",
)


def represent(report: ResearchReport) -> dict[str, Any]:
    """A report as `GET /research-reports/{id}` answers it."""
    return {
        "id": str(report.id),
        "version": report.version,
        "status": report.status,
        **{name: plain(getattr(report, name)) for name in FIELDS},
        "author_id": report.author_id,
        "submitted_by": report.submitted_by,
        "accepted_by": report.accepted_by,
        "return_comments": report.return_comments,
        "plans_measured": report.plans_measured,
        "created_at": iso_utc(report.created_on),
        "updated_at": iso_utc(report.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    """A report as `GET /research-reports` lists it."""
    return {
        "id": row["id"],
        "title": row["title"],
        "topic": row["topic"],
        "method": row["method"],
        "status": row["status"],
        "region": row["region"],
        "fieldwork_from": row["fieldwork_from"],
        "fieldwork_to": row["fieldwork_to"],
        "author_id": row["author_id"],
        "competitors": json.loads(row["competitors"]),
        "published_at": row["published_at"],
        "version": row["version"],
        "drafted_at": row["drafted_at"],
        "position": row["drafted_position"],
    }


def _fields(body: bodies.DraftReport | bodies.AmendReport) -> dict[str, Any]:
    """The fields the body names, nested bodies as plain mappings."""
    named = [n for n in type(body).model_fields if n in body.model_fields_set]
    dumped = body.model_dump(include=set(named), exclude_none=False)
    return {name: _without_nones(dumped[name]) for name in named}


def _without_nones(value: Any) -> Any:
    """Nested bodies without the optional members left out (None)."""
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


@router.post("", status_code=201, openapi_extra=body_schema(bodies.DraftReport), responses=CREATE)
async def draft_research_report(call: CommandDep) -> JSONResponse:
    """Draft a research report (marketing, sales_manager)."""
    body = await call.read(DraftResearchReport, bodies.DraftReport)
    return await call.answer(DraftResearchReport(_fields(body)))


@router.post("/{report_id}/amend", openapi_extra=body_schema(bodies.AmendReport), responses=COMMAND)
async def amend_research_report(report_id: UUID, call: CommandDep) -> JSONResponse:
    """Change fields of a draft (marketing, sales_manager)."""
    target = Target(ResearchReport, report_id)
    body = await call.read(AmendResearchReport, bodies.AmendReport, target)
    return await call.answer(AmendResearchReport(report_id, _fields(body)))


@router.post("/{report_id}/submit", openapi_extra=body_schema(Empty), responses=COMMAND)
async def submit_research_report(report_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the draft up for acceptance (marketing, sales_manager)."""
    await call.read(SubmitResearchReport, Empty, Target(ResearchReport, report_id))
    return await call.answer(SubmitResearchReport(report_id))


@router.post("/{report_id}/accept", openapi_extra=body_schema(Empty), responses=COMMAND)
async def accept_research_report(report_id: UUID, call: CommandDep) -> JSONResponse:
    """Publish, recording the measurements on the marketing plans (executive; not the submitter)."""
    await call.read(AcceptResearchReport, Empty, Target(ResearchReport, report_id))
    return await call.answer(AcceptResearchReport(report_id))


@router.post("/{report_id}/return", openapi_extra=body_schema(bodies.Return), responses=COMMAND)
async def return_research_report(report_id: UUID, call: CommandDep) -> JSONResponse:
    """Send the report back to draft with comments (executive; not the submitter)."""
    body = await call.read(ReturnResearchReport, bodies.Return, Target(ResearchReport, report_id))
    return await call.answer(ReturnResearchReport(report_id, body.comments))


@router.get("", responses=list_of(answers.ResearchReportItem))
def list_research_reports(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    method: str | None = None,
    region: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Reports in the order they were drafted, filtered."""
    return directory_answer(
        services,
        "competitors",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        method=method,
        region=region,
    )


@router.get("/{report_id}", responses=read_of(answers.ResearchReportView))
def get_research_report(
    report_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A report now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, ResearchReport, report_id, version, as_of, represent)


@router.get("/{report_id}/history", responses=history_of())
def research_report_history(
    report_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a report, oldest first, with actor and both times."""
    return history_answer(services, ResearchReport, report_id, limit, cursor, wait_for)
