"""The assist's writes, one definition per backend, side by side: Python over `sqlite3`
statements for SQLite, PL/pgSQL functions for PostgreSQL (installed by migration 0002).

Two acts, sharing their last step:

- **give** (POST /instances/{id}/assists): in one transaction, in an order where every
  refusal comes before the first write, so a refused assist leaves no trace —
  1. lock the instance (PostgreSQL: `FOR UPDATE`; SQLite: `BEGIN IMMEDIATE` holds the
     database write lock) and check it exists in the caller's shop;
  2. the helper's earlier assist on it: the same Idempotency-Key is a replay of the
     first answer, any other request is `already_assisted`;
  3. the instance is active and not past `expires_at`; the helper is not the initiator,
     neither of the two blocked the other (`account_block`, both directions), the helper
     is not barred (accounts.rules.barred_sql); the share link the helper came through
     (its HMAC was checked before the transaction) is not revoked, and the open named
     with it is one of that link's;
  4. a counted assist needs the lowest free slot (none: `full`);
  5. the helper's daily counter, by a conditional upsert (`n < cap`): `daily_limit`;
  6. the writes: the assist, then for a hold the held count and `assist.held`, for a
     count the shared last step below.
- **count a held assist** (a reviewer found it genuine): the instance locked by the
  caller's unit of work, the assist still held, the instance not full and still open,
  then the shared last step. Run on the ORM session's own connection, inside the
  review's unit of work (`count_held_in`).
- **the last step, counting on a slot**: claim the slot (conditional on `assist_id IS
  NULL`), add the slot's value to progress in one UPDATE, succeed an instance of a kind
  that succeeds when full, record `assist.counted` (and `instance.succeeded`) and
  schedule the success job.

The instance lock makes the select-then-claim of the free slot safe and serialises a
helper's duplicate requests on one instance; UNIQUE(instance_id, helper_id), the
conditional claim and the CHECK on slots_used back it in the schema. Rules that other
domains own are embedded from their one definition: who is barred
(accounts.rules.barred_sql), whether an event is written dispatched
(notify.rules.unheard_sql), the success job's key (assists.rules.SUCCESS_JOB_KEY_SQL).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from huzhu.accounts.rules import barred_sql
from huzhu.assists.rules import SUCCESS_JOB_KEY_SQL, AssistStatus, InstanceStatus, SuccessPlan
from huzhu.kit.clock import as_utc
from huzhu.notify.rules import unheard_sql


class Outcome(StrEnum):
    """What one call of an act did; the refusals write nothing."""

    COUNTED = "counted"
    HELD = "held"
    REPLAY = "replay"  # the same Idempotency-Key again: the first answer
    NOT_FOUND = "not_found"  # no such instance in the caller's shop (or assist, held)
    ALREADY_ASSISTED = "already_assisted"
    CLOSED = "closed"  # not active, or past its expiry
    SELF_ASSIST = "self_assist"
    BLOCKED = "blocked"
    RESTRICTED = "restricted"
    SHARE_REVOKED = "share_revoked"
    SHARE_MISMATCH = "share_mismatch"
    FULL = "full"
    DAILY_LIMIT = "daily_limit"


class Decision(StrEnum):
    """The inline verdicts that reach the database (a refusal never does)."""

    COUNT = "count"
    HOLD = "hold"


# -- the instance's frozen facts (never change after start, so callers may cache) ------

FACTS_SQL_SQLITE = """
SELECT i.shop_id, i.campaign_id, i.kind, i.initiator_id, v.rules
FROM instance i JOIN campaign_version v ON v.id = i.campaign_version_id
WHERE i.id = ?
"""
FACTS_SQL_PG = FACTS_SQL_SQLITE.replace("?", "$1")


@dataclass(frozen=True, slots=True)
class FactsRow:
    shop_id: int
    campaign_id: int
    kind: str
    initiator_id: int
    rules: dict[str, Any]


def facts_row(row: Any) -> FactsRow:
    """From a sqlite3 row or an asyncpg Record of FACTS_SQL_*, in its column order."""
    shop_id, campaign_id, kind, initiator_id, rules = row
    return FactsRow(
        shop_id=int(shop_id),
        campaign_id=int(campaign_id),
        kind=str(kind),
        initiator_id=int(initiator_id),
        rules=orjson.loads(rules) if isinstance(rules, str | bytes) else dict(rules),
    )


@dataclass(slots=True)
class GiveParams:
    """Everything one assist needs, decided before the transaction starts."""

    instance_id: int
    shop_id: int
    campaign_id: int
    helper_id: int
    decision: Decision
    score: float
    reasons: list[str]
    idempotency_key: str | None
    now: datetime
    day: str
    daily_cap: int
    success: SuccessPlan  # if this assist fills the instance
    share_link_id: int | None = None  # a genuine link's id (HMAC already verified)
    share_open_id: int | None = None  # only together with share_link_id
    channel: str | None = None  # the link's channel


@dataclass(slots=True)
class CountHeldParams:
    """A held assist a reviewer found genuine, and its instance's success terms."""

    instance_id: int
    shop_id: int
    assist_id: int
    now: datetime
    success: SuccessPlan


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class GiveOutcome:
    outcome: Outcome
    assist_id: int | None = None
    assist_status: AssistStatus | None = None
    slot: int | None = None
    value: int = 0
    instance_status: str | None = None
    restricted_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Counting:
    """The shared last step's inputs: an assist that now counts on `slot`."""

    shop_id: int
    instance_id: int
    assist_id: int
    helper_id: int
    slot: int
    value: int
    held_delta: int  # -1 when a held assist now counts, else 0
    now: datetime
    success: SuccessPlan
    after_review: bool


# -- SQLite: statements run on a sqlite3 connection inside the caller's BEGIN IMMEDIATE --

SQLITE_LOCKED_INSTANCE = """
SELECT status, expires_at, shop_id, initiator_id, slots_used, slots_total
FROM instance WHERE id = ?
"""
SQLITE_PRIOR_ASSIST = """
SELECT id, idempotency_key, risk_decision, slot, value
FROM assist WHERE instance_id = ? AND helper_id = ?
"""
SQLITE_HELPER_STANDING = (
    "SELECT "
    + barred_sql(status="status", until="restricted_until", now="?2")
    + ", restricted_until FROM account WHERE id = ?1"
)
SQLITE_BLOCKED = """
SELECT 1 FROM account_block
WHERE (account_id = ? AND blocked_id = ?) OR (account_id = ? AND blocked_id = ?) LIMIT 1
"""
SQLITE_SHARE_LINK = "SELECT instance_id, revoked_at FROM share_link WHERE id = ?"
SQLITE_SHARE_OPEN = "SELECT share_link_id FROM share_open WHERE id = ?"
SQLITE_LOWEST_FREE_SLOT = """
SELECT slot, value FROM instance_slot
WHERE instance_id = ? AND assist_id IS NULL ORDER BY slot LIMIT 1
"""
SQLITE_COUNT_HELPER_DAY = """
INSERT INTO helper_day (campaign_id, helper_id, day, n) VALUES (?, ?, ?, 1)
ON CONFLICT (campaign_id, helper_id, day) DO UPDATE SET n = n + 1 WHERE helper_day.n < ?
RETURNING n
"""
SQLITE_INSERT_ASSIST = """
INSERT INTO assist (instance_id, campaign_id, helper_id, status, slot, value, risk_decision,
                    risk_score, risk_reasons, idempotency_key, created_at, channel,
                    share_link_id, share_open_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
SQLITE_HELD_ASSIST = "SELECT helper_id FROM assist WHERE id = ? AND instance_id = ? AND status = ?"
SQLITE_COUNT_HELD = "UPDATE assist SET status = ?, slot = ?, value = ? WHERE id = ?"
SQLITE_CLAIM_SLOT = """
UPDATE instance_slot SET assist_id = ?
WHERE instance_id = ? AND slot = ? AND assist_id IS NULL
"""
# Only the counters: a SET that names `status` would rewrite every index on it (SQLite
# updates an index whenever its columns are assigned, changed or not) on every assist.
SQLITE_ADD_PROGRESS = """
UPDATE instance SET slots_used = slots_used + 1, progress_value = progress_value + ?,
                    held_count = held_count + ?
WHERE id = ?
RETURNING status, progress_value, slots_used, slots_total, voided_count
"""
# The last slot of a kind that succeeds when full: conditional, so only a full, still
# active instance turns succeeded.
SQLITE_SUCCEED = f"""
UPDATE instance SET status = '{InstanceStatus.SUCCEEDED}', succeeded_at = ?,
                    purchase_deadline_at = ?
WHERE id = ? AND status = '{InstanceStatus.ACTIVE}' AND slots_used = slots_total
RETURNING status
"""
SQLITE_ADD_HELD = "UPDATE instance SET held_count = held_count + 1 WHERE id = ?"
SQLITE_INSERT_EVENT = f"""
INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
VALUES (?1, ?2, 'instance', ?3, ?4, {unheard_sql("?1")}, ?5)
"""
SQLITE_SCHEDULE_JOB = f"""
INSERT INTO job (kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at)
VALUES (?1, ?2, {SUCCESS_JOB_KEY_SQL.format(job="?1", instance_id="?3", voided="?4")},
        'pending', ?5, 0, 10, ?6)
ON CONFLICT (dedupe_key) DO NOTHING
"""


def _sqlite_dt(value: Any) -> datetime | None:
    return None if value is None else as_utc(datetime.fromisoformat(value))


def sqlite_text(value: datetime) -> str:
    """db.base.sqlite_time's format, without strftime (3× slower, and called per assist)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_text_or_none(value: datetime | None) -> str | None:
    return None if value is None else sqlite_text(value)


def _is_open(status: str, expires_at: Any, now: datetime) -> bool:
    expires = _sqlite_dt(expires_at)
    return status == InstanceStatus.ACTIVE and (expires is None or expires > now)


def sqlite_give(conn: sqlite3.Connection, p: GiveParams) -> GiveOutcome:
    """Steps 1–6 inside the caller's BEGIN IMMEDIATE; the caller commits or rolls back.
    Every refusal returns before the first write."""
    inst = conn.execute(SQLITE_LOCKED_INSTANCE, (p.instance_id,)).fetchone()
    if inst is None:
        return GiveOutcome(Outcome.NOT_FOUND)
    status, expires_at, shop_id, initiator_id, _, _ = inst
    if shop_id != p.shop_id:
        return GiveOutcome(Outcome.NOT_FOUND)
    prior = conn.execute(SQLITE_PRIOR_ASSIST, (p.instance_id, p.helper_id)).fetchone()
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
    if conn.execute(SQLITE_BLOCKED, pair).fetchone() is not None:
        return GiveOutcome(Outcome.BLOCKED)
    standing = conn.execute(SQLITE_HELPER_STANDING, (p.helper_id, sqlite_text(p.now))).fetchone()
    if standing is None or standing[0]:
        until = _sqlite_dt(standing[1]) if standing is not None else None
        return GiveOutcome(Outcome.RESTRICTED, restricted_until=until)
    if p.share_link_id is not None:
        refused = _sqlite_share_refusal(conn, p)
        if refused is not None:
            return refused
    slot: int | None = None
    value = 0
    if p.decision == Decision.COUNT:
        free = conn.execute(SQLITE_LOWEST_FREE_SLOT, (p.instance_id,)).fetchone()
        if free is None:
            return GiveOutcome(Outcome.FULL)
        slot, value = int(free[0]), int(free[1])
    counted_today = conn.execute(
        SQLITE_COUNT_HELPER_DAY, (p.campaign_id, p.helper_id, p.day, p.daily_cap)
    ).fetchone()
    if counted_today is None:
        return GiveOutcome(Outcome.DAILY_LIMIT)
    return _sqlite_write(conn, p, slot=slot, value=value)


def _sqlite_share_refusal(conn: sqlite3.Connection, p: GiveParams) -> GiveOutcome | None:
    link = conn.execute(SQLITE_SHARE_LINK, (p.share_link_id,)).fetchone()
    if link is None or link[0] != p.instance_id:
        return GiveOutcome(Outcome.SHARE_MISMATCH)
    if link[1] is not None:
        return GiveOutcome(Outcome.SHARE_REVOKED)
    if p.share_open_id is not None:
        opened = conn.execute(SQLITE_SHARE_OPEN, (p.share_open_id,)).fetchone()
        if opened is None or opened[0] != p.share_link_id:
            return GiveOutcome(Outcome.SHARE_MISMATCH)
    return None


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_write(
    conn: sqlite3.Connection, p: GiveParams, *, slot: int | None, value: int
) -> GiveOutcome:
    now = sqlite_text(p.now)
    status = AssistStatus.COUNTED if slot is not None else AssistStatus.HELD
    (assist_id,) = conn.execute(
        SQLITE_INSERT_ASSIST,
        (
            p.instance_id,
            p.campaign_id,
            p.helper_id,
            status,
            slot,
            value,
            p.decision,
            p.score,
            _json(p.reasons),
            p.idempotency_key,
            now,
            p.channel,
            p.share_link_id,
            p.share_open_id,
        ),
    ).fetchone()
    if slot is None:
        conn.execute(SQLITE_ADD_HELD, (p.instance_id,))
        payload = {"assist_id": assist_id, "helper_id": p.helper_id, "value": 0}
        _sqlite_event(conn, p.shop_id, p.instance_id, "assist.held", payload, now)
        return GiveOutcome(Outcome.HELD, assist_id, status, None, 0, InstanceStatus.ACTIVE)
    inst_status = sqlite_count_on_slot(
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


def sqlite_count_on_slot(conn: sqlite3.Connection, c: Counting) -> str:
    """The shared last step (module docstring); returns the instance's status after it."""
    now = sqlite_text(c.now)
    claimed = conn.execute(SQLITE_CLAIM_SLOT, (c.assist_id, c.instance_id, c.slot)).rowcount
    if claimed != 1:  # impossible under the write lock; refuse rather than double-claim
        raise RuntimeError("slot claim lost under the write lock")
    row = conn.execute(SQLITE_ADD_PROGRESS, (c.value, c.held_delta, c.instance_id)).fetchone()
    inst_status, progress, used, total, voided = row
    plan = c.success
    if plan.succeeds_when_full and used == total:
        deadline = _sqlite_text_or_none(plan.purchase_deadline_at)
        succeeded = conn.execute(SQLITE_SUCCEED, (now, deadline, c.instance_id)).fetchone()
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
    _sqlite_event(conn, c.shop_id, c.instance_id, "assist.counted", payload, now)
    if inst_status == InstanceStatus.SUCCEEDED:
        succeeded_payload = {"progress_value": progress}
        _sqlite_event(conn, c.shop_id, c.instance_id, "instance.succeeded", succeeded_payload, now)
        if plan.job is not None:
            conn.execute(
                SQLITE_SCHEDULE_JOB,
                (
                    plan.job,
                    _json({"instance_id": c.instance_id}),
                    c.instance_id,
                    voided,
                    _sqlite_text_or_none(plan.job_run_at),
                    now,
                ),
            )
    return str(inst_status)


def sqlite_count_held(conn: sqlite3.Connection, p: CountHeldParams) -> GiveOutcome:
    """Count a held assist on its instance, which the caller's unit of work holds
    (SQLite: its BEGIN IMMEDIATE). FULL or CLOSED when it can no longer count (the caller
    voids it with that honest reason); NOT_FOUND when it is not a held assist of it."""
    inst = conn.execute(SQLITE_LOCKED_INSTANCE, (p.instance_id,)).fetchone()
    if inst is None or inst[2] != p.shop_id:
        return GiveOutcome(Outcome.NOT_FOUND)
    status, expires_at, _, _, used, total = inst
    held = conn.execute(
        SQLITE_HELD_ASSIST, (p.assist_id, p.instance_id, AssistStatus.HELD)
    ).fetchone()
    if held is None:
        return GiveOutcome(Outcome.NOT_FOUND)
    if used >= total:
        return GiveOutcome(Outcome.FULL, instance_status=status)
    if not _is_open(status, expires_at, p.now):
        return GiveOutcome(Outcome.CLOSED, instance_status=status)
    free = conn.execute(SQLITE_LOWEST_FREE_SLOT, (p.instance_id,)).fetchone()
    if free is None:
        return GiveOutcome(Outcome.FULL, instance_status=status)
    slot, value = int(free[0]), int(free[1])
    conn.execute(SQLITE_COUNT_HELD, (AssistStatus.COUNTED, slot, value, p.assist_id))
    inst_status = sqlite_count_on_slot(
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


def _sqlite_event(
    conn: sqlite3.Connection,
    shop_id: int,
    instance_id: int,
    type_: str,
    payload: dict[str, Any],
    now: str,
) -> None:
    body = _json({"instance_id": instance_id} | payload)
    conn.execute(SQLITE_INSERT_EVENT, (shop_id, type_, instance_id, body, now))


# -- PostgreSQL: the same acts as functions, one call per assist ------------------------
#
# Named by a hash of their bodies, so a changed body is installed side by side and never
# swapped under a running worker; `install_pg_functions` (migrations) creates them.

_PG_COUNT_ON_SLOT = """
CREATE OR REPLACE FUNCTION huzhu_count_on_slot_{v}(
  p_shop_id bigint, p_instance_id bigint, p_assist_id bigint, p_helper_id bigint,
  p_slot integer, p_value bigint, p_held_delta integer, p_now timestamptz,
  p_succeeds boolean, p_deadline timestamptz, p_success_job text,
  p_success_run_at timestamptz, p_after_review boolean)
RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
  v_status text;
  v_progress bigint;
  v_used integer;
  v_total integer;
  v_voided integer;
  v_full boolean;
  v_unheard boolean;
  v_payload jsonb;
BEGIN
  UPDATE instance_slot SET assist_id = p_assist_id
    WHERE instance_id = p_instance_id AND slot = p_slot AND assist_id IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'slot claim lost under the instance lock';
  END IF;
  UPDATE instance SET
    slots_used = slots_used + 1,
    progress_value = progress_value + p_value,
    held_count = held_count + p_held_delta,
    status = CASE WHEN p_succeeds AND slots_used + 1 = slots_total
                  THEN '{succeeded}' ELSE status END,
    succeeded_at = CASE WHEN p_succeeds AND slots_used + 1 = slots_total
                        THEN p_now ELSE succeeded_at END,
    purchase_deadline_at = CASE WHEN p_succeeds AND slots_used + 1 = slots_total
                                THEN p_deadline ELSE purchase_deadline_at END
    WHERE id = p_instance_id
    RETURNING status, progress_value, slots_used, slots_total, voided_count
    INTO v_status, v_progress, v_used, v_total, v_voided;
  v_unheard := {unheard};
  v_payload := jsonb_build_object('instance_id', p_instance_id, 'assist_id', p_assist_id,
                                  'helper_id', p_helper_id, 'value', p_value,
                                  'slot', p_slot, 'progress_value', v_progress,
                                  'slots_used', v_used, 'slots_total', v_total);
  IF p_after_review THEN
    v_payload := v_payload || jsonb_build_object('after_review', true);
  END IF;
  INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
    VALUES (p_shop_id, 'assist.counted', 'instance', p_instance_id, v_payload, v_unheard,
            p_now);
  IF v_status = '{succeeded}' THEN
    INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched,
                       created_at)
      VALUES (p_shop_id, 'instance.succeeded', 'instance', p_instance_id,
              jsonb_build_object('instance_id', p_instance_id, 'progress_value', v_progress),
              v_unheard, p_now);
    IF p_success_job IS NOT NULL THEN
      INSERT INTO job (kind, payload, dedupe_key, status, run_at, attempts, max_attempts,
                       created_at)
        VALUES (p_success_job, jsonb_build_object('instance_id', p_instance_id),
                {job_key}, 'pending', p_success_run_at, 0, 10, p_now)
        ON CONFLICT (dedupe_key) DO NOTHING;
    END IF;
  END IF;
  RETURN v_status;
END
$fn$;
"""

_PG_GIVE = """
CREATE OR REPLACE FUNCTION huzhu_give_assist_{v}(
  p_instance_id bigint, p_shop_id bigint, p_campaign_id bigint, p_helper_id bigint,
  p_decision text, p_score double precision, p_reasons text, p_key text,
  p_now timestamptz, p_day text, p_daily_cap integer, p_succeeds boolean,
  p_deadline timestamptz, p_success_job text, p_success_run_at timestamptz,
  p_share_link_id bigint, p_share_open_id bigint, p_channel text,
  OUT o_outcome text, OUT o_assist_id bigint, OUT o_assist_status text, OUT o_slot integer,
  OUT o_value bigint, OUT o_instance_status text, OUT o_restricted_until timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_inst record;
  v_prior record;
  v_helper record;
  v_link record;
  v_n integer;
BEGIN
  o_value := 0;
  SELECT i.status, i.expires_at, i.shop_id, i.initiator_id, i.slots_used, i.voided_count
    INTO v_inst FROM instance i WHERE i.id = p_instance_id FOR UPDATE;
  IF NOT FOUND OR v_inst.shop_id <> p_shop_id THEN
    o_outcome := 'not_found'; RETURN;
  END IF;
  SELECT a.id, a.idempotency_key, a.risk_decision, a.slot, a.value INTO v_prior
    FROM assist a WHERE a.instance_id = p_instance_id AND a.helper_id = p_helper_id;
  IF FOUND THEN
    IF p_key IS NOT NULL AND v_prior.idempotency_key = p_key THEN
      o_outcome := 'replay'; o_assist_id := v_prior.id; o_slot := v_prior.slot;
      o_value := v_prior.value;
      o_assist_status := CASE WHEN v_prior.risk_decision = '{hold}'
                              THEN '{held}' ELSE '{counted}' END;
    ELSE
      o_outcome := 'already_assisted';
    END IF;
    RETURN;
  END IF;
  IF v_inst.status <> '{active}' OR v_inst.expires_at <= p_now THEN
    o_outcome := 'closed'; o_instance_status := v_inst.status; RETURN;
  END IF;
  IF v_inst.initiator_id = p_helper_id THEN
    o_outcome := 'self_assist'; RETURN;
  END IF;
  PERFORM 1 FROM account_block b
    WHERE (b.account_id = p_helper_id AND b.blocked_id = v_inst.initiator_id)
       OR (b.account_id = v_inst.initiator_id AND b.blocked_id = p_helper_id);
  IF FOUND THEN
    o_outcome := 'blocked'; RETURN;
  END IF;
  SELECT {barred} AS barred, h.restricted_until INTO v_helper
    FROM account h WHERE h.id = p_helper_id;
  IF NOT FOUND OR v_helper.barred THEN
    o_outcome := 'restricted'; o_restricted_until := v_helper.restricted_until; RETURN;
  END IF;
  IF p_share_link_id IS NOT NULL THEN
    SELECT l.instance_id, l.revoked_at INTO v_link FROM share_link l WHERE l.id = p_share_link_id;
    IF NOT FOUND OR v_link.instance_id <> p_instance_id THEN
      o_outcome := 'share_mismatch'; RETURN;
    END IF;
    IF v_link.revoked_at IS NOT NULL THEN
      o_outcome := 'share_revoked'; RETURN;
    END IF;
    IF p_share_open_id IS NOT NULL THEN
      PERFORM 1 FROM share_open so WHERE so.id = p_share_open_id
        AND so.share_link_id = p_share_link_id;
      IF NOT FOUND THEN
        o_outcome := 'share_mismatch'; RETURN;
      END IF;
    END IF;
  END IF;
  IF p_decision = '{count}' THEN
    -- Claims always take the lowest free slot, so while none was ever voided the claimed
    -- ones are exactly 0 .. slots_used - 1: one primary-key probe. (The partial index's
    -- scan steps over an entry for every slot claimed since the last vacuum.)
    IF v_inst.voided_count = 0 THEN
      SELECT s.slot, s.value INTO o_slot, o_value FROM instance_slot s
        WHERE s.instance_id = p_instance_id AND s.slot = v_inst.slots_used
          AND s.assist_id IS NULL;
    END IF;
    IF o_slot IS NULL THEN
      SELECT s.slot, s.value INTO o_slot, o_value FROM instance_slot s
        WHERE s.instance_id = p_instance_id AND s.assist_id IS NULL ORDER BY s.slot LIMIT 1;
    END IF;
    IF o_slot IS NULL THEN
      o_outcome := 'full'; o_value := 0; RETURN;
    END IF;
  END IF;
  INSERT INTO helper_day AS d (campaign_id, helper_id, day, n)
    VALUES (p_campaign_id, p_helper_id, p_day, 1)
    ON CONFLICT (campaign_id, helper_id, day) DO UPDATE SET n = d.n + 1 WHERE d.n < p_daily_cap
    RETURNING d.n INTO v_n;
  IF NOT FOUND THEN
    o_outcome := 'daily_limit'; o_slot := NULL; o_value := 0; RETURN;
  END IF;
  o_assist_status := CASE WHEN p_decision = '{count}' THEN '{counted}' ELSE '{held}' END;
  INSERT INTO assist (instance_id, campaign_id, helper_id, status, slot, value, risk_decision,
                      risk_score, risk_reasons, idempotency_key, created_at, channel,
                      share_link_id, share_open_id)
    VALUES (p_instance_id, p_campaign_id, p_helper_id, o_assist_status, o_slot, o_value,
            p_decision, p_score, p_reasons::jsonb, p_key, p_now, p_channel,
            p_share_link_id, p_share_open_id)
    RETURNING id INTO o_assist_id;
  IF p_decision <> '{count}' THEN
    UPDATE instance SET held_count = held_count + 1 WHERE id = p_instance_id;
    INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
      VALUES (p_shop_id, 'assist.held', 'instance', p_instance_id,
              jsonb_build_object('instance_id', p_instance_id, 'assist_id', o_assist_id,
                                 'helper_id', p_helper_id, 'value', 0), {unheard}, p_now);
    o_outcome := 'held'; o_instance_status := '{active}'; RETURN;
  END IF;
  o_instance_status := huzhu_count_on_slot_{v}(
    p_shop_id, p_instance_id, o_assist_id, p_helper_id, o_slot, o_value, 0, p_now,
    p_succeeds, p_deadline, p_success_job, p_success_run_at, false);
  o_outcome := 'counted';
END
$fn$;
"""

_PG_COUNT_HELD = """
CREATE OR REPLACE FUNCTION huzhu_count_held_assist_{v}(
  p_instance_id bigint, p_shop_id bigint, p_assist_id bigint, p_now timestamptz,
  p_succeeds boolean, p_deadline timestamptz, p_success_job text,
  p_success_run_at timestamptz,
  OUT o_outcome text, OUT o_slot integer, OUT o_value bigint, OUT o_instance_status text)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_inst record;
  v_helper_id bigint;
BEGIN
  o_value := 0;
  SELECT i.status, i.expires_at, i.shop_id, i.slots_used, i.slots_total
    INTO v_inst FROM instance i WHERE i.id = p_instance_id FOR UPDATE;
  IF NOT FOUND OR v_inst.shop_id <> p_shop_id THEN
    o_outcome := 'not_found'; RETURN;
  END IF;
  SELECT a.helper_id INTO v_helper_id FROM assist a
    WHERE a.id = p_assist_id AND a.instance_id = p_instance_id AND a.status = '{held}';
  IF NOT FOUND THEN
    o_outcome := 'not_found'; RETURN;
  END IF;
  o_instance_status := v_inst.status;
  IF v_inst.slots_used >= v_inst.slots_total THEN
    o_outcome := 'full'; RETURN;
  END IF;
  IF v_inst.status <> '{active}' OR v_inst.expires_at <= p_now THEN
    o_outcome := 'closed'; RETURN;
  END IF;
  SELECT s.slot, s.value INTO o_slot, o_value FROM instance_slot s
    WHERE s.instance_id = p_instance_id AND s.assist_id IS NULL ORDER BY s.slot LIMIT 1;
  IF o_slot IS NULL THEN
    o_outcome := 'full'; o_value := 0; RETURN;
  END IF;
  UPDATE assist SET status = '{counted}', slot = o_slot, value = o_value
    WHERE id = p_assist_id;
  o_instance_status := huzhu_count_on_slot_{v}(
    p_shop_id, p_instance_id, p_assist_id, v_helper_id, o_slot, o_value, -1, p_now,
    p_succeeds, p_deadline, p_success_job, p_success_run_at, true);
  o_outcome := 'counted';
END
$fn$;
"""

_PG_TEMPLATES = (_PG_COUNT_ON_SLOT, _PG_GIVE, _PG_COUNT_HELD)
_PG_VALUES = {
    "active": InstanceStatus.ACTIVE,
    "succeeded": InstanceStatus.SUCCEEDED,
    "counted": AssistStatus.COUNTED,
    "held": AssistStatus.HELD,
    "count": Decision.COUNT,
    "hold": Decision.HOLD,
    "unheard": unheard_sql("p_shop_id"),
    "barred": barred_sql(status="h.status", until="h.restricted_until", now="p_now"),
    "job_key": SUCCESS_JOB_KEY_SQL.format(
        job="p_success_job", instance_id="p_instance_id", voided="v_voided"
    ),
}


def _render(version: str) -> tuple[str, ...]:
    return tuple(t.format(v=version, **_PG_VALUES) for t in _PG_TEMPLATES)


# The version is a hash of everything the bodies say, the rules embedded from elsewhere
# included, so any change to what the functions do makes a new version.
PG_VERSION = hashlib.sha256("".join(_render("")).encode()).hexdigest()[:12]
# Every definition, in the order they must be created (the callee before its callers).
PG_CREATE_FUNCTIONS = _render(PG_VERSION)
PG_GIVE_FUNCTION = f"huzhu_give_assist_{PG_VERSION}"
PG_COUNT_HELD_FUNCTION = f"huzhu_count_held_assist_{PG_VERSION}"
# Run through the ORM session's connection (psycopg), so with named parameters.
PG_COUNT_HELD_SQL = (
    f"SELECT * FROM {PG_COUNT_HELD_FUNCTION}(:instance_id, :shop_id, :assist_id, :now, "
    ":succeeds, :deadline, :success_job, :success_run_at)"
)

# A batch of assists in one statement and one transaction (group commit): each row of
# the unnest calls the function in order; the function never raises for a refusal, so
# one helper's refusal never fails the others.
PG_GIVE_BATCH_SQL = f"""
SELECT r.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                       $6::float8[], $7::text[], $8::text[], $9::timestamptz[], $10::text[],
                       $11::integer[], $12::boolean[], $13::timestamptz[], $14::text[],
                       $15::timestamptz[], $16::bigint[], $17::bigint[], $18::text[])
     WITH ORDINALITY AS a(i, s, c, h, d, sc, rs, k, n, dy, cap, su, dl, sj, sr, sl, so, ch, ord)
CROSS JOIN LATERAL {PG_GIVE_FUNCTION}(a.i, a.s, a.c, a.h, a.d, a.sc, a.rs, a.k, a.n, a.dy,
                                      a.cap, a.su, a.dl, a.sj, a.sr, a.sl, a.so, a.ch) AS r
ORDER BY a.ord
"""


def pg_batch_args(batch: list[GiveParams]) -> list[list[Any]]:
    """The batch as 18 column arrays, in the function's parameter order."""
    rows = [pg_give_args(p) for p in batch]
    return [list(column) for column in zip(*rows, strict=True)]


def pg_give_args(p: GiveParams) -> tuple[Any, ...]:
    return (
        p.instance_id,
        p.shop_id,
        p.campaign_id,
        p.helper_id,
        p.decision,
        p.score,
        _json(p.reasons),
        p.idempotency_key,
        p.now,
        p.day,
        p.daily_cap,
        p.success.succeeds_when_full,
        p.success.purchase_deadline_at,
        p.success.job,
        p.success.job_run_at,
        p.share_link_id,
        p.share_open_id,
        p.channel,
    )


def pg_count_held_args(p: CountHeldParams) -> dict[str, Any]:
    return {
        "instance_id": p.instance_id,
        "shop_id": p.shop_id,
        "assist_id": p.assist_id,
        "now": p.now,
        "succeeds": p.success.succeeds_when_full,
        "deadline": p.success.purchase_deadline_at,
        "success_job": p.success.job,
        "success_run_at": p.success.job_run_at,
    }


def pg_outcome(row: Any) -> GiveOutcome:
    """From a row of the give function, read by its OUT parameters' names."""
    status = row["o_assist_status"]
    return GiveOutcome(
        outcome=Outcome(row["o_outcome"]),
        assist_id=row["o_assist_id"],
        assist_status=AssistStatus(status) if status is not None else None,
        slot=row["o_slot"],
        value=int(row["o_value"] or 0),
        instance_status=row["o_instance_status"],
        restricted_until=row["o_restricted_until"],
    )


def pg_count_held_outcome(row: Any, assist_id: int) -> GiveOutcome:
    """From a row of the count-held function, read by its OUT parameters' names."""
    outcome = Outcome(row["o_outcome"])
    return GiveOutcome(
        outcome=outcome,
        assist_id=assist_id if outcome == Outcome.COUNTED else None,
        assist_status=AssistStatus.COUNTED if outcome == Outcome.COUNTED else None,
        slot=row["o_slot"],
        value=int(row["o_value"] or 0),
        instance_status=row["o_instance_status"],
    )


def install_pg_functions(execute: Any) -> None:
    """Create this version's functions through `execute(sql)` (a migration's
    `op.execute`). Existing versions stay for the workers still calling them."""
    for create in PG_CREATE_FUNCTIONS:
        execute(create)
