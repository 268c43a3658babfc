"""`/marketing-plans`: commands, the plan now and as of a time, its history, and the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/marketing-plans", tags=["marketing plans"])
