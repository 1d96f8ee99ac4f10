"""Use cases of the name consent: set it, read it back, show the starter who helped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import ConsentKind
from huzhu.assists import service as assists
from huzhu.assists.consent import repository as repo
from huzhu.assists.errors import AssistNotFound, NotInitiator, NotYourAssist
from huzhu.assists.models import NameConsent
from huzhu.config import Settings
from huzhu.kit import clock, signing
from huzhu.kit.export import fields_of

PSEUDONYM_CHARS = 6


@dataclass(frozen=True, slots=True)
class NameShown:
    assist_id: int
    instance_id: int
    shown: bool


@dataclass(frozen=True, slots=True)
class Helper:
    """One helper as the starter sees them: a name only if they agreed to it."""

    name: str
    named: bool
    status: str
    at: datetime


def set_name_consent(
    session: Session, *, shop_id: int, account_id: int, assist_id: int, shown: bool
) -> NameShown:
    """Let the starter see my name for this assist of mine, or stop it (404 for an
    assist of another shop or none, 403 `not_your_assist` for someone else's). A change
    is appended to my consent history; setting what is already set changes nothing."""
    facts = repo.assist_facts(session, assist_id)
    if facts is None or facts.shop_id != shop_id:
        raise AssistNotFound(f"no assist {assist_id}")
    if facts.helper_id != account_id:
        raise NotYourAssist("only the person who gave this assist may choose this")
    current = repo.consent(session, assist_id) is not None
    if shown != current:
        if shown:
            session.add(
                NameConsent(
                    assist_id=assist_id,
                    instance_id=facts.instance_id,
                    helper_id=account_id,
                    created_at=clock.utcnow(),
                )
            )
        else:
            repo.remove(session, assist_id)
        accounts.record_consent(
            session,
            shop_id=shop_id,
            account_id=account_id,
            kind=ConsentKind.NAME_DISPLAY,
            subject=f"assist:{assist_id}",
            old={"shown": current},
            new={"shown": shown},
        )
        session.flush()
    return NameShown(assist_id=assist_id, instance_id=facts.instance_id, shown=shown)


def my_consent_on(session: Session, *, instance_id: int, account_id: int) -> NameShown | None:
    """My assist on this activity and whether its starter may see my name (the page's
    checkbox), or None when I gave none."""
    row = repo.own_assist_on(session, instance_id=instance_id, helper_id=account_id)
    if row is None:
        return None
    return NameShown(assist_id=int(row.id), instance_id=instance_id, shown=bool(row.consented))


def helpers_seen_by_starter(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, instance_id: int
) -> list[Helper]:
    """Who helped, as the starter may see it: the display name of each helper who
    consented for this assist, else a pseudonym keyed to this activity (stable on it,
    useless anywhere else). 404 for another shop's activity, 403 for someone else's."""
    instance = assists.get_instance(session, instance_id, shop_id=shop_id)
    if instance.initiator_id != account_id:
        raise NotInitiator("only the person who started this activity sees who helped")
    rows = repo.helpers_of(session, instance_id)
    names = accounts.display_names(session, [int(r.helper_id) for r in rows if r.consented])
    key = settings.security.secret_key.get_secret_value().encode()
    purpose = f"helper-of:{instance_id}"
    helpers = []
    for row in rows:
        name = names.get(int(row.helper_id))
        shown = name if name is not None else pseudonym_of(key, purpose, int(row.helper_id))
        helpers.append(
            Helper(name=shown, named=name is not None, status=row.status, at=row.created_at)
        )
    return helpers


def pseudonym_of(key: bytes, purpose: str, helper_id: int) -> str:
    return "#" + signing.keyed_hash(key, str(helper_id), purpose=purpose)[:PSEUDONYM_CHARS]


NAME_CONSENT_EXPORT_FIELDS = ("assist_id", "instance_id", "created_at")


def export_of(session: Session, *, account_id: int) -> list[dict[str, Any]]:
    """The assists whose starter may see my name, and since when."""
    return [fields_of(c, NAME_CONSENT_EXPORT_FIELDS) for c in repo.consents_of(session, account_id)]


def erase_of(session: Session, *, account_id: int) -> None:
    """At the person's deletion (their name is gone anyway)."""
    repo.erase_of(session, account_id)
    session.flush()
