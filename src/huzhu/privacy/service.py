"""A person's export: one document with everything tied to them, built from each
domain's `export_of`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.assists import service as assists
from huzhu.assists.consent import service as name_consent
from huzhu.audit import service as audit
from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.guardrails import service as guardrails
from huzhu.invites import service as invites
from huzhu.kit import clock, signing
from huzhu.kit.export import Pseudonym, plain
from huzhu.notify import service as notify
from huzhu.payments import service as payments
from huzhu.privacy.errors import ActivitiesRunning
from huzhu.risk.review import service as review
from huzhu.wechat import service as wechat
from huzhu.wechat.channel import service as wechat_channel

EXPORT_FORMAT = "huzhu.export.v1"
PSEUDONYM_CHARS = 16


def pseudonym_for(settings: Settings, *, account_id: int) -> Pseudonym:
    """How this person's export names everyone else: a keyed hash of the other account
    under a purpose that includes the exporting account, so two people's exports cannot
    be joined on it and it matches no pseudonym the engine stores (a draw's, a counter's)."""
    key = settings.security.hash_keyring().key
    purpose = f"export-other:{account_id}"

    def other(other_id: int) -> str:
        return "p_" + signing.keyed_hash(key, str(other_id), purpose=purpose)[:PSEUDONYM_CHARS]

    return other


def export_of(
    session: Session, settings: Settings, *, shop_id: int, account_id: int
) -> dict[str, Any]:
    """Everything tied to the person, by section (the README's "Your data"). Each export
    is an audit entry by the person (named as its subject only, as their deletion is)."""
    audit.record(
        session,
        shop_id=shop_id,
        actor=f"account:{account_id}",
        action=audit.Action.DATA_EXPORTED,
        subject_type="account",
        subject_id=account_id,
    )
    other = pseudonym_for(settings, account_id=account_id)
    own = {"account_id": account_id}
    started = assists.export_of(session, **own)
    invited = invites.export_of(session, settings, other=other, **own)
    inbox = notify.export_of(session, **own)
    standing = enforcement.export_of(session, shop_id=shop_id, **own)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": plain(clock.utcnow()),
        "account": accounts.export_of(session, **own),
        "preferences": {
            "invites": invited["invite_preferences"],
            "relations": invited["relations"],
            "inbox": inbox["inbox_preferences"],
            "guardrails": guardrails.export_of(session, settings, shop_id=shop_id, **own),
            "wechat": wechat.export_of(session, **own),
            "name_display": name_consent.export_of(session, **own),
        },
        "activities_started": started["activities_started"],
        "assists_given": started["assists_given"],
        "share_links": invited["share_links"],
        "invites_sent": invited["invites_sent"],
        "invites_received": invited["invites_received"],
        "reports_filed": review.export_of(session, other=other, **own),
        "enforcement_actions": standing["enforcement_actions"],
        "appeals": standing["appeals"],
        "spending": {"orders": started["orders"], "payments": payments.export_of(session, **own)},
        "inbox": inbox["inbox"],
        "consent_history": accounts.consent_history_of(session, **own),
    }


def delete_account(
    session: Session, settings: Settings, *, shop_id: int, account_id: int
) -> dict[str, Any]:
    """Delete the person at their request (the README's "Your data"), refusing while
    an activity of theirs runs (409 `activities_running`, naming them): closing it for
    them would take away what their helpers gave, and a team's members are waiting on
    it. Each column that names the person has its rule in privacy.registry: what goes
    (the name, the login's link, the WeChat openid, mutes, blocks, contacts, inbox,
    preferences), what loses its words (reports filed, appeals) and what stays carrying
    only the account id, which then names no one (assists, activities, money, actions)."""
    account = accounts.lock_for_erasure(session, shop_id=shop_id, account_id=account_id)
    running = assists.running_of(session, account_id=account_id)
    if running:
        raise ActivitiesRunning(
            "these activities of yours are still running; delete once they have ended",
            instance_ids=running,
        )
    now = clock.utcnow()
    own = {"account_id": account_id}
    # In this order: the WeChat queue and the invites point at inbox messages.
    wechat_channel.erase_of(session, shop_id=shop_id, **own)
    invites.erase_person(session, **own)
    notify.erase_inbox_of(session, **own)
    guardrails.erase_of(session, **own)
    review.erase_words_of(session, **own)
    enforcement.erase_words_of(session, **own)
    name_consent.erase_of(session, **own)
    accounts.erase_account(session, account, now=now)
    audit.erase_notes_of(session, account_id)
    return {"account_id": account_id, "deleted_at": plain(now)}


def blocking_deletion(session: Session, *, account_id: int) -> list[int]:
    """What stands in the way of deleting now (the deletion page shows it first): the
    running activities `delete_account` would refuse over; 410 if already deleted."""
    accounts.refuse_deleted(session, account_id)
    return assists.running_of(session, account_id=account_id)
