"""Assist unlock (助力免单 / 领现金) rules: pure functions, no I/O.

N = `helpers_needed` counted assists unlock a reward of `reward_cents`, paid from the
campaign's budget exactly once. Each assist is worth the same, so the progress units are
N slots of value 1: the participant always sees exactly how many friends are still
needed, and a voided assist gives its slot back.
"""

from __future__ import annotations


def slot_values(helpers_needed: int) -> list[int]:
    """The instance's progress slots: one of value 1 per helper needed."""
    if helpers_needed < 1:
        raise ValueError("an unlock needs at least one helper")
    return [1] * helpers_needed
