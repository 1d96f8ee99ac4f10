"""The review queue: one queue of cases for an analyst to decide — participants' spam and
fraud reports, rings from the detectors, assists the inline scorer held, spikes — each
with its subject accounts and evidence.

Owns cases and reports (`models`), their queries (`repository`), the pure decisions
(`rules`: case kinds and states, the open keys, the spam rule, which assists a fraud
report is about), the use cases (`service`: file a report, open, list, assign, confirm
and dismiss a case, tell the reporters), the routes (`api`: participants report;
analysts list, assign, decide), their models (`schemas`) and errors (`errors`).
What a confirmation does is applied through `huzhu.enforcement.service.enforce`;
`huzhu.risk.rings` registers the rules for the detectors' kinds of case.

Invariants, and what holds them:

- one open case per subject: UNIQUE `open_key` ("spam:<account>",
  "fraud:instance:<id>"), set while the case is open and cleared by its decision, so
  concurrent reports and detectors about one subject join one case, and the next report
  after a decision opens a new one;
- one report per reporter per case: UNIQUE(report.case_id, report.reporter_account_id);
  and a reporter may file only `enforcement.reports_per_day` reports a day, since reports
  shrink the reported sender's invite caps;
- a case is decided once: `open → confirmed | dismissed` by a conditional UPDATE, so two
  analysts deciding at the same moment cannot both act (`case_already_decided`);
- what a confirmation does is the rule registered for the case's kind
  (`service.confirm_rule`) or the analyst's explicit rung; a dismissal runs the kind's
  dismiss rule, if any, in the same unit of work;
- the spam rule moves a sender at most one rung per confirmation, and the reports it
  counted are spent, so the next rung needs as many new ones;
- reporters are told the outcome of their report; the reported person learns of a case
  only through an enforcement action, never who reported them.
"""
