"""Queries of the WeChat adapter, named by intent. Each credential write is one
conditional statement, so two workers deciding at once cannot both win."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huzhu.wechat.models import WechatCredential, WechatRecipient


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def credential(session: Session, key: str) -> WechatCredential | None:
    return session.get(WechatCredential, key, populate_existing=True)


def ensure_credential(session: Session, key: str) -> None:
    stmt = (
        _insert(session)(WechatCredential)
        .values(key=key, failures=0, refresh_count=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    session.execute(stmt)


def take_refresh_lease(
    session: Session, *, key: str, now: datetime, refresh_before: datetime, lease_until: datetime
) -> bool:
    """Claim the refresh if nobody holds it, WeChat is not holding us off, and the value
    still needs it (another worker may have refreshed a moment ago)."""
    row = WechatCredential
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(row)
        .where(
            row.key == key,
            or_(row.lease_until.is_(None), row.lease_until <= now),
            or_(row.blocked_until.is_(None), row.blocked_until <= now),
            or_(row.value.is_(None), row.expires_at.is_(None), row.expires_at <= refresh_before),
        )
        .values(lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def store_refreshed(
    session: Session, *, key: str, value: str, expires_at: datetime, now: datetime
) -> None:
    session.execute(
        update(WechatCredential)
        .where(WechatCredential.key == key)
        .values(
            value=value,
            expires_at=expires_at,
            refreshed_at=now,
            lease_until=None,
            blocked_until=None,
            failures=0,
            refresh_count=WechatCredential.refresh_count + 1,
        )
        .execution_options(synchronize_session=False)
    )


def release_lease(
    session: Session, *, key: str, blocked_until: datetime | None, count_failure: bool
) -> None:
    values: dict[str, Any] = {"lease_until": None}
    if blocked_until is not None:
        values["blocked_until"] = blocked_until
    if count_failure:
        values["failures"] = WechatCredential.failures + 1
    session.execute(
        update(WechatCredential)
        .where(WechatCredential.key == key)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def expire_if_current(session: Session, *, key: str, value: str, now: datetime) -> None:
    """WeChat rejected `value`: mark it expired — unless it was already replaced, so a
    late rejection of the old token never throws away the new one."""
    session.execute(
        update(WechatCredential)
        .where(WechatCredential.key == key, WechatCredential.value == value)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def recipient(session: Session, account_id: int) -> WechatRecipient | None:
    return session.get(WechatRecipient, account_id)


def recipient_exists(session: Session, account_id: int) -> bool:
    found = session.execute(
        select(WechatRecipient.account_id).where(WechatRecipient.account_id == account_id)
    ).first()
    return found is not None


def upsert_recipient(session: Session, values: dict[str, Any]) -> None:
    stmt = _insert(session)(WechatRecipient).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["account_id"],
        set_={k: stmt.excluded[k] for k in ("app_id", "openid_sealed", "consented_at")},
    )
    session.execute(stmt)


def delete_recipient(session: Session, account_id: int) -> bool:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(WechatRecipient).where(WechatRecipient.account_id == account_id)
    )
    return result.rowcount > 0
