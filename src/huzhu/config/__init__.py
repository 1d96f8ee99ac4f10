"""One Settings object, nested by concern, read from HUZHU_* variables and an optional .env.

Every default runs the embedded mode (SQLite + in-process jobs and rate limits), so
`huzhu serve` needs nothing else installed. Nested values use a double underscore:
`HUZHU_SECURITY__SECRET_KEY`, `HUZHU_CAMPAIGNS__MAX_HELPERS_LIMIT`. Two short aliases
stand for the settings people set most: `HUZHU_DATABASE_URL` and `HUZHU_REDIS_URL`.

Each section is a module of this package named as its variables are: `HUZHU_RISK__*` is
`config/risk.py`, `HUZHU_DB__*` `config/db.py`. Here stand the object that nests them,
its loading, and the checks a production start runs on the whole.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from huzhu.config.accounts import AccountSettings
from huzhu.config.audit import AuditSettings
from huzhu.config.campaigns import LEGAL_TOP_PRIZE_CENTS, CampaignSettings
from huzhu.config.db import DatabaseSettings
from huzhu.config.detect import DetectSettings
from huzhu.config.enforcement import EnforcementSettings
from huzhu.config.guardrails import GuardrailSettings
from huzhu.config.idempotency import IdempotencySettings
from huzhu.config.invites import InviteSettings
from huzhu.config.jobs import JobSettings
from huzhu.config.log import LogSettings
from huzhu.config.metrics import MetricsSettings
from huzhu.config.notify import NotifySettings
from huzhu.config.payments import PaymentSettings
from huzhu.config.redis import RedisSettings
from huzhu.config.retention import DAY_SECONDS, RetentionSettings
from huzhu.config.risk import RiskSettings
from huzhu.config.security import DEV_SECRET_KEY_DEFAULT, SecuritySettings
from huzhu.config.web import WebSettings
from huzhu.config.webhooks import WebhookSettings
from huzhu.config.wechat import WechatSettings, WechatTemplate

__all__ = [
    "DAY_SECONDS",
    "DEV_SECRET_KEY_DEFAULT",
    "LEGAL_TOP_PRIZE_CENTS",
    "MIN_SECRET_KEY_LENGTH",
    "OTHER_VARIABLES",
    "AccountSettings",
    "AuditSettings",
    "CampaignSettings",
    "DatabaseSettings",
    "DetectSettings",
    "EnforcementSettings",
    "Finding",
    "GuardrailSettings",
    "IdempotencySettings",
    "InviteSettings",
    "JobSettings",
    "LogSettings",
    "MetricsSettings",
    "NotifySettings",
    "PaymentSettings",
    "RedisSettings",
    "RetentionSettings",
    "RiskSettings",
    "SecuritySettings",
    "Settings",
    "UnsafeForProduction",
    "WebSettings",
    "WebhookSettings",
    "WechatSettings",
    "WechatTemplate",
    "load_settings",
    "production_findings",
    "refuse_unsafe_production",
    "setting_names",
    "unknown_variables",
]


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
