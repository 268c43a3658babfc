"""`/risks`: commands, the risk now and as of a time, its history, and the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/risks", tags=["risks"])
