"""Errors of the enforcement domain."""

from huzhu.errors import Conflict, Forbidden, NotFound


class InviteRestricted(Forbidden):
    """Carries `kind`, `reason` and `restricted_until` (null for a ban) in the body."""

    code = "invite_restricted"
    title = "This account may not send invites right now"


class ActionNotFound(NotFound):
    code = "enforcement_action_not_found"
    title = "No such enforcement action"


class AppealNotFound(NotFound):
    code = "appeal_not_found"
    title = "No such appeal"


class AlreadyAppealed(Conflict):
    code = "already_appealed"
    title = "This action has been appealed already"


class AppealAlreadyDecided(Conflict):
    code = "appeal_already_decided"
    title = "This appeal has been decided already"


class ActionAlreadyLifted(Conflict):
    code = "action_already_lifted"
    title = "This action has been lifted already"


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "No such account in this shop"


class NotAnOperator(Conflict):
    code = "not_an_operator"
    title = "Only an operator can be assigned a case"
