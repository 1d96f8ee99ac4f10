"""Use cases of the accounts domain: sign-in, tokens, operators and participants."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huzhu.accounts import repository as repo
from huzhu.accounts.errors import (
    AccountDeleted,
    AccountNotFound,
    InvalidCredentials,
    InvalidDisplayName,
    InvalidToken,
    OperatorExists,
    ShopExists,
    ShopNotFound,
    TokenNotFound,
)
from huzhu.accounts.models import (
    Account,
    ApiToken,
    CarriedRestriction,
    ConsentEvent,
    Operator,
    Shop,
)
from huzhu.accounts.rules import (
    AccountStatus,
    Bar,
    ConsentKind,
    ParticipantClaims,
    Principal,
    PrincipalKind,
    Role,
    TokenKind,
    display_name_problem,
    normalize_display_name,
    parse_participant_claims,
    participant_token_payload,
    stricter,
)
from huzhu.config import Settings
from huzhu.kit import clock, ids, signing
from huzhu.kit.export import fields_of, plain

_hasher = PasswordHasher()
PARTICIPANT_PREFIX = "hzp."


def _key(settings: Settings) -> bytes:
    return settings.security.secret_key.get_secret_value().encode()


def subject_hashes(settings: Settings, *, provider: str, subject: str) -> dict[str, str]:
    """The only form in which an identity provider's user id is stored: its keyed hash,
    by key version (the current one first; the others still find an account, a carried
    restriction, made before the key was rotated)."""
    ring = settings.security.hash_keyring()
    return ring.all_hashes(subject, purpose=f"subject:{provider}")


def _rehash(session: Session, *, shop_id: int, provider: str, hashes: dict[str, str]) -> None:
    """A login seen again is hashed with the current key, in its account and in every
    restriction it carries: once every row has been, the older key can be retired
    without forgetting anyone (README: rotating the hashing key)."""
    if len(hashes) > 1:  # only while a key is being rotated
        (current, hashed), *older = hashes.items()
        repo.rekey_login(
            session,
            shop_id=shop_id,
            provider=provider,
            old_hashes=[h for _, h in older],
            new_hash=hashed,
            version=current,
        )


def logins_by_key_version(session: Session) -> dict[str, tuple[int, int]]:
    """(accounts, carried restrictions in force) per hashing key version: what retiring
    a version would forget (`huzhu keys`)."""
    return repo.logins_by_key_version(session, now=clock.utcnow())


def create_shop(session: Session, *, slug: str, name: str) -> Shop:
    if repo.shop_by_slug(session, slug) is not None:
        raise ShopExists(f"a shop with slug {slug!r} exists")
    shop = Shop(slug=slug, name=name, created_at=clock.utcnow())
    session.add(shop)
    session.flush()
    return shop


def get_shop_by_slug(session: Session, slug: str) -> Shop:
    shop = repo.shop_by_slug(session, slug)
    if shop is None:
        raise ShopNotFound(f"no shop with slug {slug!r}")
    return shop


def get_shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise ShopNotFound(f"no shop {shop_id}")
    return shop


def create_operator(
    session: Session, *, shop_id: int, email: str, display_name: str, password: str, role: Role
) -> Operator:
    if role in (Role.PARTICIPANT, Role.INTEGRATOR):
        raise ValueError("operators hold operator roles only")
    if repo.operator_by_email(session, email) is not None:
        raise OperatorExists(f"{email} is already an operator")
    op = Operator(
        shop_id=shop_id,
        email=email.lower(),
        display_name=display_name,
        password_hash=_hasher.hash(password),
        role=role.value,
        created_at=clock.utcnow(),
    )
    session.add(op)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise OperatorExists(f"{email} is already an operator") from exc
    return op


def list_operators(session: Session, shop_id: int) -> list[Operator]:
    return repo.operators_of_shop(session, shop_id)


def login(
    session: Session, settings: Settings, *, email: str, password: str
) -> tuple[str, ApiToken]:
    op = repo.operator_by_email(session, email)
    # Hash even when the email is unknown so timing does not reveal which emails exist.
    stored = op.password_hash if op is not None else _hasher.hash("not-a-real-password")
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError) as exc:
        raise InvalidCredentials() from exc
    if op is None or op.disabled_at is not None:
        raise InvalidCredentials()
    now = clock.utcnow()
    secret = ids.token("hzs")
    token = ApiToken(
        shop_id=op.shop_id,
        operator_id=op.id,
        kind=TokenKind.SESSION,
        name=f"session for operator {op.id}",
        role=op.role,
        token_hash=ids.sha256_hex(secret),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.security.operator_session_ttl_seconds),
    )
    session.add(token)
    session.flush()
    return secret, token


def logout(session: Session, principal: Principal) -> None:
    if principal.kind != PrincipalKind.OPERATOR:
        return
    token = session.get(ApiToken, principal.subject_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = clock.utcnow()
        session.flush()


def create_integrator_token(session: Session, *, shop_id: int, name: str) -> tuple[str, ApiToken]:
    secret = ids.token("hzi", 32)
    token = ApiToken(
        shop_id=shop_id,
        kind=TokenKind.INTEGRATOR,
        name=name,
        role=Role.INTEGRATOR.value,
        token_hash=ids.sha256_hex(secret),
        created_at=clock.utcnow(),
    )
    session.add(token)
    session.flush()
    return secret, token


def list_integrator_tokens(session: Session, shop_id: int) -> list[ApiToken]:
    return repo.integrator_tokens_of_shop(session, shop_id)


def revoke_integrator_token(session: Session, *, shop_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.shop_id != shop_id or token.kind != TokenKind.INTEGRATOR:
        raise TokenNotFound(f"no integrator token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = clock.utcnow()
        session.flush()
    return token


def issue_participant_token(
    settings: Settings, *, shop_id: int, account_id: int, joined_at: datetime | None = None
) -> tuple[str, datetime]:
    expires = clock.utcnow() + timedelta(seconds=settings.security.participant_token_ttl_seconds)
    payload = participant_token_payload(
        shop_id=shop_id,
        account_id=account_id,
        expires_epoch=int(expires.timestamp()),
        joined_epoch=int(clock.as_utc(joined_at).timestamp()) if joined_at else None,
    )
    return PARTICIPANT_PREFIX + signing.sign(_key(settings), payload), expires


def participant_claims(settings: Settings, token: str) -> ParticipantClaims | None:
    """Who a participant token names, without touching the database (the hot path).
    Expiry is checked on every call; the signature once per token (below)."""
    if not token.startswith(PARTICIPANT_PREFIX):
        return None
    payload = _verified_payload(_key(settings), token[len(PARTICIPANT_PREFIX) :])
    if payload is None:
        return None
    return parse_participant_claims(payload, now_epoch=int(clock.utcnow().timestamp()))


# A participant sends the same token with every request: checking its signature again
# (base64 and HMAC) was a twentieth of the assist hot path's own CPU. What a (key, token)
# pair verifies to never changes, so it is remembered for the most recent ones; the key
# is part of the entry, so a token is never taken on another key's word.
VERIFIED_TOKENS_REMEMBERED = 16_384


@lru_cache(maxsize=VERIFIED_TOKENS_REMEMBERED)
def _verified_payload(key: bytes, signed: str) -> str | None:
    return signing.verify(key, signed)


def verify_participant_token(settings: Settings, token: str) -> tuple[int, int] | None:
    """(shop_id, account_id) without touching the database."""
    claims = participant_claims(settings, token)
    return None if claims is None else (claims.shop_id, claims.account_id)


def get_or_create_account(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    provider: str,
    subject: str,
    display_name: str | None = None,
) -> Account:
    hashes = subject_hashes(settings, provider=provider, subject=subject)
    _rehash(session, shop_id=shop_id, provider=provider, hashes=hashes)
    version, hashed = next(iter(hashes.items()))
    account = repo.account_by_subject(
        session, shop_id=shop_id, provider=provider, subject_hash=hashed
    )
    if account is not None:
        return account
    now = clock.utcnow()
    carried = repo.live_carried_restriction(
        session, shop_id=shop_id, provider=provider, subject_hash=hashed, now=now
    )
    account = Account(
        shop_id=shop_id,
        provider=provider,
        subject_hash=hashed,
        key_version=version,
        display_name=display_name,
        # A login whose earlier account was deleted while restricted gets the
        # restriction back: deleting is not a way out of it.
        status=carried.status if carried else AccountStatus.ACTIVE,
        restricted_until=carried.restricted_until if carried else None,
        restriction_reason=carried.reason if carried else None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:
        # Two first logins raced; the other one created it.
        existing = repo.account_by_subject(
            session, shop_id=shop_id, provider=provider, subject_hash=hashed
        )
        assert existing is not None
        return existing
    return account


def participant_login(
    session: Session,
    settings: Settings,
    *,
    shop_slug: str,
    subject: str,
    display_name: str | None,
    provider: str = "local",
) -> tuple[str, datetime, Account]:
    name = checked_display_name(display_name)
    shop = get_shop_by_slug(session, shop_slug)
    account = get_or_create_account(
        session,
        settings,
        shop_id=shop.id,
        provider=provider,
        subject=subject,
        display_name=name,
    )
    token, expires = issue_participant_token(
        settings, shop_id=shop.id, account_id=account.id, joined_at=account.created_at
    )
    return token, expires, account


def participant_principal(settings: Settings, bearer: str) -> Principal | None:
    """The Principal of a participant token, by its signature alone (no query); None
    for any other kind of bearer; InvalidToken for a participant token that is not."""
    if not bearer.startswith(PARTICIPANT_PREFIX):
        return None
    found = verify_participant_token(settings, bearer)
    if found is None:
        raise InvalidToken("participant token is invalid or expired")
    shop_id, account_id = found
    return Principal(
        kind=PrincipalKind.PARTICIPANT,
        role=Role.PARTICIPANT,
        shop_id=shop_id,
        subject_id=account_id,
    )


def authenticate(session: Session, settings: Settings, bearer: str) -> Principal:
    """Resolve a bearer token to a Principal or raise InvalidToken."""
    participant = participant_principal(settings, bearer)
    if participant is not None:
        return participant
    token = repo.live_token_by_hash(session, ids.sha256_hex(bearer), clock.utcnow())
    if token is None:
        raise InvalidToken("token is unknown, expired or revoked")
    if token.kind == TokenKind.INTEGRATOR:
        return Principal(
            kind=PrincipalKind.INTEGRATOR,
            role=Role.INTEGRATOR,
            shop_id=token.shop_id,
            subject_id=token.id,
        )
    return Principal(
        kind=PrincipalKind.OPERATOR,
        role=Role(token.role),
        shop_id=token.shop_id,
        subject_id=token.id,
    )


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def joined_at(session: Session, account_ids: list[int]) -> dict[int, datetime]:
    """When each account was made (batch ring detection weighs how fresh a group's
    accounts were when they first assisted)."""
    return repo.created_at_of(session, sorted(set(account_ids)))


def restriction_reason(session: Session, account_id: int) -> str | None:
    """Why an account may not take part (for refusals that only know that it may not)."""
    account = get_account(session, account_id)
    return account.restriction_reason if account else None


def is_barred(session: Session, account_id: int, now: datetime) -> bool:
    """Banned, or restricted until later than `now` (accounts.rules.barred_sql); an
    unknown account is barred too."""
    barred = repo.is_barred(session, account_id, now)
    return barred is None or barred


# -- standing (written by the enforcement ladder) --------------------------------------


def lock_account(session: Session, account_id: int) -> Account | None:
    """The account row, locked for the rest of the transaction, so two enforcement steps
    on one account decide one after the other."""
    return repo.account_for_update(session, account_id)


def set_standing(
    session: Session,
    *,
    account_id: int,
    status: AccountStatus,
    restricted_until: datetime | None,
    reason: str | None,
) -> None:
    """Mirror the enforcement ladder onto the account: instance start and the assist hot
    path read these columns."""
    if status not in tuple(AccountStatus):
        raise ValueError(f"unknown account status {status!r}")
    account = session.get(Account, account_id)
    if account is None or account.status == AccountStatus.DELETED:
        return  # a tombstone stays one: nothing may make it able to act again
    bar = _with_carried(session, account, Bar(status, restricted_until, reason))
    account.status = bar.status
    account.restricted_until = bar.until
    account.restriction_reason = bar.reason[:300] if bar.reason else None
    session.flush()


def _with_carried(session: Session, account: Account, ladder: Bar) -> Bar:
    carried = repo.live_carried_restriction(
        session,
        shop_id=account.shop_id,
        provider=account.provider,
        subject_hash=account.subject_hash,
        now=clock.utcnow(),
    )
    if carried is None:
        return ladder
    return stricter(
        ladder, Bar(AccountStatus(carried.status), carried.restricted_until, carried.reason)
    )


def binding_standing(session: Session, *, account_id: int, ladder: Bar) -> Bar:
    """What binds the account now: the ladder's standing from its own actions, or a
    restriction its login carried over from a deleted account where that binds harder."""
    account = session.get(Account, account_id)
    if account is None:
        return ladder
    return _with_carried(session, account, ladder)


def accounts_with_lapsed_restriction(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Accounts still marked restricted although their restriction has ended."""
    return repo.lapsed_restricted_accounts(session, now=now, limit=limit)


def operator_id_of_token(session: Session, token_id: int) -> int | None:
    """The operator behind an operator session token (a Principal's subject_id), so
    audit entries name the person, not the session."""
    token = session.get(ApiToken, token_id)
    return token.operator_id if token is not None else None


# -- a person's own data ------------------------------------------------------------------

ACCOUNT_EXPORT_FIELDS = (
    "id", "provider", "display_name", "status", "restricted_until",
    "restriction_reason", "created_at", "deleted_at",
)  # fmt: skip


def export_of(session: Session, *, account_id: int) -> dict[str, Any]:
    """The person's own account as they may take it away: never the keyed hash of their
    login (it identifies them to no one but us, and would only help match exports)."""
    account = get_account(session, account_id)
    if account is None:
        return {}
    return fields_of(account, ACCOUNT_EXPORT_FIELDS)


def display_name_of(session: Session, account_id: int) -> str | None:
    account = get_account(session, account_id)
    return account.display_name if account is not None else None


def checked_display_name(display_name: str | None) -> str | None:
    """A display name as it is stored (rules.normalize_display_name), from whichever entry
    point: 422 `invalid_display_name` for one too long or holding control characters."""
    name = normalize_display_name(display_name) if display_name is not None else None
    problem = display_name_problem(name) if name is not None else None
    if problem is not None:
        raise InvalidDisplayName(problem, field="display_name")
    return name


def set_display_name(session: Session, *, account_id: int, display_name: str | None) -> str | None:
    """Set or clear (None, or nothing but spaces) the person's own display name, as
    normalized (rules.normalize_display_name; 422 `invalid_display_name` for one too long
    or holding control characters). A starter sees it only beside assists whose helper
    agreed (assists.consent); it is in the person's export and goes with their account."""
    name = checked_display_name(display_name)
    account = lock_account(session, account_id)
    if account is None:
        raise AccountNotFound(f"no account {account_id}")
    if account.status == AccountStatus.DELETED:
        raise AccountDeleted("this account was deleted at its owner's request")
    account.display_name = name
    session.flush()
    return name


def refuse_deleted(session: Session, account_id: int) -> None:
    """AccountDeleted when a participant token names a deleted account: its tokens stop
    working (410, so the client knows why) the moment it is deleted."""
    if is_deleted(session, account_id):
        raise AccountDeleted("this account was deleted at its owner's request")


def is_deleted(session: Session, account_id: int) -> bool:
    """Whether the account was deleted at its owner's request (pages then treat its
    still-signed cookie as signed out)."""
    return repo.status_of(session, account_id) == AccountStatus.DELETED


def still_here(session: Session, account_id: int) -> bool:
    """Whether the account exists and is not deleted, held so until the transaction ends:
    what is written for a person (an inbox message) is never written after their
    deletion erased it."""
    status = repo.status_held(session, account_id)
    return status is not None and status != AccountStatus.DELETED


def lock_for_erasure(session: Session, *, shop_id: int, account_id: int) -> Account:
    """The account, locked, that its owner is about to delete; 404 or 410 if it cannot."""
    account = lock_account(session, account_id)
    if account is None or account.shop_id != shop_id:
        raise AccountNotFound(f"no account {account_id}")
    if account.status == AccountStatus.DELETED:
        raise AccountDeleted("this account was already deleted")
    return account


def erase_account(session: Session, account: Account, *, now: datetime) -> None:
    """Turn a locked account into an anonymous tombstone: its name, its consent history
    and the keyed hash of its login go; the id stays, so the assists it gave stay counted, its
    orders stay in the ledger and every draw stays verifiable, none tied to anyone. A
    restriction or ban in force is kept against the login (CarriedRestriction) until it
    ends, so a new sign-in with the same login gets it back."""
    if repo.is_barred(session, account.id, now):
        session.add(
            CarriedRestriction(
                shop_id=account.shop_id,
                provider=account.provider,
                subject_hash=account.subject_hash,
                key_version=account.key_version,
                status=account.status,
                restricted_until=account.restricted_until,
                reason=account.restriction_reason,
                created_at=now,
            )
        )
    repo.erase_consent_events_of(session, account.id)
    account.display_name = None
    # Unique per (shop, provider) and no keyed hash of anything: the login is forgotten.
    account.subject_hash = f"deleted:{account.id}"
    account.status = AccountStatus.DELETED
    account.restricted_until = None
    account.restriction_reason = None
    account.deleted_at = now
    session.flush()


# -- consent history ---------------------------------------------------------------------


def record_consent(
    session: Session,
    *,
    shop_id: int,
    account_id: int,
    kind: ConsentKind,
    old: dict[str, Any],
    new: dict[str, Any],
    subject: str | None = None,
) -> None:
    """Append one consent change to the person's history (only the fields that changed;
    nothing when none did). Every place a person gives or takes back a consent calls
    this: invite preferences, the name display of an assist, WeChat messages."""
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if not changed:
        return
    session.add(
        ConsentEvent(
            shop_id=shop_id,
            account_id=account_id,
            kind=kind.value,
            subject=subject,
            old={k: plain(old.get(k)) for k in changed},
            new={k: plain(new.get(k)) for k in changed},
            created_at=clock.utcnow(),
        )
    )
    session.flush()


CONSENT_EXPORT_FIELDS = ("id", "kind", "subject", "old", "new", "created_at")


def consent_history_of(session: Session, *, account_id: int) -> list[dict[str, Any]]:
    """The person's consent changes, oldest first (their export's `consent_history`, /me)."""
    return [
        fields_of(e, CONSENT_EXPORT_FIELDS) for e in repo.consent_events_of(session, account_id)
    ]


def display_names(session: Session, account_ids: list[int]) -> dict[int, str]:
    """The display names of these accounts that have one (a deleted account has none)."""
    return repo.display_names(session, account_ids)
