"""A helper's consent to let the starter see their name.

Per assist, default off: a `name_consent` row beside the assist, set only by the person
who gave it. The starter's view of who helped shows the display name of each helper who
consented and a pseudonym (keyed to the activity, so it matches nothing elsewhere) for
everyone else. The hot path never reads or writes it. Every change is appended to the
person's consent history (accounts.record_consent).
"""
