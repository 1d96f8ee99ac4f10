"""Use cases of the invites domain: share links and opens, preferences, mute / block /
contacts, and direct invites under consent and caps.

Caps are counted in `kit.ratelimit` (memory in embedded mode, Redis when configured),
not in the database: the counters are shared by every worker and cost no row lock. A
unit is taken only after every consent check passed, and given back when a later step
refuses or fails, so a refused invite never uses up anybody's cap.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
from sqlalchemy import Select
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import ConsentKind
from huzhu.assists import service as assists
from huzhu.assists.rules import InstanceStatus
from huzhu.assists.schemas import InstanceView
from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.errors import HuzhuError, InvalidInput
from huzhu.invites import repository as repo
from huzhu.invites import rules
from huzhu.invites.errors import (
    Blocked,
    CannotActOnSelf,
    GroupLinkCap,
    GroupRequired,
    InstanceNotOpen,
    LinkExpired,
    LinkMismatch,
    LinkRetiredKey,
    LinkRevoked,
    LinkTampered,
    LinkUnknownKey,
    NotYourInstance,
    RecipientNotFound,
    ShareLinkNotFound,
    TooManyOpens,
)
from huzhu.invites.models import (
    AccountBlock,
    AccountMute,
    Contact,
    InvitePreference,
    ShareLink,
)
from huzhu.kit import clock, signing
from huzhu.kit.export import Pseudonym, fields_of, plain
from huzhu.kit.ratelimit import RateLimiter
from huzhu.notify import service as notify
from huzhu.risk import live
from huzhu.risk.review import service as review

# -- keys ---------------------------------------------------------------------------------

_keyrings: dict[int, tuple[Settings, rules.Keyring]] = {}
_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def secret(settings: Settings) -> bytes:
    return settings.security.secret_key.get_secret_value().encode()


def keyring(settings: Settings) -> rules.Keyring:
    """The share-link keys of these settings, built once (the hot path asks per assist).
    Without configured keys, one key "k0" is derived from security.secret_key, so the
    embedded mode needs no setting and a changed secret key retires old links."""
    cached = _keyrings.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    conf = settings.invites
    if conf.link_keys:
        keys = {kid: s.get_secret_value().encode() for kid, s in conf.link_keys.items()}
    else:
        keys = {"k0": signing.hmac_sha256(secret(settings), b"share-link-key:k0")}
    ring = rules.Keyring(
        keys=keys, active_kid=conf.link_active_kid, retired=frozenset(conf.link_retired_kids)
    )
    _keyrings[id(settings)] = (settings, ring)
    return ring


def limiter(settings: Settings) -> RateLimiter:
    """One limiter per storage per process: memory counts must be shared by every
    request of this process, Redis ones by every process."""
    url = settings.redis.url or "memory://"
    found = _limiters.get(url)
    if found is None:
        # Under the lock: the first requests arrive together, and limits' lazy import of
        # its Redis driver is not safe to run from two threads at once.
        with _limiters_lock:
            found = _limiters.get(url)
            if found is None:
                found = _limiters[url] = RateLimiter(url)
    return found


def cap_prefix(settings: Settings) -> str:
    return f"{settings.redis.key_prefix}:inv"


def pseudonym(settings: Settings, value: str, purpose: str) -> str:
    """A keyed hash under the current version of the hashing key (what a share open
    records as its key_version)."""
    return settings.security.hash_keyring().keyed_hash(value, purpose=purpose)


def share_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/s/{token}"


# -- the enforcement ladder's say ---------------------------------------------------------


def assert_may_invite(session: Session, account_id: int, now: datetime) -> None:
    """Invite restrictions of the enforcement ladder bind sending invites and issuing
    share links alike (403 `invite_restricted` with reason and until)."""
    enforcement.assert_may_invite(session, account_id, now)


# -- share links --------------------------------------------------------------------------

_LINK_ERRORS: dict[rules.LinkProblem, type[HuzhuError]] = {
    rules.LinkProblem.TAMPERED: LinkTampered,
    rules.LinkProblem.UNKNOWN_KEY: LinkUnknownKey,
    rules.LinkProblem.RETIRED_KEY: LinkRetiredKey,
    rules.LinkProblem.EXPIRED: LinkExpired,
}
_LINK_DETAILS = {
    rules.LinkProblem.TAMPERED: "the link was changed or cut short; ask the sender for it again",
    rules.LinkProblem.UNKNOWN_KEY: "the link's key is not one of this server's",
    rules.LinkProblem.RETIRED_KEY: "the link was signed with a key that is no longer used; "
    "ask the sender for a new link",
    rules.LinkProblem.EXPIRED: "the link has expired; ask the sender for a new one",
}


def verify_share_token(settings: Settings, token: str, *, now: datetime) -> rules.LinkClaims:
    """The claims of a genuine, unexpired link, by its HMAC alone (no query), or the
    HuzhuError naming why not. Revocation needs the row: see `open_share`."""
    found = rules.verify_link(keyring(settings), token, now_epoch=now.timestamp())
    if isinstance(found, rules.LinkProblem):
        raise _LINK_ERRORS[found](_LINK_DETAILS[found])
    return found


class ShareLinks:
    """The share-link checks the assist hot path asks for (assists.hotpath.ports
    .ShareCheck): a link's signature and expiry, and the errors for what its transaction
    finds (a revoked link, a link or open of another instance, a block between the two)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def verify(self, token: str, *, now: datetime) -> rules.LinkClaims:
        return verify_share_token(self.settings, token, now=now)

    def mismatch(self, detail: str, *, field: str | None = None) -> HuzhuError:
        return LinkMismatch(detail, field=field)

    def revoked(self) -> HuzhuError:
        return LinkRevoked("the sender withdrew this link; assist without it")

    def blocked(self) -> HuzhuError:
        return Blocked("one of you blocked the other: no assists between you", reason="blocked")


def own_active_instance(
    session: Session, *, shop_id: int, account_id: int, instance_id: int
) -> Any:
    instance = assists.get_instance(session, instance_id, shop_id=shop_id)
    if instance.initiator_id != account_id:
        raise NotYourInstance("only the instance's initiator may share or invite for it")
    if instance.status != InstanceStatus.ACTIVE:
        raise InstanceNotOpen(f"the instance is {instance.status}", instance_status=instance.status)
    return instance


@contextmanager
def capped(
    settings: Settings, key: str, *, limit: int, per: str, error: HuzhuError
) -> Iterator[None]:
    """Hold one unit of a cap for the block; give it back if the block raises."""
    lim = limiter(settings)
    if not lim.acquire(key, limit=limit, per=per):
        error.extra["retry_after"] = lim.acquire_window(key, per=per).retry_after
        error.extra.setdefault("limit", limit)
        raise error
    try:
        yield
    except BaseException:
        lim.release(key, per=per)
        raise


def issue_share_link(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    instance_id: int,
    channel: str,
    group_ref: str | None = None,
    ttl_seconds: int | None = None,
) -> tuple[ShareLink, str]:
    """A signed link to the caller's own active instance, and its token."""
    now = clock.utcnow()
    instance = own_active_instance(
        session, shop_id=shop_id, account_id=account_id, instance_id=instance_id
    )
    assert_may_invite(session, account_id, now)
    group_hash = None
    if channel == "group":
        if not group_ref:
            raise GroupRequired("say which group the link is for (group_ref)", field="group_ref")
        group_hash = pseudonym(settings, f"{shop_id}:{group_ref}", "invite-group")
    ttl = ttl_seconds or settings.invites.link_ttl_seconds
    expires = min(now + timedelta(seconds=ttl), clock.as_utc(instance.expires_at))
    ring = keyring(settings)
    if group_hash is None:
        return write_link(
            session, settings, ring, instance, account_id, channel, None, now, expires
        )
    cap = sender_caps(session, settings, sender_id=account_id, now=now).group_links_per_hour
    error = GroupLinkCap(f"at most {cap} links for one group an hour", limit=cap)
    with capped(
        settings,
        f"{cap_prefix(settings)}:grp:{account_id}:{group_hash}",
        limit=cap,
        per="hour",
        error=error,
    ):
        return write_link(
            session, settings, ring, instance, account_id, channel, group_hash, now, expires
        )


def page_share_token(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    instance_id: int,
    channel: str,
) -> str:
    """The token of the initiator's share link for one channel, for a page that sets it
    as its share data on every view: the newest live link with at least half its life
    left is reused, else one is issued — so views do not pile up links, and a link
    passed on from the page still has time to be opened. The same checks as issuing
    (own active instance, no invite restriction) apply on every call."""
    if channel == "group":
        raise GroupRequired("a group link is issued for its group (group_ref)", field="channel")
    now = clock.utcnow()
    own_active_instance(session, shop_id=shop_id, account_id=account_id, instance_id=instance_id)
    assert_may_invite(session, account_id, now)
    ring = keyring(settings)
    found = repo.newest_live_link(
        session,
        instance_id=instance_id,
        sender_id=account_id,
        channel=channel,
        kid=ring.active_kid,
        now=now,
    )
    if found is not None:
        expires, issued = clock.as_utc(found.expires_at), clock.as_utc(found.issued_at)
        if (expires - now) * 2 >= expires - issued:
            return rules.sign_link(ring, _claims_of(found))
    return issue_share_link(
        session,
        settings,
        shop_id=shop_id,
        account_id=account_id,
        instance_id=instance_id,
        channel=channel,
    )[1]


def write_link(
    session: Session,
    settings: Settings,
    ring: rules.Keyring,
    instance: Any,
    sender_id: int,
    channel: str,
    group_hash: str | None,
    now: datetime,
    expires: datetime,
) -> tuple[ShareLink, str]:
    # Whole seconds: the token carries epochs, and the row must say the same.
    issued_at = now.replace(microsecond=0)
    expires_at = expires.replace(microsecond=0)
    link = ShareLink(
        shop_id=instance.shop_id,
        instance_id=instance.id,
        sender_id=sender_id,
        channel=channel,
        group_hash=group_hash,
        kid=ring.active_kid,
        issued_at=issued_at,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(link)
    session.flush()
    token = rules.sign_link(ring, _claims_of(link))
    notify.append_event(
        session,
        shop_id=instance.shop_id,
        type="share_link.issued",
        subject_type="share_link",
        subject_id=link.id,
        payload={"instance_id": instance.id, "sender_id": sender_id, "channel": channel},
    )
    return link, token


def token_of(settings: Settings, link: ShareLink) -> str | None:
    """The token of an issued link, signed again from its row (tokens are never stored);
    None when the key that signed it is retired or no longer configured."""
    ring = keyring(settings)
    if link.kid not in ring.keys or link.kid in ring.retired:
        return None
    return rules.sign_link(ring, _claims_of(link))


def _claims_of(link: ShareLink | Any) -> rules.LinkClaims:
    """The claims a link's row signs (`link`: the object or a row of its columns)."""
    return rules.LinkClaims(
        kid=link.kid,
        link_id=link.id,
        instance_id=link.instance_id,
        sender_id=link.sender_id,
        channel=link.channel,
        issued_epoch=int(clock.as_utc(link.issued_at).timestamp()),
        expires_epoch=int(clock.as_utc(link.expires_at).timestamp()),
    )


def _assert_live(claims: rules.LinkClaims, link: ShareLink | Any | None) -> None:
    """The row of a genuine token says what the token says and was not revoked."""
    if link is None or _claims_of(link) != claims:
        # Signed by one of our keys yet naming no such link: keys leaked or a database
        # restored from an older backup. Either way the link cannot be honoured.
        raise LinkTampered("this link does not match any issued link")
    if link.revoked_at is not None:
        raise LinkRevoked("the sender withdrew this link")


def live_link(session: Session, settings: Settings, token: str) -> ShareLink:
    """The row of a genuine, unexpired, unrevoked link."""
    claims = verify_share_token(settings, token, now=clock.utcnow())
    link = repo.share_link(session, claims.link_id)
    _assert_live(claims, link)
    assert link is not None
    return link


@dataclass(frozen=True, slots=True)
class Opened:
    open_id: int
    link: rules.LinkClaims  # checked against the link's row
    instance: InstanceView


def open_share(
    session: Session,
    settings: Settings,
    *,
    token: str,
    user_agent: str | None,
    client_ip: str | None,
    device: str | None = None,
) -> Opened:
    """Record an open of a link (anonymous) and return the instance's public view.

    Four statements through Core (the link's row, the instance's public view, the open,
    its outbox event): an open is the most frequent write of a live campaign. The token
    is checked by its HMAC before any query; the caller runs the whole unit of work in
    one thread call, so SQLite's write lock is held only for these statements. `device`:
    the client's install id, kept only as a keyed hash (how many accounts one phone
    serves is evidence for batch ring detection)."""
    claims = verify_share_token(settings, token, now=clock.utcnow())
    link = repo.share_link_facts(session, claims.link_id)
    _assert_live(claims, link)
    assert link is not None
    shop_id = int(link.shop_id)
    prefix = rules.ip_prefix(client_ip) if client_ip else None
    ip_hash = pseudonym(settings, prefix, "share-open-ip") if prefix else None
    if ip_hash is not None:
        # Opens are anonymous writes, and they tell the spike detector that real traffic
        # arrived: one network must not be able to flood either.
        lim, rate = limiter(settings), settings.invites.opens_per_network
        key = f"{cap_prefix(settings)}:open:{ip_hash}"
        if not lim.hit(key, rate):
            raise TooManyOpens(
                f"at most {rate} share opens from one network",
                retry_after=lim.window(key, rate).retry_after,
            )
    view = assists.public_view(session, claims.instance_id)
    opened_at = clock.utcnow()
    open_id = repo.insert_share_open(
        session,
        {
            "share_link_id": claims.link_id,
            "shop_id": shop_id,
            "instance_id": claims.instance_id,
            "channel": claims.channel,
            "ua_hash": (
                pseudonym(settings, user_agent[:500], "share-open-ua") if user_agent else None
            ),
            "ip_prefix_hash": ip_hash,
            # The app's install id (X-Huzhu-Device), like the hot path's, only hashed.
            "device_hash": (
                pseudonym(settings, device[:200], "share-open-device") if device else None
            ),
            "key_version": settings.security.hash_key_version,
            "opened_at": opened_at,
        },
    )
    # Real share traffic explains a burst of assists, and times the assists through it
    # (risk/inline.py): told to the scorer once this open commits.
    live.note_share_open(
        session,
        instance_id=claims.instance_id,
        campaign_id=view.campaign_id,
        at=opened_at,
        link_id=claims.link_id,
        open_id=open_id,
    )
    notify.append_event(
        session,
        shop_id=shop_id,
        type="share.opened",
        subject_type="share_link",
        subject_id=claims.link_id,
        payload={
            "open_id": open_id,
            "instance_id": claims.instance_id,
            "channel": claims.channel,
        },
    )
    return Opened(open_id=open_id, link=claims, instance=view)


OpenFacts = repo.OpenFacts


def open_facts(session: Session, open_ids: list[int]) -> dict[int, OpenFacts]:
    """The time and the keyed network and phone hashes of each open (by id), for batch
    ring detection's evidence."""
    return {row.id: row for row in repo.open_facts(session, sorted(set(open_ids)))}


def qr_code(session: Session, settings: Settings, *, token: str, kind: str) -> bytes:
    """The link's URL as a QR code (kind png or svg), for a genuine live link only: a
    printed code of a bad link would spread the bad link."""
    live_link(session, settings, token)
    buffer = io.BytesIO()
    code = segno.make(share_url(settings, token), error="m", micro=False)
    code.save(buffer, kind=kind, scale=6 if kind == "png" else 4, border=4)
    return buffer.getvalue()


def revoke_share_link(
    session: Session, *, shop_id: int, account_id: int, link_id: int
) -> ShareLink:
    link = repo.share_link(session, link_id)
    if link is None or link.shop_id != shop_id or link.sender_id != account_id:
        raise ShareLinkNotFound(f"share link {link_id} not found")
    if link.revoked_at is None:
        link.revoked_at = clock.utcnow()
        session.flush()
        notify.record_event(
            session,
            shop_id=shop_id,
            type="share_link.revoked",
            subject_type="share_link",
            subject_id=link.id,
            payload={"instance_id": link.instance_id},
        )
    return link


def share_links_query(*, shop_id: int, account_id: int) -> Select[ShareLink]:
    return repo.share_links_of_sender_query(shop_id=shop_id, sender_id=account_id)


# -- preferences ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preferences:
    accept_from: str
    kinds: list[str] | None
    quiet_start: str
    quiet_end: str
    time_zone: str
    daily_max: int
    is_default: bool


def preferences_of(session: Session, settings: Settings, account_id: int) -> Preferences:
    row = repo.preference(session, account_id)
    if row is None:
        d = settings.invites
        return Preferences(
            d.default_accept_from, None, d.default_quiet_start, d.default_quiet_end,
            d.default_time_zone, d.default_daily_max, True,
        )  # fmt: skip
    return Preferences(
        row.accept_from, row.kinds, row.quiet_start, row.quiet_end, row.time_zone,
        row.daily_max, False,
    )  # fmt: skip


def push_window(
    session: Session, settings: Settings, account_id: int, now: datetime
) -> notify.PushWindow:
    """The person's quiet hours and zone, as the inbox's pushes honour them (registered
    with notify by huzhu/wiring.py): a push to WeChat waits until they end, like an
    invite does."""
    prefs = preferences_of(session, settings, account_id)
    zone = ZoneInfo(prefs.time_zone)
    until = rules.quiet_until(
        now,
        start=rules.parse_hhmm(prefs.quiet_start),
        end=rules.parse_hhmm(prefs.quiet_end),
        zone=zone,
    )
    return notify.PushWindow(quiet_until=until, time_zone=prefs.time_zone)


def _preference_fields(row: InvitePreference) -> dict[str, Any]:
    return {
        "accept_from": row.accept_from, "kinds": row.kinds, "quiet_start": row.quiet_start,
        "quiet_end": row.quiet_end, "time_zone": row.time_zone, "daily_max": row.daily_max,
    }  # fmt: skip


def set_preferences(
    session: Session,
    *,
    account_id: int,
    accept_from: str,
    kinds: list[str] | None,
    quiet_start: str,
    quiet_end: str,
    time_zone: str,
    daily_max: int,
) -> Preferences:
    """Save a person's invite preferences (validated here too: the web form calls this
    without the API's schema) and record `account.invite_preferences_set`."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {time_zone!r}", field="time_zone") from exc
    for field, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        try:
            rules.parse_hhmm(value)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=field) from exc
    if accept_from not in tuple(rules.AcceptFrom):
        raise InvalidInput(
            f"accept_from is one of {', '.join(rules.AcceptFrom)}", field="accept_from"
        )
    account = accounts.get_account(session, account_id)
    if account is None:
        raise RecipientNotFound(f"account {account_id} not found")
    row = repo.preference(session, account_id)
    # Never chosen: the shop's defaults applied, which the history shows as null.
    before = {} if row is None else _preference_fields(row)
    if row is None:
        row = InvitePreference(account_id=account_id)
        session.add(row)
    row.accept_from = accept_from
    row.kinds = sorted(set(kinds)) if kinds is not None else None
    row.quiet_start, row.quiet_end = quiet_start, quiet_end
    row.time_zone, row.daily_max = time_zone, daily_max
    row.updated_at = clock.utcnow()
    session.flush()
    accounts.record_consent(
        session,
        shop_id=account.shop_id,
        account_id=account_id,
        kind=ConsentKind.INVITE_PREFERENCES,
        old=before,
        new=_preference_fields(row),
    )
    notify.record_event(
        session,
        shop_id=account.shop_id,
        type="account.invite_preferences_set",
        subject_type="account",
        subject_id=account_id,
        payload={"account_id": account_id, "accept_from": accept_from, "daily_max": daily_max},
    )
    return Preferences(accept_from, row.kinds, quiet_start, quiet_end, time_zone, daily_max, False)


# -- mute, block, contacts ------------------------------------------------------------------

_RELATIONS: dict[str, type[AccountMute] | type[AccountBlock] | type[Contact]] = {
    "mute": AccountMute,
    "block": AccountBlock,
    "contact": Contact,
}


def same_shop_account(session: Session, *, shop_id: int, account_id: int) -> None:
    account = accounts.get_account(session, account_id)
    if account is None or account.shop_id != shop_id:
        raise RecipientNotFound(f"account {account_id} not found")


def set_relation(
    session: Session, *, shop_id: int, account_id: int, other_id: int, kind: str, on: bool
) -> bool:
    """Mute / block / add a contact (on) or undo it (off). Idempotent: True when this
    call changed something. Every change is an outbox event; the other person is not told
    (telling a spammer who muted them invites retaliation)."""
    if other_id == account_id:
        raise CannotActOnSelf(f"you cannot {kind} yourself")
    same_shop_account(session, shop_id=shop_id, account_id=other_id)
    model = _RELATIONS[kind]
    if on:
        changed = repo.add_relation(
            session, model, account_id=account_id, other_id=other_id, now=clock.utcnow()
        )
        if kind in SILENCING:
            # Their invites already delivered stop calling: read as of now, pushes not
            # yet sent withdrawn. So undoing this later brings nothing back as new.
            notify.set_aside(
                session,
                account_id=account_id,
                message_ids=repo.invite_messages_from(
                    session, recipient_id=account_id, sender_id=other_id
                ),
            )
    else:
        changed = repo.remove_relation(session, model, account_id=account_id, other_id=other_id)
    if changed:
        notify.record_event(
            session,
            shop_id=shop_id,
            type=f"account.{kind}{'' if on else '_removed'}",
            subject_type="account",
            subject_id=account_id,
            payload={"account_id": account_id, "other_id": other_id},
        )
    return changed


SILENCING = ("mute", "block")  # the relations a person can undo on their mutes-and-blocks page


@dataclass(frozen=True, slots=True)
class Relation:
    """One of the person's mutes or blocks as their page shows it: the other person by
    their display name if they have one, else by a pseudonym only this person sees."""

    kind: str
    other_id: int
    name: str
    named: bool
    since: datetime


def silenced_by(session: Session, settings: Settings, account_id: int) -> list[Relation]:
    """Whom the person muted and blocked, newest first within each kind."""
    found = [
        (kind, other_id, since)
        for kind in SILENCING
        for other_id, since in repo.relations_since(session, _RELATIONS[kind], account_id)
    ]
    names = accounts.display_names(session, sorted({other for _, other, _ in found}))
    return [
        Relation(
            kind=kind,
            other_id=other_id,
            name=names.get(other_id)
            or "#" + pseudonym(settings, f"{account_id}:{other_id}", "relation")[:8],
            named=other_id in names,
            since=since,
        )
        for kind, other_id, since in found
    ]


def relations(session: Session, account_id: int) -> dict[str, list[int]]:
    return {
        kind: repo.relations_of(session, model, account_id) for kind, model in _RELATIONS.items()
    }


# -- sender reputation ----------------------------------------------------------------------


CLEAN_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SenderCaps:
    invites_per_day: int
    group_links_per_hour: int
    bad: int
    sent: int
    rate: float


def reputation_params(settings: Settings) -> rules.ReputationParams:
    c = settings.invites
    return rules.ReputationParams(
        prior_bad=c.reputation_prior_bad,
        prior_good=c.reputation_prior_good,
        volume_cap=c.reputation_volume_cap,
        tolerated_rate=c.reputation_tolerated_rate,
        stop_rate=c.reputation_stop_rate,
    )


def sender_caps(
    session: Session,
    settings: Settings,
    *,
    sender_id: int,
    now: datetime | None = None,
    reports: int | None = None,
) -> SenderCaps:
    """The sender's caps after reputation. Bad outcomes = people their invites reached
    who muted or blocked them within the window, or reported them (pass `reports` to
    decide without the reports, e.g. in a simulation). Complaints from people the sender
    never reached do not count: they cannot be about the sender's invites, and counting
    them would let anyone with a few fresh accounts silence an honest sender."""
    now = now or clock.utcnow()
    since = now - timedelta(days=settings.invites.reputation_window_days)
    # An invite counts as clean only once its recipient has had a day to mute or
    # report it: otherwise a burst of fresh invites would raise the cap it is spending.
    sent = repo.invites_sent_between(
        session, sender_id=sender_id, since=since, until=now - CLEAN_AFTER
    )
    if reports is None:
        reporters = review.reporters_against(session, sender_id)
        reports = repo.reached_among(session, sender_id=sender_id, people=reporters)
    bad = repo.mutes_and_blocks_of_sender_since(session, sender_id=sender_id, since=since) + reports
    p = reputation_params(settings)
    c = settings.invites
    return SenderCaps(
        invites_per_day=rules.shrunk_cap(c.sender_daily_invites, bad=bad, sent=sent, p=p),
        group_links_per_hour=rules.shrunk_cap(c.group_links_per_hour, bad=bad, sent=sent, p=p),
        bad=bad,
        sent=sent,
        rate=rules.smoothed_bad_rate(bad=bad, sent=sent, p=p),
    )


@dataclass(frozen=True, slots=True)
class Complaints:
    """Up to each edge: direct invites delivered to a campaign's instances, and the
    complaints of the people they reached against the sender who reached them, made
    after that invite (the reputation rule's "bad outcomes", per campaign)."""

    delivered: list[int]
    mutes: list[int]
    blocks: list[int]
    reports: list[int]


def complaints_upto(
    session: Session, *, instance_ids: Select[Any], edges: Sequence[datetime]
) -> Complaints:
    """`instance_ids`: the campaign's instances (assists.service.instance_ids_of)."""
    reach = repo.reach_of_instances(instance_ids)
    relations = repo.complaints_after_reach_upto(session, reach=reach, edges=edges)
    return Complaints(
        delivered=repo.invites_to_instances_upto(session, instance_ids=instance_ids, edges=edges),
        mutes=relations["mutes"],
        blocks=relations["blocks"],
        reports=review.spam_reports_after_reach_upto(session, reach=reach, edges=edges),
    )


# -- a person's own data ------------------------------------------------------------------

# The link's token is not stored (it is derived from the row and a key), so none is given.
SHARE_LINK_EXPORT_FIELDS = ("id", "instance_id", "channel", "issued_at", "expires_at", "revoked_at")


def export_of(
    session: Session, settings: Settings, *, account_id: int, other: Pseudonym
) -> dict[str, Any]:
    """The person's invite preferences, whom they muted, blocked or added (by this
    export's pseudonyms), the links they issued and the invites they sent and received —
    the other side of each by pseudonym only."""
    prefs = preferences_of(session, settings, account_id)
    return {
        "invite_preferences": plain(asdict(prefs)),
        "relations": {
            kind: [other(i) for i in ids] for kind, ids in relations(session, account_id).items()
        },
        "share_links": [
            fields_of(link, SHARE_LINK_EXPORT_FIELDS)
            for link in repo.share_links_issued_by(session, account_id)
        ],
        "invites_sent": [
            {"instance_id": i.instance_id, "to": other(i.recipient_id), "at": plain(i.created_at)}
            for i in repo.invites_sent_by(session, account_id)
        ],
        "invites_received": [
            {"instance_id": i.instance_id, "from": other(i.sender_id), "at": plain(i.created_at)}
            for i in repo.invites_received_by(session, account_id)
        ],
    }


def erase_person(session: Session, *, account_id: int) -> None:
    """At the person's deletion: their mutes, blocks and contacts (both sides: who knew
    whom goes with them) and their invite preferences. The invites themselves stay for
    the shop's counts, tied to an account that names no one."""
    repo.erase_relations_of(session, account_id)
    repo.erase_preference(session, account_id)
    repo.forget_inbox_messages_of(session, account_id)
    session.flush()
