"""The assist's writes, one definition per backend, side by side: Python over `sqlite3`
statements for SQLite (sqlite.py), PL/pgSQL functions for PostgreSQL (postgres.py,
installed by migration 0002); what both take and give back in acts.py.

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
  4. a counted assist needs the lowest free slot (none: `full`); a hold needs room under
     its instance's bound (`held_count`, under the instance lock:
     `hold_limit_instance`) and its network's in this window (`held_network`, its row
     locked — on PostgreSQL by an upsert that changes no count — before it is read:
     `hold_limit_network`);
  5. the helper's daily counter, by a conditional upsert (`n < cap`): `daily_limit`;
  6. the writes: the assist, then for a hold the held count, the network's count and
     `assist.held`, for a count the shared last step below.
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
