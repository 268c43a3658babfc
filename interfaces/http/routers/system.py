"""`/health` and `/projections`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from interfaces.http.deps import CurrentCaller, ServicesDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health(services: ServicesDep) -> JSONResponse:
    """Liveness, and the newest position of the event log (no token needed)."""
    return JSONResponse({"status": "ok", "position": services.backoffice.max_position()})


@router.get("/projections")
def projections(caller: CurrentCaller, services: ServicesDep) -> JSONResponse:
    """Each read model's position, its lag behind the log, and its state."""
    items = services.read_side.status(services.backoffice.max_position())
    return JSONResponse({"items": items, "next_cursor": None})
