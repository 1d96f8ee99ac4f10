"""Campaigns for the flows, made the way the console makes them (the campaigns service
and its launch), each flow run its own so that no run depends on another's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huzhu.accounts import service as accounts
from huzhu.campaigns import flows
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.schemas import (
    BargainCreate,
    GroupbuyCreate,
    LotteryCreate,
    Prize,
    UnlockCreate,
)
from huzhu.kit import clock
from tests.browser.conftest import Look, Site

HOUR = 3600
DAY = 24 * HOUR


def launched(site: Site, body: Any) -> int:
    """A campaign created and launched in the demo shop; its id."""
    with site.db.unit_of_work() as session:
        shop_id = accounts.get_shop_by_slug(session, "demo").id
        created = campaigns.create_campaign(session, site.settings, shop_id=shop_id, body=body)
        flows.launch(session, shop_id=shop_id, campaign_id=created.id)
        return created.id


# What a shop would write, in the language of the run (a shop writes in its customers').
WORDS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "bargain": (
        ("砍价：蓝牙耳机", "三位好友助力即可砍到底价。"),
        ("Bargain: wireless earbuds", "Three friends' assists cut it to the floor."),
    ),
    "groupbuy": (
        ("拼团：有机大米", "三人成团享团购价；未成团全额退款。"),
        ("Group buy: organic rice", "A team of three buys at the group price."),
    ),
    "lottery": (
        ("助力抽奖：保温杯", "好友助力增加抽奖机会；开奖可验证。"),
        ("Assist lottery: a thermos", "Friends' assists add entries; anyone can check the draw."),
    ),
    "unlock": (
        ("助力免单：咖啡券", "两位好友助力即可免费领取一张咖啡券。"),
        ("Assist unlock: coffee voucher", "Two friends' assists unlock a free coffee."),
    ),
}


def name_of(kind: str, look: Look) -> str:
    return WORDS[kind][0 if look.zh else 1][0]


def _common(kind: str, look: Look, ttl_seconds: int) -> dict[str, Any]:
    name, description = WORDS[kind][0 if look.zh else 1]
    return {
        "name": name,
        "description": description,
        "channel": "web",
        "instance_ttl_seconds": ttl_seconds,
        "daily_assists_per_helper": 5,
    }


def bargain(site: Site, look: Look) -> int:
    """¥199 down to ¥99 in at most three assists."""
    return launched(
        site,
        BargainCreate(
            kind="bargain",
            price_cents=19_900,
            floor_cents=9_900,
            max_helpers=3,
            budget_cents=100_000,
            inventory_total=10,
            **_common("bargain", look, 7 * DAY),
        ),
    )


def groupbuy(site: Site, look: Look, *, ttl_seconds: int = 7 * DAY) -> int:
    """Teams of three at ¥49 instead of ¥69."""
    return launched(
        site,
        GroupbuyCreate(
            kind="groupbuy",
            team_size=3,
            price_cents=6_900,
            group_price_cents=4_900,
            budget_cents=100_000,
            inventory_total=30,
            **_common("groupbuy", look, ttl_seconds),
        ),
    )


def lottery(site: Site, look: Look, *, draw_in_seconds: int) -> int:
    """One prize, drawn when the (test's) clock passes `draw_in_seconds` from now."""
    return launched(
        site,
        LotteryCreate(
            kind="lottery",
            draw_at=clock.utcnow() + timedelta(seconds=draw_in_seconds),
            entry_cap=4,
            base_entries=1,
            prizes=[Prize(name="保温杯" if look.zh else "Thermos", value_cents=8_800, quantity=1)],
            budget_cents=10_000,
            inventory_total=1,
            **_common("lottery", look, 7 * DAY),
        ),
    )


def unlock(site: Site, look: Look) -> int:
    """Two assists unlock a ¥25 coffee voucher."""
    return launched(
        site,
        UnlockCreate(
            kind="unlock",
            helpers_needed=2,
            reward_cents=2_500,
            reward_name="咖啡券" if look.zh else "Coffee voucher",
            budget_cents=50_000,
            inventory_total=10,
            **_common("unlock", look, 7 * DAY),
        ),
    )
