"""Migration 0013 on both backends: invite messages written with their links (tokens
included) keep only what rebuilds them, and read exactly as before."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command

from huzhu.invites import direct, service
from huzhu.invites.models import Invite, ShareLink
from huzhu.migrations import alembic_config, run_migrations
from huzhu.notify import service as notify
from huzhu.notify.models import InboxMessage
from tests.assists.conftest import World
from tests.invites.conftest import make_world, start
from tests.privacy.support import invite_directly


def _links_as_stored_before(world: World, invite: Invite, link: ShareLink) -> dict[str, str]:
    """The URLs an invite message kept before 0013, as the code then wrote them."""
    settings = world.settings
    base = settings.base_url.rstrip("/")
    token = service.token_of(settings, link)
    assert token is not None
    mute = direct.opt_out_token(settings, "mute", invite.recipient_id, invite.sender_id)
    unsubscribe = direct.opt_out_token(settings, "unsubscribe", invite.recipient_id, 0)
    return {
        "share_url": service.share_url(settings, token),
        "mute_url": f"{base}/api/v1/opt-outs/{mute}",
        "unsubscribe_url": f"{base}/api/v1/opt-outs/{unsubscribe}",
    }


def test_invite_messages_lose_their_tokens_and_read_the_same(db_url: str) -> None:
    world = make_world(db_url)
    alice_id, _ = world.person("alice")
    bob_id, _ = world.person("bob")
    instance_id = start(world, "alice")
    with world.db.unit_of_work() as s:
        invite = invite_directly(s, world, instance_id=instance_id, sender="alice", recipient="bob")
        link = s.get(ShareLink, invite.share_link_id)
        assert link is not None
        assert invite.inbox_message_id is not None
        stored = _links_as_stored_before(world, invite, link)
        message_id = invite.inbox_message_id
        # A message from before the kinds registry: its words, links included, stored.
        legacy = InboxMessage(
            account_id=bob_id, kind="invite_received", title="alice asks for your help",
            body=f"Open: {stored['share_url']}", created_at=invite.created_at,
        )  # fmt: skip
        s.add(legacy)
        s.flush()
        legacy_id = legacy.id
        orphan = InboxMessage(
            account_id=bob_id, kind="invite_received", created_at=invite.created_at,
            params={"sender": "alice", "instance_id": instance_id, "instance_kind": "bargain",
                    **stored},
        )  # fmt: skip
        s.add(orphan)
        s.flush()
        orphan_id = orphan.id
        s.add(
            Invite(
                shop_id=invite.shop_id, instance_id=instance_id, sender_id=alice_id,
                recipient_id=bob_id, share_link_id=link.id, inbox_message_id=legacy_id,
                created_at=invite.created_at,
            )
        )  # fmt: skip
    world.db.dispose()

    command.downgrade(alembic_config(db_url), "0010")
    engine = sa.create_engine(world.settings.db.sqlalchemy_url)
    before = {"sender": "alice", "instance_id": instance_id, "instance_kind": "bargain", **stored}
    with engine.begin() as c:
        c.execute(
            sa.text("UPDATE inbox_message SET params = :p WHERE id = :id"),
            {"p": json.dumps(before), "id": message_id},
        )
    engine.dispose()
    run_migrations(db_url)

    with world.db.unit_of_work() as s:
        mine = sa.select(InboxMessage).where(InboxMessage.account_id == bob_id)
        rows = {m.id: m for m in s.scalars(mine)}
        kept = {i: (m.params, m.title, m.body) for i, m in rows.items()}
        read = notify.read_params(s, world.settings, rows[message_id])
        _, body = notify.render_inbox_message(
            s, world.settings, rows[legacy_id], language="en", time_zone="UTC"
        )
        _, orphan_body = notify.render_inbox_message(
            s, world.settings, rows[orphan_id], language="en", time_zone="UTC"
        )
    world.db.dispose()

    facts = {"instance_id": instance_id, "instance_kind": "bargain"}
    assert kept == {
        message_id: (facts | {"share_link_id": link.id}, None, None),
        legacy_id: (facts | {"share_link_id": link.id}, None, None),
        orphan_id: (facts, None, None),  # no invite names it: no link to rebuild
    }
    assert read is not None
    assert {k: read[k] for k in stored} == stored  # the same links, signed again
    assert read["sender"] == "alice"
    assert f"Open: {stored['share_url']}" in body
    assert f"Mute alice in one tap: {stored['mute_url']}" in body
    assert "Open:" not in orphan_body
    assert f"Stop all invites in one tap: {stored['unsubscribe_url']}" in orphan_body
