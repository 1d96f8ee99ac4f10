"""A helper's consent to show their name, and the history of consent changes, over real
HTTP on SQLite and PostgreSQL: default off, the helper's own choice only, what the
starter sees (API and page), and every change kept for the person (export and /me)."""

from __future__ import annotations

import re

import httpx

from huzhu.wechat import service as wechat
from tests.enforcement.support import UNLOCK_RULES, ReviewShop
from tests.factories import auth, make_campaign
from tests.privacy.support import ME, OPEN_ALL, OTHER, THIRD, ok
from tests.support.servers import LiveServer

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _unlock_with_two_helpers(client: httpx.Client, shop: ReviewShop) -> tuple[int, int, int]:
    """My activity, assisted by the other person and a third: (instance, their assist
    ids)."""
    with shop.db.unit_of_work() as s:
        unlock, _ = make_campaign(s, shop_id=shop.shop_id, kind="unlock", rules=UNLOCK_RULES)
    me = auth(shop.token(ME))
    mine = ok(client.post(f"/api/v1/campaigns/{unlock}/instances", headers=me), 201)["id"]
    given = [
        ok(client.post(f"/api/v1/instances/{mine}/assists", headers=auth(shop.token(n))), 201, 202)
        for n in (OTHER, THIRD)
    ]
    return mine, given[0]["assist_id"], given[1]["assist_id"]


def _helpers(client: httpx.Client, shop: ReviewShop, instance_id: int) -> list[dict[str, object]]:
    path = f"/api/v1/me/instances/{instance_id}/helpers"
    return list(ok(client.get(path, headers=auth(shop.token(ME)))))


def _consent(client: httpx.Client, token: str, assist_id: int, shown: object) -> httpx.Response:
    return client.put(
        f"/api/v1/assists/{assist_id}/name-consent", json={"shown": shown}, headers=auth(token)
    )


def test_the_starter_sees_a_name_only_where_its_helper_agreed(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    with server.client() as client:
        mine, theirs, third = _unlock_with_two_helpers(client, shop)

        # Default off: two pseudonyms, distinct, naming no one.
        first = _helpers(client, shop, mine)
        assert [h["named"] for h in first] == [False, False]
        names = [str(h["name"]) for h in first]
        assert all(re.fullmatch(r"#[0-9a-f]{6}", n) for n in names)
        assert len(set(names)) == 2

        # Only the helper decides, for their own assist.
        for who, assist in ((THIRD, theirs), (ME, theirs)):
            refused = _consent(client, shop.token(who), assist, True)
            assert refused.status_code == 403
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == "not_your_assist"
        missing = _consent(client, shop.token(OTHER), 987_654_321, True)
        assert (missing.status_code, missing.json()["code"]) == (404, "assist_not_found")
        assert _consent(client, shop.token(OTHER), theirs, "yes").status_code == 422
        assert _helpers(client, shop, mine) == first

        shown = ok(_consent(client, shop.token(OTHER), theirs, True))
        assert shown == {"assist_id": theirs, "instance_id": mine, "shown": True}
        ok(_consent(client, shop.token(OTHER), theirs, True))  # again: no change, no event
        now = _helpers(client, shop, mine)
        assert [(h["name"], h["named"]) for h in now] == [(OTHER, True), (names[1], False)]

        # Only the starter sees who helped.
        path = f"/api/v1/me/instances/{mine}/helpers"
        not_theirs = client.get(path, headers=auth(shop.token(THIRD)))
        assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "not_initiator")

        # Taken back: the same pseudonym as before.
        ok(_consent(client, shop.token(OTHER), theirs, False))
        assert _helpers(client, shop, mine) == first

        export = ok(client.get("/api/v1/me/export", headers=auth(shop.token(OTHER))))
        history = [e for e in export["consent_history"] if e["kind"] == "name_display"]
        assert [(e["subject"], e["old"], e["new"]) for e in history] == [
            (f"assist:{theirs}", {"shown": False}, {"shown": True}),
            (f"assist:{theirs}", {"shown": True}, {"shown": False}),
        ]
        assert export["preferences"]["name_display"] == []
        assert third != theirs


def _csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def starter_sees(server: LiveServer, shop: ReviewShop, instance_id: int) -> str:
    """The list of who helped on the activity's page, as its starter (me) sees it."""
    with server.client(headers={"Accept": "text/html", "Accept-Language": "en"}) as starter:
        starter.cookies.set("huzhu_p", shop.token(ME))
        page = starter.get(f"/i/{instance_id}")
    helpers = re.search(r"<ul data-helpers>(.*?)</ul>", page.text, re.S)
    assert helpers is not None, page.text
    return helpers.group(1)


def test_the_checkbox_on_the_assist_page_shows_my_name_to_the_starter(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    with server.client() as client:
        mine, theirs, _ = _unlock_with_two_helpers(client, shop)
    html = {"Accept": "text/html", "Accept-Language": "en"}
    with server.client(headers=html) as helper:
        helper.cookies.set("huzhu_p", shop.token(OTHER))
        page = helper.get(f"/i/{mine}")
        form = re.search(r"<form[^>]*data-name-consent>.*?</form>", page.text, re.S)
        assert form is not None
        assert f'name="assist_id" value="{theirs}"' in form.group(0)
        assert "checked" not in form.group(0)
        saved = helper.post(
            f"/i/{mine}/name-consent",
            data={"csrf_token": _csrf_of(page), "assist_id": str(theirs), "shown": "yes"},
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/i/{mine}?notice=name_shown"
        again = helper.get(saved.headers["location"])
        assert "the starter of this activity can see your name" in again.text
        form = re.search(r"<form[^>]*data-name-consent>.*?</form>", again.text, re.S)
        assert form is not None
        assert "checked" in form.group(0)
    shown = starter_sees(server, shop, mine)
    assert f'<li data-named="yes">{OTHER}</li>' in shown
    assert shown.count('data-named="no"') == 1
    assert THIRD not in shown


def test_consent_changes_are_kept_as_a_history_i_can_read(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    me = auth(shop.token(ME))
    with server.client() as client:
        ok(client.put("/api/v1/me/invite-preferences", json=OPEN_ALL, headers=me))
        ok(client.put("/api/v1/me/invite-preferences", json=OPEN_ALL, headers=me))  # no change
        closed = {**OPEN_ALL, "accept_from": "contacts", "daily_max": 3}
        ok(client.put("/api/v1/me/invite-preferences", json=closed, headers=me))
        # WeChat messages turned on by the OAuth step's service, then off over the API.
        with shop.db.unit_of_work() as s:
            wechat.enable_notifications(
                s, shop.settings, shop_id=shop.shop_id, account_id=shop.id_of(ME), openid="o-1"
            )
        ok(client.delete("/api/v1/wechat/notifications", headers=me))
        export = ok(client.get("/api/v1/me/export", headers=me))
        theirs = ok(client.get("/api/v1/me/export", headers=auth(shop.token(OTHER))))

    history = [(e["kind"], e["old"], e["new"]) for e in export["consent_history"]]
    assert history == [
        # First chosen: the shop's defaults were in force (null); `kinds` stayed "all".
        ("invite_preferences", {
            "accept_from": None, "daily_max": None, "quiet_end": None, "quiet_start": None,
            "time_zone": None,
        }, {
            "accept_from": "everyone", "daily_max": 10, "quiet_end": "00:00",
            "quiet_start": "00:00", "time_zone": "UTC",
        }),
        ("invite_preferences", {"accept_from": "everyone", "daily_max": 10},
         {"accept_from": "contacts", "daily_max": 3}),
        ("wechat_messages", {"messages_on": False}, {"messages_on": True}),
        ("wechat_messages", {"messages_on": True}, {"messages_on": False}),
    ]  # fmt: skip
    times = [e["created_at"] for e in export["consent_history"]]
    assert times == sorted(times)
    assert theirs["consent_history"] == []

    # The same history on /me, in the reader's language.
    with server.client(headers={"Accept": "text/html", "Accept-Language": "zh-CN"}) as browser:
        browser.cookies.set("huzhu_p", shop.token(ME))
        page = browser.get("/me")
    assert page.status_code == 200
    assert "我的同意记录" in page.text
    kinds = re.findall(r'data-consent-kind="([a-z_]+)"', page.text)
    assert kinds == [kind for kind, _, _ in history]
