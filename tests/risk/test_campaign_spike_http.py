"""Campaign spikes over HTTP against a running server: a burst spread one assist per
instance over a campaign opens one campaign `spike` case and holds nobody, while the same
burst on a campaign whose shares people opened (the open route tells the scorer the
campaign) is no spike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from huzhu.accounts.service import issue_participant_token
from huzhu.db import Database
from huzhu.risk.review.models import ReviewCase
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_participant, make_shop
from tests.support.servers import LiveServer, start_server

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
INSTANCES = 8  # one assist each; the campaign rule fires at the 6th
CAMPAIGN_MIN = 6


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, Database, dict[str, object]]]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    ids: dict[str, object] = {}
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        ids["shop"] = shop_id
        for name in ("quiet", "shared"):
            campaign = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
            ids[f"{name}_campaign"] = campaign[0]
            starters = [
                make_participant(s, settings, shop_id=shop_id, name=f"{name}-starter{k}")[0]
                for k in range(INSTANCES)
            ]
            ids[name] = [
                (
                    write_instance(
                        s,
                        shop_id=shop_id,
                        campaign=campaign,
                        kind="unlock",
                        initiator_id=starter,
                        slots=[1, 1, 1],
                    ),
                    starter,
                )
                for starter in starters
            ]
    server = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={
            "HUZHU_RISK__INLINE_ENABLED": "true",
            "HUZHU_RISK__CAMPAIGN_SPIKE_MIN_ASSISTS": str(CAMPAIGN_MIN),
            # Every request comes from loopback: not a group of fresh accounts, or of
            # taps with no open, behind one network (test_inline_groups_http), which
            # would hold the burst first.
            "HUZHU_RISK__GROUP_INSTANCE_ASSISTS": "0",
            "HUZHU_RISK__GROUP_CAMPAIGN_ASSISTS": "0",
            "HUZHU_RISK__BURST_INSTANCE_ASSISTS": "0",
            "HUZHU_RISK__BURST_CAMPAIGN_ASSISTS": "0",
        },
    )
    try:
        yield server, db, ids
    finally:
        server.stop()
        db.dispose()


def test_a_campaign_wide_burst_alerts_once_and_opened_shares_explain_one(
    world: tuple[LiveServer, Database, dict[str, object]], db_url: str
) -> None:
    server, db, ids = world
    settings = make_settings(db_url)
    shop_id = int(ids["shop"])  # type: ignore[call-overload]
    quiet: list[tuple[int, int]] = ids["quiet"]  # type: ignore[assignment]
    shared: list[tuple[int, int]] = ids["shared"]  # type: ignore[assignment]

    def helper(name: str) -> str:
        with db.unit_of_work() as s:
            return make_participant(s, settings, shop_id=shop_id, name=name)[1]

    with httpx.Client(base_url=server.url, timeout=30) as client:
        quiet_codes = [
            client.post(
                f"/api/v1/instances/{instance}/assists",
                headers={**auth(helper(f"q{k}")), **PHONE, "X-Huzhu-Device": f"q-phone-{k}"},
            ).status_code
            for k, (instance, _) in enumerate(quiet)
        ]
        # The other campaign: each instance's share is opened (by people who then may or
        # may not assist) before one friend assists through it.
        shared_codes = []
        for k, (instance, starter) in enumerate(shared):
            token = issue_participant_token(settings, shop_id=shop_id, account_id=starter)[0]
            link = client.post(
                f"/api/v1/instances/{instance}/share-links",
                headers=auth(token),
                json={"channel": "timeline"},
            )
            assert link.status_code == 201, link.text
            share = link.json()["token"]
            assert client.post(f"/api/v1/shares/{share}/open", headers=PHONE).status_code == 201
            shared_codes.append(
                client.post(
                    f"/api/v1/instances/{instance}/assists",
                    params={"share": share},
                    headers={**auth(helper(f"s{k}")), **PHONE, "X-Huzhu-Device": f"s-phone-{k}"},
                ).status_code
            )
    # An alert only: every assist counted on both campaigns.
    assert quiet_codes == [201] * INSTANCES
    assert shared_codes == [201] * INSTANCES
    # The case is opened in the background after the answer: give it a moment.
    cases: list[ReviewCase] = []
    for _ in range(100):
        with db.unit_of_work() as s:
            cases = list(s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)))
            s.expunge_all()
        if cases:
            break
        time.sleep(0.1)
    time.sleep(0.3)  # a second (wrong) case would have had time to appear too
    with db.unit_of_work() as s:
        cases = list(s.scalars(select(ReviewCase).where(ReviewCase.shop_id == shop_id)))
        assert [(c.kind, c.open_key, c.instance_id) for c in cases] == [
            ("spike", f"spike:campaign:{ids['quiet_campaign']}", None)
        ]
        assert cases[0].evidence["assists_in_window"] == CAMPAIGN_MIN
        assert cases[0].evidence["share_opens_in_window"] == 0
