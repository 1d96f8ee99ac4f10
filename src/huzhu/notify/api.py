"""Routes of the notify domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["notify"])
