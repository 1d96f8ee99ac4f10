"""A person's own display name, over real HTTP on SQLite and PostgreSQL: set and cleared
on /me (and over the API), validated and bounded, shown escaped, and seen by a starter
only beside the assists whose helper agreed; exported with its person and gone with
their account."""

from __future__ import annotations

import re

import httpx
from markupsafe import escape

from huzhu.accounts import service as accounts
from tests.enforcement.support import ReviewShop
from tests.factories import auth
from tests.privacy.support import ME, OTHER, THIRD, ok
from tests.privacy.test_consent import (
    _consent,
    _csrf_of,
    _helpers,
    _unlock_with_two_helpers,
    starter_sees,
)
from tests.support.servers import LiveServer

HTML = {"Accept": "text/html", "Accept-Language": "en"}
# Markup and spaces around it: stored trimmed, shown as text, never as markup.
TYPED = '   <b>Bo & "Co"</b>   '
STORED = '<b>Bo & "Co"</b>'


def _name_form(page: httpx.Response) -> str:
    found = re.search(r"<section[^>]*data-display-name>.*?</section>", page.text, re.S)
    assert found is not None, page.text
    return found.group(0)


def _post_name(browser: httpx.Client, **fields: str) -> httpx.Response:
    page = browser.get("/me")
    return browser.post("/me/display-name", data={"csrf_token": _csrf_of(page), **fields})


def test_a_name_set_on_me_reaches_the_starter_only_where_the_helper_agreed(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    with server.client() as client:
        mine, theirs, _ = _unlock_with_two_helpers(client, shop)
        ok(_consent(client, shop.token(OTHER), theirs, True))
        before = _helpers(client, shop, mine)
    assert (before[0]["name"], before[0]["named"]) == (OTHER, True)

    with server.client(headers=HTML) as browser:
        browser.cookies.set("huzhu_p", shop.token(OTHER))
        assert f'value="{OTHER}"' in _name_form(browser.get("/me"))

        # Cleared: the starter sees a pseudonym even where the helper agreed.
        cleared = _post_name(browser, display_name=OTHER, clear="yes")
        assert (cleared.status_code, cleared.headers["location"]) == (
            303,
            "/me?notice=display_name_cleared",
        )
        form = _name_form(browser.get(cleared.headers["location"]))
        assert 'value=""' in form
        assert 'name="clear"' not in form  # nothing to clear any more

        # Set on /me: trimmed, stored as typed, escaped wherever it is shown.
        saved = _post_name(browser, display_name=TYPED)
        assert saved.headers["location"] == "/me?notice=display_name_saved"
        assert f'value="{escape(STORED)}"' in _name_form(browser.get("/me"))
    with server.client() as client:
        # The third helper names themself too, but never agreed: still a pseudonym.
        third = ok(
            client.put(
                "/api/v1/me/display-name",
                json={"display_name": "Third Person"},
                headers=auth(shop.token(THIRD)),
            )
        )
        assert third == {"display_name": "Third Person"}
        seen = _helpers(client, shop, mine)
        assert [(h["name"], h["named"]) for h in seen] == [
            (STORED, True),
            (before[1]["name"], False),
        ]
    shown = starter_sees(server, shop, mine)
    assert f'<li data-named="yes">{escape(STORED)}</li>' in shown
    assert "<b>" not in shown
    assert "Third Person" not in shown

    with server.client() as client:
        theirs_export = ok(client.get("/api/v1/me/export", headers=auth(shop.token(OTHER))))
        my_export = ok(client.get("/api/v1/me/export", headers=auth(shop.token(ME))))
        assert theirs_export["account"]["display_name"] == STORED
        assert STORED not in str(my_export)
        # Deleting the account takes the name: the starter is back to the pseudonym.
        ok(client.delete("/api/v1/me", headers=auth(shop.token(OTHER))))
        gone = _helpers(client, shop, mine)
    assert gone[0]["named"] is False
    assert STORED not in str(gone)


def test_a_name_that_cannot_be_used_is_refused_and_nothing_changes(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    me = auth(shop.token(ME))
    path = "/api/v1/me/display-name"
    with server.client() as client:
        assert ok(client.get(path, headers=me)) == {"display_name": ME}
        for bad, code in (
            ("x" * 33, "invalid_input"),  # past the bound, which the schema states
            ("Bob\u202egnp.exe", "invalid_display_name"),  # a bidi override: reads as another
            ("Bob\x07", "invalid_display_name"),  # a control character
        ):
            refused = client.put(path, json={"display_name": bad}, headers=me)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert problem["code"] == code
            assert [e["field"] for e in problem["errors"]] == ["display_name"]
            assert bad not in refused.text
        wrong_type = client.put(path, json={"display_name": 7}, headers=me)
        assert wrong_type.status_code == 422
        assert ok(client.get(path, headers=me)) == {"display_name": ME}

        # Bounded in characters, not bytes: 32 Chinese characters are a name.
        long_zh = "互" * 32
        assert ok(client.put(path, json={"display_name": long_zh}, headers=me)) == {
            "display_name": long_zh
        }
        assert ok(client.put(path, json={"display_name": "  "}, headers=me)) == {
            "display_name": None
        }

    with server.client(headers=HTML) as browser:
        browser.cookies.set("huzhu_p", shop.token(ME))
        refused = _post_name(browser, display_name="y" * 40)
        assert refused.status_code == 303
        location = refused.headers["location"]
        assert location.startswith("/me?error=invalid_display_name")
        assert "yyy" not in location  # the typed name never rides in a URL
        page = browser.get(location)
        assert "This name cannot be used" in page.text
        assert 'value=""' in _name_form(page)

    with server.client() as client:
        ok(client.delete("/api/v1/me", headers=me))
        after = client.put(path, json={"display_name": "back"}, headers=me)
        assert (after.status_code, after.json()["code"]) == (410, "account_deleted")


def test_a_name_given_at_sign_in_follows_the_same_rules(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    """An integrator (or the demo's open sign-in) naming a new account is held to the
    rules of the person's own name: refused with the same problem, nothing created."""
    server, shop = world
    path = "/api/v1/participants/token"
    owner = auth(shop.owner())
    with shop.db.unit_of_work() as s:
        slug = accounts.get_shop(s, shop.shop_id).slug
    with server.client() as client:
        for bad, code in (
            ("x" * 33, "invalid_input"),
            ("Bob\u202egnp.exe", "invalid_display_name"),
            ("Bob\u200b", "invalid_display_name"),  # a zero-width space
        ):
            body = {"shop": slug, "subject": "user-77", "display_name": bad}
            refused = client.post(path, json=body, headers=owner)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["code"] == code
            assert bad not in refused.text
        # Nothing was created: the first good sign-in makes the account, trimmed.
        body = {"shop": slug, "subject": "user-77", "display_name": "  Mei   Lin "}
        made = ok(client.post(path, json=body, headers=owner))
        me = auth(made["token"])
        assert ok(client.get("/api/v1/me/display-name", headers=me)) == {"display_name": "Mei Lin"}
        export = ok(client.get("/api/v1/me/export", headers=me))
    assert export["account"]["created_at"] is not None
