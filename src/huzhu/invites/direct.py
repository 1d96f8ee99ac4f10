"""Direct invites to a person or a group, under the recipient's consent and the caps,
and the one-tap opt-out every invite carries.

Order of checks: who may invite at all (the enforcement ladder), the recipient's own
choices (block, mute, accept-from, kinds, quiet hours), then the caps — sender per day
(shrunk by reputation), recipient per day. A refusal by choice never spends a cap
unit; a cap unit taken is given back when a later check refuses or the write fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.assists.graph import service as assist_graph
from huzhu.config import Settings
from huzhu.errors import HuzhuError
from huzhu.invites import repository as repo
from huzhu.invites import rules, service
from huzhu.invites.errors import (
    Blocked,
    InvalidOptOut,
    InviteSelf,
    InvitesNotAccepted,
    KindNotWanted,
    Muted,
    QuietHours,
    RecipientDailyMax,
    SenderCap,
)
from huzhu.invites.models import Invite
from huzhu.kit import clock, signing
from huzhu.notify import service as notify

# -- direct invites -------------------------------------------------------------------------


def _consent_refusal(
    session: Session,
    settings: Settings,
    *,
    sender_id: int,
    recipient_id: int,
    kind: str,
    now: datetime,
) -> tuple[HuzhuError | None, service.Preferences]:
    """The first reason the recipient's own choices refuse this invite, or None."""
    prefs = service.preferences_of(session, settings, recipient_id)
    if repo.is_blocked_either_way(session, sender_id, recipient_id):
        return Blocked("one of you blocked the other", reason="blocked"), prefs
    if repo.has_muted(session, account_id=recipient_id, sender_id=sender_id):
        return Muted("this person muted you", reason="muted"), prefs
    is_contact = prefs.accept_from == rules.AcceptFrom.CONTACTS and is_contact_of(
        session, account_id=recipient_id, other_id=sender_id
    )
    if rules.refuses_sender(accept_from=prefs.accept_from, is_contact=is_contact):
        return InvitesNotAccepted(
            f"this person accepts invites from {prefs.accept_from}"
            + (
                " (you are not one of their contacts)"
                if prefs.accept_from == rules.AcceptFrom.CONTACTS
                else ""
            ),
            reason="not_accepted",
            accept_from=prefs.accept_from,
        ), prefs
    if not rules.wants_kind(prefs.kinds, kind):
        return KindNotWanted(
            f"this person does not accept {kind} invites", reason="kind_not_wanted", kind=kind
        ), prefs
    until = rules.quiet_until(
        now,
        start=rules.parse_hhmm(prefs.quiet_start),
        end=rules.parse_hhmm(prefs.quiet_end),
        zone=ZoneInfo(prefs.time_zone),
    )
    if until is not None:
        return QuietHours(
            f"quiet hours until {until.isoformat()}",
            reason="quiet_hours",
            until=until.isoformat(),
            retry_after=max(1, int((until - now).total_seconds())),
        ), prefs
    return None, prefs


def is_contact_of(session: Session, *, account_id: int, other_id: int) -> bool:
    """`other_id` is a contact of `account_id`: added explicitly by `account_id`, or one
    of them has assisted an instance of the other (either way)."""
    return repo.has_contact(session, account_id=account_id, contact_id=other_id) or (
        assist_graph.have_assisted_between(session, account_id, other_id)
    )


def _recipient_limit(settings: Settings, prefs: service.Preferences) -> int:
    return min(settings.invites.recipient_daily_invites, prefs.daily_max)


def send_invite(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    sender_id: int,
    instance_id: int,
    recipient_id: int,
    group_hash: str | None = None,
    caps: service.SenderCaps | None = None,
) -> Invite:
    """Deliver one direct invite or raise the reason it is refused. Order: who may
    invite at all (ladder), the recipient's own choices, then the caps — so a refusal by
    choice never spends a cap unit."""
    now = clock.utcnow()
    instance = service.own_active_instance(
        session, shop_id=shop_id, account_id=sender_id, instance_id=instance_id
    )
    if recipient_id == sender_id:
        raise InviteSelf("you cannot invite yourself", field="recipient_id")
    service.same_shop_account(session, shop_id=shop_id, account_id=recipient_id)
    service.assert_may_invite(session, sender_id, now)
    refusal, prefs = _consent_refusal(
        session,
        settings,
        sender_id=sender_id,
        recipient_id=recipient_id,
        kind=instance.kind,
        now=now,
    )
    if refusal is not None:
        raise refusal
    caps = caps or service.sender_caps(session, settings, sender_id=sender_id, now=now)
    cap = caps.invites_per_day
    sender_error = SenderCap(f"at most {cap} invites a day from you now", reason="sender_cap")
    limit = _recipient_limit(settings, prefs)
    recipient_error = RecipientDailyMax(
        f"this person accepts at most {limit} invites a day", reason="recipient_daily_max"
    )
    with (
        service.capped(
            settings,
            f"{service.cap_prefix(settings)}:snd:{sender_id}",
            limit=cap,
            per="day",
            error=sender_error,
        ),
        service.capped(
            settings,
            f"{service.cap_prefix(settings)}:rcv:{recipient_id}",
            limit=limit,
            per="day",
            error=recipient_error,
        ),
    ):
        return _deliver(
            session,
            settings,
            instance=instance,
            sender_id=sender_id,
            recipient_id=recipient_id,
            group_hash=group_hash,
            now=now,
        )


def _deliver(
    session: Session,
    settings: Settings,
    *,
    instance: Any,
    sender_id: int,
    recipient_id: int,
    group_hash: str | None,
    now: datetime,
) -> Invite:
    """The invite row, its own share link (so an assist that follows is attributed to
    it), the inbox message with one-tap mute and unsubscribe links, and the event."""
    ring = service.keyring(settings)
    expires = min(
        now + timedelta(seconds=settings.invites.link_ttl_seconds),
        clock.as_utc(instance.expires_at),
    )
    link, _ = service.write_link(
        session, settings, ring, instance, sender_id, "friend", group_hash, now, expires
    )
    # Only what rebuilds the links (invite_links, when it is read): never their tokens.
    message = notify.send_inbox_message(
        session,
        account_id=recipient_id,
        kind=notify.Kind.INVITE_RECEIVED,
        params={
            "instance_id": instance.id,
            "instance_kind": instance.kind,
            "share_link_id": link.id,
        },
    )
    invite = Invite(
        shop_id=instance.shop_id,
        instance_id=instance.id,
        sender_id=sender_id,
        recipient_id=recipient_id,
        group_hash=group_hash,
        share_link_id=link.id,
        inbox_message_id=message.id if message is not None else None,
        created_at=now,
    )
    session.add(invite)
    session.flush()
    notify.append_event(
        session,
        shop_id=instance.shop_id,
        type="invite.delivered",
        subject_type="invite",
        subject_id=invite.id,
        payload={"instance_id": instance.id, "sender_id": sender_id, "recipient_id": recipient_id},
    )
    return invite


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    recipient_id: int
    invite: Invite | None
    error: HuzhuError | None


def send_group_invite(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    sender_id: int,
    instance_id: int,
    group_ref: str,
    member_ids: list[int],
) -> list[MemberOutcome]:
    """Invite a group's members one by one, each under their own consent and the
    sender's caps: members who accept get the invite, the others are listed with the
    reason. The instance and the ladder are checked once, up front."""
    now = clock.utcnow()
    service.own_active_instance(
        session, shop_id=shop_id, account_id=sender_id, instance_id=instance_id
    )
    service.assert_may_invite(session, sender_id, now)
    group_hash = service.pseudonym(settings, f"{shop_id}:{group_ref}", "invite-group")
    caps = service.sender_caps(session, settings, sender_id=sender_id, now=now)
    outcomes: list[MemberOutcome] = []
    for member in dict.fromkeys(member_ids):  # each member once, in the order given
        try:
            invite = send_invite(
                session, settings, shop_id=shop_id, sender_id=sender_id, instance_id=instance_id,
                recipient_id=member, group_hash=group_hash, caps=caps,
            )  # fmt: skip
        except HuzhuError as exc:
            outcomes.append(MemberOutcome(member, None, exc))
        else:
            outcomes.append(MemberOutcome(member, invite, None))
    return outcomes


def invite_links(
    session: Session, settings: Settings, recipient_id: int, params: Mapping[str, Any]
) -> dict[str, Any]:
    """What an invite's inbox message hands its recipient, built each time it is read or
    pushed (notify.read_params; wiring.py registers this): the inviter's name as it is
    now (none once they deleted their account), their share link, and the one-tap mute
    and unsubscribe links. Each link carries a token, so the message stores only the
    share link's id, and the tokens are signed again from its row and the recipient.
    A link whose row or key is gone is left out; unsubscribing always works."""
    base = settings.base_url.rstrip("/")
    unsubscribe = opt_out_token(settings, "unsubscribe", recipient_id, 0)
    built: dict[str, Any] = {"unsubscribe_url": f"{base}/api/v1/opt-outs/{unsubscribe}"}
    link_id = params.get("share_link_id")
    link = repo.share_link(session, int(link_id)) if isinstance(link_id, int) else None
    if link is None:
        return built
    token = service.token_of(settings, link)
    if token is not None:
        built["share_url"] = service.share_url(settings, token)
    mute = opt_out_token(settings, "mute", recipient_id, link.sender_id)
    built["mute_url"] = f"{base}/api/v1/opt-outs/{mute}"
    built["sender"] = accounts.display_names(session, [link.sender_id]).get(link.sender_id, "")
    return built


# -- one-tap opt-out ---------------------------------------------------------------------


def _opt_out_key(settings: Settings) -> bytes:
    return signing.hmac_sha256(service.secret(settings), b"invite-opt-out")


def opt_out_token(settings: Settings, action: str, recipient_id: int, sender_id: int) -> str:
    """A token that lets its holder mute one sender (or stop all invites) for the
    recipient without signing in: RFC 8058's one-click idea. It never expires — an
    unsubscribe link that stops working is a dark pattern."""
    return signing.sign(_opt_out_key(settings), f"o1|{action}|{recipient_id}|{sender_id}")


def opt_out(session: Session, settings: Settings, *, token: str) -> tuple[str, str]:
    payload = signing.verify(_opt_out_key(settings), token)
    parts = payload.split("|") if payload else []
    if len(parts) != 4 or parts[0] != "o1" or parts[1] not in ("mute", "unsubscribe"):
        raise InvalidOptOut("this link is not genuine")
    recipient_id, sender_id = int(parts[2]), int(parts[3])
    account = accounts.get_account(session, recipient_id)
    if account is None:
        raise InvalidOptOut("this link is not genuine")
    if parts[1] == "mute":
        service.set_relation(
            session,
            shop_id=account.shop_id,
            account_id=recipient_id,
            other_id=sender_id,
            kind="mute",
            on=True,
        )
        return "mute", "you will get no more invites from this person"
    prefs = service.preferences_of(session, settings, recipient_id)
    service.set_preferences(
        session, account_id=recipient_id, accept_from=rules.AcceptFrom.NOBODY, kinds=prefs.kinds,
        quiet_start=prefs.quiet_start, quiet_end=prefs.quiet_end, time_zone=prefs.time_zone,
        daily_max=prefs.daily_max,
    )  # fmt: skip
    notify.record_event(
        session, shop_id=account.shop_id, type="account.unsubscribed", subject_type="account",
        subject_id=recipient_id, payload={"account_id": recipient_id},
    )  # fmt: skip
    return "unsubscribe", "you will get no more invites; change this in your invite settings"
