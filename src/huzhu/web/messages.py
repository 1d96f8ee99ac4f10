"""Notices and errors shown on the pages, by stable code, in the page's language.

Notices are short texts after a form. Errors come from the engine (a `HuzhuError`): each
stable problem `code` has a message here — some with a variant that fills in the
problem's variable parts (until when, how many) — translated by the catalogs; a code
without one shows the problem's English `detail` rather than nothing. The texts are
gettext msgids, never built from user input.

After a refused form the page redirects (303) and shows the error on the next GET. The
redirect carries the code and, signed, the problem's detail and variable parts
(`problem_query`), so a crafted link cannot put its own words on our page: an unsigned
or altered `problem` is ignored and the code's plain message is shown.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from markupsafe import Markup

from huzhu.config import Settings
from huzhu.errors import HuzhuError
from huzhu.kit import signing
from huzhu.kit.money import format_cny
from huzhu.web.templating import format_time, gettext

DETAIL_MAX = 300
VALUE_MAX = 200


def _(message: str) -> str:
    """Mark a msgid for extraction; translated when shown."""
    return message


NOTICES: dict[str, str] = {
    "counted": _("Thank you: your assist counted."),
    "held": _("Thank you: your assist is being checked and will count once it clears."),
    "joined": _("You joined the team. You are charged only when the team is full."),
    # The last member's order fills the team: it is charged now, not "when full".
    "joined_full": _(
        "You joined and the team is now full: your order is being charged. It shows in "
        "your spending."
    ),
    "started": _("Started. Friends who want to help can assist from this page."),
    "signed_in": _("You are signed in."),
    "caps_saved": _(
        "Saved. A lower limit applies now; a higher one applies after the waiting time shown."
    ),
    "signed_out": _("You are signed out."),
    "created": _("Campaign created."),
    "launched": _("Campaign launched."),
    "paused": _("Campaign paused."),
    "resumed": _("Campaign resumed."),
    "ended": _("Campaign ended."),
    "muted": _("Muted. You will get no more invites from this person."),
    "blocked": _("Blocked. No more invites from this person, and no assists between you."),
    "unmuted": _("Unmuted. Their invites can reach you again; none sent meanwhile was kept."),
    "unblocked": _(
        "Unblocked. Invites and assists between you are possible again; "
        "none sent meanwhile was kept."
    ),
    "case_taken": _("The case is yours."),
    "case_confirmed": _("Case confirmed; the people affected are told."),
    "case_dismissed": _("Case dismissed; the reporters are told."),
    "case_dismissed_unreported": _("Case dismissed. No one reported it, so no one is told."),
    "appeal_uphold": _("Appeal decided: the action stands."),
    "appeal_lift": _("Appeal decided: the action is lifted and undone where it can be."),
    "appeal_filed": _("Your appeal is sent; you will be told the decision."),
    "bought": _("Bought at the floor price. It shows in your spending."),
    "voided": _("Assist voided; the starter is told how many assists were removed and why."),
    "preferences_saved": _("Your preferences are saved."),
    "inbox_read": _("All your messages are marked read."),
    "message_read": _("Marked read."),
    "inbox_preferences_saved": _("Your inbox choices are saved."),
    "reported": _(
        "Thank you. An analyst will look at your report; the sender is not told who reported."
    ),
    "account_deleted": _(
        "Your account is deleted and you are signed out. What stays names no one."
    ),
    "name_shown": _("Saved: the starter of this activity can see your name for your assist."),
    "name_hidden": _("Saved: the starter sees a pseudonym, not your name."),
    "display_name_saved": _(
        "Saved. Starters see this name only beside assists you chose to show it for."
    ),
    "display_name_cleared": _("Your name is cleared: starters see a pseudonym."),
    # A page opened with the cookie of an account deleted elsewhere (say, over the API).
    "signed_out_deleted": _(
        "This account was deleted, so you are signed out here. "
        "Signing in again starts a new account."
    ),
}

ERRORS: dict[str, str] = {
    # assist
    "already_assisted": _("You already assisted this one: one assist per person."),
    "self_assist": _("Your own assist does not count: ask a friend who wants to help."),
    "instance_full": _("This one needs no more assists."),
    "instance_closed": _("This one has ended."),
    "daily_assist_limit": _("You reached today's assist limit for this campaign."),
    "assist_refused": _("This assist could not be accepted."),
    "hold_limit_reached": _(
        "Too many assists here are waiting for a review. Please try again later."
    ),
    "account_restricted": _("Your account may not take part right now."),
    "blocked": _("One of you blocked the other, so no assists between you."),
    "unsupported_kind": _("A team is joined by ordering, not by assisting."),
    "busy": _("The server is busy right now. Try again in a moment."),
    "overloaded": _("The server is busy right now. Try again in a moment."),
    "instance_not_found": _("This activity does not exist or was removed."),
    "inbox_message_not_found": _("This message is not in your inbox."),
    "enforcement_not_muteable": _(
        "Decisions on your account always reach you: they cannot be muted."
    ),
    "appeal_outcome_not_muteable": _(
        "Decisions on your appeals always reach you: they cannot be muted."
    ),
    "unknown_inbox_kind": _("There is no such kind of message."),
    "invalid_display_name": _(
        "This name cannot be used: at most 32 characters, and no control characters."
    ),
    # start, join
    "team_full": _("The team already has all its members."),
    "team_closed": _("The team is no longer taking members."),
    "team_not_found": _("This team does not exist."),
    "already_in_team": _("You are already in this team."),
    "not_a_groupbuy": _("This campaign is not a group buy."),
    "instance_already_active": _("You already have one running in this campaign."),
    "budget_exhausted": _("This campaign has no budget left for a new one."),
    "out_of_stock": _("This campaign is out of stock."),
    "campaign_not_open": _("This campaign is not open right now."),
    "campaign_not_found": _("This campaign does not exist."),
    "purchase_not_open": _("This can no longer be bought: the purchase window has closed."),
    "not_initiator": _("Only the person who started this can buy it."),
    # share links and invites
    "not_your_instance": _("Only the person who started this can share it."),
    "instance_not_open": _("This activity has ended, so it cannot be shared."),
    "invite_restricted": _("Your account may not share or invite right now."),
    "group_link_cap": _("You made as many links for this group as you may this hour."),
    "sender_cap": _("You sent as many invites as you may today."),
    "link_tampered": _(
        "This share link is not genuine: it was changed or cut short. "
        "Ask the sender to send it again."
    ),
    "link_expired": _(
        "This share link has expired. Ask the sender for a new one if you still want to help."
    ),
    "link_revoked": _("The sender withdrew this share link."),
    "link_unknown_key": _("This share link was not made by this shop."),
    "link_retired_key": _(
        "This share link is too old to be trusted any more. Ask the sender for a new one."
    ),
    "link_mismatch": _("This share link is for another activity."),
    "too_many_opens": _("Too many share links were opened from your network. Try again shortly."),
    # mute, block, report
    "cannot_act_on_self": _("You cannot do that to yourself."),
    "already_reported": _("You reported this already; it is waiting for review."),
    "cannot_report_self": _("You cannot report yourself."),
    "report_limit": _("You filed as many reports as you may today."),
    # deleting one's account
    "delete_not_confirmed": _("Tick the box to confirm, then press the button."),
    "activities_running": _(
        "Some of your activities are still running or hold your money: delete once they have ended."
    ),
    "account_deleted": _("This account was deleted."),
    # appeal
    "appeal_text_required": _("Write a few words about why the action is wrong."),
    "already_appealed": _("You appealed this action already."),
    "action_already_lifted": _("This action was lifted already."),
    "enforcement_action_not_found": _("There is no such action on your account."),
    # guardrails: caps, cooling-off, the confirmation
    "cap_reached": _(
        "This would go past one of your limits. You can see and change them on My spending."
    ),
    "cooling_off": _("You have made several purchases in the last hour. Take a short break."),
    "confirmation_required": _("Confirm this purchase first."),
    "confirmation_invalid": _(
        "The price or the confirmation changed. Look at the numbers again and confirm."
    ),
    "cap_above_ceiling": _("The shop does not allow a limit this high."),
    "invalid_cap": _("A limit is a whole number (money in yuan, up to two decimals)."),
    # the pages themselves
    "not_found": _("This page does not exist."),
    "sign_in_required": _("Please sign in first."),
    "csrf_failed": _(
        "The form expired or did not come from this site. Go back, reload the page and try again."
    ),
    "forbidden": _("You are not allowed to do this."),
    "permission_denied": _("Your role does not allow this."),
    # the console
    "invalid_transition": _("The campaign cannot make that move from its current status."),
    "not_now": _("That cannot happen at this time."),
    "reference_price_above_lowest": _(
        "The reference price is above the lowest price recorded for the item before launch."
    ),
    "void_reason_required": _("Give a reason of 3 to 200 characters: the starter is told it."),
    "assist_not_voidable": _("This assist was voided already."),
    "reason_required": _("Give a reason: it is told to the people affected."),
    "case_already_decided": _("This case was decided already."),
    "mutual_help_needs_analyst": _("Only an analyst may act on a likely mutual-help group."),
    "mutual_help_reason_required": _(
        "This group looks like friends helping each other. Say why it is a ring before "
        "acting on it."
    ),
    "appeal_already_decided": _("This appeal was decided already."),
    "campaign_config_refused": _("This campaign's settings are refused: see the fields marked."),
    "campaign_times_conflict": _("The campaign's start and end times do not allow this now."),
    "budget_below_committed": _(
        "The budget or stock cannot go below what is already reserved and spent."
    ),
    "rules_frozen": _(
        "These rules are frozen: people already took part under them, so they cannot change."
    ),
    "commitment_mismatch": _(
        "The lottery's seed does not match the commitment published at launch: no draw is made."
    ),
    "draw_not_found": _("This lottery has not been drawn yet."),
    "item_not_found": _("There is no such item in this shop."),
    "sku_taken": _("Another item of this shop already has this SKU."),
    "review_case_not_found": _("There is no such review case."),
    "not_an_operator": _("A case can only be given to an operator."),
    "report_subject_missing": _("Say whom or what you report."),
    "reported_account_not_found": _("There is no such account in this shop."),
    "appeal_not_found": _("There is no such appeal."),
    "account_not_found": _("There is no such account."),
    "assist_not_found": _("There is no such assist."),
    "not_your_assist": _("Only the person who gave this assist may do this."),
    # invites
    "invite_self": _("You cannot invite yourself."),
    "invites_not_accepted": _("This person does not take invites from you."),
    "kind_not_wanted": _("This person does not want invites to this kind of campaign."),
    "muted": _("This person muted you."),
    "quiet_hours": _("It is this person's quiet time now: invite them later."),
    "recipient_daily_max": _("This person has had as many invites today as they accept."),
    "recipient_not_found": _("There is no such person in this shop."),
    "group_required": _("A link for a group needs the group's reference."),
    "share_link_not_found": _("You have no such share link."),
    "invalid_opt_out": _("This mute or unsubscribe link is not genuine."),
    # the inbox
    "kind_not_muteable": _("Decisions on your account always reach you: they cannot be muted."),
    # accounts, sign-in, tokens
    "unauthenticated": _("Please sign in first."),
    "invalid_credentials": _("The e-mail or password is not right."),
    "invalid_token": _("Your sign-in is not valid any more. Please sign in again."),
    "token_not_found": _("There is no such token."),
    "operator_exists": _("An operator with this e-mail exists already."),
    "shop_exists": _("A shop with this name exists already."),
    "shop_not_found": _("There is no shop with this name."),
    "wechat_code_invalid": _("The WeChat sign-in did not complete. Please sign in again."),
    "wechat_state_invalid": _(
        "This sign-in was not started from this browser, or took too long. Start again."
    ),
    "wechat_disabled": _("WeChat sign-in is not set up on this site."),
    "wechat_unavailable": _("WeChat is not answering right now. Try again in a moment."),
    "page_url_not_allowed": _("WeChat sharing works only on this site's own pages."),
    # payments
    "authorization_closed": _("This payment hold was already charged or released."),
    "invalid_amount": _("The amount is not valid."),
    "not_a_capture": _("Only a charge can be refunded."),
    "not_an_authorization": _("Only a payment hold can be charged or released."),
    "payment_key_reused": _("This payment was already made with different details."),
    "payment_not_found": _("There is no such payment."),
    "refund_exceeds_capture": _("A refund cannot return more than was charged."),
    "unknown_payment_provider": _("There is no such payment provider."),
    # integrations
    "invalid_webhook_url": _("This webhook address is not allowed."),
    "webhook_delivery_not_found": _("There is no such webhook delivery."),
    "webhook_endpoint_not_found": _("There is no such webhook endpoint."),
    "idempotency_in_progress": _("The same request is still being handled. Try again shortly."),
    "idempotency_key_invalid": _("The request's Idempotency-Key is not valid."),
    "idempotency_key_reused": _("This Idempotency-Key was already used for another request."),
    # the request itself
    "error": _("That did not work."),
    "invalid_input": _("Something in the request is not valid."),
    "conflict": _("This clashes with the current state. Reload and try again."),
    "rate_limited": _("Too many requests. Wait a moment and try again."),
    "body_too_large": _("What was sent is too large."),
    "nul_character": _("What was sent contains a character that is not allowed."),
    "method_not_allowed": _("This address does not take that kind of request."),
    "http_error": _("That did not work."),
    "internal": _("Something went wrong on our side. Try again later."),
}

# A problem that names its variable parts says them: code -> (the field it needs, msgid),
# tried in order before the code's plain message above. Times are shown in the site's
# zone, saying which.
WITH: dict[str, tuple[tuple[str, str], ...]] = {
    "mutual_help_reason_required": (
        (
            "min_chars",
            _(
                "This group looks like friends helping each other. Say in at least "
                "%(min_chars)s characters why it is a ring before acting on it."
            ),
        ),
    ),
    "account_restricted": (
        ("restricted_until", _("Your account may not take part until %(restricted_until)s.")),
    ),
    "invite_restricted": (
        (
            "restricted_until",
            _("Your account may not share or invite until %(restricted_until)s."),
        ),
    ),
    "daily_assist_limit": (
        ("limit", _("You reached today's limit of %(limit)s assists in this campaign.")),
    ),
    "campaign_not_open": (
        ("drawn_at", _("This lottery was drawn at %(drawn_at)s: its result is on its page.")),
        ("starts_at", _("This campaign opens at %(starts_at)s.")),
        ("ends_at", _("This campaign ended at %(ends_at)s.")),
        ("draw_at", _("This lottery's entries closed at its draw, %(draw_at)s.")),
    ),
    "budget_exhausted": (
        (
            "needed_cents",
            _("This campaign has no budget left for a new one (one needs %(needed_cents)s)."),
        ),
    ),
    # What was wrong, in the engine's words: said with the detail rather than without.
    "invalid_input": (("detail", _("Something in the request is not valid: %(detail)s")),),
    "report_limit": (("limit", _("You may file %(limit)s reports a day; try again tomorrow.")),),
    "reference_price_above_lowest": (
        (
            "lowest_price_cents",
            _(
                "The reference price %(reference_price_cents)s is above %(lowest_price_cents)s, "
                "the lowest price recorded for this item in the %(window_days)s days before "
                "launch (recorded %(lowest_recorded_at)s). State a reference price of at most "
                "%(lowest_price_cents)s."
            ),
        ),
    ),
    "group_link_cap": (
        ("limit", _("You may make %(limit)s links for one group an hour; try again later.")),
    ),
    "sender_cap": (("limit", _("You may send %(limit)s invites a day; try again tomorrow.")),),
    "cap_reached": (
        (
            "resets_at",
            _(
                "This would go past one of your limits; it resets at %(resets_at)s. You can "
                "see and change your limits on My spending."
            ),
        ),
    ),
    "cooling_off": (
        (
            "wait_until",
            _(
                "You have made several purchases in the last hour. Take a short break: you "
                "can continue after %(wait_until)s."
            ),
        ),
    ),
}

# A problem that says why (its `reason`) and has no time to name: code -> reason -> msgid,
# tried after WITH and before the code's plain message.
BECAUSE: dict[str, dict[str, str]] = {
    "campaign_not_open": {
        "drawn": _("This lottery has been drawn: its result is on its page."),
        "ended": _("This campaign has ended: nothing new can be started in it."),
        "paused": _("This campaign is paused for now: try again later."),
        "not_started": _("This campaign has not opened yet."),
        "entries_closed": _("This lottery's entries are closed: the draw is being made."),
    },
}

# A problem that names where to go next carries a link there: code -> (the field holding
# an id, the page it leads to, the link's msgid).
LINKS: dict[str, tuple[str, str, str]] = {
    "instance_already_active": ("instance_id", "/i/{}", _("Open the one you have")),
}

GENERIC_ERROR = _("That did not work.")


def notice(request: Request, code: str | None) -> str | None:
    message = NOTICES.get(code or "")
    return gettext(request, message) if message else None


def problem_text(request: Request, *, code: str, detail: str | None, extra: dict[str, Any]) -> str:
    """The problem in the page's language: the code's message (its variant with the
    variable parts when the problem has them), else the English detail."""
    extra = {"detail": detail, **extra} if detail else extra
    for field, message in WITH.get(code, ()):
        if _shown(request, field, extra.get(field)) is None:
            continue
        # The variant names its field; it may say the problem's other parts too.
        shown = {key: _shown(request, key, value) for key, value in extra.items()}
        try:
            return gettext(request, message, **{k: v for k, v in shown.items() if v is not None})
        except KeyError:  # a part the variant says is missing from this problem
            continue
    because = BECAUSE.get(code, {}).get(str(extra.get("reason")))
    if because is not None:
        return gettext(request, because)
    plain = ERRORS.get(code)
    if plain is not None:
        return gettext(request, plain)
    return detail or gettext(request, GENERIC_ERROR)


def _shown(request: Request, field: str, value: Any) -> str | None:
    """A variable part as people read it: a time in the site's zone, money in yuan."""
    if value is None or isinstance(value, bool):
        return None
    if field.endswith(("_at", "_until")):
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
        settings: Settings = request.app.state.settings
        return format_time(moment, ZoneInfo(settings.web.time_zone))
    if field.endswith("_cents"):
        return format_cny(int(value)) if isinstance(value, int) else None
    return str(value) if isinstance(value, int | str) else None


# -- carrying a problem across the redirect -----------------------------------------------


def _key(request: Request) -> bytes:
    settings: Settings = request.app.state.settings
    # A key of its own, so a signed problem is never mistaken for another signed token.
    secret = settings.security.secret_key.get_secret_value().encode()
    return signing.hmac_sha256(secret, b"huzhu:web:problem")


def problem_query(request: Request, exc: HuzhuError) -> dict[str, str]:
    """The query a redirect after a refused form carries: `error` (the stable code) and
    `problem` (its detail and scalar variable parts, signed)."""
    extra = {
        key: value[:VALUE_MAX] if isinstance(value, str) else value
        for key, value in exc.extra.items()
        if value is None or isinstance(value, str | int | float | bool)
    }
    payload = json.dumps(
        {"c": exc.code, "d": exc.detail[:DETAIL_MAX], "x": extra},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return {"error": exc.code, "problem": signing.sign(_key(request), payload)}


def error(request: Request) -> str | None:
    """The error a redirect brought to this page (see problem_query), or None."""
    code = request.query_params.get("error")
    if not code:
        return None
    detail: str | None = None
    extra: dict[str, Any] = {}
    token = request.query_params.get("problem")
    found = signing.verify(_key(request), token) if token and len(token) < 2000 else None
    try:
        carried = json.loads(found) if found is not None else None
    except ValueError:
        carried = None
    # Only the problem signed for this very code: another code's words never show here.
    if isinstance(carried, dict) and carried.get("c") == code:
        detail = str(carried.get("d") or "") or None
        if isinstance(carried.get("x"), dict):
            extra = carried["x"]
    text = problem_text(request, code=code, detail=detail, extra=extra)
    return _with_link(request, code, text, extra)


def _with_link(request: Request, code: str, text: str, extra: dict[str, Any]) -> str:
    """The problem's words and, when it names where to go (LINKS), the link there. The
    id came signed with the problem; an id that is not a plain number is left out."""
    link = LINKS.get(code)
    target = extra.get(link[0]) if link else None
    if link is None or not isinstance(target, int) or isinstance(target, bool):
        return text
    href = link[1].format(target)
    return Markup('{} <a href="{}" data-error-link>{}</a>').format(
        text, href, gettext(request, link[2])
    )
