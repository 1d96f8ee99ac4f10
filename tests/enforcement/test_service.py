"""The enforcement service on a real database: the ladder climbs one rung at a time,
restrictions bind and lapse by the clock, the account mirror follows, lifts undo."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.accounts.models import Account
from huzhu.audit.models import AuditEntry, AuditLogIsAppendOnly
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.enforcement import service
from huzhu.enforcement.errors import ActionAlreadyLifted, InviteRestricted
from huzhu.jobs.registry import periodic_tasks
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.notify.models import Event, InboxMessage
from tests.factories import make_participant, make_shop


@pytest.fixture
def sender(session: Session, settings: Settings) -> int:
    shop_id = make_shop(session)
    account_id, _ = make_participant(session, settings, shop_id=shop_id, name="sender")
    return account_id


def _climb(session: Session, account_id: int, times: int) -> list[str]:
    return [
        service.enforce(
            session,
            account_id=account_id,
            rung_or_kind="next",
            reason="spam invites",
            evidence={"reports": 3},
            actor="rule:spam_reports",
            case_id=None,
        ).kind
        for _ in range(times)
    ]


def test_next_rung_climbs_the_ladder_one_step_at_a_time_and_stops_at_ban(
    session: Session, sender: int
) -> None:
    assert _climb(session, sender, 6) == [
        "warning",
        "invite_restriction_1d",
        "invite_restriction_7d",
        "participation_restriction",
        "ban",
        "ban",
    ]


def test_invite_restriction_refuses_with_reason_and_until_then_lapses_by_time(
    session: Session, sender: int
) -> None:
    _climb(session, sender, 1)  # a warning does not stop invites
    service.assert_may_invite(session, sender, clock.utcnow())
    action = service.enforce(
        session,
        account_id=sender,
        rung_or_kind="next",
        reason="spam invites",
        evidence={},
        actor="rule:spam_reports",
        case_id=None,
    )
    assert action.kind == "invite_restriction_1d"
    with pytest.raises(InviteRestricted) as caught:
        service.assert_may_invite(session, sender, clock.utcnow())
    problem: dict[str, Any] = caught.value.to_problem()
    assert problem["code"] == "invite_restricted"
    assert problem["reason"] == "spam invites"
    assert problem["restricted_until"] == clock.as_utc(action.expires_at).isoformat()  # type: ignore[arg-type]
    clock.advance(24 * 3600 + 1)
    service.assert_may_invite(session, sender, clock.utcnow())  # no job ran: time alone


def test_participation_restriction_and_ban_are_mirrored_and_lifts_restore(
    session: Session, sender: int
) -> None:
    _climb(session, sender, 4)
    account = session.get(Account, sender)
    assert account is not None
    assert (account.status, account.restriction_reason) == ("restricted", "spam invites")
    assert account.restricted_until is not None
    ban = service.enforce(
        session,
        account_id=sender,
        rung_or_kind="ban",
        reason="fake assists",
        evidence={},
        actor="operator:1",
        case_id=None,
    )
    session.refresh(account)
    assert account.status == "banned"
    service.lift(session, shop_id=ban.shop_id, action_id=ban.id, actor="operator:1", reason="oops")
    session.refresh(account)
    assert account.status == "restricted"  # the participation restriction remains
    with pytest.raises(ActionAlreadyLifted):
        service.lift(session, shop_id=ban.shop_id, action_id=ban.id, actor="operator:1", reason="x")
    clock.advance(31 * 24 * 3600)
    assert service.tidy_lapsed_restrictions(session) == 1
    session.refresh(account)
    assert (account.status, account.restricted_until) == ("active", None)


def test_every_action_is_audited_announced_and_told(session: Session, sender: int) -> None:
    action = service.enforce(
        session,
        account_id=sender,
        rung_or_kind="warning",
        reason="spam invites",
        evidence={},
        actor="operator:7",
        case_id=None,
    )
    audit = session.scalars(select(AuditEntry).where(AuditEntry.account_id == sender)).all()
    assert [(a.action, a.actor, a.subject_id) for a in audit] == [
        ("enforcement.applied", "operator:7", action.id)
    ]
    events = session.scalars(select(Event).where(Event.type == "enforcement.applied")).all()
    assert [e.payload["kind"] for e in events] == ["warning"]
    inbox = session.scalars(select(InboxMessage).where(InboxMessage.account_id == sender)).all()
    assert len(inbox) == 1
    assert inbox[0].params is not None
    assert "spam invites" in inbox[0].params["reason"]


def test_report_tally_counts_each_report(session: Session, sender: int) -> None:
    account = session.get(Account, sender)
    assert account is not None
    assert service.report_count_against(session, sender) == 0
    for _ in range(3):
        service.note_report(session, shop_id=account.shop_id, account_id=sender)
    assert service.report_count_against(session, sender) == 3


def test_the_audit_log_refuses_edits_and_deletes(session: Session, settings: Settings) -> None:
    for change in ("edit", "delete"):
        shop_id = make_shop(session)
        account_id, _ = make_participant(session, settings, shop_id=shop_id, name="s")
        service.enforce(
            session,
            account_id=account_id,
            rung_or_kind="warning",
            reason="spam invites",
            evidence={},
            actor="operator:7",
            case_id=None,
        )
        entry = session.scalars(select(AuditEntry).where(AuditEntry.account_id == account_id)).one()
        if change == "edit":
            entry.action = "enforcement.lifted"
        else:
            session.delete(entry)
        with pytest.raises(AuditLogIsAppendOnly):
            session.flush()
        session.rollback()


def test_the_tidy_task_is_registered_with_every_runner(
    database: Database, settings: Settings
) -> None:
    import huzhu.all_tasks  # noqa: F401

    assert "enforcement.tidy" in {t.name for t in periodic_tasks()}
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        account_id, _ = make_participant(s, settings, shop_id=shop_id, name="x")
        service.enforce(
            s,
            account_id=account_id,
            rung_or_kind="participation_restriction",
            reason="r",
            evidence={},
            actor="operator:1",
            case_id=None,
        )
    clock.advance(31 * 24 * 3600)
    JobRunner(database, settings).run_periodic(force=True)
    with database.unit_of_work() as s:
        account = s.get(Account, account_id)
        assert account is not None
        assert (account.status, account.restricted_until, account.restriction_reason) == (
            "active",
            None,
            None,
        )


def test_concurrent_escalations_take_distinct_rungs(database: Database, settings: Settings) -> None:
    """The account row is locked before the next rung is read: two rules firing at once
    give a warning and a 1-day restriction, never two warnings."""
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        account_id, _ = make_participant(s, settings, shop_id=shop_id, name="x")
    barrier = threading.Barrier(4)

    def escalate(_: int) -> str:
        barrier.wait()
        with database.unit_of_work() as s:
            return service.enforce(
                s,
                account_id=account_id,
                rung_or_kind="next",
                reason="r",
                evidence={},
                actor="rule:spam_reports",
                case_id=None,
            ).kind

    with ThreadPoolExecutor(max_workers=4) as pool:
        kinds = sorted(pool.map(escalate, range(4)))
    assert kinds == sorted(
        ["warning", "invite_restriction_1d", "invite_restriction_7d", "participation_restriction"]
    )
