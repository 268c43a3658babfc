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

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from domain.marketing_plan import STRATEGY_KINDS, TARGET_FIGURES, MarketingPlan
from interfaces.http.deps import CurrentCaller, ServicesDep
from interfaces.http.reads import directory_answer, fiscal_year_filter
from interfaces.http.routes import aggregate_reads, command_route, create_route
from interfaces.http.schemas import marketing_plans as bodies
from interfaces.http.schemas.common import Empty
from projections.events import iso_utc
from projections.kpis import number

router = APIRouter(prefix="/marketing-plans", tags=["marketing plans"])


def _at(value: datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def _figure(value: Decimal | int | None) -> float | int | None:
    return number(value) if isinstance(value, Decimal) else value


def _strategies(strategies: dict[str, str]) -> dict[str, str | None]:
    return {kind: strategies.get(kind) for kind in STRATEGY_KINDS}


def _targets(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"period": t["period"], **{name: _figure(t.get(name)) for name in TARGET_FIGURES}}
        for t in targets
    ]


def represent(plan: MarketingPlan) -> dict[str, Any]:
    """A plan as `GET /marketing-plans/{id}` answers it."""
    approved = plan.approved
    returned = plan.returned
    return {
        "id": str(plan.id),
        "version": plan.version,
        "status": plan.status,
        "fiscal_year": plan.fiscal_year,
        "revision": plan.revision,
        "strategies": _strategies(plan.strategies),
        "targets": _targets(plan.targets),
        "submitted_by": plan.submitted_by,
        "submitted_at": _at(plan.submitted_at),
        "returned": None
        if returned is None
        else {
            "revision": returned["revision"],
            "comments": returned["comments"],
            "returned_by": returned["returned_by"],
            "returned_at": _at(returned["returned_at"]),
        },
        "approved": None
        if approved is None
        else {
            "revision": approved["revision"],
            "strategies": _strategies(approved["strategies"]),
            "targets": _targets(approved["targets"]),
            "approved_at": _at(approved["approved_at"]),
            "approved_by": approved["approved_by"],
        },
        "revisions": [
            {
                "revision": r["revision"],
                "version": r["version"],
                "submitted_by": r["submitted_by"],
                "approved_at": _at(r["approved_at"]),
                "approved_by": r["approved_by"],
            }
            for r in plan.revisions
        ],
        "measurements": [
            {
                "metric": m["metric"],
                "period": m["period"],
                "value": _figure(m["value"]),
                "source": m["source"],
                "method": m["method"],
                "occurred_at": _at(m["occurred_at"]),
                "recorded_at": _at(m["recorded_at"]),
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


def _plan_fields(body: bodies.DraftPlan | bodies.AmendPlan) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if body.strategies is not None:
        fields["strategies"] = body.strategies.model_dump()
    if body.targets is not None:
        fields["targets"] = [t.model_dump() for t in body.targets]
    return fields


create_route(
    router,
    MarketingPlan,
    "marketing_plan.draft",
    bodies.DraftPlan,
    lambda app, cmd, body: app.draft_marketing_plan(
        cmd, fiscal_year=body.fiscal_year, **_plan_fields(body)
    ),
)

for path, permission, model, call in (
    (
        "/{id}/amend",
        "marketing_plan.amend",
        bodies.AmendPlan,
        lambda a, c, i, b: a.amend_marketing_plan(c, i, **_plan_fields(b)),
    ),
    (
        "/{id}/submit",
        "marketing_plan.submit",
        Empty,
        lambda a, c, i, b: a.submit_marketing_plan(c, i),
    ),
    (
        "/{id}/approve",
        "marketing_plan.approve",
        Empty,
        lambda a, c, i, b: a.approve_marketing_plan(c, i),
    ),
    (
        "/{id}/return",
        "marketing_plan.return",
        bodies.Return,
        lambda a, c, i, b: a.return_marketing_plan(c, i, b.comments),
    ),
    (
        "/{id}/revise",
        "marketing_plan.revise",
        Empty,
        lambda a, c, i, b: a.revise_marketing_plan(c, i),
    ),
    (
        "/{id}/measurements",
        "marketing_plan.measurement",
        bodies.Measurement,
        lambda a, c, i, b: a.record_plan_measurement(c, i, **b.model_dump()),
    ),
):
    command_route(router, MarketingPlan, path, permission, model, call)


@router.get("")
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


aggregate_reads(router, MarketingPlan, represent)
