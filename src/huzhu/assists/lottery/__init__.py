"""Assist lottery (助力抽奖): each participant's tickets come from their friends' counted
assists, and at `draw_at` a provably fair draw picks the winners.

Owns the draw's inputs and outputs (`service`: the entries, the draw, the public record,
a participant's own entry, the prize reservations settled by the outcome), the routes
that publish the record (`api`) and the jobs (`tasks`: `lottery.draw` at `draw_at`, and
`lottery.schedule_due`, which schedules any due draw that never was). The draw itself,
algorithm `huzhu-draw-v1`, is a pure function in `huzhu.campaigns.rules.lottery`; the
seed and its commitment are made by `huzhu.campaigns.flows` before anyone can enter.

Provably fair, by commit–reveal:

- commitment: before the lottery can be entered (when it is scheduled or launched) a
  32-byte random seed is drawn once and kept secret in `lottery_secret`, and its
  commitment SHA-256(seed bytes) is published in the campaign's rules, so the operator
  cannot pick a seed after seeing who entered;
- seed reveal: the draw uses the seed only if SHA-256(seed) equals the published
  commitment — a mismatch, or no seed, stops the draw (`commitment_mismatch`) instead of
  drawing with a seed nobody committed to; the public record then reveals the seed next
  to its commitment (before the draw only the commitment is public);
- deterministic winners: the winners are a function of (seed, sorted entries, prizes)
  alone and the record holds all three, so anyone can re-run the draw from the record
  (`huzhu verify-draw`) and must get the same winners.

And around the draw:

- a campaign is drawn at most once: `lottery_draw` is keyed by campaign, so a job that
  runs again finds the record and stops, and a concurrent second draw fails at its
  insert;
- each instance started by `draw_at` gives its initiator `base_entries` plus its counted
  assists under its own version's terms, each participant capped at `entry_cap`;
- the record names entrants by a per-campaign keyed pseudonym, never an account id: it is
  public, and the same person must not be linkable across campaigns from it;
- every prize unit reserved at launch is consumed (awarded) or released (unawarded),
  once, and the draw closes the campaign's lottery instances, so no assist adds an entry
  after it.
"""
