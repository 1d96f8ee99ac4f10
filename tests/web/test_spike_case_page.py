"""A spike's review case shows its evidence on the console page, over a real server:
the window's counts in words, and the assists held on its activity now — exactly those
the database holds — with why each was held."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from huzhu.assists.models import Assist
from huzhu.web.security import OPERATOR_COOKIE
from tests.assists.conftest import UNLOCK_RULES
from tests.risk.test_held_after_review import PHONE, SCRIPT, SPIKE_MIN, Env, _spike_case, _start


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    started, db = _start(db_url, tmp_path, spike_min=SPIKE_MIN)
    try:
        yield started
    finally:
        started.server.stop()
        db.dispose()


def test_a_spike_case_shows_its_window_and_the_assists_it_holds(env: Env) -> None:
    instance_id, _ = env.instance("unlock", UNLOCK_RULES | {"helpers_needed": 20}, [1] * 20)
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        assert [env.assist(client, instance_id, SCRIPT) for _ in range(2)] == [202, 202]
        friends = [env.assist(client, instance_id, PHONE) for _ in range(4)]
    assert friends == [201, 201, 202, 202]  # the 5th assist starts the watch
    case_id = _spike_case(env, instance_id)
    with env.db.unit_of_work() as s:
        held = s.scalars(
            select(Assist.id).where(Assist.instance_id == instance_id, Assist.status == "held")
        ).all()
    with httpx.Client(base_url=env.server.url, timeout=30) as console:
        console.cookies.set(OPERATOR_COOKIE, env.analyst)
        page = console.get(f"/console/review/{case_id}", headers={"Accept-Language": "en"}).text

    assert "data-spike-evidence" in page
    window = re.search(r'data-evidence="window">([^<]*)<', page)
    assert window is not None
    assert re.fullmatch(r"\d+ assists against 0 share opens within \d+ seconds", window.group(1))
    assert 'data-evidence="watch">new assists on the activity are held for' in page
    shown = sorted(int(i) for i in re.findall(r'data-held-assist="(\d+)"', page))
    assert shown == sorted(held)
    assert len(shown) == 4
    # The watch's holds say so in words; the scripts' say what the score saw.
    assert page.count('data-risk-reason="instance_under_watch"') == 2
    assert "the activity was under watch after a spike" in page


def test_a_case_of_another_kind_has_no_spike_section(env: Env) -> None:
    instance_id, _ = env.instance("unlock", UNLOCK_RULES | {"helpers_needed": 20}, [1] * 20)
    case_id = env.hold_case(instance_id)
    with httpx.Client(base_url=env.server.url, timeout=30) as console:
        console.cookies.set(OPERATOR_COOKIE, env.analyst)
        page = console.get(f"/console/review/{case_id}").text
    assert "data-spike-evidence" not in page
