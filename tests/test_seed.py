"""The demo seed: one live campaign of each kind whose numbers obey the engine's
invariants, and a second run that adds nothing — also after the demo's team filled."""

from __future__ import annotations

from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.assists import service as assists
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.schemas import InstanceView
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.schemas import CampaignOut
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.guardrails.rules import StepKind
from huzhu.pagination import PageParams
from huzhu.payments import service as payments
from huzhu.seed import (
    CAMPAIGN_NAMES,
    DEMO_SHOP_SLUG,
    PARTICIPANTS,
    PLAN,
    _confirmed,
    seed_demo,
)
from tests.conftest import make_settings

ALL = PageParams(limit=200)


def test_demo_has_a_live_campaign_of_each_kind_with_consistent_progress(db_url: str) -> None:
    settings = make_settings(db_url, jobs={"run_in_process": False})
    db = Database(settings.db)
    try:
        made = seed_demo(db, settings)
        assert any("assists given through the hot path" in line for line in made)
        with db.unit_of_work() as session:
            shop = accounts.get_shop_by_slug(session, DEMO_SHOP_SLUG)
            listed = campaigns.list_campaigns(session, ALL, shop_id=shop.id).items
            by_kind = {c.kind: c for c in listed}
            assert sorted(by_kind) == ["bargain", "groupbuy", "lottery", "unlock"]
            assert {c.name for c in listed} == set(CAMPAIGN_NAMES.values())
            assert all(c.status == "live" for c in listed)
            seen_assists = 0
            per_kind_instances: dict[str, int] = {}
            for campaign in listed:
                # Every instance of the campaign: progress is the sum of counted assists.
                rules = campaign.rules
                instances = _instances_of(session, settings, shop.id, campaign.id)
                per_kind_instances[campaign.kind] = len(instances)
                for view in instances:
                    if campaign.kind == "groupbuy":
                        team = groupbuy.team_view(session, settings, view.id)
                        assert team.members == 1 + view.counted_count
                        assert 1 < team.members < team.team_size  # partly filled
                        continue
                    rows, _ = assists.list_assists(
                        session, ALL, shop_id=shop.id, instance_id=view.id
                    )
                    counted = [a for a in rows if a.status == "counted"]
                    base = int(rules.get("base_entries", 0)) if campaign.kind == "lottery" else 0
                    assert view.progress_value == base + sum(a.value for a in counted)
                    assert view.counted_count == len(counted)
                    seen_assists += len(counted)
                    if campaign.kind == "bargain":
                        assert view.cents_remaining == view.target_value - view.progress_value
            expected = {k: sum(1 for p in PLAN if p.kind == k) for k in by_kind}
            assert per_kind_instances == expected
            assert seen_assists == sum(len(p.helpers) for p in PLAN if p.kind != "groupbuy")
            lottery = by_kind["lottery"]
            assert lottery.rules["commitment_hex"]  # published at launch
            # Reservations are real: bargain and unlock reserve per instance.
            assert by_kind["bargain"].budget_reserved_cents == 2 * (19_900 - 9_900)
            before = _counts(session, settings, shop.id, listed)

        # A second run adds nothing.
        again = seed_demo(db, settings)
        assert again == ["demo data already present; nothing added"]
        with db.unit_of_work() as session:
            listed = campaigns.list_campaigns(session, ALL, shop_id=shop.id).items
            assert _counts(session, settings, shop.id, listed) == before
    finally:
        db.dispose()


def _instances_of(
    session: Session, settings: Settings, shop_id: int, campaign_id: int
) -> list[InstanceView]:
    """The campaign's instances, found through each demo participant's own list."""
    views = []
    for subject in PARTICIPANTS:
        account = accounts.get_or_create_account(
            session,
            settings,
            shop_id=shop_id,
            provider="local",
            subject=subject,
        )
        rows, _ = assists.list_my_instances(
            session,
            ALL,
            shop_id=shop_id,
            account_id=account.id,
        )
        views += [assists.describe(r) for r in rows if r.campaign_id == campaign_id]
    return views


def _counts(
    session: Session, settings: Settings, shop_id: int, listed: list[CampaignOut]
) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    for c in listed:
        for view in _instances_of(session, settings, shop_id, c.id):
            out.append((view.id, view.progress_value, view.counted_count, view.held_count))
        out.append((c.id, c.budget_reserved_cents, c.inventory_reserved))
    return sorted(out)


def test_a_second_run_after_the_demo_team_filled_adds_no_team(sqlite_url: str) -> None:
    """People play with the demo: two more join bo's team, it fills and is charged.
    Running the demo again keeps that team instead of opening a new one."""
    settings = make_settings(sqlite_url, jobs={"run_in_process": False})
    db = Database(settings.db)
    try:
        seed_demo(db, settings)
        with db.unit_of_work() as session:
            shop = accounts.get_shop_by_slug(session, DEMO_SHOP_SLUG)
            rice = next(
                c
                for c in campaigns.list_campaigns(session, ALL, shop_id=shop.id).items
                if c.kind == "groupbuy"
            )
            (team,) = _instances_of(session, settings, shop.id, rice.id)
        for name in ("erin", "fang"):
            with db.unit_of_work() as session:
                account = accounts.get_or_create_account(
                    session, settings, shop_id=shop.id, provider="local", subject=name
                )
                groupbuy.join_team(
                    session,
                    settings,
                    payments.get_provider(settings),
                    shop_id=shop.id,
                    team_id=team.id,
                    account_id=account.id,
                    confirmation=_confirmed(
                        session,
                        settings,
                        shop_id=shop.id,
                        account_id=account.id,
                        action=StepKind.JOIN_TEAM,
                        target_id=team.id,
                    ),
                )
        with db.unit_of_work() as session:
            # Full: the job that charges every order (the job runner's, run here).
            groupbuy.capture_team(session, payments.get_provider(settings), team_id=team.id)
        with db.unit_of_work() as session:
            (filled,) = _instances_of(session, settings, shop.id, rice.id)
            assert filled.status == "completed"
        assert seed_demo(db, settings) == ["demo data already present; nothing added"]
        with db.unit_of_work() as session:
            assert [v.id for v in _instances_of(session, settings, shop.id, rice.id)] == [team.id]
    finally:
        db.dispose()
