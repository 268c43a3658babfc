"""`/price-lists`: commands, the price list now and as of a time, its history, and the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/price-lists", tags=["price lists"])
