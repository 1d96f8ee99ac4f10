"""Queries of the enforcement domain, written once and named by intent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huzhu.enforcement.models import Appeal, EnforcementAction, ReportTally
from huzhu.enforcement.rules import AppealStatus


def actions_of(session: Session, account_id: int) -> list[EnforcementAction]:
    return list(
        session.scalars(
            select(EnforcementAction)
            .where(EnforcementAction.account_id == account_id)
            .order_by(EnforcementAction.id)
        )
    )


def unlifted_actions_of(
    session: Session, account_id: int, *, kinds: frozenset[str], now: datetime
) -> list[EnforcementAction]:
    """Candidates that may bind at `now`; the exact test is rules.is_active."""
    return list(
        session.scalars(
            select(EnforcementAction).where(
                EnforcementAction.account_id == account_id,
                EnforcementAction.kind.in_(sorted(kinds)),
                EnforcementAction.lifted_at.is_(None),
                EnforcementAction.starts_at <= now,
                (EnforcementAction.expires_at.is_(None)) | (EnforcementAction.expires_at > now),
            )
        )
    )


def binding_rows(
    session: Session, account_id: int, *, kinds: tuple[str, ...], now: datetime
) -> list[tuple[str, datetime, datetime | None, str, int]]:
    """(kind, starts_at, expires_at, reason, id) of the account's actions of `kinds`
    that may bind at `now` — plain rows, no ORM objects: every invite pays for this."""
    rows = session.execute(
        select(
            EnforcementAction.kind,
            EnforcementAction.starts_at,
            EnforcementAction.expires_at,
            EnforcementAction.reason,
            EnforcementAction.id,
        ).where(
            EnforcementAction.account_id == account_id,
            EnforcementAction.kind.in_(kinds),
            EnforcementAction.lifted_at.is_(None),
            EnforcementAction.starts_at <= now,
            (EnforcementAction.expires_at.is_(None)) | (EnforcementAction.expires_at > now),
        )
    )
    return [(r.kind, r.starts_at, r.expires_at, r.reason, r.id) for r in rows]


def action_in_shop(session: Session, *, shop_id: int, action_id: int) -> EnforcementAction | None:
    return session.scalars(
        select(EnforcementAction).where(
            EnforcementAction.id == action_id, EnforcementAction.shop_id == shop_id
        )
    ).one_or_none()


def actions_query(
    *, shop_id: int, account_id: int | None = None, case_id: int | None = None
) -> Select[EnforcementAction]:
    stmt = select(EnforcementAction).where(EnforcementAction.shop_id == shop_id)
    if account_id is not None:
        stmt = stmt.where(EnforcementAction.account_id == account_id)
    if case_id is not None:
        stmt = stmt.where(EnforcementAction.case_id == case_id)
    return stmt


def lift_action(session: Session, *, action_id: int, now: datetime, by: str, reason: str) -> bool:
    """Conditional: two lifts racing cannot both succeed."""
    result = session.execute(
        update(EnforcementAction)
        .where(EnforcementAction.id == action_id, EnforcementAction.lifted_at.is_(None))
        .values(lifted_at=now, lifted_by=by, lift_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


# -- appeals ---------------------------------------------------------------------------


def appeal_in_shop(session: Session, *, shop_id: int, appeal_id: int) -> Appeal | None:
    return session.scalars(
        select(Appeal).where(Appeal.id == appeal_id, Appeal.shop_id == shop_id)
    ).one_or_none()


def appeal_of_action(session: Session, action_id: int) -> Appeal | None:
    return session.scalars(select(Appeal).where(Appeal.action_id == action_id)).one_or_none()


def appeals_query(
    *, shop_id: int, status: str | None = None, account_id: int | None = None
) -> Select[Appeal]:
    stmt = select(Appeal).where(Appeal.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(Appeal.status == status)
    if account_id is not None:
        stmt = stmt.where(Appeal.account_id == account_id)
    return stmt


def decide_appeal(
    session: Session, *, appeal_id: int, status: AppealStatus, by: str, reason: str, now: datetime
) -> bool:
    """pending → upheld | lifted, once (conditional UPDATE)."""
    result = session.execute(
        update(Appeal)
        .where(Appeal.id == appeal_id, Appeal.status == AppealStatus.PENDING)
        .values(status=status, decided_by=by, decision_reason=reason, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


# -- report tally ----------------------------------------------------------------------


def bump_report_tally(session: Session, *, shop_id: int, account_id: int, now: datetime) -> None:
    """+1 in one statement (INSERT … ON CONFLICT DO UPDATE), so concurrent reports all
    count."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt: Any = dialect.insert(ReportTally).values(
        account_id=account_id, shop_id=shop_id, reports=1, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReportTally.account_id],
        set_={"reports": ReportTally.reports + 1, "updated_at": now},
    )
    session.execute(stmt)


def report_tally(session: Session, account_id: int) -> int:
    value = session.scalar(select(ReportTally.reports).where(ReportTally.account_id == account_id))
    return int(value or 0)


def erase_appeal_words_of(session: Session, account_id: int) -> None:
    session.execute(update(Appeal).where(Appeal.account_id == account_id).values(text=""))
