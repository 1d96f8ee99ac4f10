"""Errors of the accounts domain."""

from huzhu.errors import (
    Conflict,
    Forbidden,
    HuzhuError,
    InvalidInput,
    NotFound,
    Unauthenticated,
)


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    title = "Email or password is wrong"


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    title = "The bearer token is not valid"


class PermissionDenied(Forbidden):
    code = "permission_denied"
    title = "Your role does not allow this"


class ShopNotFound(NotFound):
    code = "shop_not_found"
    title = "No such shop"


class OperatorExists(Conflict):
    code = "operator_exists"
    title = "An operator with this email exists"


class TokenNotFound(NotFound):
    code = "token_not_found"
    title = "No such token"


class AccountRestricted(Forbidden):
    code = "account_restricted"
    title = "This account may not take part right now"


class ShopExists(Conflict):
    code = "shop_exists"
    title = "A shop with this slug exists"


class AccountDeleted(HuzhuError):
    """The account was deleted at its owner's request: its tokens no longer work, and
    deleting it again has nothing left to delete."""

    code = "account_deleted"
    status = 410
    title = "This account was deleted"


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "No such account"


class InvalidDisplayName(InvalidInput):
    code = "invalid_display_name"
    title = "This name cannot be used"
