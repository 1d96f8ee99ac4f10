"""Short notices shown after a form, by stable code: translated here (the texts are
gettext msgids, so the catalogs translate them), never built from user input."""

from __future__ import annotations

from fastapi import Request

from huzhu.web.templating import gettext


def _(message: str) -> str:
    """Mark a msgid for extraction; translated when shown."""
    return message


NOTICES: dict[str, str] = {
    "counted": _("Thank you: your assist counted."),
    "held": _("Thank you: your assist is being checked and will count once it clears."),
    "joined": _("You joined the team. You are charged only when the team is full."),
    "started": _("Started. Friends who want to help can assist from this page."),
    "signed_in": _("You are signed in."),
    "signed_out": _("You are signed out."),
    "created": _("Campaign created."),
    "launched": _("Campaign launched."),
    "paused": _("Campaign paused."),
    "resumed": _("Campaign resumed."),
    "ended": _("Campaign ended."),
    "muted": _("Muted. You will get no more invites from this person."),
    "blocked": _("Blocked. No more invites from this person, and no assists between you."),
    "case_taken": _("The case is yours."),
    "case_confirmed": _("Case confirmed; the people affected are told."),
    "case_dismissed": _("Case dismissed; the reporters are told."),
    "appeal_uphold": _("Appeal decided: the action stands."),
    "appeal_lift": _("Appeal decided: the action is lifted and undone where it can be."),
    "appeal_filed": _("Your appeal is sent; you will be told the decision."),
    "bought": _("Bought at the floor price. It shows in your spending."),
    "voided": _("Assist voided; the starter is told how many assists were removed and why."),
    "preferences_saved": _("Your preferences are saved."),
    "reported": _(
        "Thank you. An analyst will look at your report; the sender is not told who reported."
    ),
}

ERRORS: dict[str, str] = {
    "already_assisted": _("You already assisted this one: one assist per person."),
    "self_assist": _("Your own assist does not count: ask a friend who wants to help."),
    "instance_full": _("This one needs no more assists."),
    "instance_closed": _("This one has ended."),
    "daily_assist_limit": _("You reached today's assist limit for this campaign."),
    "assist_refused": _("This assist could not be accepted."),
    "account_restricted": _("Your account may not take part right now."),
    "team_full": _("The team already has all its members."),
    "team_closed": _("The team is no longer taking members."),
    "already_in_team": _("You are already in this team."),
    "instance_already_active": _("You already have one running in this campaign."),
    "budget_exhausted": _("This campaign has no budget left for a new one."),
    "out_of_stock": _("This campaign is out of stock."),
    "campaign_not_open": _("This campaign is not open right now."),
    "invalid_transition": _("The campaign cannot make that move from its current status."),
    "not_now": _("That cannot happen at this time."),
    "csrf_failed": _("The form expired. Reload the page and try again."),
    "appeal_text_required": _("Write a few words about why the action is wrong."),
    "already_appealed": _("You appealed this action already."),
    "action_already_lifted": _("This action was lifted already."),
    "purchase_not_open": _("This can no longer be bought: the purchase window has closed."),
    "not_initiator": _("Only the person who started this can buy it."),
    "void_reason_required": _("Give a reason of 3 to 200 characters: the starter is told it."),
    "assist_not_voidable": _("This assist was voided already."),
    "reason_required": _("Give a reason: it is told to the people affected."),
    "case_already_decided": _("This case was decided already."),
    "appeal_already_decided": _("This appeal was decided already."),
    "blocked": _("One of you blocked the other, so no assists between you."),
    "link_revoked": _("The sender withdrew this share link."),
    "link_expired": _("This share link has expired; ask the sender for a new one."),
    "link_mismatch": _("This share link is for another activity."),
    "already_reported": _("You reported this already; it is waiting for review."),
    "cannot_report_self": _("You cannot report yourself."),
    "cannot_act_on_self": _("You cannot do that to yourself."),
    "not_your_instance": _("Only the person who started this can share it."),
    "instance_not_open": _("This activity has ended, so it cannot be shared."),
    "invite_restricted": _("Your account may not share or invite right now."),
}


GENERIC_ERROR = _("That did not work.")


def notice(request: Request, code: str | None) -> str | None:
    message = NOTICES.get(code or "")
    return gettext(request, message) if message else None


def error(request: Request, code: str | None) -> str | None:
    if not code:
        return None
    message = ERRORS.get(code)
    return gettext(request, message) if message else gettext(request, GENERIC_ERROR)
