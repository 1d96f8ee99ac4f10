"""The assist's writes on PostgreSQL: the same acts as sqlite.py, as PL/pgSQL functions,
one call per assist (a batch is one statement calling the function per row).

Named by a hash of their bodies, so a changed body is installed side by side and never
swapped under a running worker; migrations install them (`install_functions`)."""

from __future__ import annotations

import hashlib
from typing import Any

from huzhu.accounts.rules import barred_sql
from huzhu.assists.hotpath.repository import sqlite
from huzhu.assists.hotpath.repository.acts import (
    CountHeldParams,
    Decision,
    GiveOutcome,
    GiveParams,
    Outcome,
    to_json,
)
from huzhu.assists.rules import SUCCESS_JOB_KEY_SQL, AssistStatus, InstanceStatus
from huzhu.notify.rules import unheard_sql

FACTS = sqlite.FACTS.replace("?", "$1")

#
# Named by a hash of their bodies, so a changed body is installed side by side and never
# swapped under a running worker; `install_functions` (migrations) creates them.

_COUNT_ON_SLOT = """
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

_GIVE = """
CREATE OR REPLACE FUNCTION huzhu_give_assist_{v}(
  p_instance_id bigint, p_shop_id bigint, p_campaign_id bigint, p_helper_id bigint,
  p_decision text, p_score double precision, p_reasons text, p_key text,
  p_now timestamptz, p_day text, p_daily_cap integer, p_succeeds boolean,
  p_deadline timestamptz, p_success_job text, p_success_run_at timestamptz,
  p_share_link_id bigint, p_share_open_id bigint, p_channel text,
  p_network text, p_hold_bucket bigint, p_held_per_instance integer,
  p_held_per_network integer, p_group_signs text, p_group_net text, p_group_device text,
  OUT o_outcome text, OUT o_assist_id bigint, OUT o_assist_status text, OUT o_slot integer,
  OUT o_value bigint, OUT o_instance_status text, OUT o_restricted_until timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_inst record;
  v_prior record;
  v_helper record;
  v_link record;
  v_n integer;
  v_held integer;
BEGIN
  o_value := 0;
  SELECT i.status, i.expires_at, i.shop_id, i.initiator_id, i.slots_used, i.voided_count,
         i.held_count
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
  ELSE
    -- A hold's bounds: the instance's held count under its lock; the network's count
    -- under its row's lock (taken by an upsert that changes no count, only starts a new
    -- window), added to with the hold below.
    IF v_inst.held_count >= p_held_per_instance THEN
      o_outcome := 'hold_limit_instance'; RETURN;
    END IF;
    IF p_network IS NOT NULL THEN
      INSERT INTO held_network AS hn (shop_id, network_hash, bucket, n)
        VALUES (p_shop_id, p_network, p_hold_bucket, 0)
        ON CONFLICT (shop_id, network_hash) DO UPDATE SET
          n = CASE WHEN hn.bucket = p_hold_bucket THEN hn.n ELSE 0 END, bucket = p_hold_bucket
        RETURNING hn.n INTO v_held;
      IF v_held >= p_held_per_network THEN
        o_outcome := 'hold_limit_network'; RETURN;
      END IF;
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
                      share_link_id, share_open_id, group_signs, net_hash, device_hash)
    VALUES (p_instance_id, p_campaign_id, p_helper_id, o_assist_status, o_slot, o_value,
            p_decision, p_score, p_reasons::jsonb, p_key, p_now, p_channel,
            p_share_link_id, p_share_open_id, p_group_signs, p_group_net, p_group_device)
    RETURNING id INTO o_assist_id;
  IF p_decision <> '{count}' THEN
    UPDATE instance SET held_count = held_count + 1 WHERE id = p_instance_id;
    IF p_network IS NOT NULL THEN
      UPDATE held_network SET n = n + 1
        WHERE shop_id = p_shop_id AND network_hash = p_network;
    END IF;
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

_COUNT_HELD = """
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

_TEMPLATES = (_COUNT_ON_SLOT, _GIVE, _COUNT_HELD)
_VALUES = {
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
    return tuple(t.format(v=version, **_VALUES) for t in _TEMPLATES)


# The version is a hash of everything the bodies say, the rules embedded from elsewhere
# included, so any change to what the functions do makes a new version.
VERSION = hashlib.sha256("".join(_render("")).encode()).hexdigest()[:12]
# Every definition, in the order they must be created (the callee before its callers).
CREATE_FUNCTIONS = _render(VERSION)
GIVE_FUNCTION = f"huzhu_give_assist_{VERSION}"
COUNT_HELD_FUNCTION = f"huzhu_count_held_assist_{VERSION}"
# Run through the ORM session's connection (psycopg), so with named parameters.
COUNT_HELD_SQL = (
    f"SELECT * FROM {COUNT_HELD_FUNCTION}(:instance_id, :shop_id, :assist_id, :now, "
    ":succeeds, :deadline, :success_job, :success_run_at)"
)

# A batch of assists in one statement and one transaction (group commit): each row of
# the unnest calls the function in order; the function never raises for a refusal, so
# one helper's refusal never fails the others.
GIVE_BATCH_SQL = f"""
SELECT r.* FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
                       $6::float8[], $7::text[], $8::text[], $9::timestamptz[], $10::text[],
                       $11::integer[], $12::boolean[], $13::timestamptz[], $14::text[],
                       $15::timestamptz[], $16::bigint[], $17::bigint[], $18::text[],
                       $19::text[], $20::bigint[], $21::integer[], $22::integer[],
                       $23::text[], $24::text[], $25::text[])
     WITH ORDINALITY AS a(i, s, c, h, d, sc, rs, k, n, dy, cap, su, dl, sj, sr, sl, so, ch,
                          nw, hb, hi, hn, gs, gn, gd, ord)
CROSS JOIN LATERAL {GIVE_FUNCTION}(a.i, a.s, a.c, a.h, a.d, a.sc, a.rs, a.k, a.n, a.dy,
                                      a.cap, a.su, a.dl, a.sj, a.sr, a.sl, a.so, a.ch,
                                      a.nw, a.hb, a.hi, a.hn, a.gs, a.gn, a.gd) AS r
ORDER BY a.ord
"""


def batch_args(batch: list[GiveParams]) -> list[list[Any]]:
    """The batch as 25 column arrays, in the function's parameter order."""
    rows = [give_args(p) for p in batch]
    return [list(column) for column in zip(*rows, strict=True)]


def give_args(p: GiveParams) -> tuple[Any, ...]:
    return (
        p.instance_id,
        p.shop_id,
        p.campaign_id,
        p.helper_id,
        p.decision,
        p.score,
        to_json(p.reasons),
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
        p.network_hash,
        p.hold_bucket,
        p.held_per_instance,
        p.held_per_network,
        p.group_signs,
        p.group_net_hash,
        p.group_device_hash,
    )


def count_held_args(p: CountHeldParams) -> dict[str, Any]:
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


def give_outcome(row: Any) -> GiveOutcome:
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


def count_held_outcome(row: Any, assist_id: int) -> GiveOutcome:
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


def install_functions(execute: Any) -> None:
    """Create this version's functions through `execute(sql)` (a migration's
    `op.execute`). Existing versions stay for the workers still calling them."""
    for create in CREATE_FUNCTIONS:
        execute(create)


def install_version(bind: Any, version: str) -> None:
    """A migration's upgrade: install this code's functions when it is the version the
    migration names (a later migration names a newer one and installs that)."""
    if bind.dialect.name == "postgresql" and version == VERSION:
        install_functions(bind.exec_driver_sql)


def drop_version(bind: Any, version: str) -> None:
    """A migration's downgrade: drop the functions of the version it installed."""
    if bind.dialect.name == "postgresql":
        for name in ("give_assist", "count_held_assist", "count_on_slot"):
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS huzhu_{name}_{version}")
