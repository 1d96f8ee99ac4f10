"""Idempotency keys for POST requests.

A POST with an `Idempotency-Key` header is run once per (caller, key): a replay returns
the first response byte for byte, the same key with a different request is refused, and
a replay that arrives while the first is still running waits for it.
"""
