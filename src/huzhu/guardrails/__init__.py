"""Guardrails: a person's caps on what they commit through campaigns, the pace of their
money steps, and the confirmation before each one — the answer to over-spending pushed by
urgency.

Owns the caps a person chose (`models.GuardrailCap`, with their history), the rules
(`rules`: the caps, the periods they count over in the shop's calendar, when a step fits,
cooling-off, when a change applies) and the confirmation tokens. It reads no ledger: the
assists lifecycle (`huzhu.assists.service.admit_step`) counts what a person used from the
purchases and instances tables and asks `service.admit` inside the money step's own
transaction, after taking the person's lock.

Invariants, and what holds them:

- a cap is never exceeded, also under concurrent steps: every step and every cap change of
  one person takes the same transaction-scoped lock (`db.locking.lock_key`: an advisory
  lock on PostgreSQL; SQLite's write transactions are serial), reads the ledger and the
  caps after it, and writes its order before letting go;
- a lower cap applies at once; a higher one only after `raise_wait_seconds` (24 h by
  default), and a later lower cancels a raise still waiting;
- a person's cap never exceeds the shop's ceiling, and caps count money net of refunds
  (an order refunded stops counting);
- a money step above `confirm_above_cents` needs a confirmation token naming that person,
  that step, that target and that amount, unexpired: a changed price asks again.
"""
