"""Behind a reverse proxy the client's network is the one the proxy reports, and only a
proxy named in HUZHU_WEB__TRUSTED_PROXIES is believed. Seen through what a share open
stores: the keyed hash of the client's /24, over a real `huzhu serve`.

Without the setting, every request behind a proxy would carry the proxy's address, and
the fake-assist network signals would treat a whole city as one busy network."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from huzhu.accounts.service import issue_participant_token
from huzhu.config import WebSettings
from huzhu.db import Database
from huzhu.invites.models import ShareOpen
from tests.assists.conftest import UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import auth, make_campaign, make_participant, make_shop
from tests.support.servers import start_server

HOME = "203.0.113.7"  # two people on different /24 networks (TEST-NET-3, TEST-NET-2)
OFFICE = "198.51.100.20"


def _open_hashes(db_url: str, tmp_path: Path, trusted: str) -> list[str | None]:
    """Open one share link three times over a server trusting `trusted`: through the
    proxy for HOME, for OFFICE, and once with no forwarding header; the stored hashes."""
    settings = make_settings(db_url)
    db = Database(settings.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        campaign = make_campaign(s, shop_id=shop_id, kind="unlock", rules=UNLOCK_RULES)
        starter, _ = make_participant(s, settings, shop_id=shop_id, name="starter")
        instance_id = write_instance(
            s, shop_id=shop_id, campaign=campaign, kind="unlock", initiator_id=starter, slots=[1]
        )
    token = issue_participant_token(settings, shop_id=shop_id, account_id=starter)[0]
    server = start_server(
        db_url=db_url, log_dir=tmp_path, extra_env={"HUZHU_WEB__TRUSTED_PROXIES": trusted}
    )
    try:
        with server.client() as client:
            made = client.post(
                f"/api/v1/instances/{instance_id}/share-links",
                headers=auth(token),
                json={"channel": "friend"},
            )
            assert made.status_code == 201, made.text
            share = made.json()["token"]
            for forwarded in (HOME, OFFICE, None):
                headers = {"X-Forwarded-For": forwarded} if forwarded else {}
                opened = client.post(f"/api/v1/shares/{share}/open", headers=headers)
                assert opened.status_code == 201, opened.text
        with db.unit_of_work() as s:
            return list(s.scalars(select(ShareOpen.ip_prefix_hash).order_by(ShareOpen.id)))
    finally:
        server.stop()
        db.dispose()


@pytest.mark.slow
def test_a_trusted_proxy_reports_each_clients_network(db_url: str, tmp_path: Path) -> None:
    home, office, direct = _open_hashes(db_url, tmp_path, trusted="127.0.0.1")
    assert home is not None
    assert office is not None
    assert direct is not None
    assert len({home, office, direct}) == 3, "each network hashes to its own value"
    assert HOME not in home  # kept as keyed hashes, never raw
    assert OFFICE not in office


@pytest.mark.slow
def test_a_forwarding_header_from_anyone_else_is_ignored(db_url: str, tmp_path: Path) -> None:
    # The server trusts a proxy at another address: the loopback peer sending
    # X-Forwarded-For is a client claiming to be elsewhere, and is not believed.
    home, office, direct = _open_hashes(db_url, tmp_path, trusted="10.9.8.0/24")
    assert home == office == direct


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert WebSettings(trusted_proxies=" 10.0.0.1, 172.16.0.0/12 ").trusted_proxies == (
        "10.0.0.1,172.16.0.0/12"
    )
    with pytest.raises(ValueError, match=r"not an address or network: 'proxy\.local'"):
        WebSettings(trusted_proxies="10.0.0.1,proxy.local")
