"""Pure rules of voiding: what an initiator is told when assists are removed or a review
counts held ones, and the honest reasons a genuine assist still did not count. No I/O.
"""

from __future__ import annotations

from huzhu.kit.money import format_cny


def void_notice(
    *, kind: str, reason: str, free_slots: int, cents_remaining: int | None, count: int = 1
) -> tuple[str, str]:
    """The honest inbox message an initiator gets when assists are removed: how many,
    why, and where that leaves them — never a silent drop in the count."""
    removed = f"{count} assist{'s were' if count != 1 else ' was'} removed"
    title = removed
    if kind == "bargain" and cents_remaining is not None:
        still = (
            f"your bargain is {format_cny(cents_remaining)} from the floor price and needs "
            f"at most {free_slots} more helper{'s' if free_slots != 1 else ''}"
        )
    elif kind == "lottery":
        still = f"you can still earn {free_slots} more entr{'ies' if free_slots != 1 else 'y'}"
    else:
        still = f"you need {free_slots} more helper{'s' if free_slots != 1 else ''}"
    return title, f"{removed} because {reason}; {still}."


# Why a held assist that a reviewer found genuine still did not count.
LATE_REASON_CLOSED = "checked and genuine, but the activity had already ended"
LATE_REASON_FULL = "checked and genuine, but the activity was already full"


def counted_after_review_notice(*, counted: int, late: int) -> tuple[str, str]:
    """The initiator's message when a review clears held assists: how many now count,
    and — never a silent drop — how many came too late to count."""
    parts: list[str] = []
    if counted:
        many = counted != 1
        parts.append(
            f"{counted} assist{'s' if many else ''} that {'were' if many else 'was'} being "
            f"checked now count{'' if many else 's'}"
        )
    if late:
        parts.append(
            f"{late} genuine assist{'s' if late != 1 else ''} could not count because the "
            "activity had already ended or was full"
        )
    title = parts[0][0].upper() + parts[0][1:] if parts else "Assists checked"
    return title, "; ".join(parts) + "." if parts else "Nothing changed."
