"""Money is integer cents (分) everywhere; this only formats it for people."""

from __future__ import annotations


def format_cny(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(cents), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"
