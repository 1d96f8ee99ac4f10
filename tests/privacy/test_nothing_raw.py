"""Nothing personal or secret is kept raw: a scripted day of the demo shop over HTTP
(the demo seed; every kind started, shared, opened and assisted; team orders; direct
invites; an opt-out; a report, a mute, a warning and its appeal; an integrator, a webhook
endpoint; an export and a deletion), from a client with its own loopback address, user
agent and device id, by people whose logins look like phone numbers and openids. Then
the server's whole log (stdout and stderr, text on one backend, JSON on the other), every
column of every table and every Redis key and value are searched for each of those: the
address, the device id, the user agent, the logins, every token, password and secret
that went over the wire."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import MetaData, select

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.invites import direct
from huzhu.seed import DEMO_ANALYST_EMAIL, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, seed_demo
from tests.conftest import make_settings
from tests.factories import auth
from tests.privacy.support import OPEN_ALL, ok
from tests.support import services
from tests.support.servers import LiveServer, start_server

# The client's own address: a loopback address no server default or fixture uses.
CLIENT_IP = "127.0.0.77"
USER_AGENT = "HuzhuScan/7.3 (device 91ab; like Gecko)"
DEVICE_ID = "dev-scan-4f3e2d1c0b"
PHONE_STARTER = "13912345678"
PHONE_HELPER = "13600002222"
PHONE_DELETED = "13700001111"
OPENID = "oPq1xOpenId77aa55ZZ"


@dataclass
class Secrets:
    """Everything that must not be found, by what it is (for the failure message)."""

    found: dict[str, str] = field(default_factory=dict)
    # Where a secret must live to work: the webhook signing secret signs every delivery.
    allowed: dict[str, str] = field(default_factory=dict)  # value -> "table.column"

    def add(self, what: str, value: str | None) -> str:
        assert value, what
        self.found[value] = what
        return value


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        timeout=60,
        transport=httpx.HTTPTransport(local_address=CLIENT_IP),
        headers={"User-Agent": USER_AGENT, "X-Huzhu-Device": DEVICE_ID},
    )


def _confirmed(
    client: httpx.Client, token: str, action: str, target: int, s: Secrets
) -> dict[str, str]:
    quote = ok(
        client.post(
            "/api/v1/me/confirmations",
            json={"action": action, "target_id": target},
            headers=auth(token),
        )
    )
    headers = auth(token)
    if quote["token"] is not None:
        headers["Huzhu-Confirmation"] = s.add("confirmation token", quote["token"])
    return headers


def _sign_in(client: httpx.Client, integrator: str, subject: str, s: Secrets) -> tuple[int, str]:
    answer = ok(
        client.post(
            "/api/v1/participants/token",
            json={"shop": "demo", "subject": subject, "display_name": f"p{uuid.uuid4().hex[:4]}"},
            headers={**auth(integrator), "Idempotency-Key": f"sign-in-{uuid.uuid4()}"},
        )
    )
    return answer["account_id"], s.add(f"participant token of {subject}", answer["token"])


def _day_of_the_demo_shop(client: httpx.Client, settings: Settings, s: Secrets) -> None:
    owner = s.add(
        "operator token",
        ok(
            client.post(
                "/api/v1/auth/login",
                json={"email": DEMO_OWNER_EMAIL, "password": DEMO_OWNER_PASSWORD},
                headers={"Idempotency-Key": f"login-{uuid.uuid4()}"},
            )
        )["token"],
    )
    analyst = s.add(
        "analyst token",
        ok(
            client.post(
                "/api/v1/auth/login",
                json={"email": DEMO_ANALYST_EMAIL, "password": DEMO_OWNER_PASSWORD},
            )
        )["token"],
    )
    integrator = s.add(
        "integrator token",
        ok(
            client.post(
                "/api/v1/tokens",
                json={"name": "erp"},
                headers={**auth(owner), "Idempotency-Key": f"token-{uuid.uuid4()}"},
            ),
            201,
        )["token"],
    )
    hook = ok(
        client.post(
            "/api/v1/webhooks/endpoints",
            json={"url": "http://hooks.example.test/huzhu"},
            headers={**auth(integrator), "Idempotency-Key": f"hook-{uuid.uuid4()}"},
        ),
        201,
    )
    s.allowed[hook["secret"]] = "webhook_endpoint.secret"

    starter_id, starter = _sign_in(client, integrator, PHONE_STARTER, s)
    helper_id, helper = _sign_in(client, integrator, PHONE_HELPER, s)
    _, wechat_person = _sign_in(client, integrator, OPENID, s)
    local = ok(
        client.post(
            "/api/v1/auth/participant",
            json={"shop": "demo", "subject": PHONE_DELETED},
            headers={"Idempotency-Key": f"local-{uuid.uuid4()}"},
        )
    )
    leaving = s.add("participant token of the deleted person", local["token"])
    for who in (starter, helper, wechat_person, leaving):
        ok(client.put("/api/v1/me/invite-preferences", json=OPEN_ALL, headers=auth(who)))

    campaigns = ok(client.get("/api/v1/campaigns", headers=auth(owner)))["items"]
    by_kind = {c["kind"]: c["id"] for c in campaigns if c["status"] == "live"}
    assert set(by_kind) == {"bargain", "groupbuy", "lottery", "unlock"}, by_kind

    for kind in ("bargain", "lottery", "unlock"):
        instance = ok(
            client.post(f"/api/v1/campaigns/{by_kind[kind]}/instances", headers=auth(starter)),
            201,
        )["id"]
        link = ok(
            client.post(
                f"/api/v1/instances/{instance}/share-links",
                json={"channel": "friend"},
                headers={**auth(starter), "Idempotency-Key": f"link-{uuid.uuid4()}"},
            ),
            201,
        )
        token = s.add(f"share token ({kind})", link["token"])
        assert client.get(f"/s/{token}").status_code == 200  # the landing page a friend sees
        opened = ok(client.post(f"/api/v1/shares/{token}/open", headers=auth(helper)), 200, 201)
        for who in (helper, wechat_person, leaving):
            ok(
                client.post(
                    f"/api/v1/instances/{instance}/assists",
                    params={"share": token, "share_open": opened["open_id"]},
                    headers=auth(who),
                ),
                201,
                202,
            )
        ok(
            client.post(
                f"/api/v1/instances/{instance}/invites",
                json={"recipient_id": helper_id},
                headers=auth(starter),
            ),
            201,
        )

    team = ok(
        client.post(
            f"/api/v1/campaigns/{by_kind['groupbuy']}/teams",
            headers=_confirmed(client, starter, "open_team", by_kind["groupbuy"], s),
        ),
        201,
    )["team"]["team_id"]
    ok(
        client.post(
            f"/api/v1/teams/{team}/join",
            headers=_confirmed(client, helper, "join_team", team, s),
        ),
        201,
    )

    inbox = ok(client.get("/api/v1/me/inbox", headers=auth(helper)))["items"]
    invited = [m["params"] for m in inbox if m["kind"] == "invite_received"]
    assert len(invited) == 3, inbox
    # The links an invite hands its recipient carry tokens: signed when the inbox is read,
    # never stored (nor is the inviter's name, read from their account).
    for params in invited:
        s.add("invite share token", params["share_url"].rstrip("/").rsplit("/", 1)[-1])
        s.add("opt-out token", params["mute_url"].rsplit("/", 1)[-1])
    unsubscribe = s.add(
        "opt-out token", direct.opt_out_token(settings, "unsubscribe", helper_id, 0)
    )
    assert invited[0]["unsubscribe_url"].endswith(unsubscribe)
    ok(client.post(f"/api/v1/opt-outs/{unsubscribe}"))
    report = {"kind": "spam", "account_id": starter_id, "text": "asks every hour"}
    ok(client.post("/api/v1/reports", json=report, headers=auth(helper)), 201)
    ok(client.put(f"/api/v1/me/mutes/{starter_id}", headers=auth(helper)), 200, 204)
    warning = {"account_id": starter_id, "kind": "warning", "reason": "too many invites"}
    action = ok(
        client.post("/api/v1/enforcement/actions", json=warning, headers=auth(analyst)), 201
    )
    appeal = {"text": "I only invited my sister"}
    ok(
        client.post(
            f"/api/v1/enforcement/actions/{action['id']}/appeal", json=appeal, headers=auth(starter)
        ),
        201,
    )
    ok(client.get("/api/v1/me/export", headers=auth(starter)))
    ok(client.delete("/api/v1/me", headers=auth(leaving)))
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200


def _database_text(db: Database) -> Iterator[tuple[str, str]]:
    """(table.column, value as text) of every non-null value of every table."""
    tables = MetaData()
    tables.reflect(db.engine)
    with db.engine.connect() as conn:
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if value is not None:
                        yield f"{table.name}.{column}", str(value)


def _redis_text(url: str) -> Iterator[tuple[str, str]]:
    """(key, key and value as text) of every key in the test Redis database."""
    client = redis.Redis.from_url(url)
    for raw in client.scan_iter(count=500):
        key = raw.decode("utf-8", "replace")
        typed = client.type(raw)
        kind = typed.decode() if isinstance(typed, bytes) else str(typed)
        value: Any
        if kind == "string":
            value = client.get(raw)
        elif kind == "hash":
            value = client.hgetall(raw)
        elif kind == "zset":
            value = client.zrange(raw, 0, -1, withscores=True)
        elif kind == "list":
            value = client.lrange(raw, 0, -1)
        elif kind == "set":
            value = client.smembers(raw)
        else:
            value = kind
        yield key, f"{key} {value!r}"


def _needles(s: Secrets) -> dict[str, str]:
    return {
        CLIENT_IP: "the client's IP address",
        DEVICE_ID: "the device id",
        USER_AGENT: "the user agent",
        USER_AGENT.split(" ", 1)[0]: "the user agent's product",
        PHONE_STARTER: "a phone-like login",
        PHONE_HELPER: "a phone-like login",
        PHONE_DELETED: "the deleted person's phone-like login",
        OPENID: "an openid",
        DEMO_OWNER_PASSWORD: "an operator password",
        **s.found,
    }


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.parametrize(
    ("db_url", "log_format"),
    [("sqlite", "text"), pytest.param("postgresql", "json", marks=pytest.mark.postgres)],
    indirect=["db_url"],
)
def test_a_full_day_leaves_nothing_raw_in_logs_database_or_redis(
    db_url: str, log_format: str, tmp_path: Path
) -> None:
    redis_url = services.redis_url_or_skip()
    settings = make_settings(db_url)
    db = Database(settings.db)
    seed_demo(db, settings)
    server = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={
            "HUZHU_LOG__FORMAT": log_format,
            "HUZHU_REDIS_URL": redis_url,
            "HUZHU_REDIS__KEY_PREFIX": f"scan{uuid.uuid4().hex[:8]}",
            "HUZHU_RISK__INLINE_ENABLED": "true",  # the scorer keeps the network and device
        },
        log_args=("--log-level", "info"),  # every request line, every huzhu logger
    )
    s = Secrets()
    try:
        with _client(server) as client:
            _day_of_the_demo_shop(client, settings, s)
    finally:
        server.stop()  # its log is complete once it has exited
    needles = _needles(s)
    leaks: set[tuple[str, str]] = set()
    log = server.log()
    assert "huzhu.access" in log  # the request lines were written, and searched
    leaks |= {("server log", what) for value, what in needles.items() if value in log}
    for where, text in _database_text(db):
        leaks |= {
            (where, what)
            for value, what in needles.items()
            if value in text and s.allowed.get(value) != where
        }
    for key, text in _redis_text(redis_url):
        leaks |= {(f"redis {key}", what) for value, what in needles.items() if value in text}
    db.dispose()
    assert not leaks, "\n".join(f"{where}: {what}" for where, what in sorted(leaks))
