"""Who may do what: the one role → permission table.

Every API route names exactly one Permission (or is public); tests walk all routes with
every role and check this table is what the server enforces.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class AccountStatus(StrEnum):
    ACTIVE = "active"
    RESTRICTED = "restricted"  # until restricted_until (None: until lifted)
    BANNED = "banned"
    # Deleted at its owner's request: an anonymous tombstone that can never act again.
    DELETED = "deleted"


@dataclass(frozen=True)
class Bar:
    """An account's standing as its columns hold it: status, end (None: no end), reason."""

    status: AccountStatus
    until: datetime | None
    reason: str | None


_NEVER = datetime.max.replace(tzinfo=UTC)


def _weight(bar: Bar) -> tuple[int, datetime]:
    """Banned binds hardest, then a restriction with no end, then the later-ending one."""
    if bar.status == AccountStatus.BANNED:
        return (2, _NEVER)
    if bar.status == AccountStatus.RESTRICTED:
        return (1, bar.until or _NEVER)
    return (0, _NEVER)


def stricter(ladder: Bar, carried: Bar | None) -> Bar:
    """The standing to write when the ladder recomputes an account whose login carries a
    restriction from a deleted account: whichever binds harder, so that no recompute
    (an action on the new account, a lift, the lapsed-restriction tidy) sheds what the
    deletion could not."""
    if carried is None:
        return ladder
    return carried if _weight(carried) > _weight(ladder) else ladder


class ConsentKind(StrEnum):
    """What a person chose in a `consent_event` (their history of consent changes)."""

    INVITE_PREFERENCES = "invite_preferences"  # who may invite them, when, how often
    NAME_DISPLAY = "name_display"  # the starter of an activity they assisted sees their name
    WECHAT_MESSAGES = "wechat_messages"  # their inbox pushed to WeChat


class TokenKind(StrEnum):
    """What an `api_token` row is for."""

    SESSION = "session"  # an operator's sign-in; acts with the operator's role
    INTEGRATOR = "integrator"  # a shop's server-to-server key


class PrincipalKind(StrEnum):
    """What kind of caller a Principal is, whatever its role."""

    OPERATOR = "operator"  # subject_id: the operator's session token
    INTEGRATOR = "integrator"  # subject_id: the integrator token
    PARTICIPANT = "participant"  # subject_id: the account


def barred_sql(*, status: str, until: str, now: str) -> str:
    """SQL that is true while an account may not take part: banned, deleted (so a
    deleted account's tokens give no assist), or restricted with no end or an end still
    ahead. `status`, `until` and `now` are SQL expressions (columns or parameters). The
    one definition of the rule: the assist hot path's statements on both backends and
    `accounts.service.barred` all embed it."""
    return (
        f"({status} IN ('{AccountStatus.BANNED}', '{AccountStatus.DELETED}')"
        f" OR ({status} = '{AccountStatus.RESTRICTED}'"
        f" AND ({until} IS NULL OR {until} > {now})))"
    )


class Role(StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"
    ANALYST = "analyst"
    SUPPORT = "support"
    INTEGRATOR = "integrator"
    PARTICIPANT = "participant"


OPERATOR_ROLES = (Role.OWNER, Role.OPERATOR, Role.ANALYST, Role.SUPPORT)


class Permission(StrEnum):
    SHOP_READ = "shop.read"
    OPERATOR_MANAGE = "operator.manage"
    TOKEN_MANAGE = "token.manage"
    PARTICIPANT_ISSUE = "participant.issue"
    CAMPAIGN_READ = "campaign.read"
    CAMPAIGN_WRITE = "campaign.write"
    INSTANCE_READ_ANY = "instance.read_any"
    ASSIST_VOID = "assist.void"
    EVENT_READ = "event.read"
    WEBHOOK_MANAGE = "webhook.manage"
    JOB_READ = "job.read"
    # Participant acts: on their own instances, as themselves.
    INSTANCE_START = "instance.start"
    INSTANCE_READ_OWN = "instance.read_own"
    ASSIST_GIVE = "assist.give"
    PURCHASE_MAKE = "purchase.make"
    INBOX_READ = "inbox.read"
    GUARDRAILS_OWN = "guardrails.own"  # one's own caps, spending and confirmations
    SHARE_ISSUE = "share.issue"  # issue / list / revoke links to one's own instance
    INVITE_SEND = "invite.send"  # direct invites to people and groups
    INVITE_CONSENT = "invite.consent"  # one's invite preferences, mutes, blocks, contacts
    WECHAT_MESSAGES = "wechat.messages"  # see / stop one's own WeChat messages
    DATA_OWN = "data.own"  # export or delete one's own data
    # The review queue and the enforcement ladder (analysts and owners) …
    REVIEW_READ = "review.read"
    REVIEW_DECIDE = "review.decide"
    ENFORCEMENT_ACT = "enforcement.act"
    APPEAL_DECIDE = "appeal.decide"
    AUDIT_READ = "audit.read"
    # … and what a participant does there: report, see their own standing, appeal.
    REPORT_FILE = "report.file"
    APPEAL_FILE = "appeal.file"
    ENFORCEMENT_READ_OWN = "enforcement.read_own"


P = Permission

_OPERATOR_BASE = {P.SHOP_READ, P.CAMPAIGN_READ, P.INSTANCE_READ_ANY}
_REVIEWER = {P.REVIEW_READ, P.REVIEW_DECIDE, P.ENFORCEMENT_ACT, P.APPEAL_DECIDE}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(
        _OPERATOR_BASE
        | _REVIEWER
        | {
            P.OPERATOR_MANAGE,
            P.TOKEN_MANAGE,
            P.PARTICIPANT_ISSUE,
            P.CAMPAIGN_WRITE,
            P.ASSIST_VOID,
            P.EVENT_READ,
            P.WEBHOOK_MANAGE,
            P.JOB_READ,
            # The audit log says who looked at whom: owners only, not those it watches.
            P.AUDIT_READ,
        }
    ),
    Role.OPERATOR: frozenset(
        _OPERATOR_BASE | {P.CAMPAIGN_WRITE, P.EVENT_READ, P.WEBHOOK_MANAGE, P.JOB_READ}
    ),
    Role.ANALYST: frozenset(_OPERATOR_BASE | _REVIEWER | {P.ASSIST_VOID, P.EVENT_READ}),
    Role.SUPPORT: frozenset(_OPERATOR_BASE),
    Role.INTEGRATOR: frozenset(
        _OPERATOR_BASE | {P.PARTICIPANT_ISSUE, P.CAMPAIGN_WRITE, P.EVENT_READ, P.WEBHOOK_MANAGE}
    ),
    Role.PARTICIPANT: frozenset(
        {P.INSTANCE_START, P.INSTANCE_READ_OWN, P.ASSIST_GIVE, P.PURCHASE_MAKE, P.INBOX_READ}
        | {P.GUARDRAILS_OWN}
        | {P.SHARE_ISSUE, P.INVITE_SEND, P.INVITE_CONSENT}
        | {P.WECHAT_MESSAGES, P.DATA_OWN}
        | {P.REPORT_FILE, P.APPEAL_FILE, P.ENFORCEMENT_READ_OWN}
    ),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling. `subject_id` is the operator, token or account id by `kind`."""

    kind: PrincipalKind
    role: Role
    shop_id: int
    subject_id: int

    @property
    def key(self) -> str:
        """A stable name for this caller, e.g. for idempotency records."""
        return f"{self.kind}:{self.subject_id}"


@dataclass(frozen=True, slots=True)
class ParticipantClaims:
    """What a participant token says, trusted because we signed it."""

    shop_id: int
    account_id: int
    # When the account was made (unix seconds), for inline scoring's account age without
    # a query; None in tokens issued without it.
    joined_epoch: int | None


def participant_token_payload(
    *, shop_id: int, account_id: int, expires_epoch: int, joined_epoch: int | None = None
) -> str:
    base = f"p|{shop_id}|{account_id}|{expires_epoch}"
    return base if joined_epoch is None else f"{base}|{joined_epoch}"


def parse_participant_claims(payload: str, *, now_epoch: int) -> ParticipantClaims | None:
    """The claims of a genuine, unexpired participant token payload."""
    parts = payload.split("|")
    if len(parts) not in (4, 5) or parts[0] != "p":
        return None
    try:
        shop_id, account_id, expires = int(parts[1]), int(parts[2]), int(parts[3])
        joined = int(parts[4]) if len(parts) == 5 else None
    except ValueError:
        return None
    if expires <= now_epoch:
        return None
    return ParticipantClaims(shop_id=shop_id, account_id=account_id, joined_epoch=joined)


def parse_bearer(header: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


# -- a person's display name ---------------------------------------------------------

# Shown beside an assist to its starter (with the helper's consent) and atop an invite:
# a name, not a message, so it is short.
DISPLAY_NAME_MAX_CHARS = 32
# Unicode categories a name may not hold: control and format characters (bidi overrides
# and zero-width characters that make a name read as another), surrogates, private use
# and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def normalize_display_name(raw: str) -> str | None:
    """The name as it is stored: NFC, spaces at the ends cut and runs of whitespace made
    one space; None when nothing is left (the person clears their name)."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    return name or None


def display_name_problem(name: str) -> str | None:
    """Why a normalized name cannot be stored, or None. Never repeats the name: the
    problem may be carried in a redirect's URL."""
    if len(name) > DISPLAY_NAME_MAX_CHARS:
        return f"a name has at most {DISPLAY_NAME_MAX_CHARS} characters"
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in name):
        return "a name may not hold control, format or unassigned characters"
    return None
