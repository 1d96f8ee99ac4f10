"""Pure decisions of the invites domain: share-link tokens, quiet hours, consent and the
sender-reputation cap. No I/O, so each is property-tested on its own.

Share-link token: `base64url(payload) "." base64url(HMAC-SHA256(key[kid], base64url(payload)))`
with payload `s1|kid|link_id|instance_id|sender_id|channel|issued_epoch|expires_epoch`.
The key id travels inside the payload (as a JWT header's `kid` does) so several keys can
verify at once while one signs: rotation is "add a key, make it active, later retire the
old one". Base64 is checked to be canonical: a flipped padding bit that decodes to the
same bytes is still a different token, and is refused as tampered.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from huzhu.kit import signing

CHANNELS = ("friend", "group", "timeline", "qr")
TOKEN_VERSION = "s1"


class LinkProblem(StrEnum):
    TAMPERED = "tampered"
    UNKNOWN_KEY = "unknown_key"
    RETIRED_KEY = "retired_key"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Keyring:
    keys: dict[str, bytes]  # kid -> secret
    active_kid: str
    retired: frozenset[str]

    def __post_init__(self) -> None:
        if self.active_kid not in self.keys or self.active_kid in self.retired:
            raise ValueError(
                f"the active share-link key {self.active_kid!r} must exist and be live"
            )
        if any("|" in kid or "." in kid for kid in self.keys):
            raise ValueError("a share-link kid may not contain '|' or '.'")


@dataclass(frozen=True, slots=True)
class LinkClaims:
    kid: str
    link_id: int
    instance_id: int
    sender_id: int
    channel: str
    issued_epoch: int
    expires_epoch: int


def link_payload(c: LinkClaims) -> str:
    return "|".join(
        (
            TOKEN_VERSION,
            c.kid,
            str(c.link_id),
            str(c.instance_id),
            str(c.sender_id),
            c.channel,
            str(c.issued_epoch),
            str(c.expires_epoch),
        )
    )


def sign_link(keyring: Keyring, claims: LinkClaims) -> str:
    """Sign with the key the claims name (the active one, for a new link)."""
    return signing.sign(keyring.keys[claims.kid], link_payload(claims))


def _parse_payload(payload: str) -> LinkClaims | None:
    parts = payload.split("|")
    if len(parts) != 8 or parts[0] != TOKEN_VERSION or parts[5] not in CHANNELS:
        return None
    numbers = (parts[2], parts[3], parts[4], parts[6], parts[7])
    # Digits only (int() would also take "+1", " 1" or "1_0": other bytes, same meaning).
    if not all(n.isascii() and n.isdigit() and len(n) <= 19 for n in numbers):
        return None
    link_id, instance_id, sender_id, issued, expires = (int(n) for n in numbers)
    return LinkClaims(parts[1], link_id, instance_id, sender_id, parts[5], issued, expires)


def verify_link(keyring: Keyring, token: str, *, now_epoch: float) -> LinkClaims | LinkProblem:
    """The claims of a genuine, live token, or the one reason it is refused. Revocation
    is the service's check (it needs the link's row)."""
    body, sep, sig = token.partition(".")
    raw_body = signing.b64d_canonical(body) if sep else None
    raw_sig = signing.b64d_canonical(sig) if raw_body is not None else None
    if raw_body is None or raw_sig is None:
        return LinkProblem.TAMPERED
    try:
        payload = raw_body.decode("ascii")
    except UnicodeDecodeError:
        return LinkProblem.TAMPERED
    claims = _parse_payload(payload)
    if claims is None:
        return LinkProblem.TAMPERED
    key = keyring.keys.get(claims.kid)
    if key is None:
        return LinkProblem.RETIRED_KEY if claims.kid in keyring.retired else LinkProblem.UNKNOWN_KEY
    if not hmac.compare_digest(signing.hmac_sha256(key, body.encode()), raw_sig):
        return LinkProblem.TAMPERED
    if claims.kid in keyring.retired:
        return LinkProblem.RETIRED_KEY
    if now_epoch >= claims.expires_epoch:
        return LinkProblem.EXPIRED
    return claims


def ip_prefix(address: str) -> str | None:
    """The network an address belongs to (/24 for IPv4, /48 for IPv6): enough to tell
    a burst of opens from one place, too coarse to name a household."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


# -- consent -----------------------------------------------------------------------------


class AcceptFrom(StrEnum):
    """Whom a person accepts direct invites from."""

    EVERYONE = "everyone"
    CONTACTS = "contacts"  # people they added, helped or were helped by (direct.is_contact_of)
    NOBODY = "nobody"


def parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(hours) == 2 and len(minutes) == 2):
        raise ValueError("times are HH:MM")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError("times are HH:MM between 00:00 and 23:59")
    return time(h, m)


def quiet_until(now: datetime, *, start: time, end: time, zone: ZoneInfo) -> datetime | None:
    """When the recipient's quiet hours end (UTC), or None when `now` is outside them.
    The window is local wall-clock time in the recipient's zone and may cross midnight
    (22:00–08:00); start == end means no quiet hours."""
    if start == end:
        return None
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= t < end:
            return None
        end_day = local.date()
    else:
        if end <= t < start:
            return None
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    ends = datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)
    # A DST jump can put the local end before now (the wall clock skipped it): the quiet
    # hours are then over.
    return ends if ends > now else None


def refuses_sender(*, accept_from: str, is_contact: bool) -> bool:
    return accept_from == AcceptFrom.NOBODY or (
        accept_from == AcceptFrom.CONTACTS and not is_contact
    )


def wants_kind(kinds: list[str] | None, kind: str) -> bool:
    return kinds is None or kind in kinds


# -- sender reputation --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReputationParams:
    prior_bad: float  # a: pseudo-count of bad outcomes before any evidence
    prior_good: float  # b: pseudo-count of good outcomes
    volume_cap: int  # sent counted at most this many in the denominator
    tolerated_rate: float  # caps stay whole up to this smoothed rate
    stop_rate: float  # caps are 0 from this smoothed rate on


def smoothed_bad_rate(*, bad: int, sent: int, p: ReputationParams) -> float:
    """(bad + a) / (min(sent, V) + a + b): the posterior mean of a Beta(a, b) prior on
    the share of a sender's invites that end in a mute, block or report. The prior keeps
    one early report from looking like 100 %; capping the volume at V keeps a flood of
    invites from diluting many reports into a small rate."""
    return (max(bad, 0) + p.prior_bad) / (
        min(max(sent, 0), p.volume_cap) + p.prior_bad + p.prior_good
    )


def cap_multiplier(rate: float, p: ReputationParams) -> float:
    """1 up to the tolerated rate, 0 from the stop rate, linear in between. The stop
    rate wins when settings put it at or below the tolerated one."""
    if rate >= p.stop_rate:
        return 0.0
    if rate <= p.tolerated_rate:
        return 1.0
    return (p.stop_rate - rate) / (p.stop_rate - p.tolerated_rate)


def shrunk_cap(base: int, *, bad: int, sent: int, p: ReputationParams) -> int:
    """A sender's cap after reputation: between 0 and `base`, never more."""
    if base <= 0:
        return 0
    multiplier = cap_multiplier(smoothed_bad_rate(bad=bad, sent=sent, p=p), p)
    return max(0, min(base, math.floor(base * multiplier + 1e-9)))
