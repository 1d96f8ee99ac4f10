"""Voiding, and counting held assists after review: what happens to assists once someone
has judged them — an operator voiding one, a confirmed ring or fraud report voiding
many, a dismissed hold or spike counting the held ones after all.

Owns the acts (`service`: `void_assist`, `void_assists`, `count_held_assists`), the reads
the review rules pick assists with (`held_assist_ids*`, `ring_assist_ids`,
`unreviewed_helpers`), the queries only they use (`repository`) and what the initiator
is told (`rules`: the notices and the honest reasons a genuine assist came too late). It
reads instances through the lifecycle (`huzhu.assists.service`), never the other way.

Invariants, and what holds them:

- an assist judged fake is voided, never deleted: kept with its reason and time, its
  slot returned (or its hold released), `voided_count` raised;
- progress is recomputed from the slots after a void (base + Σ claimed slot values), so
  a bargain gets back exactly the cents a voided cut took;
- a succeeded bargain or unlock that loses a counted assist before it is bought or paid
  goes back to active: its goal was reached with a fake assist; a purchased or completed
  one is not reopened, the void is still recorded;
- each instance is locked once (the row lock the hot path takes too), its voids recounted
  once, and its initiator told once with the real number removed — never a silent drop;
  voiding the same assists again removes nothing twice;
- a held assist found genuine counts through the hot path's one definition of counting
  on a slot per backend (`hotpath.store.count_held_in`), so it fills and succeeds an
  instance exactly as a live assist does; one that can no longer count is voided with
  the honest reason (ended, or full) and the initiator gets both numbers.
"""
