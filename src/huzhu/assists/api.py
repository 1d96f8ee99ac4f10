"""Routes of the assists domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["assists"])
