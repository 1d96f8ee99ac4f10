"""Purchases and rewards: a succeeded bargain bought at its floor, a succeeded unlock's
reward paid. Group-buy orders are purchases too, but a team's are charged and refunded
by `huzhu.assists.groupbuy`; what a participant bought is their spending view's
(`huzhu.assists.spending`).

Owns the acts (`service`: `purchase_bargain`, `pay_unlock_reward` — the job
`unlock.pay_reward`, registered in assists/tasks.py). It reads and closes instances
through the lifecycle (`huzhu.assists.service.close_instance`), never the other way.

Invariants, and what holds them:

- money moves only against a reservation: buying or paying closes the instance with its
  reservation spent (`close_instance(spent=True)`: what was reserved — a bargain's
  price − floor, an unlock's reward — is what is spent), in the same unit of work as the
  purchase row and its event;
- a bargain is bought once, by its initiator, while it is succeeded and its window open:
  the charge is keyed by the instance (`bargain:{id}`), and a retry returns the purchase
  it already made;
- an unlock's reward is paid exactly once: the payout is keyed `reward:{id}` and the
  instance moves to completed in the same unit of work, so a rerun finds nothing to do
  and a crashed run pays again under the same key.
"""
