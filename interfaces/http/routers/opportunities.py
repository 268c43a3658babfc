"""`/opportunities`: commands, the opportunity now and as of a time, its history, and the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/opportunities", tags=["opportunities"])
