"""The pages: `HUZHU_WEB__*`."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


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
