"""The honest disclosures a participant reads before taking part: pure text, no I/O.

DESIGN.md: "Honest disclosures on every page: bargain — most helpers needed; lottery —
the odds; group — expiry and refund." The numbers come from the frozen rules snapshot,
so what is disclosed is exactly what binds.
"""

from __future__ import annotations


def duration_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if rest == 0:
        return f"{hours} h"
    return f"{seconds // 60} min"


def groupbuy_refund_rule(*, team_size: int, group_price_cents: int, ttl_seconds: int) -> str:
    yuan, fen = divmod(group_price_cents, 100)
    return (
        f"Each member's order of ¥{yuan}.{fen:02d} is only authorized, not charged. If the "
        f"team reaches {team_size} members within {duration_text(ttl_seconds)} of being "
        f"opened, every order is charged; otherwise every order is released in full. Only "
        f"real members who ordered count; a team is never filled by anyone else."
    )


VERIFY_DRAW_HINT = (
    "Save commitment_hex now. After the draw, run `huzhu verify-draw --url <this "
    "campaign's /draw URL> --commitment <commitment_hex>`: it checks that SHA-256(seed) "
    "equals the commitment published at launch and re-runs the draw from the public record."
)
