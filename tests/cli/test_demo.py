"""`huzhu demo --port P` serves share links that point at port P: the links and their QR
codes carry HUZHU_BASE_URL, which the demo takes from where it serves unless it was set.
Run as a person runs it: the real command, in an empty folder, over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from huzhu.cli.demo import local_base_url
from tests.support.servers import PORTS


def _serve_demo(tmp_path: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUZHU_")}
    log = (tmp_path / "demo.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "huzhu.cli.main", "demo", "--port", str(port)],
        cwd=tmp_path,  # the embedded database goes to ./var, as for a person
        env={**clean, "HUZHU_ENV": "test", **env},
        stdout=log,
        stderr=log,
    )


def _share_url(base: str) -> str:
    """As the demo's alice: a share link to her bargain, and the URL the answer gives."""
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the demo did not come up"
        time.sleep(0.2)
    with httpx.Client(base_url=base, timeout=30) as client:
        signed = client.post("/api/v1/auth/participant", json={"shop": "demo", "subject": "alice"})
        auth = {"Authorization": f"Bearer {signed.json()['token']}"}
        mine = client.get("/api/v1/me/instances", headers=auth).json()["items"]
        bargain = next(i for i in mine if i["kind"] == "bargain")
        made = client.post(
            f"/api/v1/instances/{bargain['id']}/share-links",
            headers=auth,
            json={"channel": "friend"},
        )
        assert made.status_code == 201, made.text
        return str(made.json()["url"])


@pytest.mark.slow
@pytest.mark.parametrize("base_url", [None, "https://shop.example.com"])
def test_the_demos_links_point_where_it_serves(tmp_path: Path, base_url: str | None) -> None:
    port = PORTS.take()
    process = _serve_demo(tmp_path, port, **({"HUZHU_BASE_URL": base_url} if base_url else {}))
    try:
        url = _share_url(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)
        PORTS.give_back(port)
    # Unset: the demo's own address. Set: the operator's choice wins.
    assert url.startswith(f"{base_url or f'http://127.0.0.1:{port}'}/s/")


def test_the_local_address_of_any_bind() -> None:
    assert local_base_url("127.0.0.1", 18800) == "http://127.0.0.1:18800"
    assert local_base_url("0.0.0.0", 80) == "http://127.0.0.1:80"  # noqa: S104
    assert local_base_url("::1", 8000) == "http://[::1]:8000"
