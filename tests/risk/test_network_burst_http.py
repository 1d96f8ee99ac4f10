"""A burst from one network over HTTP against a running server: assists on one instance
from one network prefix put it under watch at `SPIKE_NETWORK_ASSISTS` (the default, well
under the opens rule's minimum) even though every one came through an opened share, open
one `spike` case saying so with the network's keyed hash, and hold what follows; the same
traffic on another instance from as many networks counts.

Clients bind their own loopback source address (127.0.N.k: the whole 127/8 reaches the
server on Linux), so the server sees real, distinct peers with no proxy header."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from huzhu.accounts.service import issue_participant_token
from huzhu.assists.models import Assist
from huzhu.config import RiskSettings, Settings
from huzhu.db import Database
from huzhu.risk.inline import ClientHinter
from huzhu.risk.review.models import ReviewCase
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_participant, make_shop
from tests.support.servers import LiveServer, start_server

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
BURST = RiskSettings().spike_network_assists  # the default, not a test value
ASSISTS = BURST + 3  # per instance; the opens rule needs 30 and no more than 3 per open

World = tuple[LiveServer, Database, dict[str, int]]


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
        ids = {"shop": shop_id}
        for name in ("farmed", "crowd"):
            starter = make_participant(s, settings, shop_id=shop_id, name=f"{name}-starter")[0]
            ids[f"{name}_starter"] = starter
            ids[name] = write_instance(
                s,
                shop_id=shop_id,
                campaign=campaign,
                kind="unlock",
                initiator_id=starter,
                slots=[1] * (ASSISTS + 2),
            )
    server = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={
            "HUZHU_RISK__INLINE_ENABLED": "true",
            # The burst is judged on accounts of any age: fresh ones behind one network
            # are held earlier, as a group (test_inline_groups_http).
            "HUZHU_RISK__GROUP_INSTANCE_ASSISTS": "0",
            "HUZHU_RISK__GROUP_CAMPAIGN_ASSISTS": "0",
            # Each person here taps as their open answers, which the burst rule holds
            # from the second account of one network (test_inline_groups_http); this
            # test judges the spike watch, which also catches a farm that reads first.
            "HUZHU_RISK__BURST_CAMPAIGN_ASSISTS": "0",
            "HUZHU_RISK__BURST_INSTANCE_ASSISTS": "0",
        },
    )
    try:
        yield server, db, ids
    finally:
        server.stop()
        db.dispose()


def _assist_through_opened_share(
    server: LiveServer,
    db: Database,
    settings: Settings,
    ids: dict[str, int],
    *,
    instance: str,
    name: str,
    source: str,
) -> int:
    """One person at address `source`: opens the instance's share, then assists through
    that open from their own phone. Returns the assist's status code."""
    with db.unit_of_work() as s:
        helper = make_participant(s, settings, shop_id=ids["shop"], name=name)[1]
    starter = issue_participant_token(
        settings, shop_id=ids["shop"], account_id=ids[f"{instance}_starter"]
    )[0]
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=server.url, timeout=30, transport=transport) as client:
        link = client.post(
            f"/api/v1/instances/{ids[instance]}/share-links",
            headers=auth(starter),
            json={"channel": "friend"},
        )
        assert link.status_code == 201, link.text
        share = link.json()["token"]
        opened = client.post(f"/api/v1/shares/{share}/open", headers=PHONE)
        assert opened.status_code == 201, opened.text
        r = client.post(
            f"/api/v1/instances/{ids[instance]}/assists",
            params={"share": share, "share_open": opened.json()["open_id"]},
            headers={**auth(helper), **PHONE, "X-Huzhu-Device": f"{name}-phone"},
        )
        assert r.status_code in (201, 202), r.text
        return r.status_code


def test_a_burst_from_one_network_is_watched_and_many_networks_are_not(
    world: World, db_url: str
) -> None:
    server, db, ids = world
    settings = make_settings(db_url)
    # One network (127.0.7.0/24), a different address and phone per account.
    farmed = [
        _assist_through_opened_share(
            server, db, settings, ids, instance="farmed", name=f"farm{k}", source=f"127.0.7.{k + 1}"
        )
        for k in range(ASSISTS)
    ]
    # The same traffic on another instance, each person on a network of their own.
    crowd = [
        _assist_through_opened_share(
            server,
            db,
            settings,
            ids,
            instance="crowd",
            name=f"crowd{k}",
            source=f"127.0.{20 + k}.1",
        )
        for k in range(ASSISTS)
    ]
    # Held from the BURST-th assist on; then a friend on another network is held too.
    assert farmed == [201] * (BURST - 1) + [202] * (ASSISTS - BURST + 1)
    late_friend = _assist_through_opened_share(
        server, db, settings, ids, instance="farmed", name="late-friend", source="127.0.99.1"
    )
    assert late_friend == 202
    assert crowd == [201] * ASSISTS

    # The case is opened in the background after the answer: give it a moment.
    cases: list[ReviewCase] = []
    for _ in range(100):
        with db.unit_of_work() as s:
            cases = list(s.scalars(select(ReviewCase).where(ReviewCase.shop_id == ids["shop"])))
            s.expunge_all()
        if cases:
            break
        time.sleep(0.1)
    time.sleep(0.3)  # a second (wrong) case would have had time to appear too
    with db.unit_of_work() as s:
        cases = list(s.scalars(select(ReviewCase).where(ReviewCase.shop_id == ids["shop"])))
        assert [(c.kind, c.open_key, c.instance_id) for c in cases] == [
            ("spike", f"spike:{ids['farmed']}", ids["farmed"])
        ]
        evidence = cases[0].evidence
        key = settings.security.secret_key.get_secret_value().encode()
        network = ClientHinter(key).hints({}, "127.0.7.200").net_hash
        assert evidence["trigger"] == "network_burst"
        assert evidence["network_hash"] == network
        assert evidence["network_assists_on_instance_in_window"] == BURST
        assert evidence["assists_in_window"] == BURST
        assert evidence["share_opens_in_window"] == BURST  # opens explained them all
        assert "one network" in cases[0].summary
        assert "127.0." not in str(evidence) + cases[0].summary
        held = s.scalars(
            select(Assist).where(Assist.instance_id == ids["farmed"], Assist.status == "held")
        ).all()
        assert len(held) == ASSISTS - BURST + 2
        assert all("instance_under_watch" in a.risk_reasons for a in held)
        crowd_rows = s.scalars(select(Assist).where(Assist.instance_id == ids["crowd"])).all()
        assert sorted(a.status for a in crowd_rows) == ["counted"] * ASSISTS
