"""Unlock rules: N helpers needed means N slots of value 1, and the count never lies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huzhu.campaigns.rules import unlock


@given(needed=st.integers(min_value=1, max_value=500))
def test_n_helpers_needed_are_n_slots_of_one(needed: int) -> None:
    slots = unlock.slot_values(needed)
    assert len(slots) == needed
    assert set(slots) == {1}


def test_an_unlock_without_helpers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one helper"):
        unlock.slot_values(0)
