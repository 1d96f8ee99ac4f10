"""The pure rules: the JS-SDK signature against WeChat's own documented example, which
pages may be signed, the OAuth state, the sealed openid."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from huzhu.kit import signing
from huzhu.wechat import rules

KEY = b"test-secret-key"


def test_signature_matches_the_example_in_wechats_jssdk_documentation() -> None:
    # JS-SDK documentation, appendix 1 (使用权限签名算法): these inputs, this signature.
    signature = rules.jssdk_signature(
        ticket="sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        noncestr="Wm3WZYTPz0wzccnW",
        timestamp=1414587457,
        url="http://mp.weixin.qq.com?params=value",
    )
    assert signature == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_signature_ignores_the_fragment_but_not_the_query() -> None:
    base = {"ticket": "T", "noncestr": "n", "timestamp": 1}
    plain = rules.jssdk_signature(url="https://h.example/s/1?a=b", **base)  # type: ignore[arg-type]
    assert rules.jssdk_signature(url="https://h.example/s/1?a=b#share", **base) == plain  # type: ignore[arg-type]
    assert rules.jssdk_signature(url="https://h.example/s/1?a=c", **base) != plain  # type: ignore[arg-type]


@given(
    ticket=st.text(st.characters(codec="ascii", exclude_characters="&="), min_size=1),
    noncestr=st.text(st.characters(codec="ascii", exclude_characters="&="), min_size=1),
    timestamp=st.integers(0, 2**40),
    url=st.text(st.characters(codec="ascii", exclude_characters="#"), min_size=1),
)
def test_signature_is_sha1_of_the_sorted_raw_fields(
    ticket: str, noncestr: str, timestamp: int, url: str
) -> None:
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    expected = hashlib.sha1(plain.encode(), usedforsecurity=False).hexdigest()
    assert rules.jssdk_signature(
        ticket=ticket, noncestr=noncestr, timestamp=timestamp, url=url
    ) == (expected)


def test_only_this_sites_pages_are_signed() -> None:
    ok = lambda u: rules.page_url_allowed(  # noqa: E731
        u, base_url="https://shop.example:8443", allowed_domains=["m.shop.example"]
    )
    assert ok("https://shop.example:8443/s/abc?x=1#f")
    assert ok("https://m.shop.example/s/abc")
    assert not ok("https://shop.example/s/abc")  # other port
    assert not ok("https://evil.example/s/abc")
    assert not ok("https://shop.example.evil.example:8443/")
    assert not ok("https://user@shop.example:8443/")
    assert not ok("javascript:alert(1)")
    assert not ok("/relative/path")


def test_next_path_never_leaves_the_site() -> None:
    assert rules.safe_next_path("/s/abc?x=1") == "/s/abc?x=1"
    for bad in ("//evil.example/", "/\\evil.example", "https://evil.example/", "", None, "s/x"):
        assert rules.safe_next_path(bad) == "/"


def _start() -> rules.OAuthStart:
    return rules.OAuthStart(
        shop_id=7, next_path="/s/x", notify=True, expires_epoch=2_000, nonce=rules.nonce()
    )


def test_oauth_state_is_short_alphanumeric_and_bound_to_its_cookie() -> None:
    cookie = rules.oauth_cookie(KEY, _start())
    state = rules.oauth_state(KEY, cookie)
    assert state.isalnum()
    assert len(state) <= 128
    parsed = rules.parse_oauth_cookie(KEY, cookie, state=state, now_epoch=1_000)
    assert parsed is not None
    assert (parsed.shop_id, parsed.next_path, parsed.notify) == (7, "/s/x", True)
    other_cookie = rules.oauth_cookie(KEY, _start())
    assert rules.parse_oauth_cookie(KEY, other_cookie, state=state, now_epoch=1_000) is None
    assert rules.parse_oauth_cookie(KEY, cookie, state=state, now_epoch=2_000) is None  # expired
    assert rules.parse_oauth_cookie(b"other-key", cookie, state=state, now_epoch=1_000) is None


def test_a_cookie_with_a_forged_payload_is_refused() -> None:
    cookie = rules.oauth_cookie(KEY, _start())
    body, _, sig = cookie.partition(".")
    forged_body = signing.b64e(signing.b64d(body).replace(b"|7|", b"|8|"))
    forged = f"{forged_body}.{sig}"
    state = rules.oauth_state(KEY, forged)  # even with a state made for it
    assert rules.parse_oauth_cookie(KEY, forged, state=state, now_epoch=1_000) is None


def test_a_sealed_openid_opens_only_for_its_account_and_key() -> None:
    sealed = rules.seal(KEY, "o6_openid", context="account:1")
    assert "o6_openid" not in sealed
    assert rules.unseal(KEY, sealed, context="account:1") == "o6_openid"
    assert rules.unseal(KEY, sealed, context="account:2") is None
    assert rules.unseal(b"other", sealed, context="account:1") is None
    assert rules.unseal(KEY, sealed[:-2] + "AA", context="account:1") is None
    assert rules.seal(KEY, "o6_openid", context="account:1") != sealed  # fresh nonce


def test_busy_backoff_grows_and_is_capped() -> None:
    waits = [rules.busy_backoff_seconds(rules.SYSTEM_BUSY, n) for n in range(1, 12)]
    assert waits == sorted(waits)
    assert waits[0] == 1.0
    assert waits[-1] == 60.0
    assert rules.busy_backoff_seconds(rules.RATE_LIMITED, 1) == 30.0


def test_message_fields_fit_wechats_thing_type() -> None:
    body = rules.subscribe_message(
        openid="o",
        template_id="T",
        page="",
        title_field="thing1",
        body_field="thing2",
        title="短标题",
        body="这是一段非常长的正文，超过了微信订阅消息 thing 类型允许的二十个字符",
        miniprogram_state="formal",
    )
    data = body["data"]
    assert isinstance(data, dict)
    assert data["thing1"]["value"] == "短标题"
    assert len(data["thing2"]["value"]) == 20
    assert "page" not in body


def test_every_flipped_byte_of_the_cookie_or_state_is_refused() -> None:
    cookie = rules.oauth_cookie(KEY, _start())
    state = rules.oauth_state(KEY, cookie)
    for i in range(len(cookie)):
        flipped = cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1 :]
        assert rules.parse_oauth_cookie(KEY, flipped, state=state, now_epoch=1_000) is None
    for i in range(len(state)):
        flipped = state[:i] + ("0" if state[i] != "0" else "1") + state[i + 1 :]
        assert rules.parse_oauth_cookie(KEY, cookie, state=flipped, now_epoch=1_000) is None
    assert rules.parse_oauth_cookie(KEY, cookie[:-1], state=state, now_epoch=1_000) is None
