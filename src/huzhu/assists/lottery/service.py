"""Use cases of the assist lottery: entries from counted assists, the commit–reveal draw,
the public record, and the prize reservations settled by the outcome.

The draw is a pure function (campaigns/rules/lottery.py); this module gathers its inputs
from the database and stores what it produced. The invariants it keeps, and what holds
each, are in the package's docstring (`huzhu.assists.lottery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huzhu.assists import service as assists
from huzhu.assists.models import Instance
from huzhu.assists.rules import InstanceStatus
from huzhu.assists.schemas import PrizeLine
from huzhu.campaigns import service as campaigns
from huzhu.campaigns.errors import CampaignNotFound
from huzhu.campaigns.rules import lottery as rules
from huzhu.campaigns.rules.lifecycle import CampaignStatus
from huzhu.campaigns.service import LotteryDraw
from huzhu.config import Settings
from huzhu.errors import Conflict, NotFound
from huzhu.jobs import service as jobs
from huzhu.kit import clock, signing
from huzhu.notify import service as notify

DRAW_JOB = "lottery.draw"
ENTRANT_ID_CHARS = 24


class DrawNotFound(NotFound):
    code = "draw_not_found"
    title = "This lottery has not been drawn yet"


class CommitmentMismatch(Conflict):
    """The stored seed does not open the published commitment: drawing with it would be
    drawing with a seed nobody committed to. Stop and let a person look."""

    code = "commitment_mismatch"
    title = "The lottery seed does not match its published commitment"


def entrant_id(settings: Settings, *, campaign_id: int, account_id: int) -> str:
    """A participant's name in one campaign's public draw record (keyed, per campaign)."""
    key = settings.security.secret_key.get_secret_value().encode()
    digest = signing.keyed_hash(key, f"{campaign_id}:{account_id}", purpose="lottery-entrant")
    return digest[:ENTRANT_ID_CHARS]


def draw_at_of(rules_snapshot: dict[str, Any]) -> datetime:
    return clock.as_utc(datetime.fromisoformat(str(rules_snapshot["draw_at"])))


def schedule_draw(session: Session, campaign_id: int) -> None:
    """Enqueue the draw for the current version's draw_at (call at launch; calling again,
    e.g. after a new version moved draw_at, schedules the new time once)."""
    version = campaigns.current_version(session, campaign_id)
    draw_at = draw_at_of(version.rules)
    jobs.enqueue(
        session,
        kind=DRAW_JOB,
        payload={"campaign_id": campaign_id},
        run_at=draw_at,
        dedupe_key=f"{DRAW_JOB}:{campaign_id}:{draw_at.isoformat()}",
    )


def schedule_due_draws(session: Session) -> int:
    """Make sure every launched, undrawn lottery has its draw job (dedupe keys make this
    a no-op for the ones that do). Returns how many campaigns were looked at."""
    undrawn = campaigns.undrawn_lotteries(session)
    for campaign_id in undrawn:
        schedule_draw(session, campaign_id)
    return len(undrawn)


def _entries(
    session: Session, settings: Settings, *, campaign_id: int, entry_cap: int, draw_at: datetime
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """(entrant, tickets) per participant, and entrant → account id for telling winners.

    Each instance gives its initiator base_entries + its counted assists under the terms
    that instance started with (its own version); a participant's total is capped. An
    instance started after draw_at (before the job ran) takes no part."""
    rows = session.execute(
        select(Instance.initiator_id, Instance.slots_used, Instance.campaign_version_id)
        .where(
            Instance.campaign_id == campaign_id,
            Instance.kind == "lottery",
            Instance.status != InstanceStatus.CANCELLED,
            Instance.created_at <= draw_at,
        )
        .order_by(Instance.id)
    ).all()
    terms: dict[int, dict[str, Any]] = {}
    per_account: dict[int, int] = {}
    for account_id, counted, version_id in rows:
        if version_id not in terms:
            terms[version_id] = campaigns.get_version(session, version_id).rules
        snapshot = terms[version_id]
        tickets = rules.entries_for(
            base_entries=int(snapshot.get("base_entries", 0)),
            # Claimed slots are the counted assists (a voided assist gives its slot back).
            counted_assists=int(counted),
            entry_cap=int(snapshot["entry_cap"]),
        )
        per_account[account_id] = per_account.get(account_id, 0) + tickets
    accounts: dict[str, int] = {}
    entries: list[tuple[str, int]] = []
    for account_id, tickets in per_account.items():
        name = entrant_id(settings, campaign_id=campaign_id, account_id=account_id)
        accounts[name] = account_id
        entries.append((name, min(tickets, entry_cap)))
    return rules.sorted_entries(entries), accounts


@dataclass(frozen=True, slots=True)
class EntriesSoFar:
    """The entries a draw made now would count: what a participant's chance rests on."""

    entrants: int
    tickets: int


def entries_so_far(
    session: Session, settings: Settings, *, campaign_id: int, rules_snapshot: dict[str, Any]
) -> EntriesSoFar:
    entries, _accounts = _entries(
        session,
        settings,
        campaign_id=campaign_id,
        entry_cap=int(rules_snapshot["entry_cap"]),
        draw_at=draw_at_of(rules_snapshot),
    )
    return EntriesSoFar(entrants=len(entries), tickets=sum(tickets for _name, tickets in entries))


def draw(session: Session, settings: Settings, *, campaign_id: int) -> LotteryDraw | None:
    """Draw the lottery if it is due and not drawn yet; the existing or new record, or
    None when it is not due (a later draw_at was scheduled by schedule_draw)."""
    existing = campaigns.lottery_draw(session, campaign_id)
    if existing is not None:
        return existing
    campaign = campaigns.get_campaign(session, campaign_id)
    snapshot = campaigns.current_version(session, campaign_id).rules
    now = clock.utcnow()
    draw_at = draw_at_of(snapshot)
    if now < draw_at:
        schedule_draw(session, campaign_id)
        return None
    secret = campaigns.lottery_seed(session, campaign_id)
    if secret is None:
        raise CommitmentMismatch(f"campaign {campaign_id} has no committed seed")
    seed_hex, committed_hex = secret
    commitment = str(snapshot.get("commitment_hex") or committed_hex).lower()
    if rules.commitment_for(seed_hex) != commitment or committed_hex != commitment:
        raise CommitmentMismatch(f"the seed of campaign {campaign_id} does not open its commitment")
    prizes = rules.prizes_from_rules(snapshot["prizes"])
    entries, accounts = _entries(
        session,
        settings,
        campaign_id=campaign_id,
        entry_cap=int(snapshot["entry_cap"]),
        draw_at=draw_at,
    )
    record = rules.build_record(
        campaign_id=campaign_id,
        commitment_hex=commitment,
        seed_hex=seed_hex,
        entries=entries,
        prizes=prizes,
        drawn_at=now.isoformat(),
    )
    row = campaigns.add_lottery_draw(
        session,
        campaign_id=campaign_id,
        commitment_hex=commitment,
        seed_hex=seed_hex,
        record=record,
        drawn_at=now,
    )
    _settle_prizes(
        session,
        campaign_id=campaign_id,
        snapshot=snapshot,
        prizes=prizes,
        winners=record["winners"],
    )
    _close_instances(session, campaign_id=campaign_id, now=now)
    for winner in record["winners"]:
        notify.send_inbox_message(
            session,
            account_id=accounts[winner["entrant"]],
            kind=notify.Kind.DRAW_RESULT,
            params={
                "campaign_id": campaign_id,
                "campaign": campaign.name,
                "prize": winner["prize"],
                "ticket": winner["ticket"],
            },
            topic=f"campaign:{campaign_id}",
        )
    notify.record_event(
        session,
        shop_id=campaign.shop_id,
        type="lottery.drawn",
        subject_type="campaign",
        subject_id=campaign_id,
        payload={
            "winners": len(record["winners"]),
            "entrants": len(entries),
            "total_tickets": record["total_tickets"],
            "commitment_hex": commitment,
            "seed_hex": seed_hex,
        },
    )
    return row


def _settle_prizes(
    session: Session,
    *,
    campaign_id: int,
    snapshot: dict[str, Any],
    prizes: list[rules.Prize],
    winners: list[dict[str, Any]],
) -> None:
    """Launch reserved the whole prize pool: book what was awarded as spent and free the
    rest, in one move, so the budget shows exactly what the lottery paid out."""
    slot_values = [p.value_cents for p in prizes for _ in range(p.quantity)]
    pool_cents, pool_units = campaigns.prize_pool(snapshot)
    campaigns.consume(
        session,
        campaign_id=campaign_id,
        reserved_cents=pool_cents,
        reserved_units=pool_units,
        spent_cents=sum(slot_values[int(w["slot"])] for w in winners),
        used_units=len(winners),
    )


def _close_instances(session: Session, *, campaign_id: int, now: datetime) -> None:
    """After the draw no assist can add an entry: the campaign's tickets are closed."""
    session.execute(
        update(Instance)
        .where(
            Instance.campaign_id == campaign_id,
            Instance.kind == "lottery",
            Instance.status == InstanceStatus.ACTIVE,
        )
        .values(status=InstanceStatus.COMPLETED, closed_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class DrawResult:
    """A drawn lottery as the pages show it: the public record exactly as GET
    /campaigns/{id}/draw answers it, the commitment the campaign published at launch,
    and the record re-checked by the same function `huzhu verify-draw` runs, plus a
    check against that launch commitment (a record with a fresh seed and a matching
    new commitment would pass the first checks alone)."""

    record: dict[str, Any]
    published_commitment_hex: str | None
    checks: list[rules.Check]

    @property
    def verified(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def winners(self) -> list[dict[str, Any]]:
        """The winners in prize order, each with its prize's value."""
        values = [p["value_cents"] for p in self.record["prizes"] for _ in range(p["quantity"])]
        return [
            {**w, "value_cents": values[int(w["slot"])] if int(w["slot"]) < len(values) else None}
            for w in sorted(self.record["winners"], key=lambda w: int(w["slot"]))
        ]


def result_of(session: Session, campaign_id: int) -> DrawResult | None:
    """The drawn lottery's result for the pages, None before the draw."""
    row = campaigns.lottery_draw(session, campaign_id)
    if row is None:
        return None
    record = dict(row.record)
    published = campaigns.published_commitment(session, campaign_id)
    return DrawResult(
        record=record,
        published_commitment_hex=published,
        checks=[*rules.verify_record(record), rules.launch_check(record, published)],
    )


def prizes_won(
    session: Session, settings: Settings, *, shop_id: int, account_id: int, since: datetime
) -> list[PrizeLine]:
    """The prizes the person won in draws held since `since`, each with its value, found
    by their pseudonym in each public record (the draw stores no account)."""
    won: list[PrizeLine] = []
    for campaign_id in assists.lottery_campaigns_entered(
        session, shop_id=shop_id, account_id=account_id
    ):
        result = result_of(session, campaign_id)
        if result is None:
            continue
        drawn_at = clock.as_utc(datetime.fromisoformat(str(result.record["drawn_at"])))
        if drawn_at < since:
            continue
        name = entrant_id(settings, campaign_id=campaign_id, account_id=account_id)
        won.extend(
            PrizeLine(
                campaign_id=campaign_id,
                prize=str(w["prize"]),
                value_cents=int(w["value_cents"] or 0),
                drawn_at=drawn_at,
            )
            for w in result.winners
            if w["entrant"] == name
        )
    return won


def get_record(session: Session, campaign_id: int) -> dict[str, Any]:
    """The public draw record; before the draw only the commitment is public."""
    row = campaigns.lottery_draw(session, campaign_id)
    if row is None:
        raise DrawNotFound(f"campaign {campaign_id} has not been drawn")
    return dict(row.record)


def my_entry(
    session: Session, settings: Settings, *, shop_id: int, campaign_id: int, account_id: int
) -> dict[str, Any]:
    """A participant's own line of the draw: their pseudonym (to find themselves in the
    public record), their tickets and what they won — null before the draw.

    Only a lottery of the participant's own shop that is public (not a draft) has a line
    for them: anything else is `campaign_not_found`, as another shop's campaign is
    everywhere, so the answer neither invents an entry nor confirms an id exists."""
    campaign = campaigns.campaign_in_shop(session, shop_id=shop_id, campaign_id=campaign_id)
    if campaign.kind != "lottery" or campaign.status == CampaignStatus.DRAFT:
        raise CampaignNotFound(f"no lottery {campaign_id}")
    name = entrant_id(settings, campaign_id=campaign_id, account_id=account_id)
    row = campaigns.lottery_draw(session, campaign_id)
    if row is None:
        return {
            "campaign_id": campaign_id,
            "entrant": name,
            "drawn": False,
            "entries": None,
            "prize": None,
        }
    entries = {e["entrant"]: e["entries"] for e in row.record.get("entries", [])}
    prizes = [w["prize"] for w in row.record.get("winners", []) if w["entrant"] == name]
    return {
        "campaign_id": campaign_id,
        "entrant": name,
        "drawn": True,
        "entries": entries.get(name, 0),
        "prize": prizes[0] if prizes else None,
    }
