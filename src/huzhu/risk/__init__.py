"""Risk: deciding whether an assist is a friend's genuine act.

Inline (`inline`, `counters`, `scoring`): `InlineScorer.assess` runs on every assist
before anything is written — client hints, one counter round trip (memory, or Redis
across workers), the pure `inline.score_assist` — and answers count, hold (store it,
claim nothing, let an analyst look) or refuse (write nothing) with a score and the
reasons, stored on the assist (risk_decision, risk_score, risk_reasons). The same step
watches for spikes per instance and per campaign (`alerts` opens their review cases off
the hot path). `live` lets a unit of work reach the running scorer after it commits
(share opens, a dismissed spike lifting its watch).

Batch (`graph/`, `detect_service`, `tasks`): FRAUDAR- and CopyCatch-class searches over
the helper x instance and helper x initiator graphs, run by `huzhu detect run` and on a
schedule; each ring found becomes a `fraud_ring` case; `rings` says what confirming (and
dismissing) each kind of case does.

The review queue (`review/`): one queue of cases — participants' spam and fraud
reports, rings from the detectors, inline holds, spikes — each decided once by an
analyst, and acted on through `huzhu.enforcement.service.enforce`; its invariants are in
its package's docstring.
"""
