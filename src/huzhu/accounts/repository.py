"""Queries of the accounts domain, named by intent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from huzhu.accounts.models import (
    Account,
    ApiToken,
    CarriedRestriction,
    ConsentEvent,
    Operator,
    Shop,
)
from huzhu.accounts.rules import AccountStatus, TokenKind, barred_sql
from huzhu.db.base import UTCDateTime

_BARRED = text(
    "SELECT "
    + barred_sql(status="status", until="restricted_until", now=":now")
    + " FROM account WHERE id = :account_id"
).bindparams(bindparam("now", type_=UTCDateTime))


def shop_by_slug(session: Session, slug: str) -> Shop | None:
    return session.scalars(select(Shop).where(Shop.slug == slug)).one_or_none()


def operator_by_email(session: Session, email: str) -> Operator | None:
    return session.scalars(select(Operator).where(Operator.email == email.lower())).one_or_none()


def live_token_by_hash(session: Session, token_hash: str, now: datetime) -> ApiToken | None:
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


def account_by_subject(
    session: Session, *, shop_id: int, provider: str, subject_hash: str
) -> Account | None:
    return session.scalars(
        select(Account).where(
            Account.shop_id == shop_id,
            Account.provider == provider,
            Account.subject_hash == subject_hash,
        )
    ).one_or_none()


def rekey_login(
    session: Session,
    *,
    shop_id: int,
    provider: str,
    old_hashes: list[str],
    new_hash: str,
    version: str,
) -> None:
    """Rows of one login hashed under older key versions take its current hash: its
    account and the restrictions it carries."""
    for model in (Account, CarriedRestriction):
        session.execute(
            update(model)
            .where(
                model.shop_id == shop_id,
                model.provider == provider,
                model.subject_hash.in_(old_hashes),
            )
            .values(subject_hash=new_hash, key_version=version)
            .execution_options(synchronize_session="fetch")
        )


def operators_of_shop(session: Session, shop_id: int) -> list[Operator]:
    return list(
        session.scalars(select(Operator).where(Operator.shop_id == shop_id).order_by(Operator.id))
    )


def integrator_tokens_of_shop(session: Session, shop_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.shop_id == shop_id, ApiToken.kind == TokenKind.INTEGRATOR)
            .order_by(ApiToken.id)
        )
    )


def created_at_of(session: Session, account_ids: list[int]) -> dict[int, datetime]:
    found: dict[int, datetime] = {}
    for start in range(0, len(account_ids), 500):  # bound parameters per IN list
        chunk = account_ids[start : start + 500]
        stmt = select(Account.id, Account.created_at).where(Account.id.in_(chunk))
        found.update({int(i): at for i, at in session.execute(stmt)})
    return found


def account_for_update(session: Session, account_id: int) -> Account | None:
    stmt = select(Account).where(Account.id == account_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    # SQLite: the ORM transaction already holds the write lock (BEGIN IMMEDIATE).
    return session.scalars(stmt).one_or_none()


def status_held(session: Session, account_id: int) -> str | None:
    """The account's status, share-locked on PostgreSQL until the transaction ends, so a
    deletion (which locks the row for update) cannot commit between this read and what
    the caller writes for the account."""
    stmt = select(Account.status).where(Account.id == account_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(read=True)
    return session.scalars(stmt).one_or_none()


def lapsed_restricted_accounts(session: Session, *, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(Account.id)
        .where(
            Account.status == AccountStatus.RESTRICTED,
            Account.restricted_until.is_not(None),
            Account.restricted_until <= now,
        )
        .order_by(Account.id)
        .limit(limit)
    )
    return [int(i) for i in session.scalars(stmt)]


def is_barred(session: Session, account_id: int, now: datetime) -> bool | None:
    """Whether the account may not take part at `now` (None: no such account), by the
    same SQL rule the assist hot path runs."""
    found = session.scalar(_BARRED, {"account_id": account_id, "now": now})
    return None if found is None else bool(found)


def status_of(session: Session, account_id: int) -> str | None:
    return session.scalar(select(Account.status).where(Account.id == account_id))


def live_carried_restriction(
    session: Session, *, shop_id: int, provider: str, subject_hash: str, now: datetime
) -> CarriedRestriction | None:
    """The latest-ending restriction carried over from a deleted account with this
    login, if it still binds at `now`."""
    stmt = (
        select(CarriedRestriction)
        .where(
            CarriedRestriction.shop_id == shop_id,
            CarriedRestriction.provider == provider,
            CarriedRestriction.subject_hash == subject_hash,
            or_(
                CarriedRestriction.restricted_until.is_(None),
                CarriedRestriction.restricted_until > now,
            ),
        )
        .order_by(
            CarriedRestriction.restricted_until.is_(None).desc(),
            CarriedRestriction.restricted_until.desc(),
        )
        .limit(1)
    )
    return session.scalars(stmt).first()


def logins_by_key_version(session: Session, *, now: datetime) -> dict[str, tuple[int, int]]:
    """Per key version: accounts (not deleted) and carried restrictions in force whose
    login hash was made with it."""
    found: dict[str, list[int]] = {}
    accounts = (
        select(Account.key_version, func.count())
        .where(Account.deleted_at.is_(None))
        .group_by(Account.key_version)
    )
    carried = (
        select(CarriedRestriction.key_version, func.count())
        .where(
            or_(
                CarriedRestriction.restricted_until.is_(None),
                CarriedRestriction.restricted_until > now,
            )
        )
        .group_by(CarriedRestriction.key_version)
    )
    for column, stmt in ((0, accounts), (1, carried)):
        for version, n in session.execute(stmt):
            found.setdefault(str(version), [0, 0])[column] = int(n)
    return {version: (n[0], n[1]) for version, n in sorted(found.items())}


def consent_events_of(session: Session, account_id: int) -> list[ConsentEvent]:
    stmt = select(ConsentEvent).where(ConsentEvent.account_id == account_id)
    return list(session.scalars(stmt.order_by(ConsentEvent.id)))


def erase_consent_events_of(session: Session, account_id: int) -> None:
    session.execute(delete(ConsentEvent).where(ConsentEvent.account_id == account_id))


def display_names(session: Session, account_ids: list[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    stmt = select(Account.id, Account.display_name).where(
        Account.id.in_(account_ids), Account.display_name.is_not(None)
    )
    return {int(row.id): str(row.display_name) for row in session.execute(stmt)}
