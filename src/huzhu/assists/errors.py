"""Errors of the assists domain, each with a stable code clients branch on."""

# Re-exported: a campaign of another shop is "not found" the same way in both domains.
from huzhu.campaigns.errors import CampaignNotFound as CampaignNotFound
from huzhu.errors import Conflict, Forbidden, HuzhuError, NotFound, RateLimited


class InstanceNotFound(NotFound):
    code = "instance_not_found"
    title = "No such instance"


class AssistNotFound(NotFound):
    code = "assist_not_found"
    title = "No such assist"


class CampaignNotOpen(Conflict):
    code = "campaign_not_open"
    title = "The campaign is not taking new instances"


class UnsupportedKind(Conflict):
    code = "unsupported_kind"
    title = "Instances of this kind are not started here"


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    title = "The campaign's budget cannot cover another instance"


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "The campaign has no stock left for another instance"


class InstanceAlreadyActive(Conflict):
    code = "instance_already_active"
    title = "You already have an active instance of this campaign"


class InstanceClosed(Conflict):
    code = "instance_closed"
    title = "The instance is no longer taking assists"


class InstanceFull(Conflict):
    code = "instance_full"
    title = "The instance needs no more assists"


class AlreadyAssisted(Conflict):
    code = "already_assisted"
    title = "You have already assisted this instance"


class SelfAssist(Forbidden):
    code = "self_assist"
    title = "You cannot assist your own instance"


class AssistRefused(Forbidden):
    code = "assist_refused"
    title = "This assist was refused by the risk checks"


class DailyAssistLimit(RateLimited):
    code = "daily_assist_limit"
    title = "You reached today's assist limit for this campaign"


class HoldLimitReached(RateLimited):
    """An assist the inline checks would hold, refused because its instance has as many
    waiting on hold as it may, or its network put as many on hold as it may in this
    window (settings.risk.held_per_instance, held_per_network): a burst must not fill
    the review queue. `scope` says which; Retry-After when to try again."""

    code = "hold_limit_reached"
    title = "Too many assists are waiting for review here"


class AssistNotVoidable(Conflict):
    code = "assist_not_voidable"
    title = "This assist is already voided"


class NotInitiator(Forbidden):
    code = "not_initiator"
    title = "Only the participant who started this instance may do this"


class NotYourAssist(Forbidden):
    code = "not_your_assist"
    title = "Only the person who gave this assist may do this"


class PurchaseNotOpen(Conflict):
    code = "purchase_not_open"
    title = "This instance cannot be bought now"


class HotPathBusy(HuzhuError):
    code = "busy"
    status = 503
    title = "The server is busy; retry shortly"
