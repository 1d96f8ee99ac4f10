"""The demo data: a shop with an owner and an analyst login, one live campaign of each
kind (bargain, group buy, assist lottery, assist unlock) with participants, instances
and assists.

Everything goes through the real use cases — campaigns are created and launched by the
campaigns service, instances started and teams joined by the assists services, and
every assist is given by the hot path (`HotPath.give`), exactly as an HTTP assist is —
so the demo's numbers obey the same invariants as production: progress equals the sum
of counted assists, budget and stock are reserved.

Idempotent: every fixture is looked up by a stable key before it is made (the shop by
slug, an operator by e-mail, a campaign by name, a participant by its local subject, an
instance by its initiator's active one, an assist by an idempotency key naming the
instance and the helper), so running the demo again adds nothing. Instances that have
ended since (the demo ran days ago) are replaced by fresh ones, so there is always
something live to look at.

The hot path keeps its own driver connection (SQLite: one writer), so the work runs in
three steps, each its own unit of work: the ORM part, then the assists, then the
group-buy orders.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.errors import OperatorExists
from huzhu.accounts.rules import Role
from huzhu.assists import service as assists
from huzhu.assists.errors import AlreadyAssisted, InstanceFull
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.hotpath.service import open_hotpath, server_request
from huzhu.assists.rules import FINISHED, InstanceStatus
from huzhu.assists.spending import service as spending
from huzhu.campaigns import flows
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.schemas import (
    BargainCreate,
    GroupbuyCreate,
    LotteryCreate,
    Prize,
    UnlockCreate,
)
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.guardrails.rules import StepKind
from huzhu.invites.service import ShareLinks
from huzhu.kit import clock
from huzhu.pagination import PageParams
from huzhu.payments import service as payments
from huzhu.risk.screen import InlineScreen

DEMO_SHOP_SLUG = "demo"
DEMO_OWNER_EMAIL = "owner@demo.huzhu"
DEMO_OWNER_PASSWORD = "huzhu-demo-2026"
DEMO_ANALYST_EMAIL = "analyst@demo.huzhu"
DEMO_ANALYST_PASSWORD = "huzhu-demo-2026"
LOCAL_PROVIDER = "local"

# Local-provider participants (subject → display name). The display names stay private:
# pages show a helper's name only with their consent, and these never gave it.
PARTICIPANTS: dict[str, str] = {
    "alice": "Alice 小艾",
    "bo": "Bo 小波",
    "chen": "Chen 小陈",
    "dan": "Dan 小丹",
    "erin": "Erin 小尔",
    "fang": "Fang 小芳",
    "gao": "Gao 小高",
    "hui": "Hui 小慧",
}

CAMPAIGN_NAMES = {
    "bargain": "砍价：蓝牙耳机 Bargain: wireless earbuds",
    "groupbuy": "拼团：有机大米 Group buy: organic rice",
    "lottery": "助力抽奖：周末礼盒 Assist lottery: weekend gift box",
    "unlock": "助力免单：咖啡券 Assist unlock: coffee voucher",
}
DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class PlannedInstance:
    """An instance the demo wants, with who started it and who assists it."""

    kind: str
    initiator: str
    helpers: tuple[str, ...]


# The demo's instances. A group-buy "instance" is a team: its helpers are the members
# who join by ordering (a team place is never taken by an assist).
PLAN: tuple[PlannedInstance, ...] = (
    PlannedInstance("bargain", "alice", ("bo", "chen", "dan", "erin")),
    PlannedInstance("bargain", "fang", ("gao",)),
    PlannedInstance("groupbuy", "bo", ("chen", "dan")),
    PlannedInstance("lottery", "chen", ("alice", "bo", "erin")),
    PlannedInstance("lottery", "dan", ("fang", "gao", "hui", "alice", "bo")),
    PlannedInstance("lottery", "erin", ()),
    PlannedInstance("unlock", "gao", ("alice", "hui", "fang")),
)


@dataclass
class SeedState:
    """What step 1 found or made, for the later steps and the summary."""

    shop_id: int
    accounts: dict[str, int]
    campaigns: dict[str, int]
    instances: list[tuple[PlannedInstance, int]] = field(default_factory=list)
    made: list[str] = field(default_factory=list)


def seed_demo(db: Database, settings: Settings) -> list[str]:
    """Seed (or top up) the demo; returns one line per thing made, for the CLI."""
    with db.unit_of_work() as session:
        state = _seed_orm(session, settings)
    counted = asyncio.run(_give_assists(settings, state))
    if counted:
        state.made.append(f"{counted} assists given through the hot path")
    joined = _join_teams(db, settings, state)
    if joined:
        state.made.append(f"{joined} group-buy members joined by ordering")
    return state.made or ["demo data already present; nothing added"]


# -- step 1: shop, logins, campaigns, participants, instances --------------------------


def _seed_orm(session: Session, settings: Settings) -> SeedState:
    made: list[str] = []
    shop = _shop(session, made)
    for email, password, role, name in (
        (DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, Role.OWNER, "Demo Owner"),
        (DEMO_ANALYST_EMAIL, DEMO_ANALYST_PASSWORD, Role.ANALYST, "Demo Analyst"),
    ):
        try:
            accounts.create_operator(
                session,
                shop_id=shop,
                email=email,
                display_name=name,
                password=password,
                role=role,
            )
            made.append(f"{role.value} login {email}")
        except OperatorExists:
            pass
    people = {
        subject: accounts.get_or_create_account(
            session,
            settings,
            shop_id=shop,
            provider=LOCAL_PROVIDER,
            subject=subject,
            display_name=name,
        ).id
        for subject, name in PARTICIPANTS.items()
    }
    state = SeedState(shop_id=shop, accounts=people, campaigns={}, made=made)
    existing = {
        c.name: c
        for c in campaigns.list_campaigns(session, PageParams(limit=200), shop_id=shop).items
    }
    for kind, name in CAMPAIGN_NAMES.items():
        found = existing.get(name)
        if found is None:
            created = campaigns.create_campaign(
                session, settings, shop_id=shop, body=_campaign_body(kind, name)
            )
            flows.launch(session, shop_id=shop, campaign_id=created.id)
            made.append(f"live {kind} campaign #{created.id}")
            state.campaigns[kind] = created.id
        else:
            state.campaigns[kind] = found.id
    for planned in PLAN:
        state.instances.append((planned, _instance(session, settings, state, planned)))
    return state


def _shop(session: Session, made: list[str]) -> int:
    from huzhu.accounts.errors import ShopNotFound

    try:
        return accounts.get_shop_by_slug(session, DEMO_SHOP_SLUG).id
    except ShopNotFound:
        shop = accounts.create_shop(session, slug=DEMO_SHOP_SLUG, name="互助小店 Demo Shop")
        made.append(f"shop '{shop.slug}'")
        return shop.id


def _campaign_body(kind: str, name: str) -> Any:
    """One honest, funded campaign per kind, shared on the plain web channel (assist
    mechanics are allowed there; WeChat web links would refuse them)."""
    common: dict[str, Any] = {
        "name": name,
        "channel": "web",
        "instance_ttl_seconds": 7 * DAY,
        "daily_assists_per_helper": 5,
    }
    if kind == "bargain":
        return BargainCreate(
            kind="bargain",
            description="每位好友助力砍一刀；最多 8 位好友即可砍到底价。"
            " Each friend's assist cuts the price; at most 8 friends reach the floor.",
            price_cents=19_900,
            floor_cents=9_900,
            max_helpers=8,
            budget_cents=200_000,
            inventory_total=20,
            **common,
        )
    if kind == "groupbuy":
        return GroupbuyCreate(
            kind="groupbuy",
            description="5 人成团享团购价；未成团全额退款。"
            " A team of 5 buys at the group price; a team that does not fill is refunded.",
            team_size=5,
            price_cents=6_900,
            group_price_cents=4_900,
            budget_cents=100_000,
            inventory_total=50,
            **common,
        )
    if kind == "lottery":
        return LotteryCreate(
            kind="lottery",
            description="好友助力增加抽奖机会；开奖可验证。"
            " Friends' assists add entries; the draw can be verified by anyone.",
            draw_at=clock.utcnow() + timedelta(days=14),
            entry_cap=6,
            base_entries=1,
            prizes=[
                Prize(name="周末礼盒 Weekend gift box", value_cents=29_900, quantity=1),
                Prize(name="咖啡券 Coffee voucher", value_cents=2_500, quantity=5),
            ],
            budget_cents=50_000,
            inventory_total=6,
            **common,
        )
    return UnlockCreate(
        kind="unlock",
        description="5 位好友助力即可免费领取一张咖啡券。"
        " 5 friends' assists unlock a free coffee voucher.",
        helpers_needed=5,
        reward_cents=2_500,
        reward_name="咖啡券 Coffee voucher",
        budget_cents=50_000,
        inventory_total=20,
        **common,
    )


def _instance(
    session: Session, settings: Settings, state: SeedState, planned: PlannedInstance
) -> int:
    """The initiator's instance of that campaign that is running or reached its goal
    (a team that filled and was charged, a bargain bought), or a new one: only an
    activity that has since expired or been cancelled is started afresh."""
    campaign_id = state.campaigns[planned.kind]
    account_id = state.accounts[planned.initiator]
    mine, _ = assists.list_my_instances(
        session, PageParams(limit=200), shop_id=state.shop_id, account_id=account_id
    )
    for row in mine:
        if row.campaign_id == campaign_id and row.status in (InstanceStatus.ACTIVE, *FINISHED):
            return row.id
    if planned.kind == "groupbuy":
        team, _ = groupbuy.open_team(
            session,
            settings,
            payments.get_provider(settings),
            shop_id=state.shop_id,
            campaign_id=campaign_id,
            leader_id=account_id,
            confirmation=_confirmed(
                session,
                settings,
                shop_id=state.shop_id,
                account_id=account_id,
                action=StepKind.OPEN_TEAM,
                target_id=campaign_id,
            ),
        )
        instance_id = team.id
    else:
        instance_id = assists.start_instance(
            session,
            settings,
            shop_id=state.shop_id,
            campaign_id=campaign_id,
            account_id=account_id,
        ).id
    state.made.append(f"{planned.kind} instance #{instance_id} started by {planned.initiator}")
    return instance_id


# -- step 2: assists, through the hot path ---------------------------------------------


async def _give_assists(settings: Settings, state: SeedState) -> int:
    hotpath = await open_hotpath(
        settings, shares=ShareLinks(settings), screen=InlineScreen.open(settings)
    )
    counted = 0
    try:
        for planned, instance_id in state.instances:
            if planned.kind == "groupbuy":
                continue
            for helper in planned.helpers:
                try:
                    outcome = await hotpath.give(
                        server_request(
                            instance_id=instance_id,
                            shop_id=state.shop_id,
                            helper_id=state.accounts[helper],
                            idempotency_key=f"demo:{instance_id}:{helper}",
                        )
                    )
                except (AlreadyAssisted, InstanceFull):
                    continue
                if outcome.outcome != "replay":
                    counted += 1
    finally:
        await hotpath.close()
    return counted


# -- step 3: group-buy members, by ordering --------------------------------------------


def _confirmed(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    action: StepKind,
    target_id: int,
) -> str | None:
    """The demo's people confirm each money step as a person does on the page: they are
    shown the same numbers (the quote) and send its token."""
    return spending.quote(
        session,
        settings,
        shop_id=shop_id,
        account_id=account_id,
        action=action,
        target_id=target_id,
    ).token


def _join_teams(db: Database, settings: Settings, state: SeedState) -> int:
    """Each join is its own unit of work: a refused join (already in the team) has taken
    a place before its order is refused, and only a rollback gives that place back."""
    provider = payments.get_provider(settings)
    joined = 0
    for planned, team_id in state.instances:
        if planned.kind != "groupbuy":
            continue
        for member in planned.helpers:
            try:
                with db.unit_of_work() as session:
                    groupbuy.join_team(
                        session,
                        settings,
                        provider,
                        shop_id=state.shop_id,
                        team_id=team_id,
                        account_id=state.accounts[member],
                        confirmation=_confirmed(
                            session,
                            settings,
                            shop_id=state.shop_id,
                            account_id=state.accounts[member],
                            action=StepKind.JOIN_TEAM,
                            target_id=team_id,
                        ),
                    )
                joined += 1
            except (groupbuy.AlreadyInTeam, groupbuy.TeamFull, groupbuy.TeamClosed):
                continue
    return joined
