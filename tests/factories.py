"""Small factories shared by the tests of every domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.assists.spending import service as spending
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.guardrails.rules import StepKind

PASSWORD = "correct-horse-battery"


@dataclass
class ShopFixture:
    shop_id: int
    slug: str
    tokens: dict[Role, str]  # a bearer token per role, participant included
    participant_id: int


def make_shop(session: Session, *, slug: str | None = None) -> int:
    slug = slug or f"shop-{uuid.uuid4().hex[:8]}"
    return accounts.create_shop(session, slug=slug, name=f"Shop {slug}").id


def make_participant(
    session: Session, settings: Settings, *, shop_id: int, name: str
) -> tuple[int, str]:
    account = accounts.get_or_create_account(
        session, settings, shop_id=shop_id, provider="local", subject=name, display_name=name
    )
    token, _ = accounts.issue_participant_token(
        settings, shop_id=shop_id, account_id=account.id, joined_at=account.created_at
    )
    return account.id, token


def make_shop_with_roles(
    db: Database, settings: Settings, *, slug: str | None = None
) -> ShopFixture:
    """A shop with one operator of each role, an integrator token and a participant, all
    committed (so a server process sees them too)."""
    slug = slug or f"shop-{uuid.uuid4().hex[:8]}"
    tokens: dict[Role, str] = {}
    with db.unit_of_work() as s:
        shop_id = make_shop(s, slug=slug)
        for role in (Role.OWNER, Role.OPERATOR, Role.ANALYST, Role.SUPPORT):
            accounts.create_operator(
                s,
                shop_id=shop_id,
                email=f"{role.value}-{slug}@example.test",
                display_name=role.value,
                password=PASSWORD,
                role=role,
            )
            tokens[role], _ = accounts.login(
                s, settings, email=f"{role.value}-{slug}@example.test", password=PASSWORD
            )
        tokens[Role.INTEGRATOR], _ = accounts.create_integrator_token(s, shop_id=shop_id, name="it")
        participant_id, tokens[Role.PARTICIPANT] = make_participant(
            s, settings, shop_id=shop_id, name="alice"
        )
    return ShopFixture(shop_id=shop_id, slug=slug, tokens=tokens, participant_id=participant_id)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def confirmation(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    action: str,
    target_id: int,
) -> str | None:
    """A person's confirmation of one money step, as the page gives it: the quote's
    token (None when the step needs none or would be refused)."""
    return spending.quote(
        session,
        settings,
        shop_id=shop_id,
        account_id=account_id,
        action=StepKind(action),
        target_id=target_id,
    ).token


def confirmed(client: Any, token: str, action: str, target_id: int) -> dict[str, str]:
    """Headers for a money step over HTTP: the bearer token and the confirmation that
    POST /me/confirmations returned for exactly this step."""
    quote = client.post(
        "/api/v1/me/confirmations",
        json={"action": action, "target_id": target_id},
        headers=auth(token),
    )
    assert quote.status_code == 200, quote.text
    headers = auth(token)
    if quote.json()["token"] is not None:
        headers["Huzhu-Confirmation"] = quote.json()["token"]
    return headers


def make_campaign(
    session: Session,
    *,
    shop_id: int,
    kind: str,
    rules: dict[str, object],
    budget_cents: int = 1_000_000,
    inventory_total: int = 1_000,
    status: str = "live",
    channel: str = "own_app",
) -> tuple[int, int]:
    """A campaign and its version 1 written directly as rows (campaign id, version id),
    for tests of other domains that need one without going through the campaigns API."""
    from huzhu.campaigns.models import Campaign, CampaignVersion
    from huzhu.kit import clock

    now = clock.utcnow()
    campaign = Campaign(
        shop_id=shop_id,
        kind=kind,
        name=f"{kind} campaign",
        description="",
        channel=channel,
        status=status,
        version=1,
        budget_cents=budget_cents,
        budget_reserved_cents=0,
        budget_spent_cents=0,
        inventory_total=inventory_total,
        inventory_reserved=0,
        inventory_used=0,
        launched_at=now if status == "live" else None,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    version = CampaignVersion(
        campaign_id=campaign.id,
        version=1,
        rules={"kind": kind, "channel": channel, **rules},
        created_at=now,
    )
    session.add(version)
    session.flush()
    return campaign.id, version.id
