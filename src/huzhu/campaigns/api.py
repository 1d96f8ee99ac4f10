"""Routes of the campaigns domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["campaigns"])
