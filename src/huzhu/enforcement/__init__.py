"""Enforcement: the ladder of actions against an account and their appeals.

The ladder is warning → invite restriction 1 day → invite restriction 7 days →
participation restriction → ban (`rules.LADDER`). Invariants:

- An action is a fact with a start and (except warnings and bans) an expiry; it is never
  deleted. Lifting it (an upheld appeal's opposite, or an analyst) stamps `lifted_at`.
- Whether an action binds is decided by time at the moment of the check
  (`rules.is_active`), so an expired restriction lapses by itself; no job has to run.
- Participation restrictions and bans are mirrored on `account.status` /
  `account.restricted_until`, which instance start and the assist hot path read; every
  change recomputes that mirror from all the account's active actions.
- Invite restrictions (and anything stronger) are enforced by `service.assert_may_invite`.
- Every step is an entry in the audit log (huzhu.audit), an outbox event and an inbox
  notice to the person affected.
"""
