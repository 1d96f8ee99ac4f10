"""GET /api/v1/me/export over real HTTP on SQLite and PostgreSQL: one document with
everything tied to the person, and nothing of the other person they dealt with."""

from __future__ import annotations

import json

from sqlalchemy import select

from huzhu.audit import service as audit
from huzhu.audit.models import AuditEntry
from huzhu.audit.rules import Action
from tests.enforcement.support import ReviewShop
from tests.factories import auth
from tests.privacy.support import ME, OTHER, ok, subject_hash_of, tell_story, walk
from tests.support.servers import LiveServer

# Keys under which an account id would sit; the export names nobody by id but the
# person themself (as `account.id`), and the other side of anything by pseudonym.
PERSON_KEYS = {
    "account_id", "helper_id", "initiator_id", "sender_id", "recipient_id", "reporter_account_id",
    "subject_account_id", "muted_id", "blocked_id", "contact_id", "other_id", "subject_hash",
    "openid", "openid_sealed", "key", "token", "evidence", "actor", "risk_reasons",
}  # fmt: skip


def test_export_holds_everything_of_mine_and_nothing_of_theirs(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    with server.client() as client:
        story = tell_story(client, shop)
        export = ok(client.get("/api/v1/me/export", headers=auth(shop.token(ME))))
        theirs = ok(client.get("/api/v1/me/export", headers=auth(shop.token(OTHER))))

    assert export["format"] == "huzhu.export.v1"
    assert export["account"]["id"] == shop.id_of(ME)
    assert export["account"]["display_name"] == ME
    assert export["preferences"]["invites"]["accept_from"] == "everyone"
    assert export["preferences"]["inbox"] == {"muted_kinds": [], "summary": "daily"}
    assert export["preferences"]["wechat"] == {"messages_on": False}
    caps = export["preferences"]["guardrails"]
    assert [(c["cap"], c["value"]) for c in caps["cap_history"]] == [("daily_starts", 2)]
    assert {c["cap"]: c["limit"] for c in caps["caps"]}["daily_starts"] == 2

    started = {i["id"]: i["kind"] for i in export["activities_started"]}
    assert started == {story.my_instance: "unlock", story.team: "groupbuy"}
    assert [a["instance_id"] for a in export["assists_given"]] == [story.other_instance]
    # The link I issued, and the one my direct invite carried.
    assert [link["instance_id"] for link in export["share_links"]] == [story.my_instance] * 2

    # The other person is one pseudonym throughout my export, and no more than that.
    [sent] = export["invites_sent"]
    [received] = export["invites_received"]
    [report] = export["reports_filed"]
    them = sent["to"]
    assert them.startswith("p_")
    assert received["from"] == report["about"] == them
    relations = export["preferences"]["relations"]
    assert (relations["mute"], relations["contact"]) == ([them], [them])
    [blocked] = relations["block"]
    assert blocked.startswith("p_")
    assert blocked != them
    assert (sent["instance_id"], received["instance_id"]) == (
        story.my_instance,
        story.other_instance,
    )
    assert (report["kind"], report["text"]) == ("spam", "asks me every hour")

    [action] = export["enforcement_actions"]
    assert (action["id"], action["kind"], action["reason"]) == (
        story.action_id,
        "warning",
        "too many invites",
    )
    [appeal] = export["appeals"]
    assert (appeal["action_id"], appeal["text"]) == (story.action_id, "I only invited my sister")

    [order] = export["spending"]["orders"]
    assert (order["instance_id"], order["amount_cents"], order["kind"]) == (
        story.team,
        5_900,
        "groupbuy",
    )
    [payment] = export["spending"]["payments"]
    assert (payment["op"], payment["amount_cents"], payment["state"]) == (
        "authorize",
        5_900,
        "authorized",
    )

    kinds = [m["kind"] for m in export["inbox"]]
    assert {"invite_received", "enforcement"} <= set(kinds)
    invite_message = next(m for m in export["inbox"] if m["kind"] == "invite_received")
    # The facts of the invite only: not which of the inviter's links it hands on (their
    # row id would join two exports), nor the links, whose tokens are never exported.
    assert invite_message["params"] == {
        "instance_id": story.other_instance,
        "instance_kind": "unlock",
    }

    # Nothing of the other person: no key that holds a person, no name, no login hash,
    # no link of theirs; and their export calls me by a pseudonym of its own.
    text = json.dumps(export, ensure_ascii=False)
    leaked = [path for path, _ in walk(export) if path.rsplit(".", 1)[-1] in PERSON_KEYS]
    assert leaked == []
    assert OTHER not in text
    assert subject_hash_of(shop.db, shop.settings, shop.id_of(OTHER)) not in text
    assert "/s/" not in text
    assert "hzp." not in text
    assert ME not in json.dumps(theirs["invites_received"] + theirs["invites_sent"])
    assert theirs["invites_received"][0]["from"] != them


def test_export_is_a_participants_own(world: tuple[LiveServer, ReviewShop]) -> None:
    server, shop = world
    with server.client() as client:
        anonymous = client.get("/api/v1/me/export")
        operator = client.get("/api/v1/me/export", headers=auth(shop.analyst))
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "invalid_token")
    assert operator.status_code == 403
    assert operator.headers["content-type"].startswith("application/problem+json")


def test_each_export_is_an_audit_entry_and_the_chain_holds(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    """Each export leaves one entry by the person, naming them as its subject only, and
    the shop's audit chain still verifies."""
    server, shop = world
    token = shop.token(ME)
    with server.client() as client:
        for _ in range(2):
            ok(client.get("/api/v1/me/export", headers=auth(token)))
    me = shop.id_of(ME)
    with shop.db.unit_of_work() as s:
        entries = s.execute(
            select(AuditEntry.actor, AuditEntry.subject_type, AuditEntry.subject_id).where(
                AuditEntry.action == Action.DATA_EXPORTED
            )
        ).all()
        assert [tuple(e) for e in entries] == [(f"account:{me}", "account", me)] * 2
        assert [r.fault for r in audit.verify(s, shop_id=shop.shop_id)] == [None]
