"""Share links, direct invites and their caps: `HUZHU_INVITES__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


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
