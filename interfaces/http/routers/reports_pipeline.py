"""`/reports/pipeline`: the sales pipeline as of any date."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/reports", tags=["reports"])
