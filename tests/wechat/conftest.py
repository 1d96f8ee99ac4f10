"""Fixtures of the WeChat adapter tests: the stand-in server and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.wechat import service
from tests.conftest import make_settings
from tests.factories import make_shop
from tests.support.wechat_standin import WechatStandin, settings_for, wechat_standin


@pytest.fixture
def standin() -> Iterator[WechatStandin]:
    with wechat_standin() as s:
        yield s


@dataclass
class WechatEnv:
    settings: Settings
    db: Database
    standin: WechatStandin
    shop_id: int
    shop_slug: str

    def adapter(self) -> service.Wechat:
        return service.Wechat(settings=self.settings, sessions=self.db.sessionmaker)


@pytest.fixture
def wx(db_url: str, standin: WechatStandin) -> Iterator[WechatEnv]:
    settings = make_settings(
        db_url,
        base_url="http://testserver",
        wechat=settings_for(
            standin,
            templates={"draw_result": {"template_id": "TPL-won", "page": "pages/draw/index"}},
        ),
        jobs={"run_in_process": False},
    )
    db = Database(settings.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s, slug="wxshop")
    yield WechatEnv(settings=settings, db=db, standin=standin, shop_id=shop_id, shop_slug="wxshop")
    db.dispose()
