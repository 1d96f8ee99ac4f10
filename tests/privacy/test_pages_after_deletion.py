"""A page cookie of an account deleted over the API, over real HTTP on SQLite and
PostgreSQL: every page treats it as signed out, clears it and says why in the reader's
language; a live account's cookie is untouched."""

from __future__ import annotations

import httpx

from tests.enforcement.support import ReviewShop
from tests.factories import auth
from tests.privacy.support import ME, OTHER, ok
from tests.support.servers import LiveServer

SIGNED_OUT_EN = "This account was deleted, so you are signed out here."
SIGNED_OUT_ZH = "此账户已删除"
COOKIE = "huzhu_p"


def _browser(server: LiveServer, token: str, lang: str) -> httpx.Client:
    client = server.client(headers={"Accept": "text/html", "Accept-Language": lang})
    client.cookies.set(COOKIE, token)
    return client


def _clears_cookie(response: httpx.Response) -> bool:
    set_cookies = response.headers.get_list("set-cookie")
    return any(c.startswith(f"{COOKIE}=") and "Max-Age=0" in c for c in set_cookies)


def test_a_deleted_accounts_cookie_is_signed_out_on_every_page(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    mine, theirs = shop.token(ME), shop.token(OTHER)
    with server.client() as api:
        ok(api.delete("/api/v1/me", headers=auth(mine)))

    # A page that needs a signed-in person sends to the sign-in page, which says why.
    with _browser(server, mine, "zh-CN") as browser:
        me = browser.get("/me")
        assert me.status_code == 303
        assert _clears_cookie(me)
        assert me.headers["location"] == "/signin?next=%2Fme&notice=signed_out_deleted"
        signin = browser.get(me.headers["location"])
        assert signin.status_code == 200
        assert SIGNED_OUT_ZH in signin.text

    # A page anyone may read is served as to someone signed out, saying why, in place.
    with _browser(server, mine, "en") as browser:
        home = browser.get("/")
        assert home.status_code == 200
        assert _clears_cookie(home)
        assert SIGNED_OUT_EN in home.text
        assert 'action="/signout"' not in home.text
        # The download of my data is not served to the cookie either.
        export = browser.get("/me/export.json")
        assert export.status_code == 303
        assert export.headers["location"].startswith("/signin?")

    # The other person's cookie still opens their pages, and nothing is said to them.
    with _browser(server, theirs, "en") as browser:
        page = browser.get("/me")
        assert page.status_code == 200
        assert not _clears_cookie(page)
        assert SIGNED_OUT_EN not in page.text
        assert 'action="/signout"' in page.text
