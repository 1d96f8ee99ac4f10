"""The assist hot path's statements, run through the driver (no ORM), per backend.

Both backends run the same steps in one transaction, in an order where every refusal
comes before the first write, so a refused assist leaves no trace:

1. lock the instance (PostgreSQL: `FOR UPDATE`; SQLite: `BEGIN IMMEDIATE` holds the
   database write lock) and check it exists in the caller's shop;
2. the helper's earlier assist on it: the same Idempotency-Key is a replay of the
   first answer, any other request is `already_assisted`;
3. the instance is active and not past `expires_at`; the helper is not the initiator,
   neither of the two blocked the other (`account_block`, both directions), and the
   helper is not banned or restricted; the share link the helper came through (its
   HMAC was checked before the transaction) is not revoked, and the open named with it
   is one of that link's;
4. a counted assist needs the lowest free slot (none: `instance_full`);
5. the helper's daily counter, by a conditional upsert (`n < cap`): `daily_limit`;
6. then the writes: the assist, the slot claim (conditional on `assist_id IS NULL`),
   the instance's progress and status in one UPDATE, the outbox events and, when the
   instance succeeds, its follow-up job.

The instance lock makes the select-then-claim of the free slot safe and serialises a
helper's duplicate requests on one instance; UNIQUE(instance_id, helper_id), the
conditional claim and the CHECK on slots_used back it in the schema.

PostgreSQL runs the steps as one PL/pgSQL function call, so an assist is one round trip
(plus one cached read of the instance's frozen facts the first time a process sees it).
The function is not in migration 0001 because that file is regenerated from the models
(autogenerate cannot render functions); `ensure_pg_function` installs it at startup
under an advisory lock, named by a hash of its body so a changed body is installed side
by side and never swapped under a running worker. The database role therefore needs
CREATE on the schema (or install the function once with `huzhu migrate`'s role).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from huzhu.assists.rules import is_barred
from huzhu.kit.clock import as_utc

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
    rules = row[4]
    return FactsRow(
        shop_id=int(row[0]),
        campaign_id=int(row[1]),
        kind=str(row[2]),
        initiator_id=int(row[3]),
        rules=orjson.loads(rules) if isinstance(rules, str | bytes) else dict(rules),
    )


@dataclass(slots=True)
class GiveParams:
    """Everything one assist needs, decided before the transaction starts."""

    instance_id: int
    shop_id: int
    campaign_id: int
    helper_id: int
    decision: str  # count | hold (a refusal never reaches the database)
    score: float
    reasons: list[str]
    idempotency_key: str | None
    now: datetime
    day: str
    daily_cap: int
    succeeds_when_full: bool
    purchase_deadline_at: datetime | None
    success_job: str | None  # the job to schedule when the instance succeeds
    share_link_id: int | None = None  # a genuine link's id (HMAC already verified)
    share_open_id: int | None = None  # only together with share_link_id
    channel: str | None = None  # the link's channel


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class GiveOutcome:
    """outcome: counted | held | replay | not_found | already_assisted | closed |
    self_assist | blocked | restricted | share_revoked | share_mismatch | full |
    daily_limit."""

    outcome: str
    assist_id: int | None = None
    assist_status: str | None = None
    slot: int | None = None
    value: int = 0
    instance_status: str | None = None
    restricted_until: datetime | None = None


# -- SQLite: statements run in the event loop on the process's own connection ---------

SQLITE_LOCKED_INSTANCE = (
    "SELECT status, expires_at, shop_id, initiator_id FROM instance WHERE id = ?"
)
SQLITE_PRIOR_ASSIST = """
SELECT id, idempotency_key, risk_decision, slot, value
FROM assist WHERE instance_id = ? AND helper_id = ?
"""
SQLITE_HELPER_STANDING = "SELECT status, restricted_until FROM account WHERE id = ?"
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
SQLITE_CLAIM_SLOT = """
UPDATE instance_slot SET assist_id = ?
WHERE instance_id = ? AND slot = ? AND assist_id IS NULL
"""
# Only the counters: a SET that names `status` would rewrite every index on it (SQLite
# updates an index whenever its columns are assigned, changed or not) on every assist.
SQLITE_ADD_PROGRESS = """
UPDATE instance SET slots_used = slots_used + 1, progress_value = progress_value + ?
WHERE id = ?
RETURNING status, progress_value, slots_used, slots_total, voided_count
"""
# The last slot of a kind that succeeds when full: conditional, so only a full, still
# active instance turns succeeded.
SQLITE_SUCCEED = """
UPDATE instance SET status = 'succeeded', succeeded_at = ?, purchase_deadline_at = ?
WHERE id = ? AND status = 'active' AND slots_used = slots_total
RETURNING status
"""
SQLITE_ADD_HELD = "UPDATE instance SET held_count = held_count + 1 WHERE id = ?"
# An event no endpoint can hear is written dispatched (notify.service.record_event).
SQLITE_INSERT_EVENT = """
INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
VALUES (?1, ?2, 'instance', ?3, ?4,
        NOT EXISTS (SELECT 1 FROM webhook_endpoint WHERE shop_id = ?1 AND active), ?5)
"""
SQLITE_SCHEDULE_JOB = """
INSERT INTO job (kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at)
VALUES (?, ?, ?, 'pending', ?, 0, 10, ?)
ON CONFLICT (dedupe_key) DO NOTHING
"""


def _sqlite_dt(value: Any) -> datetime | None:
    return None if value is None else as_utc(datetime.fromisoformat(value))


def sqlite_give(conn: sqlite3.Connection, p: GiveParams) -> GiveOutcome:
    """Steps 1–6 inside the caller's BEGIN IMMEDIATE; the caller commits or rolls back.
    Every refusal returns before the first write."""
    inst = conn.execute(SQLITE_LOCKED_INSTANCE, (p.instance_id,)).fetchone()
    if inst is None or inst[2] != p.shop_id:
        return GiveOutcome("not_found")
    prior = conn.execute(SQLITE_PRIOR_ASSIST, (p.instance_id, p.helper_id)).fetchone()
    if prior is not None:
        if p.idempotency_key is not None and prior[1] == p.idempotency_key:
            status = "held" if prior[2] == "hold" else "counted"
            return GiveOutcome("replay", prior[0], status, prior[3], prior[4])
        return GiveOutcome("already_assisted")
    expires_at = _sqlite_dt(inst[1])
    if inst[0] != "active" or (expires_at is not None and expires_at <= p.now):
        return GiveOutcome("closed", instance_status=inst[0])
    if inst[3] == p.helper_id:
        return GiveOutcome("self_assist")
    pair = (p.helper_id, inst[3], inst[3], p.helper_id)
    if conn.execute(SQLITE_BLOCKED, pair).fetchone() is not None:
        return GiveOutcome("blocked")
    helper = conn.execute(SQLITE_HELPER_STANDING, (p.helper_id,)).fetchone()
    if helper is None or is_barred(helper[0], _sqlite_dt(helper[1]), p.now):
        return GiveOutcome("restricted", restricted_until=_sqlite_dt(helper[1]) if helper else None)
    if p.share_link_id is not None:
        refused = _sqlite_share_refusal(conn, p)
        if refused is not None:
            return refused
    slot: int | None = None
    value = 0
    if p.decision == "count":
        free = conn.execute(SQLITE_LOWEST_FREE_SLOT, (p.instance_id,)).fetchone()
        if free is None:
            return GiveOutcome("full")
        slot, value = int(free[0]), int(free[1])
    counted_today = conn.execute(
        SQLITE_COUNT_HELPER_DAY, (p.campaign_id, p.helper_id, p.day, p.daily_cap)
    ).fetchone()
    if counted_today is None:
        return GiveOutcome("daily_limit")
    return _sqlite_write(conn, p, slot=slot, value=value)


def _sqlite_share_refusal(conn: sqlite3.Connection, p: GiveParams) -> GiveOutcome | None:
    link = conn.execute(SQLITE_SHARE_LINK, (p.share_link_id,)).fetchone()
    if link is None or link[0] != p.instance_id:
        return GiveOutcome("share_mismatch")
    if link[1] is not None:
        return GiveOutcome("share_revoked")
    if p.share_open_id is not None:
        opened = conn.execute(SQLITE_SHARE_OPEN, (p.share_open_id,)).fetchone()
        if opened is None or opened[0] != p.share_link_id:
            return GiveOutcome("share_mismatch")
    return None


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def sqlite_text(value: datetime) -> str:
    """db.base.sqlite_time's format, without strftime (3× slower, and called per assist)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_write(
    conn: sqlite3.Connection, p: GiveParams, *, slot: int | None, value: int
) -> GiveOutcome:
    now = sqlite_text(p.now)
    status = "counted" if slot is not None else "held"
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
    payload = {"assist_id": assist_id, "helper_id": p.helper_id, "value": value}
    if slot is None:
        conn.execute(SQLITE_ADD_HELD, (p.instance_id,))
        _sqlite_event(conn, p, "assist.held", payload, now)
        return GiveOutcome("held", assist_id, status, None, 0, "active")
    claimed = conn.execute(SQLITE_CLAIM_SLOT, (assist_id, p.instance_id, slot)).rowcount
    if claimed != 1:  # impossible under the write lock; refuse rather than double-claim
        raise RuntimeError("slot claim lost under the write lock")
    deadline = sqlite_text(p.purchase_deadline_at) if p.purchase_deadline_at else None
    row = conn.execute(SQLITE_ADD_PROGRESS, (value, p.instance_id)).fetchone()
    if p.succeeds_when_full and row[2] == row[3]:
        succeeded = conn.execute(SQLITE_SUCCEED, (now, deadline, p.instance_id)).fetchone()
        if succeeded is not None:
            row = (succeeded[0], *row[1:])
    inst_status, progress, used, total, voided = row
    payload |= {"slot": slot, "progress_value": progress, "slots_used": used, "slots_total": total}
    _sqlite_event(conn, p, "assist.counted", payload, now)
    if inst_status == "succeeded":
        _sqlite_event(conn, p, "instance.succeeded", {"progress_value": progress}, now)
        if p.success_job is not None:
            run_at = deadline if p.success_job == "instance.purchase_window_close" else now
            conn.execute(
                SQLITE_SCHEDULE_JOB,
                (
                    p.success_job,
                    _json({"instance_id": p.instance_id}),
                    success_job_key(p.success_job, p.instance_id, voided),
                    run_at,
                    now,
                ),
            )
    return GiveOutcome("counted", assist_id, status, slot, value, inst_status)


def success_job_key(job: str, instance_id: int, voided_count: int) -> str:
    """An instance can succeed again after a void sent it back to active; the number of
    voids so far tells the successes apart, so each gets its own follow-up job."""
    return f"{job}:{instance_id}:{voided_count}"


def _sqlite_event(
    conn: sqlite3.Connection, p: GiveParams, type_: str, payload: dict[str, Any], now: str
) -> None:
    conn.execute(
        SQLITE_INSERT_EVENT,
        (
            p.shop_id,
            type_,
            p.instance_id,
            _json({"instance_id": p.instance_id} | payload),
            now,
        ),
    )


# -- PostgreSQL: one function call per assist --------------------------------------

PG_FUNCTION_BODY = r"""
(p_instance_id bigint, p_shop_id bigint, p_campaign_id bigint, p_helper_id bigint,
 p_decision text, p_score double precision, p_reasons text, p_key text,
 p_now timestamptz, p_day text, p_daily_cap integer, p_succeeds boolean,
 p_deadline timestamptz, p_success_job text, p_share_link_id bigint, p_share_open_id bigint,
 p_channel text,
 OUT o_outcome text, OUT o_assist_id bigint, OUT o_assist_status text, OUT o_slot integer,
 OUT o_value bigint, OUT o_instance_status text, OUT o_restricted_until timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_inst record;
  v_prior record;
  v_helper record;
  v_link record;
  v_n integer;
  v_progress bigint;
  v_used integer;
  v_total integer;
  v_voided integer;
  v_unheard boolean;
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
      o_assist_status := CASE WHEN v_prior.risk_decision = 'hold' THEN 'held' ELSE 'counted' END;
    ELSE
      o_outcome := 'already_assisted';
    END IF;
    RETURN;
  END IF;
  IF v_inst.status <> 'active' OR v_inst.expires_at <= p_now THEN
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
  SELECT h.status, h.restricted_until INTO v_helper FROM account h WHERE h.id = p_helper_id;
  IF NOT FOUND OR v_helper.status = 'banned' OR (v_helper.status = 'restricted'
      AND (v_helper.restricted_until IS NULL OR v_helper.restricted_until > p_now)) THEN
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
  IF p_decision = 'count' THEN
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
  o_assist_status := CASE WHEN p_decision = 'count' THEN 'counted' ELSE 'held' END;
  -- An event no endpoint can hear is written dispatched (notify.service.record_event).
  v_unheard := NOT EXISTS (SELECT 1 FROM webhook_endpoint w
                           WHERE w.shop_id = p_shop_id AND w.active);
  INSERT INTO assist (instance_id, campaign_id, helper_id, status, slot, value, risk_decision,
                      risk_score, risk_reasons, idempotency_key, created_at, channel,
                      share_link_id, share_open_id)
    VALUES (p_instance_id, p_campaign_id, p_helper_id, o_assist_status, o_slot, o_value,
            p_decision, p_score, p_reasons::jsonb, p_key, p_now, p_channel,
            p_share_link_id, p_share_open_id)
    RETURNING id INTO o_assist_id;
  IF p_decision <> 'count' THEN
    UPDATE instance SET held_count = held_count + 1 WHERE id = p_instance_id;
    INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
      VALUES (p_shop_id, 'assist.held', 'instance', p_instance_id,
              jsonb_build_object('instance_id', p_instance_id, 'assist_id', o_assist_id,
                                 'helper_id', p_helper_id, 'value', 0), v_unheard, p_now);
    o_outcome := 'held'; o_instance_status := 'active'; RETURN;
  END IF;
  UPDATE instance_slot SET assist_id = o_assist_id
    WHERE instance_id = p_instance_id AND slot = o_slot AND assist_id IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'slot claim lost under the instance lock';
  END IF;
  UPDATE instance SET
    slots_used = slots_used + 1,
    progress_value = progress_value + o_value,
    status = CASE WHEN p_succeeds AND slots_used + 1 = slots_total
                  THEN 'succeeded' ELSE status END,
    succeeded_at = CASE WHEN p_succeeds AND slots_used + 1 = slots_total
                        THEN p_now ELSE succeeded_at END,
    purchase_deadline_at = CASE WHEN p_succeeds AND slots_used + 1 = slots_total
                                THEN p_deadline ELSE purchase_deadline_at END
    WHERE id = p_instance_id
    RETURNING status, progress_value, slots_used, slots_total, voided_count
    INTO o_instance_status, v_progress, v_used, v_total, v_voided;
  INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
    VALUES (p_shop_id, 'assist.counted', 'instance', p_instance_id,
            jsonb_build_object('instance_id', p_instance_id, 'assist_id', o_assist_id,
                               'helper_id', p_helper_id, 'value', o_value, 'slot', o_slot,
                               'progress_value', v_progress, 'slots_used', v_used,
                               'slots_total', v_total), v_unheard, p_now);
  IF o_instance_status = 'succeeded' THEN
    INSERT INTO event (shop_id, type, subject_type, subject_id, payload, dispatched, created_at)
      VALUES (p_shop_id, 'instance.succeeded', 'instance', p_instance_id,
              jsonb_build_object('instance_id', p_instance_id, 'progress_value', v_progress),
              v_unheard, p_now);
    IF p_success_job IS NOT NULL THEN
      INSERT INTO job (kind, payload, dedupe_key, status, run_at, attempts, max_attempts,
                       created_at)
        VALUES (p_success_job, jsonb_build_object('instance_id', p_instance_id),
                p_success_job || ':' || p_instance_id || ':' || v_voided, 'pending',
                CASE WHEN p_success_job = 'instance.purchase_window_close'
                     THEN p_deadline ELSE p_now END, 0, 10, p_now)
        ON CONFLICT (dedupe_key) DO NOTHING;
    END IF;
  END IF;
  o_outcome := 'counted';
END
$fn$;
"""

PG_FUNCTION_NAME = "huzhu_give_assist_" + hashlib.sha256(PG_FUNCTION_BODY.encode()).hexdigest()[:12]
PG_CREATE_FUNCTION = f"CREATE OR REPLACE FUNCTION {PG_FUNCTION_NAME}{PG_FUNCTION_BODY}"
PG_GIVE_SQL = (
    f"SELECT * FROM {PG_FUNCTION_NAME}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
    "$14, $15, $16, $17)"
)
# Any constant works; it only keeps two starting workers from creating the function at once.
PG_INSTALL_LOCK_KEY = 0x68757A6875  # "huzhu"


async def ensure_pg_function(conn: Any) -> None:
    """Install the hot path's function once per body version (see the module docstring)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", PG_INSTALL_LOCK_KEY)
        exists = await conn.fetchval("SELECT 1 FROM pg_proc WHERE proname = $1", PG_FUNCTION_NAME)
        if not exists:
            await conn.execute(PG_CREATE_FUNCTION)


# A batch of assists in one statement and one transaction (group commit): each row of
# the unnest calls the function in order; the function never raises for a refusal, so
# one helper's refusal never fails the others.
PG_GIVE_BATCH_SQL = f"""
SELECT r.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                       $6::float8[], $7::text[], $8::text[], $9::timestamptz[], $10::text[],
                       $11::integer[], $12::boolean[], $13::timestamptz[], $14::text[],
                       $15::bigint[], $16::bigint[], $17::text[])
     WITH ORDINALITY AS a(i, s, c, h, d, sc, rs, k, n, dy, cap, su, dl, sj, sl, so, ch, ord)
CROSS JOIN LATERAL {PG_FUNCTION_NAME}(a.i, a.s, a.c, a.h, a.d, a.sc, a.rs, a.k, a.n, a.dy,
                                      a.cap, a.su, a.dl, a.sj, a.sl, a.so, a.ch) AS r
ORDER BY a.ord
"""


def pg_batch_args(batch: list[GiveParams]) -> list[list[Any]]:
    """The batch as 17 column arrays, in the function's parameter order."""
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
        p.succeeds_when_full,
        p.purchase_deadline_at,
        p.success_job,
        p.share_link_id,
        p.share_open_id,
        p.channel,
    )


def pg_outcome(row: Any) -> GiveOutcome:
    return GiveOutcome(
        outcome=row[0],
        assist_id=row[1],
        assist_status=row[2],
        slot=row[3],
        value=int(row[4] or 0),
        instance_status=row[5],
        restricted_until=row[6],
    )
