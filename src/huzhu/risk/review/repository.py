"""Queries of the review queue, written once and named by intent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, Subquery, select, update
from sqlalchemy.orm import Session

from huzhu.db.series import per_bucket, read_series
from huzhu.risk.review.models import Report, ReviewCase
from huzhu.risk.review.rules import CaseKind, CaseStatus, ReportKind


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def open_case_by_key(session: Session, key: str) -> ReviewCase | None:
    """The open case for a subject, locked (PostgreSQL) so it cannot be decided while a
    report joins it; on SQLite the transaction holds the write lock already."""
    stmt = select(ReviewCase).where(ReviewCase.open_key == key)
    if _is_postgres(session):
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def case_in_shop(session: Session, *, shop_id: int, case_id: int) -> ReviewCase | None:
    return session.scalars(
        select(ReviewCase).where(ReviewCase.id == case_id, ReviewCase.shop_id == shop_id)
    ).one_or_none()


def cases_query(
    *,
    shop_id: int,
    status: str | None = None,
    kind: str | None = None,
    account_id: int | None = None,
    assignee_operator_id: int | None = None,
) -> Select[ReviewCase]:
    stmt = select(ReviewCase).where(ReviewCase.shop_id == shop_id)
    if status is not None:
        stmt = stmt.where(ReviewCase.status == status)
    if kind is not None:
        stmt = stmt.where(ReviewCase.kind == kind)
    if account_id is not None:
        stmt = stmt.where(ReviewCase.subject_account_id == account_id)
    if assignee_operator_id is not None:
        stmt = stmt.where(ReviewCase.assignee_operator_id == assignee_operator_id)
    return stmt


OPEN_RINGS_LOOKED_AT = 500


def open_cases_on_instance(session: Session, *, shop_id: int, instance_id: int) -> list[ReviewCase]:
    """The open spike and hold cases of an instance, and the open rings (newest
    `OPEN_RINGS_LOOKED_AT`) whose evidence lists it among their instances — a ring spans
    instances, so it carries no instance_id of its own."""
    own = session.scalars(
        select(ReviewCase)
        .where(
            ReviewCase.shop_id == shop_id,
            ReviewCase.status == CaseStatus.OPEN,
            ReviewCase.instance_id == instance_id,
            ReviewCase.kind.in_((CaseKind.SPIKE, CaseKind.INLINE_HOLD)),
        )
        .order_by(ReviewCase.id)
    ).all()
    rings = session.scalars(
        select(ReviewCase)
        .where(
            ReviewCase.shop_id == shop_id,
            ReviewCase.status == CaseStatus.OPEN,
            ReviewCase.kind == CaseKind.FRAUD_RING,
        )
        .order_by(ReviewCase.id.desc())
        .limit(OPEN_RINGS_LOOKED_AT)
    ).all()
    named = [r for r in rings if instance_id in (r.evidence or {}).get("instances", [])]
    return [*own, *sorted(named, key=lambda r: r.id)]


def bump_report_count(session: Session, *, case_id: int, now: datetime) -> None:
    session.execute(
        update(ReviewCase)
        .where(ReviewCase.id == case_id)
        .values(report_count=ReviewCase.report_count + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def decide_case(
    session: Session, *, case_id: int, status: CaseStatus, by: str, reason: str, now: datetime
) -> bool:
    """open → confirmed | dismissed, once: a conditional UPDATE, so two analysts
    deciding at the same moment cannot both act. Clearing open_key lets the next report
    about the subject open a fresh case."""
    result = session.execute(
        update(ReviewCase)
        .where(ReviewCase.id == case_id, ReviewCase.status == CaseStatus.OPEN)
        .values(
            status=status,
            decided_by=by,
            decision_reason=reason,
            decided_at=now,
            updated_at=now,
            open_key=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def reports_of_case(session: Session, case_id: int) -> list[Report]:
    return list(
        session.scalars(select(Report).where(Report.case_id == case_id).order_by(Report.id))
    )


def set_reports_status(session: Session, *, case_id: int, status: CaseStatus) -> None:
    session.execute(
        update(Report)
        .where(Report.case_id == case_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def unspent_confirmed_spam(session: Session, account_id: int) -> list[tuple[int, int, datetime]]:
    """(report id, reporter id, filed at) of the account's confirmed spam reports that
    no rule step has used yet."""
    rows = session.execute(
        select(Report.id, Report.reporter_account_id, Report.created_at).where(
            Report.subject_account_id == account_id,
            Report.kind == ReportKind.SPAM,
            Report.status == CaseStatus.CONFIRMED,
            Report.spent_action_id.is_(None),
        )
    )
    return [(int(r.id), int(r.reporter_account_id), r.created_at) for r in rows]


def spend_reports(session: Session, *, report_ids: list[int], action_id: int) -> None:
    session.execute(
        update(Report)
        .where(Report.id.in_(report_ids), Report.spent_action_id.is_(None))
        .values(spent_action_id=action_id)
        .execution_options(synchronize_session=False)
    )


def reporters_against(session: Session, account_id: int) -> list[int]:
    """Everyone who filed a report (spam or fraud) against the account, once each."""
    return list(
        session.scalars(
            select(Report.reporter_account_id)
            .where(Report.subject_account_id == account_id)
            .distinct()
        )
    )


def spam_reports_after_reach_upto(
    session: Session, *, reach: Subquery, edges: Sequence[datetime]
) -> list[int]:
    """Spam reports against a sender by someone their invite reached, filed after it
    (`reach`: the invites domain's recipient_id, sender_id, first_at)."""
    stmt = (
        per_bucket(Report.created_at, edges)
        .join(
            reach,
            (reach.c.recipient_id == Report.reporter_account_id)
            & (reach.c.sender_id == Report.subject_account_id)
            & (Report.created_at >= reach.c.first_at),
        )
        .where(Report.kind == ReportKind.SPAM.value)
    )
    return read_series(session, stmt, len(edges))


def reports_filed_by(session: Session, reporter_id: int) -> list[Report]:
    stmt = select(Report).where(Report.reporter_account_id == reporter_id).order_by(Report.id)
    return list(session.scalars(stmt))


def erase_words_of_reporter(session: Session, reporter_id: int) -> None:
    session.execute(
        update(Report).where(Report.reporter_account_id == reporter_id).values(text=None)
    )
