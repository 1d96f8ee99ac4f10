"""Housekeeping of the enforcement domain.

`enforcement.tidy` resets accounts whose participation restriction has run out to what
their remaining active actions imply. Nothing depends on it running on time: instance
start and the assist hot path compare `restricted_until` with the clock, and invite
checks read the actions themselves. It only keeps `account.status` honest for readers
such as the operator console.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.enforcement import service
from huzhu.jobs.registry import periodic

TIDY_EVERY_SECONDS = 60.0


@periodic("enforcement.tidy", every_seconds=TIDY_EVERY_SECONDS)
def tidy(session: Session, settings: Settings) -> None:
    service.tidy_lapsed_restrictions(session)
