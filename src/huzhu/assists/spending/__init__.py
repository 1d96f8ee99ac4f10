"""A participant's money through campaigns, as they see it before and after they pay:
what they spent, hold and got back (`spending_of`), their caps with what is used of each
(`guardrails_of`, `set_guardrails`), and the one confirmation before a money step
(`quote`: the price now beside their real numbers, and the token the step takes).

Every number comes from the ledger (the purchase and instance tables, read through the
lifecycle's queries), none is estimated. The caps themselves, the rules that decide and
the tokens are the guardrails domain's (`huzhu.guardrails`); the money steps admit
themselves (`huzhu.assists.service.admit_step`), so nothing here can be skipped by
calling a step directly.
"""
