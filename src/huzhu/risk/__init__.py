"""Risk: deciding whether an assist is a friend's genuine act.

Today this holds the inline hook only: `rules.decide_inline(features)` is called by the
assist hot path on every assist, before anything is written, and answers count, hold
(store it, claim nothing, let an analyst look) or refuse (write nothing) with a score
and the reasons. It must stay pure and well under a millisecond: it runs inside the
request that is measured against a trivial endpoint.

Streaming spike detection, the batch graph search (FRAUDAR / CopyCatch class) and the
review queue come with the fraud issue; they fill in `decide_inline` and read the
decisions the hot path stores on each assist (risk_decision, risk_score, risk_reasons).
"""
