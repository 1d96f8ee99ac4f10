"""What a money step's route takes from the request for the guardrails."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

# The token POST /me/confirmations returned for exactly this step (see huzhu.guardrails).
Confirmation = Annotated[
    str | None,
    Header(
        alias="Huzhu-Confirmation",
        max_length=1000,
        description="the token POST /api/v1/me/confirmations returned for this step",
    ),
]
