"""Accounts: shops, operators (people who run campaigns), integrator API tokens and
participants.

Invariants: a participant is a pseudonymous account — the identity provider's subject is
kept only as a keyed hash; operator passwords are argon2 hashes; bearer tokens are stored
as SHA-256 digests and are shown once, at creation. Every API route states the permission
it needs (accounts/rules.py) and the role table there is the single place that decides.
"""
