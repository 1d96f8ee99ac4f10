"""Pure rules of voiding: the honest reasons a genuine assist still did not count. No I/O.
What the initiator is told is the inbox's `assist_voided` message (notify/kinds.py), put
into words when they read it.
"""

from __future__ import annotations

from huzhu.kit.i18n import N_

# Why a held assist that a reviewer found genuine still did not count.
LATE_REASON_CLOSED = N_("checked and genuine, but the activity had already ended")
LATE_REASON_FULL = N_("checked and genuine, but the activity was already full")
