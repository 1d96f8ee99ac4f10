"""The kinds of inbox message, with stable codes, and how each is put into words.

A message is stored as a kind and its parameters (JSON), never as text: the words are
chosen when someone reads it, from the catalogs in the reader's language (the page's, or
the API's Accept-Language), so a Chinese reader and an English one read the same message
in their own words, and a reworded message reads better everywhere at once. Messages
written before this existed keep the title and body stored with them.

Parameters hold facts (counts, cents, times as ISO-8601 UTC, the campaign's own name,
reasons), never a name of a helper or any personal data. A reason that is one of the
engine's own (marked with `N_` where it is defined) is translated; one an operator typed
is shown as typed.

`muteable` says whether a person may turn a kind off: decisions on their account and on
their appeals always reach them (the enforcement ladder's promise that every action is
told and can be appealed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from huzhu.kit import clock
from huzhu.kit.i18n import read_words
from huzhu.kit.money import format_cny

Gettext = Callable[[str], str]
Rendered = tuple[str, str]


class Kind(StrEnum):
    ASSIST_RECEIVED = "assist_received"
    INSTANCE_SUCCEEDED = "instance_succeeded"
    EXPIRED_REFUNDED = "expired_refunded"
    DRAW_RESULT = "draw_result"
    ASSIST_VOIDED = "assist_voided"
    INVITE_RECEIVED = "invite_received"
    ENFORCEMENT = "enforcement"
    APPEAL_OUTCOME = "appeal_outcome"
    REPORT_OUTCOME = "report_outcome"
    REMINDER = "reminder"


UNMUTEABLE: frozenset[Kind] = frozenset({Kind.ENFORCEMENT, Kind.APPEAL_OUTCOME})


class SummaryFrequency(StrEnum):
    """How often the reminder summary comes (built by the reminders' own job)."""

    WEEKLY = "weekly"
    DAILY = "daily"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class Reader:
    """What words depend on besides the message: the language's gettext and the zone
    times are shown in — named after each time unless the page around the message names
    it once (the inbox page does; a push stands alone and does not)."""

    gettext: Gettext
    zone: ZoneInfo
    name_zone: bool = True

    def when(self, iso: str | None) -> str:
        if not iso:
            return ""
        at = clock.as_utc(datetime.fromisoformat(iso)).astimezone(self.zone)
        if not self.name_zone:
            return at.strftime("%Y-%m-%d %H:%M")
        name = "UTC" if self.zone.key == "UTC" else f"({self.zone.key})"
        return at.strftime("%Y-%m-%d %H:%M ") + name


Renderer = Callable[[Reader, Mapping[str, Any]], Rendered]
_RENDERERS: dict[Kind, Renderer] = {}


def _renders(kind: Kind) -> Callable[[Renderer], Renderer]:
    def _register(fn: Renderer) -> Renderer:
        _RENDERERS[kind] = fn
        return fn

    return _register


def register_renderer(kind: Kind, renderer: Renderer) -> None:
    """For a kind whose words live with the domain that sends it (the reminders); its
    msgids must be in the catalogs like any other."""
    _RENDERERS[kind] = renderer


def render(kind: str, params: Mapping[str, Any], reader: Reader) -> Rendered | None:
    """Title and body of a message in the reader's words; None when the kind has no
    words here (the caller shows what was stored)."""
    try:
        renderer = _RENDERERS[Kind(kind)]
    except (ValueError, KeyError):
        return None
    return renderer(reader, params)


def _(message: str) -> str:
    """Marks a msgid for the catalogs; the reader's gettext translates it."""
    return message


def _t(r: Reader, message: str, **values: Any) -> str:
    text = r.gettext(message)
    return text % values if values else text


def _campaign(params: Mapping[str, Any]) -> str:
    return str(params.get("campaign") or "")


@_renders(Kind.ASSIST_RECEIVED)
def _assist_received(r: Reader, p: Mapping[str, Any]) -> Rendered:
    count = int(p["count"])
    if p.get("instance_kind") == "groupbuy":
        return _members_joined(r, p, count)
    if count == 1:
        title = _t(r, _("1 friend helped in the last hour"))
        body = _t(
            r, _("1 counted assist on “%(campaign)s” in the last hour."), campaign=_campaign(p)
        )
    else:
        title = _t(r, _("%(count)s friends helped in the last hour"), count=count)
        body = _t(
            r,
            _("%(count)s counted assists on “%(campaign)s” in the last hour."),
            count=count,
            campaign=_campaign(p),
        )
    note = _t(
        r,
        _(
            "The count comes from the assists recorded; a helper is named only if they chose "
            "to be. A count that jumps without messages like this one is worth a report."
        ),
    )
    return title, f"{body} {note}"


def _members_joined(r: Reader, p: Mapping[str, Any], count: int) -> Rendered:
    """A group buy is an order, not an assist: its leader hears of members who ordered."""
    if count == 1:
        title = _t(r, _("1 person joined your team in the last hour"))
    else:
        title = _t(r, _("%(count)s people joined your team in the last hour"), count=count)
    body = _t(
        r,
        _(
            "Members who ordered in the last hour on “%(campaign)s”: %(count)s. Each is charged "
            "only when the team is full."
        ),
        count=count,
        campaign=_campaign(p),
    )
    return title, body


@_renders(Kind.INSTANCE_SUCCEEDED)
def _instance_succeeded(r: Reader, p: Mapping[str, Any]) -> Rendered:
    campaign = _campaign(p)
    kind = p.get("instance_kind")
    if kind == "bargain":
        body = _t(
            r,
            _("“%(campaign)s” reached its floor price: you can buy it now, until %(deadline)s."),
            campaign=campaign,
            deadline=r.when(p.get("purchase_deadline_at")),
        )
    elif kind == "groupbuy":
        body = _t(
            r,
            _("Your team for “%(campaign)s” is full: every order is confirmed."),
            campaign=campaign,
        )
    elif kind == "lottery":
        body = _t(
            r,
            _("You have every entry “%(campaign)s” gives; the draw decides the prizes."),
            campaign=campaign,
        )
    else:
        body = _t(r, _("“%(campaign)s” is unlocked: your reward is being paid."), campaign=campaign)
    return _t(r, _("Your activity succeeded")), body


@_renders(Kind.EXPIRED_REFUNDED)
def _expired_refunded(r: Reader, p: Mapping[str, Any]) -> Rendered:
    campaign = _campaign(p)
    refunded = int(p.get("refunded_cents") or 0)
    if p.get("variant") == "window_closed":
        return (
            _t(r, _("Your purchase window closed")),
            _t(
                r,
                _(
                    "The time to buy “%(campaign)s” at the price your friends helped you reach has"
                    " ended without a purchase. Nothing was charged."
                ),
                campaign=campaign,
            ),
        )
    if refunded:
        body = _t(
            r,
            _(
                "“%(campaign)s” ended before it succeeded. The %(amount)s held for your order was "
                "released: nothing was charged."
            ),
            campaign=campaign,
            amount=format_cny(refunded),
        )
    else:
        body = _t(
            r,
            _("“%(campaign)s” ended before it succeeded. Nothing was charged."),
            campaign=campaign,
        )
    return _t(r, _("Your activity ended without succeeding")), body


@_renders(Kind.DRAW_RESULT)
def _draw_result(r: Reader, p: Mapping[str, Any]) -> Rendered:
    return (
        _t(r, _("You won: %(prize)s"), prize=p["prize"]),
        _t(
            r,
            _(
                "Your entry %(ticket)s won “%(prize)s” in the draw of “%(campaign)s”. Anyone can "
                "check the draw: huzhu verify-draw."
            ),
            ticket=p["ticket"],
            prize=p["prize"],
            campaign=_campaign(p),
        ),
    )


def _still(r: Reader, p: Mapping[str, Any]) -> str:
    free = int(p.get("free_slots") or 0)
    if p.get("instance_kind") == "bargain" and p.get("cents_remaining") is not None:
        return _t(
            r,
            _(
                "Your bargain is %(amount)s from the floor price; helpers still needed at most: "
                "%(count)s."
            ),
            amount=format_cny(int(p["cents_remaining"])),
            count=free,
        )
    if p.get("instance_kind") == "lottery":
        return _t(r, _("Entries you can still earn: %(count)s."), count=free)
    if p.get("instance_kind") == "groupbuy":
        return _t(r, _("Places still open in the team: %(count)s."), count=free)
    return _t(r, _("Helpers still needed: %(count)s."), count=free)


@_renders(Kind.ASSIST_VOIDED)
def _assist_voided(r: Reader, p: Mapping[str, Any]) -> Rendered:
    if p.get("variant") == "counted_after_review":
        counted, late = int(p.get("counted") or 0), int(p.get("late") or 0)
        parts = []
        if counted:
            parts.append(
                _t(r, _("Assists that were being checked now count: %(count)s"), count=counted)
            )
        if late:
            parts.append(
                _t(
                    r,
                    _(
                        "Genuine assists that could not count because the activity had already "
                        "ended or was full: %(count)s"
                    ),
                    count=late,
                )
            )
        title = parts[0] if parts else _t(r, _("Assists checked"))
        return title, ("; ".join(parts) + ".") if parts else _t(r, _("Nothing changed."))
    if p.get("variant") == "held_after_count":
        count = int(p.get("count") or 1)
        return (
            _t(r, _("Assists being checked: %(count)s"), count=count),
            _t(
                r,
                _(
                    "%(count)s assists that had counted came in a burst with others that are "
                    "held for a check, so they wait with them and do not count for now. If "
                    "the check finds them genuine, they count again. %(still)s"
                ),
                count=count,
                still=_still(r, p),
            ),
        )
    count = int(p.get("count") or 1)
    return (
        _t(r, _("Assists removed: %(count)s"), count=count),
        _t(
            r,
            _("Assists removed: %(count)s, because %(reason)s. %(still)s"),
            count=count,
            reason=_reason(r, p),
            still=_still(r, p),
        ),
    )


@_renders(Kind.INVITE_RECEIVED)
def _invite_received(r: Reader, p: Mapping[str, Any]) -> Rendered:
    """The links are built when the message is read (invites.direct.invite_links), never
    stored; one that cannot be built any more (its link is gone) is left out."""
    sender = str(p.get("sender") or "") or _t(r, _("Someone"))
    lines = (
        _t(r, _("Open: %(url)s"), url=p["share_url"]) if p.get("share_url") else None,
        _t(r, _("Mute %(sender)s in one tap: %(url)s"), sender=sender, url=p["mute_url"])
        if p.get("mute_url")
        else None,
        _t(r, _("Stop all invites in one tap: %(url)s"), url=p["unsubscribe_url"])
        if p.get("unsubscribe_url")
        else None,
        _t(r, _("Helping is never required to see anything.")),
    )
    return (
        _t(r, _("%(sender)s asks for your help"), sender=sender),
        "\n".join(line for line in lines if line is not None),
    )


_ACTION_WORDS = {
    "warning": _("a warning"),
    "invite_restriction_1d": _("a 1-day restriction on sending invites"),
    "invite_restriction_7d": _("a 7-day restriction on sending invites"),
    "participation_restriction": _("a restriction on taking part in campaigns"),
    "ban": _("a ban from campaigns"),
}


def _reason(r: Reader, p: Mapping[str, Any]) -> str:
    """The engine's reason in the reader's words (kit/i18n.stored_words), else as stored."""
    return read_words(r.gettext, str(p.get("reason") or ""), p.get("reason_words"))


def _action(r: Reader, p: Mapping[str, Any]) -> str:
    words = _ACTION_WORDS.get(str(p.get("action_kind")))
    return r.gettext(words) if words else str(p.get("action_kind") or "")


@_renders(Kind.ENFORCEMENT)
def _enforcement(r: Reader, p: Mapping[str, Any]) -> Rendered:
    action = _action(r, p)
    reason = _reason(r, p)
    if p.get("variant") == "lifted":
        return (
            _t(r, _("Lifted from your account: %(action)s"), action=action),
            _t(
                r,
                _("Reason: %(reason)s. It no longer applies and does not count against you."),
                reason=reason,
            ),
        )
    if p.get("until"):
        applies = _t(r, _("This applies until %(until)s."), until=r.when(p["until"]))
    else:
        applies = _t(r, _("This applies from now."))
    return (
        _t(r, _("Your account received %(action)s"), action=action),
        " ".join(
            (
                _t(r, _("Reason: %(reason)s."), reason=reason),
                applies,
                _t(
                    r,
                    _(
                        "If you think this is a mistake you can appeal it once, with a short "
                        "explanation."
                    ),
                ),
            )
        ),
    )


@_renders(Kind.APPEAL_OUTCOME)
def _appeal_outcome(r: Reader, p: Mapping[str, Any]) -> Rendered:
    action = _action(r, p)
    if p.get("variant") == "filed":
        return (
            _t(r, _("We received your appeal")),
            _t(
                r,
                _(
                    "An analyst will review your appeal against %(action)s and you will be told "
                    "the decision here."
                ),
                action=action,
            ),
        )
    title = (
        _("Your appeal was accepted") if p.get("accepted") else _("Your appeal was not accepted")
    )
    return (
        r.gettext(title),
        _t(
            r,
            _("Decision on %(action)s: %(reason)s."),
            action=action,
            reason=_reason(r, p),
        ),
    )


_REPORT_WORDS = {
    "filed": (
        _("Thank you, we received your report"),
        _(
            "An analyst will look at it. You will hear here what came of it; the person you "
            "reported is not told who reported them."
        ),
    ),
    "confirmed": (
        _("Your report was confirmed"),
        _("Thank you: an analyst confirmed what you reported and acted on it."),
    ),
    "dismissed": (
        _("Your report was reviewed"),
        _("An analyst looked at what you reported and found no breach of the rules."),
    ),
}


@_renders(Kind.REPORT_OUTCOME)
def _report_outcome(r: Reader, p: Mapping[str, Any]) -> Rendered:
    variant = str(p.get("variant") or "filed")
    if variant == "acted":
        return (
            _t(r, _("Your report led to action")),
            _t(
                r,
                _(
                    "Thank you: an analyst confirmed your report. Assists removed as fake from the"
                    " activity you reported: %(count)s; the accounts that gave them were "
                    "restricted. No one is told who reported."
                ),
                count=int(p.get("voided") or 0),
            ),
        )
    if variant == "nothing_voided":
        return (
            _t(r, _("Your report was confirmed")),
            _t(
                r,
                _(
                    "Thank you: an analyst confirmed your report, but what it showed named no "
                    "assist that still needed removing, so nothing was removed this time. No one "
                    "is told who reported."
                ),
            ),
        )
    title, body = _REPORT_WORDS[variant]
    return r.gettext(title), r.gettext(body)


@_renders(Kind.REMINDER)
def _reminder(r: Reader, p: Mapping[str, Any]) -> Rendered:
    """The daily or weekly summary (assists.spending.tasks): every figure from the
    ledger, none estimated, and no call to come back."""
    weekly = p.get("frequency") != "daily"
    title = _t(r, _("Your week in numbers") if weekly else _("Your day in numbers"))
    figures = [
        _t(r, _("Activities started: %(n)s"), n=int(p.get("started") or 0)),
        _t(r, _("Assists you gave: %(n)s"), n=int(p.get("assists_given") or 0)),
        _t(r, _("Assists you received: %(n)s"), n=int(p.get("assists_received") or 0)),
        _t(r, _("Charged: %(amount)s"), amount=format_cny(int(p.get("charged_cents") or 0))),
        _t(r, _("Refunded: %(amount)s"), amount=format_cny(int(p.get("refunded_cents") or 0))),
        _t(
            r,
            _("Rewards paid to you: %(amount)s"),
            amount=format_cny(int(p.get("received_cents") or 0)),
        ),
        _t(r, _("Activities that ended unfinished: %(n)s"), n=int(p.get("expired") or 0)),
    ]
    period = _t(
        r,
        _("From %(since)s to %(until)s:"),
        since=r.when(p.get("since")),
        until=r.when(p.get("until")),
    )
    note = _t(
        r,
        _(
            "Counted from your orders and assists. Your limits and every order are on "
            "“My spending”; how often this summary comes is yours to choose in the inbox."
        ),
    )
    # One figure a line (the inbox shows a body's line breaks).
    return title, "\n".join([period, *figures, note])
