"""The person's rights checked against the schema, over real HTTP on SQLite and
PostgreSQL: every column that names a person has one export rule and one deletion rule
(privacy.registry); the export holds every row each rule says it does; the deletion does
to each column what its rule says, and changes no campaign total, no ledger sum and no
draw's verification."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, MetaData, Table, func, select
from sqlalchemy.orm import Session

import huzhu.all_models  # noqa: F401  (every table in the metadata)
from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.assists import service as assists
from huzhu.assists.groupbuy import service as groupbuy
from huzhu.assists.lottery import service as lottery
from huzhu.campaigns.rules.lottery import verify_record
from huzhu.db import Base
from huzhu.kit import clock
from huzhu.payments.service import get_provider
from huzhu.privacy.registry import RULES, Deletion, PersonColumn, person_columns, rules_by_column
from tests.enforcement.support import ReviewShop
from tests.factories import auth
from tests.privacy.support import ME, OTHER, Story, ok, tell_story
from tests.support.servers import LiveServer

PASSWORD = "a long owner password 4b1c"


def test_every_column_that_names_a_person_has_one_rule() -> None:
    found = person_columns(Base.metadata)
    declared = rules_by_column()
    assert len(declared) == len(RULES), "a column has two rules"
    assert sorted(found - set(declared)) == [], "columns naming a person with no rule"
    assert sorted(set(declared) - found) == [], "rules for columns that name no person"
    for rule in RULES:
        table = Base.metadata.tables[rule.table]
        assert rule.why.strip()
        assert bool(rule.scrubbed) == (rule.deletion is Deletion.SCRUB), rule
        for name in rule.scrubbed:
            assert name in table.columns, (rule, name)


def test_a_new_table_with_a_person_column_is_found() -> None:
    """The check above can fail: a person column under any name, with or without a
    foreign key, is found in a table nobody declared."""
    metadata = MetaData()
    Table("account", metadata, Column("id", BigInteger, primary_key=True))
    Table(
        "gift",
        metadata,
        Column("id", BigInteger, primary_key=True),
        Column("giver", BigInteger, ForeignKey("account.id")),
        Column("target_account_id", BigInteger),
        Column("member_ids", JSON),
        Column("amount_cents", Integer),
    )
    assert person_columns(metadata) == {
        ("account", "id"),
        ("gift", "giver"),
        ("gift", "target_account_id"),
        ("gift", "member_ids"),
    }


# -- the rules against what the engine does -------------------------------------------------


def _naming(session: Session, rule: PersonColumn, account_id: int) -> list[dict[str, Any]]:
    """The rows of the rule's table that name the person in the rule's column."""
    table = Base.metadata.tables[rule.table]
    column = table.c[rule.column]
    if isinstance(column.type, JSON):
        rows = session.execute(select(table)).mappings()
        return [dict(r) for r in rows if account_id in (r[rule.column] or [])]
    return [dict(r) for r in session.execute(select(table).where(column == account_id)).mappings()]


def _at(document: dict[str, Any], path: str) -> Any:
    found: Any = document
    for key in path.split("."):
        found = found[key]
    return found


def _rows_by_rule(shop: ReviewShop, account_id: int) -> dict[PersonColumn, list[dict[str, Any]]]:
    with shop.db.unit_of_work() as s:
        return {rule: _naming(s, rule, account_id) for rule in RULES}


def test_the_export_holds_every_row_each_rule_names(world: tuple[LiveServer, ReviewShop]) -> None:
    server, shop = world
    me = shop.id_of(ME)
    with server.client() as client:
        tell_story(client, shop)
        # The server's jobs may still be writing (an inbox notice from the outbox): the
        # export holds at least what was there before it and at most what is there after.
        before = _rows_by_rule(shop, me)
        export = ok(client.get("/api/v1/me/export", headers=auth(shop.token(ME))))
        after = _rows_by_rule(shop, me)
    covered = set()
    for rule in RULES:
        if rule.export is None:
            continue
        shown = _at(export, rule.export)
        if isinstance(shown, list):
            assert len(before[rule]) <= len(shown) <= len(after[rule]), rule
        else:
            # One row per person (a preference, the account): a section that holds it.
            assert len(after[rule]) <= 1, rule
            assert isinstance(shown, dict), rule
            assert shown, rule
        if before[rule]:
            covered.add(rule.table)
    # The story touches every table whose rows it can make, so the counts above compared
    # something; the WeChat subscription needs WeChat (tests/wechat checks its export).
    exported = {rule.table for rule in RULES if rule.export is not None}
    assert exported - covered == {"wechat_recipient"}


def _owner(shop: ReviewShop) -> str:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    with shop.db.unit_of_work() as s:
        accounts.create_operator(
            s, shop_id=shop.shop_id, email=email, display_name="owner", password=PASSWORD,
            role=Role.OWNER,
        )  # fmt: skip
        token, _ = accounts.login(s, shop.settings, email=email, password=PASSWORD)
    return token


def _lottery(client: httpx.Client, shop: ReviewShop) -> int:
    """A lottery that me and the other person enter and assist each other in."""
    owner = auth(_owner(shop))
    body = {
        "kind": "lottery", "name": "draw", "description": "", "channel": "own_app",
        "budget_cents": 100_000, "inventory_total": 10, "entry_cap": 5, "base_entries": 1,
        "draw_at": (clock.utcnow() + timedelta(days=1)).isoformat(),
        "prizes": [{"name": "mug", "value_cents": 2_000, "quantity": 1}],
    }  # fmt: skip
    campaign_id = int(ok(client.post("/api/v1/campaigns", json=body, headers=owner), 201)["id"])
    ok(client.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=owner))
    me, other = auth(shop.token(ME)), auth(shop.token(OTHER))
    mine = ok(client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=me), 201)["id"]
    theirs = ok(client.post(f"/api/v1/campaigns/{campaign_id}/instances", headers=other), 201)
    ok(client.post(f"/api/v1/instances/{mine}/assists", headers=other), 201, 202)
    ok(client.post(f"/api/v1/instances/{theirs['id']}/assists", headers=me), 201, 202)
    return campaign_id


def _let_everything_end(shop: ReviewShop, story: Story, lottery_id: int) -> None:
    """Two days later, by the engine's own jobs: my activity expires, my team did not
    fill and is refunded, the lottery is drawn."""
    clock.advance(2 * 24 * 3600)
    with shop.db.unit_of_work() as s:
        assists.expire_instance(s, story.my_instance)
        groupbuy.refund_team(s, get_provider(shop.settings), team_id=story.team)
        assert lottery.draw(s, shop.settings, campaign_id=lottery_id) is not None


def _totals(session: Session, shop_id: int) -> dict[str, Any]:
    """Every campaign's and instance's totals, the ledger's sums per account and the
    assists per instance and status."""
    t = Base.metadata.tables
    campaign, instance, txn, purchase, assist = (
        t[n] for n in ("campaign", "instance", "payment_txn", "purchase", "assist")
    )
    return {
        "campaigns": session.execute(
            select(
                campaign.c.id, campaign.c.budget_reserved_cents, campaign.c.budget_spent_cents,
                campaign.c.inventory_reserved, campaign.c.inventory_used,
            ).where(campaign.c.shop_id == shop_id).order_by(campaign.c.id)
        ).all(),
        "instances": session.execute(
            select(
                instance.c.id, instance.c.status, instance.c.progress_value, instance.c.slots_used,
                instance.c.held_count, instance.c.voided_count, instance.c.reserved_cents,
            ).where(instance.c.shop_id == shop_id).order_by(instance.c.id)
        ).all(),
        "ledger": session.execute(
            select(txn.c.account_id, func.count(), func.sum(txn.c.amount_cents),
                   func.sum(txn.c.refunded_cents))
            .group_by(txn.c.account_id).order_by(txn.c.account_id)
        ).all(),
        "orders": session.execute(
            select(purchase.c.account_id, purchase.c.status, func.count(),
                   func.sum(purchase.c.amount_cents))
            .where(purchase.c.shop_id == shop_id)
            .group_by(purchase.c.account_id, purchase.c.status)
            .order_by(purchase.c.account_id, purchase.c.status)
        ).all(),
        "assists": session.execute(
            select(assist.c.instance_id, assist.c.status, func.count())
            .group_by(assist.c.instance_id, assist.c.status)
            .order_by(assist.c.instance_id, assist.c.status)
        ).all(),
    }  # fmt: skip


def test_deletion_follows_every_rule_and_changes_no_total(
    world: tuple[LiveServer, ReviewShop],
) -> None:
    server, shop = world
    me = shop.id_of(ME)
    with server.client() as client:
        lottery_id = _lottery(client, shop)  # before the story lowers my daily starts
        story = tell_story(client, shop)
        _let_everything_end(shop, story, lottery_id)
        record = ok(client.get(f"/api/v1/campaigns/{lottery_id}/draw"))
        assert all(check.ok for check in verify_record(record))
        with shop.db.unit_of_work() as s:
            before = {rule: _naming(s, rule, me) for rule in RULES}
            totals = _totals(s, shop.shop_id)
        named = {rule.table for rule, rows in before.items() if rows}
        assert {"account_mute", "inbox_message", "report", "appeal", "guardrail_cap"} <= named

        ok(client.delete("/api/v1/me", headers=auth(shop.token(ME))))

        # The draw's record is the same and still verifies; no total moved.
        assert ok(client.get(f"/api/v1/campaigns/{lottery_id}/draw")) == record
        with shop.db.unit_of_work() as s:
            assert _totals(s, shop.shop_id) == totals
            for rule, rows in before.items():
                after = _naming(s, rule, me)
                if rule.deletion is Deletion.ERASE:
                    assert after == [], rule
                    continue
                assert len(after) == len(rows), rule
                for row in after:
                    assert all(row[name] in (None, "") for name in rule.scrubbed), rule
                if rule.deletion is Deletion.KEEP:
                    assert after == rows, rule
