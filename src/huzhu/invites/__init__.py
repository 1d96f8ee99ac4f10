"""Invitations without harassment: signed share links and their opens, direct invites
that need the recipient's consent, caps that shrink with a sender's reputation, and the
mute / block / contact lists.

Invariants:

- A share link is verified by its HMAC alone (key id inside, several keys live at once);
  revocation is the `share_link` row. A bad link is a 4xx naming why, never a 500.
- Client hints of an open are stored only as keyed hashes (user agent, IP /24 or /48).
- A direct invite is delivered only where the recipient's preferences allow it, and
  then always to the inbox with a one-tap mute and unsubscribe link.
- Caps (sender per day, recipient per day, share links per group per hour) are counted
  with `kit.ratelimit` atomic increments and refunded when a later check refuses, so
  N requests against a cap of C deliver exactly min(N, C).
- A block stops invites and assists between two people either way; the assist hot path
  reads `account_block` inside its own transaction.
"""
