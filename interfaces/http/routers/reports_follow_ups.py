"""`GET /reports/follow-ups`: the customers due for a follow-up, with their last contact."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/reports", tags=["reports"])
