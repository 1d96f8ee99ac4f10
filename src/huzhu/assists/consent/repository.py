"""Queries of the name consents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session

from huzhu.assists.models import Assist, Instance, NameConsent


def assist_facts(session: Session, assist_id: int) -> Row[int, int, int] | None:
    """(instance_id, helper_id, shop_id) of one assist."""
    stmt = (
        select(Assist.instance_id, Assist.helper_id, Instance.shop_id)
        .join(Instance, Instance.id == Assist.instance_id)
        .where(Assist.id == assist_id)
    )
    return session.execute(stmt).first()


def consent(session: Session, assist_id: int) -> NameConsent | None:
    return session.get(NameConsent, assist_id)


def remove(session: Session, assist_id: int) -> None:
    session.execute(delete(NameConsent).where(NameConsent.assist_id == assist_id))


def helpers_of(session: Session, instance_id: int) -> list[Row[Any]]:
    """Every assist on the instance, oldest first, with whether its helper consented."""
    stmt = (
        select(
            Assist.id,
            Assist.helper_id,
            Assist.status,
            Assist.created_at,
            NameConsent.assist_id.is_not(None).label("consented"),
        )
        .outerjoin(NameConsent, NameConsent.assist_id == Assist.id)
        .where(Assist.instance_id == instance_id)
        .order_by(Assist.id)
    )
    return list(session.execute(stmt))


def own_assist_on(session: Session, *, instance_id: int, helper_id: int) -> Row[int, bool] | None:
    """The person's assist on the instance and whether they consented."""
    stmt = (
        select(Assist.id, NameConsent.assist_id.is_not(None).label("consented"))
        .outerjoin(NameConsent, NameConsent.assist_id == Assist.id)
        .where(Assist.instance_id == instance_id, Assist.helper_id == helper_id)
    )
    return session.execute(stmt).first()


def consents_of(session: Session, helper_id: int) -> list[NameConsent]:
    stmt = select(NameConsent).where(NameConsent.helper_id == helper_id)
    return list(session.scalars(stmt.order_by(NameConsent.assist_id)))


def erase_of(session: Session, helper_id: int) -> None:
    session.execute(delete(NameConsent).where(NameConsent.helper_id == helper_id))
