"""Notices: what the inbox tells a starter about their activity as it moves — friends
who helped (batched: one message per activity per hour, its count from the ledger and
updated in place while unread) and success.

Off the assist hot path on purpose: the hot path already writes an outbox event per
counted assist and per success in its own transaction, and adds nothing for the inbox.
A periodic task of the job runner reads those events after a cursor (notify's
`read_outbox`) and writes or updates the messages. Who helped is never named: a count
that jumps without these messages is what the help desk tells participants to report.
"""
