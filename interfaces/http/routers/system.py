"""`/health`, `/ready`, `/projections` and `/metrics`."""

from __future__ import annotations

import contextlib
import hmac
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, Security
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from interfaces.http.deps import CurrentCaller, ServicesDep, current_caller
from interfaces.http.errors import DATABASE_ERRORS, database_problem, problem
from interfaces.http.openapi import LIST, OPEN, answer_of, bearer, list_of, problem_response
from interfaces.http.schemas.answers import system as answers

router = APIRouter(tags=["system"])


def _not_ready_response() -> dict[str, Any]:
    """`/ready`'s 503: the database's codes, or `not_ready` when a read model is not."""
    response = problem_response(503)
    schema = response["content"]["application/problem+json"]["schema"]
    code = schema["properties"]["code"]
    schema["properties"]["code"] = {**code, "enum": [*code["enum"], "not_ready"]}
    response["description"] = (
        "not ready: the database cannot be reached, or a read model failed or lags more "
        "than `MOPS_READY_MAX_LAG` events (`Retry-After`)"
    )
    return response


READY: dict[int | str, dict[str, Any]] = {**OPEN, 503: _not_ready_response()}
METRICS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the metrics in Prometheus' text format",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    **LIST,
}


# How long `/health` looks for the log's head before answering without it.
HEALTH_POSITION_SECONDS = 1.0


@router.get("/health", responses=answer_of(answers.Health, OPEN))
async def health(services: ServicesDep) -> JSONResponse:
    """Liveness, and the newest position of the event log (no token needed).

    The process lives while the database is away: then the answer is 200 all the same,
    at once, its position null (`/ready` is the one that says 503).
    """
    position = None
    with anyio.move_on_after(HEALTH_POSITION_SECONDS):
        with contextlib.suppress(*DATABASE_ERRORS):
            position = await anyio.to_thread.run_sync(
                services.backoffice.max_position, abandon_on_cancel=True
            )
    return JSONResponse({"status": "ok", "position": position})


@router.get(
    "/ready",
    summary="Readiness: the database answers and the read models keep up",
    responses=answer_of(answers.Ready, READY),
)
def ready(request: Request, services: ServicesDep) -> JSONResponse:
    """Readiness: the database answers and every read model folds, within the lag allowed."""
    try:
        head = services.backoffice.max_position()
        items = services.read_side.status(head)
    except DATABASE_ERRORS as error:
        return database_problem(request, error)
    max_lag = services.settings.ready_max_lag
    failed = [item["name"] for item in items if item["state"] == "failed"]
    lagging = [item["name"] for item in items if item["lag"] > max_lag]
    if not failed and not lagging:
        return JSONResponse({"status": "ready", "position": head})
    reasons = [f"{name} failed" for name in failed]
    reasons += [f"{name} lags more than {max_lag} events" for name in lagging]
    response = problem(
        503,
        "not_ready",
        "Not ready",
        "; ".join(reasons),
        failed=failed,
        lagging=lagging,
        position=head,
    )
    response.headers["Retry-After"] = "5"
    return response


@router.get("/projections", responses=list_of(answers.ReadModelStatus))
def projections(caller: CurrentCaller, services: ServicesDep) -> JSONResponse:
    """Each read model's position, lag behind the log, state, and the process folding it."""
    items = services.read_side.status(services.backoffice.max_position())
    return JSONResponse({"items": items, "next_cursor": None})


async def _may_scrape(request: Request, services: ServicesDep) -> None:
    """A user's token with a role of mops, or `Bearer <MOPS_METRICS_TOKEN>` (401, 403)."""
    expected = services.settings.metrics_token
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if (
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    ):
        return
    await current_caller(request, services)


@router.get(
    "/metrics",
    responses=METRICS,
    response_class=Response,
    dependencies=[Security(bearer)],  # a user's token, or MOPS_METRICS_TOKEN
)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Requests, commands, the log's head and the read models, for Prometheus.

    The counters are this process's own (`interfaces/http/metrics.py`).
    """
    await _may_scrape(request, services)
    registry = request.app.state.metrics.registry
    text = await run_in_threadpool(generate_latest, registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
