"""`/reports/kpis`: company and employee KPIs."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/reports/kpis", tags=["reports"])
