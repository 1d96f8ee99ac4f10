"""One Settings object, nested by concern, read from HUZHU_* variables and an optional .env.

Every default runs the embedded mode (SQLite + in-process jobs and rate limits), so
`huzhu serve` needs nothing else installed. Nested values use a double underscore:
`HUZHU_SECURITY__SECRET_KEY`, `HUZHU_CAMPAIGNS__MAX_HELPERS_LIMIT`. Two short aliases
stand for the settings people set most: `HUZHU_DATABASE_URL` and `HUZHU_REDIS_URL`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from huzhu.kit import signing

# The key of the embedded mode: fine for a demo, refused by production mode.
DEV_SECRET_KEY_DEFAULT = "huzhu-embedded-dev-key-change-me"


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="sqlite:///./var/huzhu.db",
        description="sqlite:///path (embedded) or postgresql://user@host/db (production)",
    )
    pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="connections per process, in each of its two pools (PostgreSQL: "
        "SQLAlchemy's and the assist hot path's), lowered to fit max_connections",
    )
    max_connections: int = Field(
        default=90,
        ge=2,
        le=100_000,
        description="PostgreSQL: connections all processes of this deployment may hold "
        "together; keep it under the server's max_connections less its reserved ones",
    )
    processes: int = Field(
        default=1,
        ge=1,
        le=1024,
        description="processes sharing max_connections (`huzhu serve --workers N` counts "
        "its N; add your `huzhu worker` processes)",
    )
    wait_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="longest a request waits for a database connection (SQLite: for "
        "its turn to write) before it is answered 503 with Retry-After",
    )
    retry_after_seconds: int = Field(
        default=2, ge=1, le=3600, description="the Retry-After of a 503 for overload"
    )
    echo: bool = False
    sqlite_concurrent_units: int = Field(
        default=4,
        ge=1,
        le=32,
        description="SQLite only: request units of work admitted at once per process "
        "(one writer; the rest wait in the event loop, not in pool threads)",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not (value.startswith("sqlite") or value.startswith("postgresql")):
            raise ValueError("database url must start with sqlite:/// or postgresql://")
        return value

    @property
    def pool_sizes(self) -> tuple[int, int]:
        """(SQLAlchemy pool, hot-path pool) connections of one process on PostgreSQL:
        pool_size each, lowered so that `processes` processes together hold at most
        max_connections (the hot path's pool a third of a process's share)."""
        share = max(2, self.max_connections // self.processes)
        hot = min(self.pool_size, max(1, share // 3))
        return min(self.pool_size, share - hot), hot

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy's sync engine (psycopg 3 on PostgreSQL)."""
        if self.url.startswith("postgresql://") or self.url.startswith("postgres://"):
            return "postgresql+psycopg://" + self.url.split("://", 1)[1]
        return self.url

    @property
    def asyncpg_dsn(self) -> str:
        """The DSN for asyncpg, which serves the assist hot path on PostgreSQL."""
        return "postgresql://" + self.url.split("://", 1)[1]

    @property
    def sqlite_path(self) -> Path:
        raw = self.url.split(":///", 1)[1] if ":///" in self.url else ""
        return Path(raw or ":memory:")


class RedisSettings(BaseModel):
    url: str | None = Field(
        default=None, description="redis://host:port/db; unset = in-process storage"
    )
    key_prefix: str = Field(
        default="huzhu",
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="first part of every key Huzhu writes to Redis (invite caps, risk "
        "counters, report limits): deployments sharing one Redis must differ",
    )


class SecuritySettings(BaseModel):
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY_DEFAULT),
        description="HMAC key for participant tokens and keyed hashes; set in production",
    )
    hash_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="keys of the keyed hashes of personal data, version -> secret; empty "
        "means one version, v0, whose key is secret_key (README: rotating the hashing key)",
    )
    hash_key_version: str = Field(
        default="v0",
        min_length=1,
        max_length=16,
        description="the version new keyed hashes are made with; the others in hash_keys "
        "are still accepted for lookup",
    )
    participant_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    operator_session_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=100 * 1_048_576,
        description="the largest request body accepted (413 body_too_large above it)",
    )

    @model_validator(mode="after")
    def _hash_key_version_known(self) -> SecuritySettings:
        self.hash_keyring()  # refused at start-up, not at the first sign-in
        return self

    def hash_keyring(self) -> signing.KeyRing:
        keys = self.hash_keys or {"v0": self.secret_key}
        return signing.KeyRing(
            keys={v: s.get_secret_value().encode() for v, s in keys.items()},
            current=self.hash_key_version,
        )


class AccountSettings(BaseModel):
    local_login_open: bool = Field(
        default=True,
        description="anyone may sign in as a participant by name (demo); off in production",
    )


class WebSettings(BaseModel):
    """Participant pages and the operator console (web/)."""

    secure_cookies: bool = Field(
        default=False,
        description="mark session cookies Secure even on plain http (they always are over "
        "https); turn on in production behind TLS",
    )
    dashboard_refresh_seconds: float = Field(
        default=3.0, ge=0.5, le=600, description="how often a live dashboard polls its numbers"
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks (CIDR) of the reverse proxies in "
        "front of Huzhu whose X-Forwarded-For and X-Forwarded-Proto are believed; empty: "
        "the client is the TCP peer (behind a proxy every request would seem to come from "
        "the proxy's network, and the fake-assist network signals would hold everyone)",
    )
    time_zone: str = Field(
        default="Asia/Shanghai",
        description="IANA zone the pages show times in and count weeks and months by",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        import ipaddress

        entries = [part.strip() for part in value.split(",") if part.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an address or network: {entry!r}") from exc
        return ",".join(entries)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)  # an unknown zone is refused at start-up, not on a page
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


LEGAL_TOP_PRIZE_CENTS = 5_000_000


class CampaignSettings(BaseModel):
    max_helpers_limit: int = Field(
        default=200, ge=1, le=10_000, description="platform cap on a bargain's max_helpers"
    )
    # China's 2020 promotion rules (《规范促销行为暂行规定》) cap a prize-giving
    # sale's top prize at ¥50,000, discounts included: a platform may set a lower ceiling,
    # never a higher one.
    max_top_prize_cents: int = Field(
        default=LEGAL_TOP_PRIZE_CENTS,
        ge=1,
        le=LEGAL_TOP_PRIZE_CENTS,
        description="¥50,000: the 2020 promotion rules' prize ceiling (lower only)",
    )
    max_bargain_cut_cents: int = Field(
        default=5_000_000, ge=1, description="the most one bargain may cut (price − floor)"
    )
    max_unlock_reward_cents: int = Field(
        default=5_000_000, ge=1, description="the most one unlock's reward may be worth"
    )
    reference_price_window_days: int = Field(
        default=7,
        ge=1,
        le=90,
        description="a reference price naming an item is at most the lowest price recorded "
        "for it in this many days before launch",
    )
    default_instance_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    default_purchase_window_seconds: int = Field(default=24 * 3600, ge=60)
    default_daily_assists_per_helper: int = Field(default=5, ge=1)


class JobSettings(BaseModel):
    run_in_process: bool = Field(default=True, description="run the job worker inside serve")
    poll_interval_seconds: float = Field(default=0.5, gt=0)
    lease_seconds: int = Field(default=60, ge=1)
    backoff_base_seconds: float = Field(
        default=2.0, gt=0, description="a failed job waits base × 2^(attempt−1) seconds"
    )
    backoff_max_seconds: float = Field(default=3600.0, gt=0, description="cap on one wait")
    keep_done_seconds: int = Field(
        default=7 * 24 * 3600, ge=3600, description="finished jobs are kept this long"
    )


class WebhookSettings(BaseModel):
    timeout_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0, description="cap on one wait")
    allow_private_targets: bool = Field(
        default=True, description="allow webhook URLs on loopback/private networks"
    )


class NotifySettings(BaseModel):
    """The participant inbox's pushes to other channels (WeChat): the inbox itself always
    gets every message that is not muted."""

    daily_pushes: int = Field(
        default=10,
        ge=0,
        description="copies pushed to one person's other channels a day (their own zone)",
    )
    assist_batch_seconds: int = Field(
        default=3600,
        ge=60,
        description="one 'friends helped' message per activity per this long",
    )
    notices_per_poll: int = Field(
        default=2000, ge=1, description="outbox events the assist notices read per poll"
    )


class IdempotencySettings(BaseModel):
    ttl_seconds: int = Field(
        default=24 * 3600, ge=60, description="how long a key's stored response is replayed"
    )
    wait_seconds: float = Field(
        default=10.0, ge=0, description="how long a replay waits for the first request"
    )
    lock_seconds: int = Field(
        default=60, ge=1, description="an in_progress key older than this may be taken over"
    )
    skip_paths: list[str] = Field(
        # The assist hot path handles its key itself, inside its one statement.
        default=[r"^/api/v1/instances/[^/]+/assists$"],
        description="regular expressions of paths the middleware leaves alone",
    )


DAY_SECONDS = 86_400


class RetentionSettings(BaseModel):
    """How long each class of data is kept before the retention sweep (privacy/retention)
    deletes it or folds it into aggregates; the README's "Retention" table. Done jobs and
    idempotency records keep their own settings (jobs.keep_done_seconds,
    idempotency.ttl_seconds), which the same sweep applies."""

    sweep_every_seconds: int | None = Field(
        default=None,
        ge=0,
        description="run the retention sweep this often (0: off; unset: 3600, off under "
        "HUZHU_ENV=test)",
    )
    batch_rows: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="rows of one class one sweep transaction touches (short locks)",
    )
    share_opens_days: int = Field(
        default=90,
        ge=31,  # a share link lives at most 30 days: an open is never removed under it
        description="share opens (with their keyed network, phone and agent hashes); then "
        "per link and day counts",
    )
    review_evidence_days: int = Field(
        default=365, ge=1, description="a decided review case's evidence, after the decision"
    )
    inbox_days: int = Field(default=365, ge=1, description="inbox messages")
    webhook_deliveries_days: int = Field(
        default=30, ge=1, description="finished webhook deliveries and their attempts"
    )
    events_days: int = Field(
        default=30, ge=1, description="outbox events already dispatched and delivered"
    )
    money_records_days: int = Field(
        default=3 * 365 + 1,
        ge=1,
        # China's E-Commerce Law, art. 31: transaction records kept at least three years.
        description="payments keep the account they belong to this long; then anonymised",
    )


class LogSettings(BaseModel):
    format: Literal["text", "json"] = Field(
        default="text",
        description="server log lines: text (demo) or one JSON object a line (production)",
    )


class MetricsSettings(BaseModel):
    token: SecretStr | None = Field(
        default=None, description="bearer token /metrics asks for; unset = open"
    )
    multiprocess_dir: str | None = Field(
        default=None,
        description="where workers share metric values; `huzhu serve` sets it itself",
    )


class PaymentSettings(BaseModel):
    provider: str = Field(
        default="local", description="payment provider: local (a ledger in the database)"
    )


class InviteSettings(BaseModel):
    """Share links, direct invites and their caps (invites/). Keys rotate: sign with
    `link_active_kid`, verify with any kid in `link_keys` that is not in
    `link_retired_kids`. Empty `link_keys` = one key "k0" derived from
    security.secret_key (embedded mode)."""

    link_keys: dict[str, SecretStr] = Field(
        default_factory=dict, description="share-link signing keys, kid -> secret"
    )
    link_active_kid: str = Field(default="k0", description="the kid new links are signed with")
    link_retired_kids: set[str] = Field(
        default_factory=set, description="kids whose links are refused as retired_key"
    )
    link_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60, description="share link life")
    sender_daily_invites: int = Field(
        default=20, ge=0, description="direct invites one sender may deliver per day (base cap)"
    )
    recipient_daily_invites: int = Field(
        default=10, ge=0, description="platform cap on invites one person receives per day"
    )
    group_links_per_hour: int = Field(
        default=3, ge=0, description="share links one sender may issue for one group per hour"
    )
    default_accept_from: str = Field(
        default="contacts",
        pattern="^(everyone|contacts|nobody)$",
        description="who may invite a person who set no preference",
    )
    default_quiet_start: str = Field(default="22:00", pattern=r"^\d\d:\d\d$")
    default_quiet_end: str = Field(default="08:00", pattern=r"^\d\d:\d\d$")
    default_time_zone: str = Field(default="Asia/Shanghai", description="IANA zone")
    default_daily_max: int = Field(default=3, ge=0, description="invites a day, by default")
    reputation_prior_bad: float = Field(default=1.0, gt=0, description="Beta prior a")
    reputation_prior_good: float = Field(default=49.0, gt=0, description="Beta prior b")
    reputation_volume_cap: int = Field(
        default=200, ge=1, description="invites counted at most in the rate's denominator"
    )
    reputation_tolerated_rate: float = Field(
        default=0.05, ge=0, le=1, description="smoothed bad rate up to which caps stay whole"
    )
    reputation_stop_rate: float = Field(
        default=0.30, gt=0, le=1, description="smoothed bad rate at which caps reach 0"
    )
    reputation_window_days: int = Field(default=30, ge=1)
    opens_per_network: str = Field(
        default="120/minute",
        description="share opens one IP /24 (/48) may record; anonymous writes need a ceiling",
    )


class EnforcementSettings(BaseModel):
    ladder_memory_days: int = Field(
        default=365, ge=1, description="an action counts for the next rung for this long"
    )
    participation_restriction_seconds: int = Field(
        default=30 * 24 * 3600, ge=60, description="how long a participation restriction lasts"
    )
    spam_reports_per_rung: int = Field(
        default=3,
        ge=1,
        description="confirmed spam reports (distinct reporters) that move a sender one rung",
    )
    spam_report_window_seconds: int = Field(
        default=30 * 24 * 3600, ge=60, description="only reports this recent count for the rule"
    )
    reports_per_day: int = Field(
        default=20,
        ge=1,
        description="reports one participant may file a day (reports shrink a sender's caps)",
    )


class AuditSettings(BaseModel):
    retention_days: int = Field(
        default=730,
        ge=1,
        description="audit entries older than this are dropped; the chain stays verifiable",
    )


class WechatTemplate(BaseModel):
    """How one inbox message kind is sent as a WeChat subscription message."""

    template_id: str = Field(min_length=1, max_length=128)
    page: str = Field(default="", max_length=200, description="page the message opens")
    # WeChat templates name their fields by type and position (thing1, time2, ...); the
    # inbox title and body go into these two (each cut to WeChat's 20-character `thing`).
    title_field: str = Field(default="thing1", max_length=32)
    body_field: str = Field(default="thing2", max_length=32)


class WechatSettings(BaseModel):
    """The WeChat adapter; off unless app_id and app_secret are set."""

    app_id: str | None = Field(default=None, description="the official account's AppID")
    app_secret: SecretStr | None = Field(default=None, description="its AppSecret")
    api_base_url: str = Field(default="https://api.weixin.qq.com")
    open_base_url: str = Field(
        default="https://open.weixin.qq.com", description="where the OAuth authorize page is"
    )
    allowed_page_domains: list[str] = Field(
        default=[], description="hosts (besides base_url's) whose pages may get a JS-SDK config"
    )
    templates: dict[str, WechatTemplate] = Field(
        default={}, description="inbox message kind -> subscription message template"
    )
    miniprogram_state: str = Field(
        default="formal", description="formal | trial | developer (subscribe/send)"
    )
    timeout_seconds: float = Field(default=5.0, gt=0)
    refresh_ahead_seconds: int = Field(
        default=600, ge=0, description="refresh access_token/jsapi_ticket this long before expiry"
    )
    max_attempts: int = Field(default=6, ge=1, description="subscription message send attempts")

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_secret and self.app_secret.get_secret_value())


class RiskSettings(BaseModel):
    """Inline scoring of assists (risk/inline.py): thresholds, weights and windows.
    Every weight is the most one signal can add; signals combine as a noisy-OR."""

    inline_enabled: bool = Field(default=True, description="score every assist inline")
    hold_score: float = Field(default=0.6, gt=0, le=1, description="hold at or above")
    refuse_score: float = Field(default=0.95, gt=0, le=1, description="refuse at or above")
    new_account_seconds: int = Field(default=86_400, ge=0, description="younger is a signal")
    w_new_account: float = Field(default=0.3, ge=0, le=1)
    device_accounts_limit: int = Field(default=3, ge=1, description="helpers per device a day")
    w_shared_device: float = Field(default=0.7, ge=0, le=1)
    net_assists_limit: int = Field(default=30, ge=1, description="assists per /24 in 10 min")
    w_busy_network: float = Field(default=0.5, ge=0, le=1)
    helper_assists_limit: int = Field(default=20, ge=1, description="one helper's per hour")
    w_fast_helper: float = Field(default=0.6, ge=0, le=1)
    w_no_share_open: float = Field(default=0.1, ge=0, le=1)
    min_open_seconds: float = Field(default=2.0, ge=0, description="faster after the open")
    w_instant_after_open: float = Field(default=0.3, ge=0, le=1)
    w_share_not_opened: float = Field(
        default=0.2, ge=0, le=1, description="a share cited with no open of it recorded"
    )
    open_memory_seconds: int = Field(
        default=86_400, ge=60, description="how long the scorer remembers a share open"
    )
    w_reciprocal: float = Field(default=0.25, ge=0, le=1)
    w_automation: float = Field(default=0.65, ge=0, le=1)
    spike_window_seconds: int = Field(default=300, ge=10)
    spike_min_assists: int = Field(default=30, ge=2, description="per instance per window")
    spike_assists_per_open: float = Field(default=3.0, gt=0)
    spike_watch_seconds: int = Field(default=1800, ge=60, description="hold new assists this long")
    spike_network_assists: int = Field(
        default=12,
        ge=2,
        description="assists on one instance from one /24 (/48) per window that are a spike",
    )
    campaign_spike_min_assists: int = Field(
        default=300, ge=2, description="per campaign per window before a campaign spike"
    )
    campaign_spike_assists_per_open: float = Field(
        default=3.0, gt=0, description="campaign assists per share open that is a spike"
    )
    ring_warn_min_assists: int = Field(
        default=3, ge=1, description="a confirmed ring's initiator with this many is warned"
    )
    # Inline groups (risk/inline.py `group_hold`): fresh accounts from one network.
    group_instance_assists: int = Field(
        default=2,
        ge=0,
        description="a fresh account's assist held when its /24 sent this many to the "
        "instance in the spike window (0: off)",
    )
    group_campaign_assists: int = Field(
        default=2,
        ge=0,
        description="fresh accounts' assists from one /24 across a campaign in the group "
        "window from which they are held as a group (0: off)",
    )
    group_window_seconds: int = Field(
        default=3600, ge=60, description="the window of the campaign's network groups"
    )
    # Bursts with no share open (risk/inline.py `burst_hold`): accounts of any age.
    burst_instance_assists: int = Field(
        default=3,
        ge=0,
        description="an assist with no share open held when its /24 sent this many to the "
        "instance in the spike window (0: off)",
    )
    burst_campaign_assists: int = Field(
        default=2,
        ge=0,
        description="accounts tapping with no share open (or within min_open_seconds of it) "
        "from one /24 or one phone across a campaign in the burst window from which they "
        "are held as a group (0: off)",
    )
    burst_window_seconds: int = Field(
        default=60, ge=10, description="the sliding window of the campaign's no-open bursts"
    )
    # Held assists bounded (the hot path, under the instance lock): beyond these a hold
    # is refused with 429 hold_limit_reached.
    held_per_instance: int = Field(
        default=20, ge=1, description="most assists one instance may have waiting on hold"
    )
    held_per_network: int = Field(
        default=30, ge=1, description="most assists one /24 may put on hold in a shop per window"
    )
    held_network_window_seconds: int = Field(
        default=86_400, ge=60, description="the window of held_per_network"
    )
    held_retry_after_seconds: int = Field(
        default=900, ge=1, description="Retry-After of a hold refused on a full instance"
    )


class DetectSettings(BaseModel):
    """Batch ring detection (`huzhu detect run`, risk/graph): what a ring must look like
    before it goes to the review queue."""

    window_seconds: int = Field(default=3600, ge=1, description="lockstep window (CopyCatch dt)")
    min_accounts: int = Field(default=5, ge=2, description="smallest lockstep ring (n)")
    min_targets: int = Field(default=4, ge=2, description="fewest instances it works (m)")
    untimed_min_accounts: int = Field(
        default=10, ge=2, description="smallest ring found without time (slow rings)"
    )
    untimed_min_targets: int = Field(default=8, ge=2, description="its fewest instances")
    rho: float = Field(
        default=0.6, gt=0, le=1, description="share of the ring's instances each member works"
    )
    min_significance: float = Field(
        default=6.0, ge=0, description="-log10 chance at or above which a group is a ring"
    )
    schedule_every_seconds: int | None = Field(
        default=None,
        ge=0,
        description="scan shops with recent assists this often (0: off; unset: 3600, "
        "off under HUZHU_ENV=test)",
    )
    schedule_window_seconds: int = Field(
        default=7 * 86_400, ge=60, description="how far back a scheduled scan looks"
    )
    auto_confirm_significance: float | None = Field(
        default=None, gt=0, description="confirm a ring above this -log10 chance (unset: never)"
    )
    # Farm or friends (risk/farm.py): a ring is confirmed by rule only with one of these
    # signs; without any it is a likely mutual-help group.
    farm_accounts_per_device: float = Field(
        default=2.0, ge=1, description="accounts per phone from which a group shares devices"
    )
    farm_accounts_per_network: float = Field(
        default=6.0, ge=1, description="accounts per /24 (/48) from which it shares networks"
    )
    farm_open_to_assist_seconds: float = Field(
        default=3.0, ge=0, description="median open-to-assist seconds below which taps are instant"
    )
    farm_unopened_share: float = Field(
        default=0.8, gt=0, le=1, description="share of assists with no open that is a farm sign"
    )
    farm_min_accounts: int = Field(
        default=5,
        ge=2,
        description="smallest group of accounts linked by shared phones the scan reports",
    )
    fresh_account_seconds: int = Field(
        default=7 * 86_400, ge=0, description="accounts younger at their first assist are fresh"
    )
    mutual_help_reason_min_chars: int = Field(
        default=20, ge=1, description="an analyst's reason to enforce on a likely mutual-help group"
    )


class GuardrailSettings(BaseModel):
    """Spending and participation guardrails (guardrails/): the shop's defaults for a
    person's caps and the ceilings a person may raise them to, the wait before a raise
    takes effect, the cooling-off pace, and when a money step asks for a confirmation."""

    daily_spend_cents: int = Field(
        default=100_000, ge=0, description="default cap on money committed a day (¥1,000)"
    )
    daily_spend_ceiling_cents: int = Field(
        default=1_000_000, ge=0, description="the most a person may raise their daily cap to"
    )
    monthly_spend_cents: int = Field(
        default=300_000, ge=0, description="default cap on money committed a month (¥3,000)"
    )
    monthly_spend_ceiling_cents: int = Field(
        default=5_000_000, ge=0, description="the most a person may raise their monthly cap to"
    )
    daily_starts: int = Field(
        default=10, ge=0, description="default cap on activities started a day"
    )
    daily_starts_ceiling: int = Field(default=50, ge=0)
    daily_joins: int = Field(default=10, ge=0, description="default cap on teams joined a day")
    daily_joins_ceiling: int = Field(default=50, ge=0)
    raise_wait_seconds: int = Field(
        default=24 * 3600, ge=0, description="how long a raised cap waits before it applies"
    )
    cooling_off_steps: int = Field(
        default=5, ge=0, description="money steps in an hour after which the next waits; 0: off"
    )
    cooling_off_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="how long the next money step waits"
    )
    confirm_above_cents: int = Field(
        default=0, ge=0, description="money steps above this amount need a confirmation first"
    )
    confirmation_ttl_seconds: int = Field(
        default=600, ge=30, le=24 * 3600, description="how long a confirmation stays valid"
    )
    summaries: bool | None = Field(
        default=None,
        description="send each person's daily or weekly summary to their inbox (their "
        "choice); unset means on, except under HUZHU_ENV=test",
    )

    @model_validator(mode="after")
    def _defaults_within_ceilings(self) -> GuardrailSettings:
        pairs = {
            "daily_spend_cents": self.daily_spend_ceiling_cents,
            "monthly_spend_cents": self.monthly_spend_ceiling_cents,
            "daily_starts": self.daily_starts_ceiling,
            "daily_joins": self.daily_joins_ceiling,
        }
        for name, ceiling in pairs.items():
            if getattr(self, name) > ceiling:
                raise ValueError(f"the default {name} is above its ceiling")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HUZHU_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
    )

    env: Literal["embedded", "production", "test"] = Field(
        default="embedded",
        description="production refuses to start with unsafe settings (`huzhu check`)",
    )
    base_url: str = Field(default="http://127.0.0.1:8000")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("HUZHU_DATABASE_URL", "database_url")
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("HUZHU_REDIS_URL", "redis_url")
    )
    db: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    security: SecuritySettings = SecuritySettings()
    accounts: AccountSettings = AccountSettings()
    web: WebSettings = WebSettings()
    campaigns: CampaignSettings = CampaignSettings()
    jobs: JobSettings = JobSettings()
    webhooks: WebhookSettings = WebhookSettings()
    notify: NotifySettings = NotifySettings()
    idempotency: IdempotencySettings = IdempotencySettings()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    payments: PaymentSettings = PaymentSettings()
    risk: RiskSettings = RiskSettings()
    wechat: WechatSettings = WechatSettings()
    enforcement: EnforcementSettings = EnforcementSettings()
    invites: InviteSettings = InviteSettings()
    detect: DetectSettings = DetectSettings()
    guardrails: GuardrailSettings = GuardrailSettings()
    retention: RetentionSettings = RetentionSettings()
    audit: AuditSettings = AuditSettings()

    def model_post_init(self, __context: Any) -> None:
        # The short aliases win over the nested defaults so the README's one-liners work.
        if self.database_url:
            self.db = self.db.model_copy(
                update={"url": DatabaseSettings(url=self.database_url).url}
            )
        if self.redis_url:
            self.redis = self.redis.model_copy(update={"url": self.redis_url})


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


# -- production mode ------------------------------------------------------------------

MIN_SECRET_KEY_LENGTH = 32
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104 (a name we refuse, not a bind)


@dataclass(frozen=True, slots=True)
class Finding:
    """A setting that is fine for a demo and unsafe in front of customers."""

    setting: str  # the environment variable to change
    problem: str
    fix: str


def production_findings(settings: Settings) -> list[Finding]:
    """What `HUZHU_ENV=production` refuses to start with, and `huzhu check` prints for
    any environment."""
    found = []
    key = settings.security.secret_key.get_secret_value()
    if key == DEV_SECRET_KEY_DEFAULT or len(key) < MIN_SECRET_KEY_LENGTH:
        found.append(
            Finding(
                "HUZHU_SECURITY__SECRET_KEY",
                "is the embedded dev key or shorter than 32 characters: anyone who knows "
                "it can forge participant tokens, share links and confirmations",
                "set a random secret of 32 or more characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`",
            )
        )
    if settings.accounts.local_login_open:
        found.append(
            Finding(
                "HUZHU_ACCOUNTS__LOCAL_LOGIN_OPEN",
                "is on: anyone can sign in as any participant just by typing a name",
                "set it to false; sign people in through your shop "
                "(POST /api/v1/participants/token) or WeChat",
            )
        )
    if settings.webhooks.allow_private_targets:
        found.append(
            Finding(
                "HUZHU_WEBHOOKS__ALLOW_PRIVATE_TARGETS",
                "is on: a webhook endpoint may point at loopback or private-network "
                "addresses, letting an integrator reach your internal services",
                "set it to false",
            )
        )
    if not settings.web.secure_cookies:
        found.append(
            Finding(
                "HUZHU_WEB__SECURE_COOKIES",
                "is off: session cookies may be sent over plain http",
                "serve behind TLS and set it to true",
            )
        )
    base = urlsplit(settings.base_url)
    if base.scheme != "https" or (base.hostname or "") in _LOCAL_HOSTS:
        found.append(
            Finding(
                "HUZHU_BASE_URL",
                f"is {settings.base_url!r}: share links, QR codes and WeChat pages carry "
                "it, so it must be the shop's public https address",
                "set it to the public https URL people reach Huzhu at",
            )
        )
    return found


# HUZHU_* variables read by something other than Settings: `huzhu shop create`'s password,
# the test suite's "fail instead of skip" switch, and the browser tests' switch that
# writes docs/img/.
OTHER_VARIABLES = frozenset({"HUZHU_OWNER_PASSWORD", "HUZHU_REQUIRE_SERVICES", "HUZHU_SCREENSHOTS"})


def setting_names() -> frozenset[str]:
    """Every HUZHU_* variable Settings reads: each field, and each section as a whole
    (pydantic-settings also takes a section as one JSON value)."""
    names: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            variable = prefix + name.upper()
            names.add(variable)
            kind = field.annotation
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, variable + "__")

    walk(Settings, "HUZHU_")
    return frozenset(names)


def unknown_variables(environ: Mapping[str, str]) -> list[Finding]:
    """HUZHU_* variables that are no setting: Settings ignores them without a word, so a
    typo (`HUZHU_SECURITY_SECRET_KEY`, one underscore) would silently leave a default in
    force. The CLI reports them with the closest setting's name."""
    known = setting_names() | OTHER_VARIABLES
    found = []
    for name in sorted(environ):
        upper = name.upper()  # pydantic-settings reads names case-insensitively
        if not upper.startswith("HUZHU_") or upper in known:
            continue
        close = difflib.get_close_matches(upper, known, n=1)
        fix = (
            f"rename it to {close[0]}"
            if close
            else "correct or remove it (the README's configuration table lists every setting)"
        )
        found.append(Finding(name, "is not a Huzhu setting, so it changes nothing", fix))
    return found


class UnsafeForProduction(RuntimeError):
    """HUZHU_ENV=production with settings a production service must not run with."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        lines = [f"- {f.setting} {f.problem}. Fix: {f.fix}." for f in findings]
        super().__init__(
            "HUZHU_ENV=production refuses to start; change these settings:\n" + "\n".join(lines)
        )


def refuse_unsafe_production(settings: Settings) -> None:
    """Raise UnsafeForProduction when production mode meets an unsafe setting."""
    if settings.env == "production":
        findings = production_findings(settings)
        if findings:
            raise UnsafeForProduction(findings)
