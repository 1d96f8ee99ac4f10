"""Request and response models of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from huzhu.accounts.rules import DISPLAY_NAME_MAX_CHARS, Role
from huzhu.kit.credentials import credential
from huzhu.kit.jsonbody import JsonBody


class LoginIn(JsonBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str | None = credential("the operator's bearer token")
    token_type: str = "bearer"
    expires_at: datetime | None
    role: Role


class ParticipantLoginIn(JsonBody):
    """Local identity provider: the shop's own user id (or any stable subject)."""

    shop: str = Field(min_length=1, max_length=64, description="shop slug")
    subject: str = Field(min_length=1, max_length=200, description="stable user id at the shop")
    display_name: str | None = Field(
        default=None,
        max_length=DISPLAY_NAME_MAX_CHARS,
        description="the name the account starts with (a new account only), trimmed; no "
        "control or format characters (422 invalid_display_name); the person can change it",
    )


class ParticipantTokenOut(BaseModel):
    token: str | None = credential("the participant's bearer token")
    token_type: str = "bearer"
    account_id: int
    expires_at: datetime


class OperatorRole(StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    ANALYST = "analyst"
    SUPPORT = "support"


class OperatorIn(JsonBody):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=10, max_length=200)
    role: OperatorRole = OperatorRole.OPERATOR


class OperatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    created_at: datetime


class IntegratorTokenIn(JsonBody):
    name: str = Field(min_length=1, max_length=100)


class IntegratorTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


class IntegratorTokenCreated(IntegratorTokenOut):
    token: str | None = credential("shown once; store it now.")


class MeOut(BaseModel):
    kind: str
    role: Role
    shop_id: int
    subject_id: int


class DisplayNameIn(JsonBody):
    display_name: str | None = Field(
        max_length=DISPLAY_NAME_MAX_CHARS,
        description="your name as the starters you let see it read it, trimmed; null or "
        "blank clears it (then they see a pseudonym); no control or format characters",
    )


class DisplayNameOut(BaseModel):
    display_name: str | None = Field(description="as stored (trimmed), or null: none set")
