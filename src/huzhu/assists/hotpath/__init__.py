"""The assist hot path: POST /api/v1/instances/{id}/assists and the page form's assist.

It is measured against a trivial endpoint of the same app, so it avoids everything a
normal route pays for: the participant token is verified by its HMAC (no query), the
instance's frozen facts are cached per process (a version's rules never change), the
inline risk decision is made in memory (or one Redis round trip), and the one
transaction runs raw statements through the driver:

- api.py: the route, parsed by hand;
- service.py: `assist_request` (the one way an HTTP request becomes an assist) and
  `HotPath.give` (share link, risk screen, transaction, the refusal's error);
- ports.py: what it asks of invites and risk, wired by the app;
- store.py: where the transaction runs — one `sqlite3` connection per process in the
  event loop, or an asyncpg pool — with group commit (assists arriving together share
  one COMMIT), and counting a held assist inside a review's unit of work;
- repository/: the writes themselves, one definition per backend side by side
  (sqlite.py, postgres.py), taking and giving back the same types (acts.py).

Counted once (UNIQUE(instance_id, helper_id) and the instance lock), never lost once
acknowledged (the response is sent after COMMIT), progress == Σ claimed slot values
(one UPDATE adds the claimed slot's value), never more than the slots (a claim needs a
free slot; CHECK slots_used <= slots_total).
"""
