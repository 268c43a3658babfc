"""`/expense-claims`: commands, the claim now and as of a time, its history, and the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/expense-claims", tags=["expense claims"])
