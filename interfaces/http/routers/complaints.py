"""`/complaints`: commands, the complaint now and as of a time, its history, and the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/complaints", tags=["complaints"])
