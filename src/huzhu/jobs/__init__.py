"""Jobs: a durable queue in the database, run in-process in embedded mode and by any
number of workers in production.

A job is claimed with a lease (locked_until); a worker that dies loses the lease and the
job is claimed again, so every job handler must be idempotent. On PostgreSQL the claim
uses FOR UPDATE SKIP LOCKED, so two workers never run the same job at once.
"""
