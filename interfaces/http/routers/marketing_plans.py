"""`/marketing-plans`: commands, the plan now and as of a time, its history, and the list.

`GET /marketing-plans/{id}` shows the working revision (`revision`, `status`,
`strategies`, `targets`), the revision in force (`approved`: the latest approved, with
its strategies, targets, approval time and approver; null before the first approval),
every approved revision (`revisions`, each with the plan `version` it reached, for
`?version=`) and the `measurements`. Percentages are JSON numbers as given (12.5 is
12.5 %), counts integers. `?version=` and `?as_of=` show the plan as it was, so every
approved revision stays readable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from application.commands.marketing_plans import (
    AmendMarketingPlan,
    ApproveMarketingPlan,
    DraftMarketingPlan,
    RecordPlanMeasurement,
    ReturnMarketingPlan,
    ReviseMarketingPlan,
    SubmitMarketingPlan,
)
from domain.marketing_plan import STRATEGY_KINDS, TARGET_FIGURES, MarketingPlan
from interfaces.http.commands import CommandDep, Target, body_schema
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.json import iso_utc, iso_utc_or_none, number
from interfaces.http.openapi import COMMAND, CREATE, history_of, list_of, read_of
from interfaces.http.reads import (
    aggregate_answer,
    directory_answer,
    fiscal_year_filter,
    history_answer,
)
from interfaces.http.routers.plan_revisions import (
    approved_revision,
    approved_revisions,
    returned_revision,
)
from interfaces.http.schemas import marketing_plans as bodies
from interfaces.http.schemas.answers import marketing_plans as answers
from interfaces.http.schemas.common import Empty

router = APIRouter(prefix="/marketing-plans", tags=["marketing plans"])


def _figure(value: Decimal | int | None) -> float | int | None:
    return number(value) if isinstance(value, Decimal) else value


def _strategies(strategies: dict[str, str]) -> dict[str, str | None]:
    return {kind: strategies.get(kind) for kind in STRATEGY_KINDS}


def _targets(targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"period": t["period"], **{name: _figure(t.get(name)) for name in TARGET_FIGURES}}
        for t in targets
    ]


def represent(plan: MarketingPlan) -> dict[str, Any]:
    """A plan as `GET /marketing-plans/{id}` answers it."""
    approved = plan.approved
    return {
        "id": str(plan.id),
        "version": plan.version,
        "status": plan.status,
        "fiscal_year": plan.fiscal_year,
        "revision": plan.revision,
        "strategies": _strategies(plan.strategies),
        "targets": _targets(plan.targets),
        "submitted_by": plan.submitted_by,
        "submitted_at": iso_utc_or_none(plan.submitted_at),
        "returned": returned_revision(plan.returned),
        "approved": None
        if approved is None
        else approved_revision(
            approved,
            strategies=_strategies(approved["strategies"]),
            targets=_targets(approved["targets"]),
        ),
        "revisions": approved_revisions(plan.revisions),
        "measurements": [
            {
                "metric": m["metric"],
                "period": m["period"],
                "value": _figure(m["value"]),
                "source": m["source"],
                "method": m["method"],
                "occurred_at": iso_utc_or_none(m["occurred_at"]),
                "recorded_at": iso_utc_or_none(m["recorded_at"]),
                "recorded_by": m["recorded_by"],
            }
            for m in plan.measurements
        ],
        "created_at": iso_utc(plan.created_on),
        "updated_at": iso_utc(plan.modified_on),
    }


def directory_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "fiscal_year": row["fiscal_year"],
        "status": row["status"],
        "revision": row["revision"],
        "approved_revision": row["approved_revision"],
        "approved_at": row["approved_at"],
        "approved_by": row["approved_by"],
        "measurement_count": row["measurement_count"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "position": row["created_position"],
    }


def _strategies_given(strategies: bodies.Strategies | None) -> dict[str, Any] | None:
    return None if strategies is None else strategies.model_dump()


def _targets_given(targets: list[bodies.PlanTarget] | None) -> list[dict[str, Any]] | None:
    return None if targets is None else [target.model_dump() for target in targets]


@router.post("", status_code=201, openapi_extra=body_schema(bodies.DraftPlan), responses=CREATE)
async def draft_marketing_plan(call: CommandDep) -> JSONResponse:
    """Draft the plan of a fiscal year (marketing, sales_manager); one plan a year."""
    body = await call.read(DraftMarketingPlan, bodies.DraftPlan)
    command = DraftMarketingPlan(
        fiscal_year=body.fiscal_year,
        strategies=_strategies_given(body.strategies),
        targets=_targets_given(body.targets),
    )
    return await call.answer(command)


@router.post("/{plan_id}/amend", openapi_extra=body_schema(bodies.AmendPlan), responses=COMMAND)
async def amend_marketing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Replace the strategies or targets of a draft (marketing, sales_manager)."""
    body = await call.read(AmendMarketingPlan, bodies.AmendPlan, Target(MarketingPlan, plan_id))
    command = AmendMarketingPlan(
        plan_id,
        strategies=_strategies_given(body.strategies),
        targets=_targets_given(body.targets),
    )
    return await call.answer(command)


@router.post("/{plan_id}/submit", openapi_extra=body_schema(Empty), responses=COMMAND)
async def submit_marketing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the draft revision before an executive (marketing, sales_manager)."""
    await call.read(SubmitMarketingPlan, Empty, Target(MarketingPlan, plan_id))
    return await call.answer(SubmitMarketingPlan(plan_id))


@router.post("/{plan_id}/approve", openapi_extra=body_schema(Empty), responses=COMMAND)
async def approve_marketing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Put the revision in force (an executive other than the submitter)."""
    await call.read(ApproveMarketingPlan, Empty, Target(MarketingPlan, plan_id))
    return await call.answer(ApproveMarketingPlan(plan_id))


@router.post("/{plan_id}/return", openapi_extra=body_schema(bodies.Return), responses=COMMAND)
async def return_marketing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Send the revision back to draft with comments (an executive other than the submitter)."""
    body = await call.read(ReturnMarketingPlan, bodies.Return, Target(MarketingPlan, plan_id))
    return await call.answer(ReturnMarketingPlan(plan_id, body.comments))


@router.post("/{plan_id}/revise", openapi_extra=body_schema(Empty), responses=COMMAND)
async def revise_marketing_plan(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Start a new revision of the approved plan (marketing, sales_manager)."""
    await call.read(ReviseMarketingPlan, Empty, Target(MarketingPlan, plan_id))
    return await call.answer(ReviseMarketingPlan(plan_id))


@router.post(
    "/{plan_id}/measurements", openapi_extra=body_schema(bodies.Measurement), responses=COMMAND
)
async def record_plan_measurement(plan_id: UUID, call: CommandDep) -> JSONResponse:
    """Record a measured market share or brand awareness of a quarter (marketing)."""
    body = await call.read(
        RecordPlanMeasurement, bodies.Measurement, Target(MarketingPlan, plan_id)
    )
    command = RecordPlanMeasurement(
        plan_id,
        metric=body.metric,
        period=body.period,
        value=body.value,
        source=body.source,
        method=body.method,
        occurred_at=body.occurred_at,
    )
    return await call.answer(command)


@router.get("", responses=list_of(answers.MarketingPlanItem))
def list_marketing_plans(
    caller: CurrentCaller,
    services: ServicesDep,
    status: str | None = None,
    fiscal_year: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Marketing plans in the order they were drafted, filtered by status and fiscal year."""
    return directory_answer(
        services,
        "marketing_plans",
        directory_item,
        limit=limit,
        cursor=cursor,
        wait_for=wait_for,
        status=status,
        fiscal_year=fiscal_year_filter(fiscal_year),
    )


@router.get("/{plan_id}", responses=read_of(answers.MarketingPlanView))
def get_marketing_plan(
    plan_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    version: int | None = None,
    as_of: str | None = None,
) -> JSONResponse:
    """A plan now, at a version (`?version=`), or as recorded at a time (`?as_of=`)."""
    return aggregate_answer(services, MarketingPlan, plan_id, version, as_of, represent)


@router.get("/{plan_id}/history", responses=history_of())
def marketing_plan_history(
    plan_id: UUID,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: int | None = None,
    cursor: str | None = None,
    wait_for: int | None = None,
) -> JSONResponse:
    """Every event of a plan, oldest first, with actor and both times."""
    return history_answer(services, MarketingPlan, plan_id, limit, cursor, wait_for)
