"""DELETE /api/v1/me over real HTTP on SQLite and PostgreSQL: the person's name and
login link go, the assists they gave stay counted and the ledger stays whole, their
tokens stop working, deleting twice says so, a running activity is named and refused,
and a restriction comes back with a new sign-in of the same login."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from huzhu.accounts import service as accounts
from huzhu.accounts.models import Account
from huzhu.payments.models import PaymentTxn
from tests.enforcement.support import UNLOCK_RULES, ReviewShop
from tests.factories import auth, confirmed, make_campaign
from tests.privacy.support import ME, OPEN_ALL, OTHER, ok
from tests.support.servers import LiveServer

# One helper takes it to its floor.
BARGAIN_RULES: dict[str, Any] = {
    "instance_ttl_seconds": 3600,
    "daily_assists_per_helper": 5,
    "reference_price_cents": 10_000,
    "price_cents": 10_000,
    "floor_cents": 5_000,
    "max_helpers": 1,
    "split": "double_mean",
    "purchase_window_seconds": 600,
}


def _campaign(shop: ReviewShop, kind: str, rules: dict[str, Any]) -> int:
    with shop.db.unit_of_work() as s:
        return make_campaign(s, shop_id=shop.shop_id, kind=kind, rules=rules)[0]


def _ledger(shop: ReviewShop, account_id: int) -> tuple[int, int]:
    with shop.db.unit_of_work() as s:
        rows = select(func.count(), func.sum(PaymentTxn.amount_cents)).where(
            PaymentTxn.account_id == account_id
        )
        count, total = s.execute(rows).one()
        return int(count), int(total or 0)


def _sign_in_again(client: httpx.Client, shop: ReviewShop, subject: str) -> tuple[int, str]:
    with shop.db.unit_of_work() as s:
        slug = accounts.get_shop(s, shop.shop_id).slug
    signed = ok(client.post("/api/v1/auth/participant", json={"shop": slug, "subject": subject}))
    return signed["account_id"], signed["token"]


def _invite_titles(client: httpx.Client, headers: dict[str, str]) -> list[str]:
    inbox = ok(client.get("/api/v1/me/inbox", headers={**headers, "Accept-Language": "en"}))
    return [m["title"] for m in inbox["items"] if m["kind"] == "invite_received"]


def test_deleting_forgets_the_person_and_keeps_counts_and_ledger(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    me, other, third = (auth(shop.token(n)) for n in (ME, OTHER, "carol-9e0c"))
    my_id = shop.id_of(ME)
    unlock = _campaign(shop, "unlock", UNLOCK_RULES)
    bargain = _campaign(shop, "bargain", BARGAIN_RULES)
    with server.client() as client:
        theirs = ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=other), 201)["id"]
        ok(client.post(f"/api/v1/instances/{theirs}/assists", headers=me), 201, 202)
        # A bargain a friend's one assist took to its floor, which I buy: money of mine
        # in the ledger, and nothing of mine left running.
        mine = ok(client.post(f"/api/v1/campaigns/{bargain}/instances", headers=me), 201)["id"]
        # I invite the other person: their inbox names me while I am here.
        ok(client.put("/api/v1/me/invite-preferences", json=OPEN_ALL, headers=other))
        invite = {"recipient_id": shop.id_of(OTHER)}
        ok(client.post(f"/api/v1/instances/{mine}/invites", json=invite, headers=me), 201)
        assert _invite_titles(client, other) == [f"{ME} asks for your help"]
        ok(client.post(f"/api/v1/instances/{mine}/assists", headers=third), 201)
        ok(
            client.post(
                f"/api/v1/instances/{mine}/purchase",
                headers=confirmed(client, shop.token(ME), "buy_bargain", mine),
            ),
            201,
        )
        before = ok(client.get(f"/api/v1/instances/{theirs}"))
        ledger_before = _ledger(shop, my_id)
        assert ledger_before[0] >= 1

        deleted = ok(client.delete("/api/v1/me", headers=me))
        assert deleted["account_id"] == my_id

        # My tokens stop working, and deleting again says why.
        again = client.delete("/api/v1/me", headers=me)
        assert again.status_code == 410
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json()["code"] == "account_deleted"
        assert client.get("/api/v1/me/export", headers=me).json()["code"] == "account_deleted"
        later = ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=third), 201)
        refused = client.post(f"/api/v1/instances/{later['id']}/assists", headers=me)
        assert (refused.status_code, refused.json()["code"]) == (403, "account_restricted")

        # Another person's inbox no longer names me: the name is read from my account.
        assert _invite_titles(client, other) == ["Someone asks for your help"]
        assert ME not in client.get("/api/v1/me/inbox", headers=other).text

        # What I gave stays counted, and the ledger's rows and sums stay as they were.
        after = ok(client.get(f"/api/v1/instances/{theirs}"))
        assert after["progress_value"] == before["progress_value"] == 1
        assert _ledger(shop, my_id) == ledger_before

        # The row is an anonymous tombstone: signing in again makes a new account.
        with shop.db.unit_of_work() as s:
            row = s.get(Account, my_id)
            assert row is not None
            assert (row.display_name, row.status) == (None, "deleted")
            assert row.subject_hash == f"deleted:{my_id}"
            assert row.deleted_at is not None
            named = s.scalar(select(func.count()).where(Account.display_name == ME))
            assert named == 0
        new_id, _ = _sign_in_again(client, shop, ME)
        assert new_id != my_id


def test_deleting_is_refused_while_an_activity_of_mine_runs(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    me = auth(shop.token(ME))
    unlock = _campaign(shop, "unlock", UNLOCK_RULES)
    with server.client() as client:
        mine = ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=me), 201)["id"]
        refused = client.delete("/api/v1/me", headers=me)
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "activities_running"
        assert refused.json()["instance_ids"] == [mine]
        # Nothing was half-done: the account is whole and its token still works.
        assert ok(client.get("/api/v1/me/export", headers=me))["account"]["display_name"] == ME


def test_a_restriction_comes_back_with_a_new_sign_in(world: tuple[LiveServer, ReviewShop]) -> None:
    server, shop = world
    unlock = _campaign(shop, "unlock", UNLOCK_RULES)
    restrict = {
        "account_id": shop.id_of(ME),
        "kind": "participation_restriction",
        "reason": "fake assists for hire",
    }
    with server.client() as client:
        action = ok(
            client.post("/api/v1/enforcement/actions", json=restrict, headers=auth(shop.analyst)),
            201,
        )
        ok(client.delete("/api/v1/me", headers=auth(shop.token(ME))))
        new_id, token = _sign_in_again(client, shop, ME)
        assert new_id != shop.id_of(ME)
        refused = client.post(f"/api/v1/campaigns/{unlock}/instances", headers=auth(token))
        assert (refused.status_code, refused.json()["code"]) == (403, "account_restricted")
        assert refused.json()["restricted_until"] == action["expires_at"].replace("Z", "+00:00")
        # The ladder recomputes the new account's standing from its own actions, which
        # know nothing of the carried restriction: a second restriction put on and lifted
        # again must not leave the login free.
        analyst = auth(shop.analyst)
        again = {**restrict, "account_id": new_id, "reason": "a second look"}
        second = ok(client.post("/api/v1/enforcement/actions", json=again, headers=analyst), 201)
        lifted = {"reason": "a mistake"}
        lift_url = f"/api/v1/enforcement/actions/{second['id']}/lift"
        ok(client.post(lift_url, json=lifted, headers=analyst))
        still = client.post(f"/api/v1/campaigns/{unlock}/instances", headers=auth(token))
        assert (still.status_code, still.json()["code"]) == (403, "account_restricted")
        assert still.json()["restricted_until"] == action["expires_at"].replace("Z", "+00:00")
        standing = ok(client.get(f"/api/v1/enforcement/accounts/{new_id}", headers=analyst))
        assert standing["status"] == "restricted"
        # Someone else who never was restricted is untouched.
        _, fresh = _sign_in_again(client, shop, "dan-5b7e")
        ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=auth(fresh)), 201)
