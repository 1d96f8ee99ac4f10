"""What the hot path asks of the domains above it, in one narrow interface.

An assist is judged by two domains that build on assists: invites (is the share link the
helper came through genuine?) and risk (count, hold or refuse?). The hot path must not
import them — they import assists — so it names what it needs here, and the app (or the
demo seed) hands it an implementation of each: `invites.service.ShareLinks` and
`risk.screen.InlineScreen`.

`AssistRequest` is the one shape every entry point gives an assist in: the API route
and the page form both build it with `hotpath.service.assist_request`, so no entry point
can leave out the client or the account's age and slip past the inline checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from huzhu.errors import HuzhuError


@dataclass(frozen=True, slots=True)
class Client:
    """What the request says about the client, for inline scoring (never stored raw)."""

    headers: Mapping[str, str]
    host: str | None


# A server-side caller (the demo seed) has no client to describe.
SERVER_CLIENT = Client(headers={"user-agent": "huzhu"}, host=None)


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__
# (3x the cost), and one is built for every assist. Treat it as a value all the same.
@dataclass(slots=True)
class AssistRequest:
    """One assist as asked: who, on what, through which share, from which client."""

    instance_id: int
    shop_id: int
    helper_id: int
    idempotency_key: str | None
    client: Client
    # When the helper's account was made (unix seconds; None when the token predates it).
    joined_epoch: int | None = None
    share: str | None = None  # the token of the share link the helper came through
    share_open_id: int | None = None  # the open of that link they say they came from


@dataclass(slots=True)
class Assessment:
    """What the risk screen is told about one assist before it is written. Ids are
    pseudonymous account ids; the client's hints are hashed by the screen, never kept."""

    shop_id: int
    campaign_id: int
    instance_id: int
    kind: str
    helper_id: int
    initiator_id: int
    at: datetime
    client: Client
    account_age_seconds: float | None
    share_link_id: int | None
    share_open_id: int | None


# A verdict that refuses the assist outright (never stored; the others, "count" and
# "hold", are repository.acts.Decision).
REFUSED = "refuse"


class Verdict(Protocol):
    """A risk decision: "count", "hold" or "refuse", with its score and reasons (stored
    on the assist, so every later judgement can be audited against them)."""

    @property
    def decision(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def reasons(self) -> list[str]: ...

    @property
    def network_hash(self) -> str | None:
        """The keyed hash of the client's network prefix (a hold is bounded per
        network); None when unknown."""
        ...

    @property
    def group_signs(self) -> str | None:
        """What could make the assist the first of a group held later (kept with the two
        hashes below for the group windows, so the hold reaches back to it); None when
        nothing could."""
        ...

    @property
    def group_net_hash(self) -> str | None: ...

    @property
    def group_device_hash(self) -> str | None: ...


class SharePass(Protocol):
    """A share link whose signature and expiry checked out (revocation is checked in the
    assist's transaction)."""

    @property
    def link_id(self) -> int: ...

    @property
    def instance_id(self) -> int: ...

    @property
    def channel(self) -> str: ...


class ShareCheck(Protocol):
    def verify(self, token: str, *, now: datetime) -> SharePass:
        """The link's claims, or raise the HuzhuError that says why it is refused."""
        ...

    def mismatch(self, detail: str, *, field: str | None = None) -> HuzhuError:
        """The link (or its open) belongs to another instance."""
        ...

    def revoked(self) -> HuzhuError:
        """The sender withdrew the link."""
        ...

    def blocked(self) -> HuzhuError:
        """One of the two blocked the other."""
        ...


class RiskScreen(Protocol):
    async def assess(self, assessment: Assessment) -> Verdict:
        """The inline decision; may note a spike and open its review case in the
        background (never waited on)."""
        ...

    def held(self, assessment: Assessment, verdict: Verdict, *, assist_id: int) -> None:
        """An assist the verdict held was stored: an analyst must see it (in the
        background)."""
        ...

    async def close(self) -> None: ...


# What a test sets on the hot path to force a decision without shaping traffic.
DecideInline = Callable[[Assessment], Verdict]
