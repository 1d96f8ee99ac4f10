"""Errors of the campaigns domain."""

from typing import Any

from huzhu.errors import Conflict, InvalidInput, NotFound


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    title = "No such campaign"


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    title = "The campaign's budget or stock cannot cover this"


class InvalidTransition(Conflict):
    """A lifecycle action the campaign's status does not allow (pause a draft, resume an
    ended campaign). Carries the status so a client can show what is possible."""

    code = "invalid_transition"
    title = "The campaign's status does not allow this"


class RulesFrozen(Conflict):
    """An edit that would change terms participants already hold (a launched lottery's
    prizes or draw time): refused, never applied to them behind their backs."""

    code = "rules_frozen"
    title = "These rules are frozen for participants who already took part"

    def __init__(self, detail: str, *, fields: list[str]) -> None:
        errors = [{"field": field, "message": detail} for field in fields]
        super().__init__(detail, errors=errors)


class BudgetBelowCommitted(Conflict):
    """Lowering budget or stock below what is already reserved or spent would break a
    promise made to a participant; the database's CHECK would refuse it anyway."""

    code = "budget_below_committed"
    title = "Budget or stock cannot go below what is reserved and spent"

    def __init__(self, detail: str, *, field: str, **extra: Any) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}], **extra)


class CampaignConfigRefused(InvalidInput):
    """A deceptive or impossible config; `errors` names each field and says why."""

    code = "campaign_config_refused"
    title = "This campaign config is refused"


class NotNow(Conflict):
    """The campaign's own times forbid this action at this moment (launching before
    starts_at, resuming after ends_at); the field says which time."""

    code = "campaign_times_conflict"
    title = "The campaign's times do not allow this now"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}])


class ReferencePriceAboveLowest(InvalidInput):
    """A reference price ("was ¥X") above the lowest price recorded for the campaign's
    item in the window before launch: the claim would not hold. Carries the recorded
    figure and when it was recorded, so the operator sees what the claim must respect."""

    code = "reference_price_above_lowest"
    title = "The reference price is above the item's lowest recorded price"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, field="reference_price_cents", **extra)
