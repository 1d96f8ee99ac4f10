"""The lottery draw against the database, on both backends: entries from counted assists
(capped), the commitment checked before the seed is used, a record that verifies alone,
prizes settled against the launch reservation, winners told — and drawn once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import huzhu.assists.lottery.tasks  # noqa: F401  (registers the draw job)
from huzhu.assists import service as assists
from huzhu.assists.errors import CampaignNotOpen
from huzhu.assists.lottery import service as lottery
from huzhu.assists.models import Instance
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.models import Campaign, LotteryDraw, LotterySecret
from huzhu.campaigns.rules.lottery import commitment_for, verify_record
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock, ids
from huzhu.notify.models import Event, InboxMessage
from tests.assists.conftest import LOTTERY_RULES
from tests.factories import make_campaign, make_participant, make_shop

PRIZES = [
    {"name": "top", "value_cents": 50_000, "quantity": 1},
    {"name": "coupon", "value_cents": 1_000, "quantity": 2},
]
PRIZE_CENTS, PRIZE_UNITS = 52_000, 3


@dataclass
class Lottery:
    shop_id: int
    campaign_id: int
    version_id: int
    seed_hex: str
    people: list[int]


def make_lottery(
    session: Session,
    settings: Settings,
    *,
    entrants: int,
    draw_in_seconds: int = 600,
    prizes: list[dict[str, object]] | None = None,
) -> Lottery:
    """A launched lottery as campaigns leaves it: rules with the commitment, the secret
    seed, the prizes reserved; and `entrants` participants with an instance each."""
    shop_id = make_shop(session)
    seed_hex = ids.random_seed_hex()
    draw_at = clock.utcnow() + timedelta(seconds=draw_in_seconds)
    prizes = prizes or PRIZES
    campaign_id, version_id = make_campaign(
        session,
        shop_id=shop_id,
        kind="lottery",
        rules={
            **LOTTERY_RULES,  # the rules every lottery has; its own below
            "draw_at": draw_at.isoformat(),
            "entry_cap": 5,
            "base_entries": 1,
            "prizes": prizes,
            "commitment_hex": commitment_for(seed_hex),
        },
    )
    session.add(
        LotterySecret(
            campaign_id=campaign_id,
            seed_hex=seed_hex,
            commitment_hex=commitment_for(seed_hex),
            created_at=clock.utcnow(),
        )
    )
    cents = sum(int(p["value_cents"]) * int(p["quantity"]) for p in prizes)  # type: ignore[call-overload]
    units = sum(int(p["quantity"]) for p in prizes)  # type: ignore[call-overload]
    assert campaigns.reserve(session, campaign_id=campaign_id, cents=cents, units=units)
    people = []
    for i in range(entrants):
        account_id = make_participant(session, settings, shop_id=shop_id, name=f"e{i}")[0]
        people.append(account_id)
        _instance(session, campaign_id, version_id, shop_id, account_id, counted=i)
    session.flush()
    return Lottery(shop_id, campaign_id, version_id, seed_hex, people)


def _instance(
    session: Session, campaign_id: int, version_id: int, shop_id: int, account_id: int, counted: int
) -> None:
    """A lottery instance with `counted` assists counted (4 earnable entries above 1 base)."""
    now = clock.utcnow()
    session.add(
        Instance(
            shop_id=shop_id,
            campaign_id=campaign_id,
            campaign_version_id=version_id,
            kind="lottery",
            initiator_id=account_id,
            status="active",
            seed_hex="00" * 32,
            slots_total=4,
            slots_used=min(counted, 4),
            progress_value=1 + min(counted, 4),
            target_value=5,
            expires_at=now + timedelta(days=1),
            created_at=now,
        )
    )


def _campaign(s: Session, campaign_id: int) -> Campaign:
    campaign = s.get(Campaign, campaign_id)
    assert campaign is not None
    s.refresh(campaign)
    return campaign


def test_no_one_new_takes_part_once_the_draw_time_came(
    database: Database, settings: Settings
) -> None:
    """Before the draw a participant starts a ticket; from draw_at on (drawn yet or not)
    a start is refused, since a ticket started then could never earn an entry."""
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=1)
        early = make_participant(s, settings, shop_id=lot.shop_id, name="early")[0]
        late = make_participant(s, settings, shop_id=lot.shop_id, name="late")[0]
    with database.unit_of_work() as s:
        assists.start_instance(
            s, settings, shop_id=lot.shop_id, campaign_id=lot.campaign_id, account_id=early
        )
    clock.advance(600)
    with database.unit_of_work() as s, pytest.raises(CampaignNotOpen) as refused:
        assists.start_instance(
            s, settings, shop_id=lot.shop_id, campaign_id=lot.campaign_id, account_id=late
        )
    assert refused.value.extra["draw_at"]


def test_no_draw_before_draw_at(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=3)
    with database.unit_of_work() as s:
        assert lottery.draw(s, settings, campaign_id=lot.campaign_id) is None
        with pytest.raises(lottery.DrawNotFound):
            lottery.get_record(s, lot.campaign_id)


def test_draw_at_deadline_makes_a_record_that_verifies_alone(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=6)
    clock.advance(601)
    with database.unit_of_work() as s:
        lottery.draw(s, settings, campaign_id=lot.campaign_id)
    with database.unit_of_work() as s:
        record = lottery.get_record(s, lot.campaign_id)
    assert all(check.ok for check in verify_record(record))
    assert record["seed_hex"] == lot.seed_hex
    assert len(record["winners"]) == PRIZE_UNITS
    # Entries: 1 base + counted assists, capped at entry_cap 5 (counted 0..5 → 1..5).
    assert sorted(e["entries"] for e in record["entries"]) == [1, 2, 3, 4, 5, 5]
    # Pseudonyms only: no account id appears in the public record.
    assert all(len(e["entrant"]) == lottery.ENTRANT_ID_CHARS for e in record["entries"])


def test_prizes_are_consumed_when_awarded_and_released_when_not(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=2)  # 3 prizes, 2 entrants
    clock.advance(601)
    with database.unit_of_work() as s:
        lottery.draw(s, settings, campaign_id=lot.campaign_id)
    with database.unit_of_work() as s:
        record = lottery.get_record(s, lot.campaign_id)
        values = {p["name"]: p["value_cents"] for p in PRIZES}
        won = sum(values[w["prize"]] for w in record["winners"])
        campaign = _campaign(s, lot.campaign_id)
        assert len(record["winners"]) == 2
        assert (campaign.budget_spent_cents, campaign.budget_reserved_cents) == (won, 0)
        assert (campaign.inventory_used, campaign.inventory_reserved) == (2, 0)


def test_winners_are_told_and_the_draw_is_an_event(database: Database, settings: Settings) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=4)
    clock.advance(601)
    with database.unit_of_work() as s:
        lottery.draw(s, settings, campaign_id=lot.campaign_id)
    with database.unit_of_work() as s:
        told = s.scalars(
            select(InboxMessage.account_id).where(InboxMessage.kind == "draw_result")
        ).all()
        assert len(told) == PRIZE_UNITS
        assert set(told) <= set(lot.people)
        assert len(set(told)) == len(told)
        events = s.scalars(select(Event).where(Event.type == "lottery.drawn")).all()
        assert len(events) == 1
        assert events[0].payload["seed_hex"] == lot.seed_hex
        still_active = s.scalar(
            select(func.count()).where(
                Instance.campaign_id == lot.campaign_id, Instance.status == "active"
            )
        )
        assert still_active == 0


def test_the_draw_job_runs_once_even_when_scheduled_again(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=4)
        lottery.schedule_draw(s, lot.campaign_id)
        lottery.schedule_draw(s, lot.campaign_id)
        assert lottery.schedule_due_draws(s) == 1
    runner = JobRunner(database, settings, worker_id="t")
    assert runner.run_due() == 0
    clock.advance(601)
    assert runner.run_due() == 1
    with database.unit_of_work() as s:
        first = lottery.get_record(s, lot.campaign_id)
        lottery.draw(s, settings, campaign_id=lot.campaign_id)
        assert lottery.get_record(s, lot.campaign_id) == first
        assert _campaign(s, lot.campaign_id).inventory_used == PRIZE_UNITS
        assert s.scalar(select(func.count()).select_from(LotteryDraw)) == 1


def test_a_seed_that_does_not_open_the_commitment_stops_the_draw(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=3)
        secret = s.get(LotterySecret, lot.campaign_id)
        assert secret is not None
        secret.seed_hex = ids.random_seed_hex()
    clock.advance(601)
    with database.unit_of_work() as s, pytest.raises(lottery.CommitmentMismatch):
        lottery.draw(s, settings, campaign_id=lot.campaign_id)
    with database.unit_of_work() as s:
        assert s.get(LotteryDraw, lot.campaign_id) is None
        assert _campaign(s, lot.campaign_id).budget_spent_cents == 0


def test_entrant_ids_differ_between_campaigns(settings: Settings) -> None:
    first = lottery.entrant_id(settings, campaign_id=1, account_id=42)
    assert first == lottery.entrant_id(settings, campaign_id=1, account_id=42)
    assert first != lottery.entrant_id(settings, campaign_id=2, account_id=42)


def test_a_participant_finds_their_own_line_in_the_record(
    database: Database, settings: Settings
) -> None:
    with database.unit_of_work() as s:
        lot = make_lottery(s, settings, entrants=4)
        before = lottery.my_entry(
            s, settings, shop_id=lot.shop_id, campaign_id=lot.campaign_id, account_id=lot.people[3]
        )
        assert (before["drawn"], before["prize"]) == (False, None)
    clock.advance(601)
    with database.unit_of_work() as s:
        lottery.draw(s, settings, campaign_id=lot.campaign_id)
    with database.unit_of_work() as s:
        record = lottery.get_record(s, lot.campaign_id)
        mine = [
            lottery.my_entry(
                s, settings, shop_id=lot.shop_id, campaign_id=lot.campaign_id, account_id=p
            )
            for p in lot.people
        ]
    assert mine[3]["entrant"] == before["entrant"]
    assert [m["entries"] for m in mine] == [1, 2, 3, 4]
    assert {m["entrant"] for m in mine if m["prize"]} == {w["entrant"] for w in record["winners"]}
