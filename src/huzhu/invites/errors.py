"""Errors of the invites domain, each with a stable code."""

from huzhu.errors import Conflict, Forbidden, HuzhuError, NotFound, RateLimited


class LinkRefused(HuzhuError):
    """Base of every share-link refusal (the web pages map them to one error page)."""

    status = 410


class LinkTampered(LinkRefused):
    """404: a link that is not genuine names nothing that exists here."""

    code = "link_tampered"
    status = 404
    title = "This share link is not genuine"


class LinkExpired(LinkRefused):
    code = "link_expired"
    title = "This share link has expired"


class LinkRevoked(LinkRefused):
    code = "link_revoked"
    title = "This share link was withdrawn by its sender"


class LinkUnknownKey(LinkRefused):
    code = "link_unknown_key"
    status = 404
    title = "This share link was signed with a key this server does not know"


class LinkRetiredKey(LinkRefused):
    code = "link_retired_key"
    title = "This share link was signed with a key that has been retired"


class LinkMismatch(HuzhuError):
    code = "link_mismatch"
    status = 422
    title = "The share link is for another instance"


class ShareLinkNotFound(NotFound):
    code = "share_link_not_found"
    title = "No such share link of yours"


class NotYourInstance(Forbidden):
    code = "not_your_instance"
    title = "Only the instance's initiator may share or invite for it"


class GroupRequired(HuzhuError):
    code = "group_required"
    status = 422
    title = "A link for a group needs the group's reference"


class GroupLinkCap(RateLimited):
    code = "group_link_cap"
    title = "Too many links for this group this hour"


class TooManyOpens(RateLimited):
    code = "too_many_opens"
    title = "Too many share opens from this network; try again shortly"


class RecipientNotFound(NotFound):
    code = "recipient_not_found"
    title = "No such person in this shop"


class InviteSelf(Forbidden):
    code = "invite_self"
    title = "You cannot invite yourself"


class InviteRefused(Forbidden):
    """Base of consent refusals: the recipient's choice, stated as `reason`."""


class InvitesNotAccepted(InviteRefused):
    code = "invites_not_accepted"
    title = "This person does not accept invites from you"


class KindNotWanted(InviteRefused):
    code = "kind_not_wanted"
    title = "This person does not want invites to this kind of campaign"


class QuietHours(InviteRefused):
    code = "quiet_hours"
    title = "It is this person's quiet hours"


class Muted(InviteRefused):
    code = "muted"
    title = "This person muted you"


class Blocked(InviteRefused):
    code = "blocked"
    title = "One of you blocked the other"


class RecipientDailyMax(RateLimited):
    code = "recipient_daily_max"
    title = "This person has received as many invites as they accept today"


class SenderCap(RateLimited):
    code = "sender_cap"
    title = "You have sent as many invites as you may today"


class CannotActOnSelf(Forbidden):
    code = "cannot_act_on_self"
    title = "You cannot mute, block or add yourself"


class InvalidOptOut(NotFound):
    code = "invalid_opt_out"
    title = "This mute or unsubscribe link is not genuine"


class InstanceNotOpen(Conflict):
    code = "instance_not_open"
    title = "The instance no longer takes assists"
