"""Rotating the key of the keyed hashes (README: rotating the hashing key): a new key
is introduced and the old one retired without the accounts, the carried restrictions of
the enforcement ladder or the risk counters forgetting anyone seen in between."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from huzhu.accounts import service as accounts
from huzhu.accounts.models import Account, CarriedRestriction
from huzhu.app import create_app
from huzhu.cli.main import app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.invites.models import ShareOpen
from huzhu.kit import clock
from huzhu.privacy import service as privacy
from huzhu.risk.inline import AssistContext
from huzhu.risk.scoring import InlineScorer
from tests.conftest import make_settings
from tests.factories import auth, make_shop
from tests.invites.conftest import make_world, start
from tests.support.services import redis_url_or_skip

OLD = "old-hashing-key-" + "o" * 32
NEW = "new-hashing-key-" + "n" * 32


INTRODUCED = {"secret_key": OLD, "hash_keys": {"v0": OLD, "v1": NEW}, "hash_key_version": "v1"}


def _stages(db_url: str, **base: Any) -> tuple[Settings, Settings, Settings]:
    """Before (one key, v0 = secret_key), introduced (v1 current, v0 still accepted),
    retired (v1 only)."""

    def stage(**security: Any) -> Settings:
        return make_settings(db_url, security={"secret_key": OLD, **security}, **base)  # type: ignore[arg-type]

    return (
        stage(),
        stage(**INTRODUCED),
        stage(hash_keys={"v1": NEW}, hash_key_version="v1"),
    )


def _sign_in(db: Database, settings: Settings, shop_id: int, name: str) -> Account:
    with db.unit_of_work() as s:
        account = accounts.get_or_create_account(
            s, settings, shop_id=shop_id, provider="local", subject=name
        )
        s.flush()
        s.expunge(account)
        return account


def test_accounts_and_carried_restrictions_survive_a_key_rotation(db_url: str) -> None:
    before, introduced, retired = _stages(db_url)
    db = Database(before.db)
    try:
        with db.unit_of_work() as s:
            shop_id = make_shop(s)
        erin = _sign_in(db, before, shop_id, "erin")
        frank = _sign_in(db, before, shop_id, "frank")
        until = clock.utcnow() + timedelta(days=30)
        with db.unit_of_work() as s:
            row = s.get(Account, frank.id)
            assert row is not None
            row.status, row.restricted_until, row.restriction_reason = "restricted", until, "spam"
        with db.unit_of_work() as s:
            privacy.delete_account(s, before, shop_id=shop_id, account_id=frank.id)
        assert erin.key_version == "v0"

        # Introduced: the same logins find the same account and the carried restriction,
        # and are hashed again with the new key on the way.
        again = _sign_in(db, introduced, shop_id, "erin")
        assert (again.id, again.key_version) == (erin.id, "v1")
        assert again.subject_hash != erin.subject_hash
        back = _sign_in(db, introduced, shop_id, "frank")
        assert back.id != frank.id
        assert (back.status, back.restriction_reason) == ("restricted", "spam")
        with db.unit_of_work() as s:
            carried = s.scalars(select(CarriedRestriction)).one()
            assert carried.key_version == "v1"

        # Retired: the old key is gone, and both are still who they were.
        assert _sign_in(db, retired, shop_id, "erin").id == erin.id
        with db.unit_of_work() as s:
            s.delete(s.get(Account, back.id))  # a fresh sign-in must find the carried row
        again_back = _sign_in(db, retired, shop_id, "frank")
        assert (again_back.status, again_back.restricted_until) == ("restricted", until)

        # A login not seen while both keys were accepted is not recognised once the old
        # one is retired: `huzhu keys`, the step before retiring, shows who that would be.
        stranger = _sign_in(db, before, shop_id, "gina")
        env = {"HUZHU_DATABASE_URL": db_url, "HUZHU_SECURITY__SECRET_KEY": OLD}
        two = env | {
            "HUZHU_SECURITY__HASH_KEYS": json.dumps({"v0": OLD, "v1": NEW}),
            "HUZHU_SECURITY__HASH_KEY_VERSION": "v1",
        }
        shown = CliRunner().invoke(app, ["keys"], env=two)
        assert shown.exit_code == 0, shown.output
        rows = [line.split() for line in shown.output.splitlines() if line.startswith("│ v")]
        # v0: gina; v1: erin and frank's new account (frank's old one is deleted).
        assert [r[1:8:2] for r in rows] == [
            ["v0", "accepted", "1", "0"],
            ["v1", "current", "2", "1"],
        ]
        one = two | {"HUZHU_SECURITY__HASH_KEYS": json.dumps({"v1": NEW})}
        assert CliRunner().invoke(app, ["keys"], env=one).exit_code == 1
        assert _sign_in(db, retired, shop_id, "gina").id != stranger.id
    finally:
        db.dispose()


def test_risk_counters_remember_a_device_across_a_key_rotation(sqlite_url: str) -> None:
    """Three helpers on one phone, one under each stage: the third is still seen as the
    phone's third account (shared_device counts every account the phone served)."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    stages = _stages(
        sqlite_url,
        redis_url=redis_url_or_skip(),
        redis={"key_prefix": prefix},
        risk={"inline_enabled": True, "device_accounts_limit": 1},
    )
    headers = {"x-huzhu-device": "phone-1", "user-agent": "Mozilla/5.0", "accept-language": "zh"}
    context = AssistContext(account_age_seconds=10 * 86_400.0, share_seen=False)

    async def assist(settings: Settings, helper_id: int) -> list[str]:
        scorer = InlineScorer.open(settings)
        try:
            decision = await scorer.assess(
                shop_id=1, campaign_id=1, instance_id=100 + helper_id, helper_id=helper_id,
                initiator_id=1, at=clock.utcnow(), headers=headers, client_host="203.0.113.9",
                context=context,
            )  # fmt: skip
        finally:
            await scorer.close()
        return [r for r in decision.reasons if r.startswith("shared_device")]

    async def main() -> list[list[str]]:
        return [await assist(settings, helper) for helper, settings in enumerate(stages, 11)]

    assert asyncio.run(main()) == [[], ["shared_device:2"], ["shared_device:3"]]


def test_a_share_open_records_the_key_version_of_its_hashes(db_url: str) -> None:
    """Opens keep the version their hashes were made with until retention removes them:
    a hash is only ever compared with one of the same version."""
    world = make_world(db_url, security=INTRODUCED)
    try:
        _, token = world.person("hana")
        instance_id = start(world, "hana")
        with TestClient(create_app(world.settings), client=("203.0.113.7", 50000)) as client:
            link = client.post(
                f"/api/v1/instances/{instance_id}/share-links",
                headers=auth(token),
                json={"channel": "friend"},
            ).json()
            opened = client.post(
                f"/api/v1/shares/{link['token']}/open", headers={"X-Huzhu-Device": "phone-9"}
            )
            assert opened.status_code == 201, opened.text
        with world.db.unit_of_work() as s:
            row = s.scalars(select(ShareOpen)).one()
            ring = world.settings.security.hash_keyring()
            assert row.key_version == "v1"
            assert row.device_hash == ring.keyed_hash("phone-9", purpose="share-open-device")
    finally:
        world.db.dispose()
