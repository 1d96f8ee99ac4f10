"""Time from share open to assist, over HTTP against a running server: the open route
tells the scorer when each open (and each link's latest open) happened, and the assist
that comes through it is scored on the time since — with no query on the hot path. An
assist straight after its open, or through a share nobody opened, carries the hint in
its stored reasons; one a person makes after reading does not. Opens through the share
page reach the scorer as opens through the API do (the invites service tells it).

The server runs in a thread of the test, on the app clock the test moves: "straight
after" is no time at all on that clock and "after reading" is the window and a second,
so how long a loaded machine takes to answer never decides a case."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from huzhu.accounts.service import issue_participant_token
from huzhu.app import create_app
from huzhu.assists.models import Assist
from huzhu.db import Database
from huzhu.invites.models import ShareOpen
from huzhu.kit import clock
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_participant, make_shop
from tests.support.servers import ThreadServer, serve_in_thread

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
# Far wider than any machine takes to answer an open and an assist: "instant" is then
# whatever the test does not move the clock across.
MIN_OPEN_SECONDS = 600.0


class World:
    def __init__(self, server: ThreadServer, db: Database, db_url: str) -> None:
        self.server, self.db = server, db
        self.settings = make_settings(db_url)
        with db.unit_of_work() as s:
            self.shop_id = make_shop(s)
            campaign = make_campaign(s, shop_id=self.shop_id, kind="unlock", rules=UNLOCK_RULES)
            self.starter, _ = make_participant(s, self.settings, shop_id=self.shop_id, name="st")
            self.instance_id = write_instance(
                s,
                shop_id=self.shop_id,
                campaign=campaign,
                kind="unlock",
                initiator_id=self.starter,
                slots=[1] * 8,
            )
        self._n = 0

    def helper(self) -> str:
        self._n += 1
        with self.db.unit_of_work() as s:
            return make_participant(s, self.settings, shop_id=self.shop_id, name=f"h{self._n}")[1]

    def share(self, client: httpx.Client, channel: str) -> str:
        token = issue_participant_token(
            self.settings, shop_id=self.shop_id, account_id=self.starter
        )[0]
        r = client.post(
            f"/api/v1/instances/{self.instance_id}/share-links",
            headers=auth(token),
            json={"channel": channel},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    def open(self, client: httpx.Client, share: str) -> int:
        r = client.post(f"/api/v1/shares/{share}/open", headers=PHONE)
        assert r.status_code == 201, r.text
        return int(r.json()["open_id"])

    def assist(
        self, client: httpx.Client, helper: str | None = None, **params: object
    ) -> list[str]:
        """Assist with the given share params; the reasons stored with the decision."""
        r = client.post(
            f"/api/v1/instances/{self.instance_id}/assists",
            params=params,
            headers={**auth(helper or self.helper()), **PHONE},
        )
        assert r.status_code == 201, r.text  # hints, not proof: nobody here is held
        with self.db.unit_of_work() as s:
            row = s.get(Assist, int(r.json()["assist_id"]))
            assert row is not None
            return [reason for reason in row.risk_reasons or [] if reason != "new_account"]


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    risk = {
        "inline_enabled": True,
        "min_open_seconds": MIN_OPEN_SECONDS,
        # Every request comes from loopback: not a busy network here, nor a group of
        # fresh accounts, or of taps with no open, behind one network.
        "net_assists_limit": 10_000,
        "group_instance_assists": 0,
        "group_campaign_assists": 0,
        "burst_instance_assists": 0,
        "burst_campaign_assists": 0,
    }
    server = serve_in_thread(create_app(make_settings(db_url, risk=risk)))
    try:
        yield World(server, db, db_url)
    finally:
        server.stop()
        db.dispose()


def test_assists_are_scored_on_the_time_since_their_share_was_opened(world: World) -> None:
    with world.server.client() as client:
        share = world.share(client, "friend")
        # Straight after its own open: the tap came as the page answered.
        helper = world.helper()
        instant = world.assist(client, helper, share=share, share_open=world.open(client, share))
        # A person who read first, then tapped.
        read_open = world.open(client, share)
        clock.advance(MIN_OPEN_SECONDS + 1)
        read = world.assist(client, share=share, share_open=read_open)
        # The same link without naming an open: timed from the link's latest open.
        latest = world.assist(client, share=share)
        # A second link of the instance that nobody ever opened, used as it is.
        unopened = world.assist(client, share=world.share(client, "timeline"))
        # No share at all: the older, weaker signal.
        bare = world.assist(client)
    [hint] = instant
    assert hint.startswith("instant_after_open:")
    assert float(hint.split(":")[1].rstrip("s")) < MIN_OPEN_SECONDS
    assert read == []
    assert latest == []
    assert unopened == ["share_not_opened"]
    assert bare == ["no_share_open"]


def test_an_open_of_the_share_page_times_the_assist_as_an_api_open_does(world: World) -> None:
    with world.server.client() as client:
        share = world.share(client, "qr")
        first, second = world.helper(), world.helper()
        page = client.get(f"/s/{share}", headers=PHONE)
        assert page.status_code == 200, page.text
        with world.db.unit_of_work() as s:
            open_id = s.scalar(select(func.max(ShareOpen.id)))
        assert open_id is not None
        # The page's assist carries the share and its open; tapping at once is the hint.
        instant = world.assist(client, first, share=share, share_open=open_id)
        # Through the link alone: timed from the page's open, the link's latest.
        latest = world.assist(client, second, share=share)
    assert [r.split(":")[0] for r in instant] == ["instant_after_open"]
    assert [r.split(":")[0] for r in latest] == ["instant_after_open"]
