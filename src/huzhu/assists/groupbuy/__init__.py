"""Group buy (拼团): a leader opens a team by ordering, friends join it by ordering, and
the team is charged only when it is full; a team not full by its expiry is refunded.

Owns the team's life (`service`: read, open, join, capture, refund), its queries
(`repository`), its routes (`api`) and its jobs (`tasks`: `groupbuy.capture_team`,
`groupbuy.refund_team`). A team is an assists instance of kind `groupbuy`, opened with
`assists.service.open_instance`, whose slots are the K − 1 places left after the
leader; the pure terms, member count, disclosure and payment keys are in
`huzhu.campaigns.rules.groupbuy`.

Invariants, and what holds them:

- a team is never over-filled (at most K = `team_size` members): a joiner takes a place
  with one conditional UPDATE (`slots_used < slots_total AND status = 'active' AND
  expires_at > now`); on PostgreSQL concurrent joiners queue on the team row and
  re-check the condition;
- a person joins a team once: UNIQUE(purchase.instance_id, purchase.account_id) — the
  leader's own order is a purchase row too, so the leader cannot join their own team;
- no robot members: a place is taken only together with a real account's authorized
  order, in the same transaction, so the members shown are always the orders;
- money is only authorized until the team is full: taking the last place enqueues the
  capture, and the refund at expiry is enqueued when the team opens, so no team is left
  hanging — a team still not full at `expires_at` is expired and every order's
  authorization voided (a team that filled in time finds nothing to refund);
- every order is captured once or voided/refunded once: the purchase moves
  `authorized → captured | refunded` by a conditional UPDATE, and the provider call
  carries a key per order, so a job that crashed half-way and runs again repeats its
  calls harmlessly;
- each order reserves its subsidy (price − group price); the leader's order reserves
  stock for the whole team (team_size units), so a team that opens can fill. What an
  order reserved is recorded on it, consumed when it is captured and released when it
  is refunded.
"""
