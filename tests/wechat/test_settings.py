"""WeChat settings as an operator writes them: HUZHU_WECHAT__* variables, JSON for the
lists and the template table; off unless both the AppID and the secret are set."""

from __future__ import annotations

import pytest

from huzhu.config import Settings


def test_wechat_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUZHU_WECHAT__APP_ID", "wx123")
    monkeypatch.setenv("HUZHU_WECHAT__APP_SECRET", "s3cret")
    monkeypatch.setenv("HUZHU_WECHAT__ALLOWED_PAGE_DOMAINS", '["m.shop.example"]')
    monkeypatch.setenv(
        "HUZHU_WECHAT__TEMPLATES",
        '{"lottery.won": {"template_id": "T1", "page": "pages/draw/index"}}',
    )
    wechat = Settings(_env_file=None).wechat
    assert wechat.enabled
    assert wechat.app_id == "wx123"
    assert wechat.allowed_page_domains == ["m.shop.example"]
    template = wechat.templates["lottery.won"]
    assert (template.template_id, template.page, template.title_field) == (
        "T1",
        "pages/draw/index",
        "thing1",
    )
    assert "s3cret" not in repr(wechat)  # a SecretStr: never printed by accident


@pytest.mark.parametrize(
    "env", [{}, {"HUZHU_WECHAT__APP_ID": "wx123"}, {"HUZHU_WECHAT__APP_SECRET": "s"}]
)
def test_wechat_is_off_without_both_id_and_secret(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name in ("HUZHU_WECHAT__APP_ID", "HUZHU_WECHAT__APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert not Settings(_env_file=None).wechat.enabled
