"""Audit: the append-only, hash-chained log of who did what to whom, when and why.

Every operator read of personal data, every void, enforcement step, campaign change,
export and deletion is one `audit_entry`: who (an operator, the system, the person),
what (`action` on a subject), when, and why (a note). Invariants:

- Entries are never changed or removed by the code, except that the retention job drops
  the oldest ones whole and records where it stopped (`audit_chain.base_*`).
- Each shop's entries form one chain: an entry stores the hash of the one before it and
  its own hash over a canonical encoding of its fields (`rules.entry_hash`). Entries are
  sealed into the chain when their transaction commits, under one lock per shop, so
  concurrent writers never fork it; `huzhu audit verify` finds an edited, removed or
  inserted entry.
- Free text a person typed (a report, an appeal, a reason) is an `audit_note` outside the
  chain: the entry's hash covers only the note's id, so the text can be erased with its
  person (`service.erase_notes_of`) and the chain stays valid.
"""
