"""Risk: deciding whether an assist is a friend's genuine act.

Today this holds the inline hook only: `rules.decide_inline(features)` is called by the
assist hot path on every assist, before anything is written, and answers count, hold
(store it, claim nothing, let an analyst look) or refuse (write nothing) with a score
and the reasons. It must stay pure and well under a millisecond: it runs inside the
request that is measured against a trivial endpoint.

Streaming spike detection, the batch graph search (FRAUDAR / CopyCatch class) and the
review queue come with the fraud issue; they fill in `decide_inline` and read the
decisions the hot path stores on each assist (risk_decision, risk_score, risk_reasons).

The review queue (`review_models`, `review_service`, `review_api`): one queue of cases —
participants' spam and fraud reports, rings from the detectors, inline holds, spikes —
each with its subject accounts and evidence, decided once by an analyst. Invariants: one
open case per subject key (UNIQUE `open_key`), one report per reporter per case, a
decision is a conditional UPDATE, and what a confirmation does is the rule registered for
the case's kind (`confirm_rule`) or the analyst's explicit rung, applied through
`huzhu.enforcement.service.enforce`.
"""
