"""`GET /reports/risks`: the risk register, its heat map, overdue actions and warnings."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/reports", tags=["reports"])
