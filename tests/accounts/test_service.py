"""Accounts: sign-in, tokens, pseudonymous participants."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.accounts import service
from huzhu.accounts.errors import InvalidCredentials, InvalidToken
from huzhu.accounts.models import Account, ApiToken
from huzhu.accounts.rules import Role
from huzhu.config import Settings
from huzhu.kit import clock
from tests.factories import PASSWORD, make_shop


def _owner(session: Session) -> int:
    shop_id = make_shop(session)
    service.create_operator(
        session,
        shop_id=shop_id,
        email="Boss@Example.test",
        display_name="b",
        password=PASSWORD,
        role=Role.OWNER,
    )
    return shop_id


def test_wrong_password_is_refused(session: Session, settings: Settings) -> None:
    _owner(session)
    with pytest.raises(InvalidCredentials):
        service.login(session, settings, email="boss@example.test", password="wrong-password")


def test_unknown_email_is_refused_like_a_wrong_password(
    session: Session, settings: Settings
) -> None:
    with pytest.raises(InvalidCredentials):
        service.login(session, settings, email="nobody@example.test", password=PASSWORD)


def test_login_stores_only_the_token_digest(session: Session, settings: Settings) -> None:
    _owner(session)
    secret, _ = service.login(session, settings, email="boss@example.test", password=PASSWORD)
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored
    principal = service.authenticate(session, settings, secret)
    assert principal.role is Role.OWNER


def test_expired_session_is_refused(session: Session, settings: Settings) -> None:
    _owner(session)
    secret, _ = service.login(session, settings, email="boss@example.test", password=PASSWORD)
    clock.advance(settings.security.operator_session_ttl_seconds + 1)
    with pytest.raises(InvalidToken):
        service.authenticate(session, settings, secret)


def test_participant_subject_is_stored_only_as_keyed_hash(
    session: Session, settings: Settings
) -> None:
    shop_id = make_shop(session)
    account = service.get_or_create_account(
        session, settings, shop_id=shop_id, provider="local", subject="+8613800138000"
    )
    row = session.get(Account, account.id)
    assert row is not None
    assert "13800138000" not in row.subject_hash
    again = service.get_or_create_account(
        session, settings, shop_id=shop_id, provider="local", subject="+8613800138000"
    )
    assert again.id == account.id


def test_tampered_participant_token_is_refused(session: Session, settings: Settings) -> None:
    shop_id = make_shop(session)
    token, _ = service.issue_participant_token(settings, shop_id=shop_id, account_id=7)
    assert service.verify_participant_token(settings, token) == (shop_id, 7)
    body, sig = token.split(".", 1)[1].split(".")
    forged = service.PARTICIPANT_PREFIX + body[:-1] + ("A" if body[-1] != "A" else "B") + "." + sig
    assert service.verify_participant_token(settings, forged) is None
    with pytest.raises(InvalidToken):
        service.authenticate(session, settings, forged)


def test_participant_token_expires(settings: Settings) -> None:
    """Also once its signature has been checked (and remembered) while it was valid."""
    token, _ = service.issue_participant_token(settings, shop_id=1, account_id=2)
    assert service.verify_participant_token(settings, token) == (1, 2)
    clock.advance(settings.security.participant_token_ttl_seconds + 1)
    assert service.verify_participant_token(settings, token) is None


def test_a_participant_token_holds_only_under_the_key_that_signed_it(settings: Settings) -> None:
    """A token already verified under one secret key is not taken on another's word."""
    token, _ = service.issue_participant_token(settings, shop_id=1, account_id=2)
    assert service.verify_participant_token(settings, token) == (1, 2)
    other = settings.model_copy(
        update={
            "security": settings.security.model_copy(
                update={"secret_key": SecretStr("another key of thirty-two characters!")}
            )
        }
    )
    assert service.verify_participant_token(other, token) is None
