"""Errors of the guardrails, each with a stable code clients branch on."""

from huzhu.errors import Conflict, HuzhuError, InvalidInput, RateLimited


class CapReached(Conflict):
    """Carries `cap`, `limit`, `used`, `needed` and `resets_at`."""

    code = "cap_reached"
    title = "This would go past a limit you have"


class CoolingOff(RateLimited):
    """Carries `wait_until`, `retry_after` (seconds) and `steps_in_hour`."""

    code = "cooling_off"
    title = "Take a short break before the next purchase"


class ConfirmationRequired(HuzhuError):
    code = "confirmation_required"
    status = 428
    title = "Confirm this purchase first"


class ConfirmationInvalid(Conflict):
    code = "confirmation_invalid"
    title = "This confirmation does not match the purchase; confirm again"


class CapAboveCeiling(InvalidInput):
    code = "cap_above_ceiling"
    title = "The shop does not allow a cap this high"
