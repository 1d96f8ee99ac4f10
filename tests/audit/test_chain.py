"""The audit chain: entries sealed at commit form one unbroken chain per shop, also when
many transactions append at once; an edited, removed or cut-off entry is found and named
by `huzhu audit verify`; sealed entries cannot be changed through the code."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from huzhu.audit import rules
from huzhu.audit import service as audit
from huzhu.audit.models import AuditEntry, AuditLogIsAppendOnly
from huzhu.audit.schemas import AuditFilter
from huzhu.cli.main import app
from huzhu.config import Settings
from huzhu.db import Database
from tests.audit.support import execute, record_some
from tests.factories import make_shop

runner = CliRunner()
WRITERS = 6
EACH = 3


def _chain(db: Database, shop_id: int) -> list[tuple[int, int | None, str | None, str | None]]:
    with db.unit_of_work() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.shop_id == shop_id).order_by(AuditEntry.seq)
        )
        return [(e.id, e.seq, e.prev_hash, e.hash) for e in rows]


def _verify(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["audit", "verify", *args], env={"HUZHU_DATABASE_URL": db_url, "COLUMNS": "200"}
    )
    return result.exit_code, result.output


def test_concurrent_writers_never_fork_the_chain(database: Database, db_url: str) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
    barrier = threading.Barrier(WRITERS)

    def write(_: int) -> list[int]:
        barrier.wait()
        return record_some(database, shop_id, EACH)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        written = [i for ids in pool.map(write, range(WRITERS)) for i in ids]

    chain = _chain(database, shop_id)
    assert sorted(i for i, _, _, _ in chain) == sorted(written)
    assert [seq for _, seq, _, _ in chain] == list(range(1, WRITERS * EACH + 1))
    # Each entry follows exactly the one before it: no two share a predecessor.
    assert [prev for _, _, prev, _ in chain] == [rules.GENESIS] + [h for _, _, _, h in chain[:-1]]
    # One writer's entries are sealed together, in the order it wrote them.
    by_id = {i: seq for i, seq, _, _ in chain}
    for start in range(0, len(written), EACH):
        seqs = [by_id[i] for i in written[start : start + EACH]]
        assert seqs == list(range(seqs[0], seqs[0] + EACH))
    assert _verify(db_url, "--shop", str(shop_id))[0] == 0


def test_verify_passes_an_intact_log(database: Database, db_url: str) -> None:
    with database.unit_of_work() as s:
        shops = [make_shop(s), make_shop(s)]
    for shop_id in shops:
        record_some(database, shop_id, 4, reason="typed by someone")
    code, out = _verify(db_url)
    assert code == 0, out
    assert "2 chain(s) intact" in out


@pytest.mark.parametrize("tamper", ["edit", "edit_details", "remove", "cut_tail", "insert"])
def test_verify_names_the_first_bad_entry(database: Database, db_url: str, tamper: str) -> None:
    with database.unit_of_work() as s:
        shop_id, other_shop = make_shop(s), make_shop(s)
    ids = record_some(database, shop_id, 5)
    record_some(database, other_shop, 2)
    if tamper == "edit":
        execute(database, "UPDATE audit_entry SET actor = 'operator:2' WHERE id = :i", i=ids[2])
        expected = (f"entry {ids[2]} (seq 3)", "edited")
    elif tamper == "edit_details":
        execute(database, "UPDATE audit_entry SET subject_id = 999 WHERE id = :i", i=ids[1])
        expected = (f"entry {ids[1]} (seq 2)", "edited")
    elif tamper == "remove":
        execute(database, "DELETE FROM audit_entry WHERE id = :i", i=ids[1])
        expected = (f"entry {ids[2]} (seq 3)", "entry 2 before it removed")
    elif tamper == "cut_tail":
        execute(database, "DELETE FROM audit_entry WHERE id = :i", i=ids[4])
        expected = ("the chain's end", "its head is 5")
    else:
        # A forged entry appended by hand, linked to the head but hashed by guesswork.
        with database.unit_of_work() as s:
            head = s.get(AuditEntry, ids[4])
            assert head is not None
            head_hash = head.hash
        execute(
            database,
            "INSERT INTO audit_entry (shop_id, actor, action, subject_type, subject_id,"
            " details, created_at, seq, prev_hash, hash) VALUES (:shop, 'operator:1',"
            " 'assists.read', 'instance', 1, '{}', '2026-12-07 10:00:00.000000', 6, :prev,"
            " :forged)",
            shop=shop_id,
            prev=head_hash,
            forged="f" * 64,
        )
        expected = ("(seq 6)", "edited")
    code, out = _verify(db_url)
    assert code == 1, out
    flat = " ".join(out.split())
    assert f"shop {shop_id}:" in flat
    for words in expected:
        assert words in flat
    assert f"shop {other_shop}:" not in flat
    assert _verify(db_url, "--shop", str(other_shop))[0] == 0


def test_a_sealed_entry_cannot_be_changed_through_the_code(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
    (entry_id,) = record_some(database, shop_id, 1)
    for field, value in (("hash", "f" * 64), ("seq", 7), ("prev_hash", "1" * 64)):
        with database.sessionmaker() as s:
            entry = s.get(AuditEntry, entry_id)
            assert entry is not None
            assert entry.hash is not None
            setattr(entry, field, value)
            with pytest.raises(AuditLogIsAppendOnly):
                s.flush()
            s.rollback()


def test_an_entry_rolled_back_with_its_savepoint_takes_no_place(database: Database) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
    with database.unit_of_work() as s:
        try:
            with s.begin_nested():
                audit.record(
                    s,
                    shop_id=shop_id,
                    actor="operator:1",
                    action="assists.read",
                    subject_type="instance",
                    subject_id=1,
                )
                raise LookupError("the step failed")
        except LookupError:
            pass
        kept = audit.record(
            s,
            shop_id=shop_id,
            actor="operator:1",
            action="assists.read",
            subject_type="instance",
            subject_id=2,
        ).id
    assert [(i, seq) for i, seq, _, _ in _chain(database, shop_id)] == [(kept, 1)]
    with database.unit_of_work() as s:
        assert [r.fault for r in audit.verify(s, shop_id=shop_id)] == [None]


def test_an_export_holds_every_matching_entry_across_pages(database: Database) -> None:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
    ids = record_some(database, shop_id, 205)
    with database.unit_of_work() as s:
        exported = [v.id for v in audit.export_entries(s, shop_id=shop_id, where=AuditFilter())]
        narrowed = list(audit.export_entries(s, shop_id=shop_id, where=AuditFilter(subject_id=104)))
    assert exported == sorted(ids, reverse=True)
    assert [v.id for v in narrowed] == [ids[4]]
