"""Errors of the campaigns domain."""

from huzhu.errors import Conflict, NotFound


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = "No such campaign"


class CampaignNotLive(Conflict):
    code = "campaign_not_live"
    title = "The campaign is not live"


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    title = "The campaign's budget or stock cannot cover this"
