"""Retention and erasure keep the chain verifiable: the job drops exactly the entries
past HUZHU_AUDIT__RETENTION_DAYS (clock advanced, no waiting) and moves the chain's base;
a person's deletion blanks the notes they wrote or that are about them, not the chain."""

from __future__ import annotations

from sqlalchemy import func, select

from huzhu.audit import service as audit
from huzhu.audit.models import AuditChain, AuditEntry, AuditNote
from huzhu.audit.schemas import AuditFilter
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.registry import periodic_tasks
from huzhu.kit import clock
from huzhu.pagination import PageParams
from tests.audit.support import record_some
from tests.conftest import make_settings
from tests.factories import make_participant, make_shop

DAY = 86_400


def test_the_job_drops_exactly_what_expired_and_verify_starts_after_it(db_url: str) -> None:
    settings = make_settings(db_url, audit={"retention_days": 30})
    database = Database(settings.db)
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
    old = record_some(database, shop_id, 3, reason="old words")
    clock.advance(20 * DAY)
    middle = record_some(database, shop_id, 2)
    clock.advance(11 * DAY)  # the first three are 31 days old, the next two 11
    young = record_some(database, shop_id, 1)
    import huzhu.all_tasks  # noqa: F401  (every runner registers the job)

    (prune,) = [t for t in periodic_tasks() if t.name == "audit.prune"]
    with database.unit_of_work() as s:
        prune.fn(s, settings)
    with database.unit_of_work() as s:
        kept = s.scalars(
            select(AuditEntry).where(AuditEntry.shop_id == shop_id).order_by(AuditEntry.seq)
        ).all()
        chain = s.get(AuditChain, shop_id)
        notes_left = s.scalar(select(func.count()).select_from(AuditNote))
        reports = audit.verify(s, shop_id=shop_id)
    assert [e.id for e in kept[:-1]] == middle + young
    assert (kept[-1].action, kept[-1].actor) == ("audit.pruned", "system:audit_retention")
    assert kept[-1].details == {"through_seq": 3, "entries": 3, "retention_days": 30}
    assert chain is not None
    assert (chain.base_seq, chain.pruned) == (3, 3)
    assert notes_left == 0  # the dropped entries' words went with them
    assert [(r.fault, r.checked, r.base_seq) for r in reports] == [(None, 4, 3)]
    assert not set(old) & {e.id for e in kept}
    # Nothing more is due: a second run drops nothing and records nothing.
    with database.unit_of_work() as s:
        assert audit.prune_expired(s, settings.audit) == {}
    database.dispose()


def test_erasing_a_persons_notes_keeps_the_chain_and_the_facts(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        person, _ = make_participant(s, settings, shop_id=shop_id, name="p")
        other, _ = make_participant(s, settings, shop_id=shop_id, name="o")
        written = audit.record(
            s,
            shop_id=shop_id,
            actor=f"account:{person}",
            action="report.filed",
            subject_type="report",
            subject_id=1,
            account_id=other,
            reason="he sends me invites every night",
        ).id
        about = audit.record(
            s,
            shop_id=shop_id,
            actor="operator:4",
            action="enforcement.applied",
            subject_type="enforcement_action",
            subject_id=2,
            account_id=person,
            reason="spammed the class group",
        ).id
        unrelated = audit.record(
            s,
            shop_id=shop_id,
            actor="operator:4",
            action="enforcement.applied",
            subject_type="enforcement_action",
            subject_id=3,
            account_id=other,
            reason="kept going after a warning",
        ).id
    with database.unit_of_work() as s:
        assert audit.erase_notes_of(s, person) == 2
    with database.unit_of_work() as s:
        views, _ = audit.list_entries(s, PageParams(limit=50), shop_id=shop_id, where=AuditFilter())
        reports = audit.verify(s, shop_id=shop_id)
    by_id = {v.id: v for v in views}
    assert (by_id[written].reason, by_id[written].reason_erased) == ("", True)
    assert (by_id[about].reason, by_id[about].reason_erased) == ("", True)
    assert (by_id[unrelated].reason, by_id[unrelated].reason_erased) == (
        "kept going after a warning",
        False,
    )
    assert (by_id[written].action, by_id[written].account_id) == ("report.filed", other)
    deletion = views[0]
    assert (deletion.actor, deletion.action, deletion.details) == (
        f"account:{person}",
        "privacy.deleted",
        {"notes_erased": 2},
    )
    assert (deletion.subject_type, deletion.subject_id, deletion.account_id) == (
        "account",
        person,
        None,
    )
    assert [(r.fault, r.checked) for r in reports] == [(None, 4)]
