"""Routes of the jobs domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["jobs"])
