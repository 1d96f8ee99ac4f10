"""Two `huzhu serve` processes on one database share one access_token and one
jsapi_ticket: a burst of JS-SDK config requests over HTTP, split between them, makes
WeChat issue each exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from huzhu.wechat import rules
from tests.support.servers import start_server
from tests.support.wechat_standin import WechatStandin, env_for

PAGE = "http://shop.example/s/share-1?from=group"
REQUESTS = 40


@pytest.mark.slow
def test_two_workers_share_one_token_and_one_ticket(
    db_url: str, tmp_path: Path, standin: WechatStandin
) -> None:
    standin.token_delay = 0.3  # the burst arrives while the first refresh is in flight
    env = {**env_for(standin), "HUZHU_BASE_URL": "http://shop.example"}
    # A generous start-up: this runs on a shared, busy machine.
    servers = [
        start_server(db_url=db_url, log_dir=tmp_path, extra_env=env, startup_seconds=90)
        for _ in range(2)
    ]
    try:

        def config(n: int) -> dict[str, object]:
            url = f"{servers[n % 2].url}/api/v1/wechat/jssdk-config"
            resp = httpx.get(url, params={"url": PAGE}, timeout=30)
            assert resp.status_code == 200, resp.text
            body: dict[str, object] = resp.json()
            return body

        with ThreadPoolExecutor(REQUESTS) as pool:
            configs = list(pool.map(config, range(REQUESTS)))
    finally:
        for server in servers:
            server.stop()
    assert standin.counters["cgi-bin/token"] == 1
    assert standin.counters["cgi-bin/ticket/getticket"] == 1
    (ticket,) = standin.tickets
    for cfg in configs:
        assert cfg["signature"] == rules.jssdk_signature(
            ticket=ticket,
            noncestr=str(cfg["nonceStr"]),
            timestamp=int(str(cfg["timestamp"])),
            url=PAGE,
        )
    for server in servers:
        assert standin.app_secret not in server.log()
