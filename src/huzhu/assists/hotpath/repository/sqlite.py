"""The assist's writes on SQLite: Python over `sqlite3` statements, run on one
connection inside the caller's BEGIN IMMEDIATE (the hot path's own connection, or the
review's ORM connection for a held assist). The PostgreSQL functions of the same acts
are beside this file (postgres.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from huzhu.accounts.rules import barred_sql
from huzhu.assists.hotpath.repository.acts import (
    CountHeldParams,
    Counting,
    Decision,
    GiveOutcome,
    GiveParams,
    Outcome,
    to_json,
)
from huzhu.assists.rules import SUCCESS_JOB_KEY_SQL, AssistStatus, InstanceStatus
from huzhu.kit.clock import as_utc
from huzhu.notify.rules import unheard_sql

FACTS = """
SELECT i.shop_id, i.campaign_id, i.kind, i.initiator_id, v.rules
FROM instance i JOIN campaign_version v ON v.id = i.campaign_version_id
WHERE i.id = ?
"""

LOCKED_INSTANCE = """
SELECT status, expires_at, shop_id, initiator_id, slots_used, slots_total, held_count
FROM instance WHERE id = ?
"""
HELD_FROM_NETWORK = "SELECT n, bucket FROM held_network WHERE shop_id = ? AND network_hash = ?"
# A new window starts the count again (one row per network, never one per window).
ADD_HELD_FROM_NETWORK = """
INSERT INTO held_network (shop_id, network_hash, bucket, n) VALUES (?1, ?2, ?3, 1)
ON CONFLICT (shop_id, network_hash) DO UPDATE SET
  n = CASE WHEN held_network.bucket = ?3 THEN held_network.n + 1 ELSE 1 END, bucket = ?3
"""
PRIOR_ASSIST = """
SELECT id, idempotency_key, risk_decision, slot, value
FROM assist WHERE instance_id = ? AND helper_id = ?
"""
HELPER_STANDING = (
    "SELECT "
    + barred_sql(status="status", until="restricted_until", now="?2")
    + ", restricted_until FROM account WHERE id = ?1"
)
BLOCKED = """
SELECT 1 FROM account_block
WHERE (account_id = ? AND blocked_id = ?) OR (account_id = ? AND blocked_id = ?) LIMIT 1
"""
SHARE_LINK = "SELECT instance_id, revoked_at FROM share_link WHERE id = ?"
SHARE_OPEN = "SELECT share_link_id FROM share_open WHERE id = ?"
LOWEST_FREE_SLOT = """
SELECT slot, value FROM instance_slot
WHERE instance_id = ? AND assist_id IS NULL ORDER BY slot LIMIT 1
"""
COUNT_HELPER_DAY = """
INSERT INTO helper_day (campaign_id, helper_id, day, n) VALUES (?, ?, ?, 1)
ON CONFLICT (campaign_id, helper_id, day) DO UPDATE SET n = n + 1 WHERE helper_day.n < ?
RETURNING n
"""
INSERT_ASSIST = """
INSERT INTO assist (instance_id, campaign_id, helper_id, status, slot, value, risk_decision,
                    risk_score, risk_reasons, idempotency_key, created_at, channel,
                    share_link_id, share_open_id, group_signs, net_hash, device_hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
HELD_ASSIST = "SELECT helper_id FROM assist WHERE id = ? AND instance_id = ? AND status = ?"
MARK_COUNTED = "UPDATE assist SET status = ?, slot = ?, value = ? WHERE id = ?"
CLAIM_SLOT = """
UPDATE instance_slot SET assist_id = ?
WHERE instance_id = ? AND slot = ? AND assist_id IS NULL
"""
# Only the counters: a SET that names `status` would rewrite every index on it (SQLite
# updates an index whenever its columns are assigned, changed or not) on every assist.
ADD_PROGRESS = """
UPDATE instance SET slots_used = slots_used + 1, progress_value = progress_value + ?,
                    held_count = held_count + ?
WHERE id = ?
RETURNING status, progress_value, slots_used, slots_total, voided_count
"""
# The last slot of a kind that succeeds when full: conditional, so only a full, still
# active instance turns succeeded.
SUCCEED = f"""
UPDATE instance SET status = '{InstanceStatus.SUCCEEDED}', succeeded_at = ?,
                    purchase_deadline_at = ?
WHERE id = ? AND status = '{InstanceStatus.ACTIVE}' AND slots_used = slots_total
RETURNING status
"""
ADD_HELD = "UPDATE instance SET held_count = held_count + 1 WHERE id = ?"
INSERT_EVENT = f"""
INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
VALUES (?1, ?2, 'instance', ?3, ?4, {unheard_sql("?1")}, ?5)
"""
SCHEDULE_JOB = f"""
INSERT INTO job (kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at)
VALUES (?1, ?2, {SUCCESS_JOB_KEY_SQL.format(job="?1", instance_id="?3", voided="?4")},
        'pending', ?5, 0, 10, ?6)
ON CONFLICT (dedupe_key) DO NOTHING
"""


def _dt(value: Any) -> datetime | None:
    return None if value is None else as_utc(datetime.fromisoformat(value))


def text_of(value: datetime) -> str:
    """db.base.sqlite_time's format, without strftime (3× slower, and called per assist)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _text_or_none(value: datetime | None) -> str | None:
    return None if value is None else text_of(value)


def _is_open(status: str, expires_at: Any, now: datetime) -> bool:
    expires = _dt(expires_at)
    return status == InstanceStatus.ACTIVE and (expires is None or expires > now)


def give(conn: sqlite3.Connection, p: GiveParams) -> GiveOutcome:
    """Steps 1–6 inside the caller's BEGIN IMMEDIATE; the caller commits or rolls back.
    Every refusal returns before the first write."""
    inst = conn.execute(LOCKED_INSTANCE, (p.instance_id,)).fetchone()
    if inst is None:
        return GiveOutcome(Outcome.NOT_FOUND)
    status, expires_at, shop_id, initiator_id, _, _, held_count = inst
    if shop_id != p.shop_id:
        return GiveOutcome(Outcome.NOT_FOUND)
    prior = conn.execute(PRIOR_ASSIST, (p.instance_id, p.helper_id)).fetchone()
    if prior is not None:
        prior_id, prior_key, prior_decision, prior_slot, prior_value = prior
        if p.idempotency_key is not None and prior_key == p.idempotency_key:
            held = prior_decision == Decision.HOLD
            return GiveOutcome(
                Outcome.REPLAY,
                prior_id,
                AssistStatus.HELD if held else AssistStatus.COUNTED,
                prior_slot,
                prior_value,
            )
        return GiveOutcome(Outcome.ALREADY_ASSISTED)
    if not _is_open(status, expires_at, p.now):
        return GiveOutcome(Outcome.CLOSED, instance_status=status)
    if initiator_id == p.helper_id:
        return GiveOutcome(Outcome.SELF_ASSIST)
    pair = (p.helper_id, initiator_id, initiator_id, p.helper_id)
    if conn.execute(BLOCKED, pair).fetchone() is not None:
        return GiveOutcome(Outcome.BLOCKED)
    standing = conn.execute(HELPER_STANDING, (p.helper_id, text_of(p.now))).fetchone()
    if standing is None or standing[0]:
        until = _dt(standing[1]) if standing is not None else None
        return GiveOutcome(Outcome.RESTRICTED, restricted_until=until)
    if p.share_link_id is not None:
        refused = _share_refusal(conn, p)
        if refused is not None:
            return refused
    slot: int | None = None
    value = 0
    if p.decision == Decision.COUNT:
        free = conn.execute(LOWEST_FREE_SLOT, (p.instance_id,)).fetchone()
        if free is None:
            return GiveOutcome(Outcome.FULL)
        slot, value = int(free[0]), int(free[1])
    else:
        bounded = _hold_bound(conn, p, held_count=held_count)
        if bounded is not None:
            return bounded
    counted_today = conn.execute(
        COUNT_HELPER_DAY, (p.campaign_id, p.helper_id, p.day, p.daily_cap)
    ).fetchone()
    if counted_today is None:
        return GiveOutcome(Outcome.DAILY_LIMIT)
    return _write(conn, p, slot=slot, value=value)


def _hold_bound(conn: sqlite3.Connection, p: GiveParams, *, held_count: int) -> GiveOutcome | None:
    """A hold refused when its instance or its network has all it may have on hold (read
    under the write lock, so exact; the network's count is added with the hold)."""
    if held_count >= p.held_per_instance:
        return GiveOutcome(Outcome.HOLD_LIMIT_INSTANCE)
    if p.network_hash is not None:
        row = conn.execute(HELD_FROM_NETWORK, (p.shop_id, p.network_hash)).fetchone()
        if row is not None and row[1] == p.hold_bucket and row[0] >= p.held_per_network:
            return GiveOutcome(Outcome.HOLD_LIMIT_NETWORK)
    return None


def _share_refusal(conn: sqlite3.Connection, p: GiveParams) -> GiveOutcome | None:
    link = conn.execute(SHARE_LINK, (p.share_link_id,)).fetchone()
    if link is None or link[0] != p.instance_id:
        return GiveOutcome(Outcome.SHARE_MISMATCH)
    if link[1] is not None:
        return GiveOutcome(Outcome.SHARE_REVOKED)
    if p.share_open_id is not None:
        opened = conn.execute(SHARE_OPEN, (p.share_open_id,)).fetchone()
        if opened is None or opened[0] != p.share_link_id:
            return GiveOutcome(Outcome.SHARE_MISMATCH)
    return None


def _write(conn: sqlite3.Connection, p: GiveParams, *, slot: int | None, value: int) -> GiveOutcome:
    now = text_of(p.now)
    status = AssistStatus.COUNTED if slot is not None else AssistStatus.HELD
    (assist_id,) = conn.execute(
        INSERT_ASSIST,
        (
            p.instance_id,
            p.campaign_id,
            p.helper_id,
            status,
            slot,
            value,
            p.decision,
            p.score,
            to_json(p.reasons),
            p.idempotency_key,
            now,
            p.channel,
            p.share_link_id,
            p.share_open_id,
            p.group_signs,
            p.group_net_hash,
            p.group_device_hash,
        ),
    ).fetchone()
    if slot is None:
        conn.execute(ADD_HELD, (p.instance_id,))
        if p.network_hash is not None:
            conn.execute(ADD_HELD_FROM_NETWORK, (p.shop_id, p.network_hash, p.hold_bucket))
        payload = {"assist_id": assist_id, "helper_id": p.helper_id, "value": 0}
        _event(conn, p.shop_id, p.instance_id, "assist.held", payload, now)
        return GiveOutcome(Outcome.HELD, assist_id, status, None, 0, InstanceStatus.ACTIVE)
    inst_status = count_on_slot(
        conn,
        Counting(
            shop_id=p.shop_id,
            instance_id=p.instance_id,
            assist_id=assist_id,
            helper_id=p.helper_id,
            slot=slot,
            value=value,
            held_delta=0,
            now=p.now,
            success=p.success,
            after_review=False,
        ),
    )
    return GiveOutcome(Outcome.COUNTED, assist_id, status, slot, value, inst_status)


def count_on_slot(conn: sqlite3.Connection, c: Counting) -> str:
    """The shared last step (module docstring); returns the instance's status after it."""
    now = text_of(c.now)
    claimed = conn.execute(CLAIM_SLOT, (c.assist_id, c.instance_id, c.slot)).rowcount
    if claimed != 1:  # impossible under the write lock; refuse rather than double-claim
        raise RuntimeError("slot claim lost under the write lock")
    row = conn.execute(ADD_PROGRESS, (c.value, c.held_delta, c.instance_id)).fetchone()
    inst_status, progress, used, total, voided = row
    plan = c.success
    if plan.succeeds_when_full and used == total:
        deadline = _text_or_none(plan.purchase_deadline_at)
        succeeded = conn.execute(SUCCEED, (now, deadline, c.instance_id)).fetchone()
        if succeeded is not None:
            inst_status = succeeded[0]
    payload: dict[str, Any] = {
        "assist_id": c.assist_id,
        "helper_id": c.helper_id,
        "value": c.value,
        "slot": c.slot,
        "progress_value": progress,
        "slots_used": used,
        "slots_total": total,
    }
    if c.after_review:
        payload["after_review"] = True
    _event(conn, c.shop_id, c.instance_id, "assist.counted", payload, now)
    if inst_status == InstanceStatus.SUCCEEDED:
        succeeded_payload = {"progress_value": progress}
        _event(conn, c.shop_id, c.instance_id, "instance.succeeded", succeeded_payload, now)
        if plan.job is not None:
            conn.execute(
                SCHEDULE_JOB,
                (
                    plan.job,
                    to_json({"instance_id": c.instance_id}),
                    c.instance_id,
                    voided,
                    _text_or_none(plan.job_run_at),
                    now,
                ),
            )
    return str(inst_status)


def count_held(conn: sqlite3.Connection, p: CountHeldParams) -> GiveOutcome:
    """Count a held assist on its instance, which the caller's unit of work holds
    (SQLite: its BEGIN IMMEDIATE). FULL or CLOSED when it can no longer count (the caller
    voids it with that honest reason); NOT_FOUND when it is not a held assist of it."""
    inst = conn.execute(LOCKED_INSTANCE, (p.instance_id,)).fetchone()
    if inst is None or inst[2] != p.shop_id:
        return GiveOutcome(Outcome.NOT_FOUND)
    status, expires_at, _, _, used, total, _ = inst
    held = conn.execute(HELD_ASSIST, (p.assist_id, p.instance_id, AssistStatus.HELD)).fetchone()
    if held is None:
        return GiveOutcome(Outcome.NOT_FOUND)
    if used >= total:
        return GiveOutcome(Outcome.FULL, instance_status=status)
    if not _is_open(status, expires_at, p.now):
        return GiveOutcome(Outcome.CLOSED, instance_status=status)
    free = conn.execute(LOWEST_FREE_SLOT, (p.instance_id,)).fetchone()
    if free is None:
        return GiveOutcome(Outcome.FULL, instance_status=status)
    slot, value = int(free[0]), int(free[1])
    conn.execute(MARK_COUNTED, (AssistStatus.COUNTED, slot, value, p.assist_id))
    inst_status = count_on_slot(
        conn,
        Counting(
            shop_id=p.shop_id,
            instance_id=p.instance_id,
            assist_id=p.assist_id,
            helper_id=int(held[0]),
            slot=slot,
            value=value,
            held_delta=-1,
            now=p.now,
            success=p.success,
            after_review=True,
        ),
    )
    return GiveOutcome(Outcome.COUNTED, p.assist_id, AssistStatus.COUNTED, slot, value, inst_status)


def _event(
    conn: sqlite3.Connection,
    shop_id: int,
    instance_id: int,
    type_: str,
    payload: dict[str, Any],
    now: str,
) -> None:
    body = to_json({"instance_id": instance_id} | payload)
    conn.execute(INSERT_EVENT, (shop_id, type_, instance_id, body, now))
