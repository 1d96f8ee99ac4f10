"""A bargain's cuts are checkable like a draw, over a real server: the commitment is on
the page and in the public record from the start, the seed never while the bargain
runs, and once it has ended `huzhu verify-cuts` re-derives every cut — and refuses a
commitment other than the one shown at the start."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from huzhu.assists.models import Instance
from huzhu.campaigns.rules.lottery import commitment_for
from huzhu.cli.main import app
from huzhu.db import Database
from huzhu.notify.models import Event
from huzhu.web.security import PARTICIPANT_COOKIE
from tests.assists.conftest import BARGAIN_RULES
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_participant, make_shop
from tests.support.people import LOOPBACK_CROWD_ENV, PHONE
from tests.support.servers import LiveServer, start_server


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env=LOOPBACK_CROWD_ENV,
    )
    try:
        yield live
    finally:
        live.stop()


def _verify(url: str, commitment: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app,
        ["verify-cuts", "--url", url, "--commitment", commitment],
    )
    return result.exit_code, result.output


def _page(server: LiveServer, instance_id: int, token: str) -> str:
    with server.client(cookies={PARTICIPANT_COOKIE: token}) as browser:
        page = browser.get(f"/i/{instance_id}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    return page.text


def test_cuts_are_committed_at_the_start_and_verifiable_once_it_ended(
    db_url: str, server: LiveServer
) -> None:
    db = Database(make_settings(db_url).db)
    try:
        with db.unit_of_work() as s:
            shop_id = make_shop(s)
            campaign_id, _ = make_campaign(s, shop_id=shop_id, kind="bargain", rules=BARGAIN_RULES)
            people = [
                make_participant(s, make_settings(db_url), shop_id=shop_id, name=f"p{i}")[1]
                for i in range(6)
            ]
        starter, helpers = people[0], people[1:]
        with server.client() as api:
            made = api.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(starter))
            assert made.status_code == 201, made.text
            instance_id = made.json()["id"]
            with db.unit_of_work() as s:
                instance = s.get(Instance, instance_id)
                assert instance is not None
                seed = instance.seed_hex
            record_url = f"{server.url}/api/v1/instances/{instance_id}/cuts"

            # Running: the commitment everywhere, the seed nowhere.
            page = _page(server, instance_id, starter)
            shown = re.search(r"data-cut-commitment>([0-9a-f]{64})<", page)
            assert shown is not None
            commitment = shown.group(1)
            assert commitment == commitment_for(seed)
            # Published at the start besides, in the event integrators receive.
            with db.unit_of_work() as s:
                started = s.scalars(
                    select(Event.payload).where(
                        Event.type == "instance.started", Event.subject_id == instance_id
                    )
                ).one()
            assert started["cut_commitment_hex"] == commitment
            assert seed not in repr(started)
            running = [
                page,
                api.get(f"/api/v1/instances/{instance_id}/cuts").text,
                api.get(f"/api/v1/instances/{instance_id}").text,
                api.get("/api/v1/me/instances", headers=auth(starter)).text,
            ]
            record = api.get(f"/api/v1/instances/{instance_id}/cuts").json()
            assert (record["seed_hex"], record["cuts"], record["claimed"]) == (None, None, [])
            for helper in helpers[:4]:
                given = api.post(
                    f"/api/v1/instances/{instance_id}/assists", headers=auth(helper) | PHONE
                )
                assert given.json()["status"] == "counted", given.text
                running.append(_page(server, instance_id, helper))
                running.append(api.get(f"/api/v1/instances/{instance_id}/cuts").text)
            assert all(seed not in text for text in running)
            code, output = _verify(record_url, commitment)
            assert code == 1
            assert "not revealed yet" in output

            # The last helper reaches the floor: the bargain succeeded and no longer runs.
            last = api.post(
                f"/api/v1/instances/{instance_id}/assists", headers=auth(helpers[4]) | PHONE
            )
            assert last.json()["status"] == "counted", last.text
            assert api.get(f"/api/v1/instances/{instance_id}").json()["status"] == "succeeded"
            record = api.get(f"/api/v1/instances/{instance_id}/cuts").json()

        assert record["seed_hex"] == seed
        assert sum(record["cuts"]) == record["target_cents"] == 5_000
        assert [c["value_cents"] for c in record["claimed"]] == record["cuts"]
        page = _page(server, instance_id, starter)
        assert f"data-cut-seed>{seed}<" in page
        assert f"--url {record_url} --commitment {commitment}" in page
        code, output = _verify(record_url, commitment)
        assert code == 0, output
        assert "VERIFIED" in output
        code, output = _verify(record_url, commitment_for("00" * 32))
        assert code == 1
        assert "launch commitment" in output
    finally:
        db.dispose()


def test_a_helper_is_told_how_much_their_assist_cut(db_url: str, server: LiveServer) -> None:
    db = Database(make_settings(db_url).db)
    try:
        with db.unit_of_work() as s:
            shop_id = make_shop(s)
            campaign_id, _ = make_campaign(s, shop_id=shop_id, kind="bargain", rules=BARGAIN_RULES)
            starter, helper = (
                make_participant(s, make_settings(db_url), shop_id=shop_id, name=name)[1]
                for name in ("starter", "helper")
            )
        with server.client() as api:
            made = api.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(starter))
            instance_id = made.json()["id"]
            before = _page(server, instance_id, helper)
            assert "data-my-cut" not in before
            given = api.post(
                f"/api/v1/instances/{instance_id}/assists", headers=auth(helper) | PHONE
            )
            assert given.json()["status"] == "counted", given.text
            cut = api.get(f"/api/v1/instances/{instance_id}/cuts").json()["claimed"][0]
        page = _page(server, instance_id, helper)
        mine = re.search(r'data-my-cut="(\d+)">([^<]*)<', page)
        assert mine is not None
        assert int(mine.group(1)) == cut["value_cents"] == given.json()["value"]
        yuan = f"¥{cut['value_cents'] // 100}.{cut['value_cents'] % 100:02d}"
        assert yuan in mine.group(2)
        # The starter is not a helper here: no cut of theirs.
        assert "data-my-cut" not in _page(server, instance_id, starter)
    finally:
        db.dispose()


def test_another_kinds_instance_has_no_cut_record(db_url: str, server: LiveServer) -> None:
    db = Database(make_settings(db_url).db)
    try:
        with db.unit_of_work() as s:
            shop_id = make_shop(s)
            campaign_id, _ = make_campaign(
                s,
                shop_id=shop_id,
                kind="unlock",
                rules={
                    "instance_ttl_seconds": 3600,
                    "helpers_needed": 2,
                    "reward_cents": 100,
                    "reward_name": "coffee",
                },
            )
            token = make_participant(s, make_settings(db_url), shop_id=shop_id, name="u")[1]
        with httpx.Client(base_url=server.url, timeout=30) as api:
            made = api.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=auth(token))
            assert made.status_code == 201, made.text
            found = api.get(f"/api/v1/instances/{made.json()['id']}/cuts")
        assert found.status_code == 404
        assert found.json()["code"] == "instance_not_found"
    finally:
        db.dispose()
