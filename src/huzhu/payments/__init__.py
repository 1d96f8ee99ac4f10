"""Payments: the provider interface and the local provider.

Every money movement goes through a provider call carrying an idempotency key, so a job
that crashes half-way and runs again cannot capture or refund twice. The local provider
keeps a real ledger in the database and is what the demo and the tests use.
"""
