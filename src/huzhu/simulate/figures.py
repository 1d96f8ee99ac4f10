"""The figures of a run: what happened to whom, judged against who they really were.

Built from the ledger (what each actor tried and was answered) and the read-back (the
engine's own final account through the operator API). `checks` holds the issue's bars
for a shop's community; a bar that is missed names the defence that let it through.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from huzhu.simulate.engine import Simulation, elapsed
from huzhu.simulate.ledger import AssistTry
from huzhu.simulate.population import (
    ATTACKER_SIDES,
    DAY,
    HONEST_SIDES,
    HOUR,
    Person,
    Side,
)

RESTRICTING = ("participation_restriction", "invite_restriction_1d", "invite_restriction_7d")
BANNING = ("ban",)

# What stands between each attacker and a counted assist, named as the report names it.
DEFENCES: dict[Side, str] = {
    Side.FARM: "the hourly ring scan (detect.schedule → risk/graph, risk/farm) and the inline "
    "scorer's device and network signals",
    Side.SYBIL: "the inline group hold of one-shot accounts (risk.group_*)",
    Side.HIJACK: "the inline scorer (an old account on a new phone and network)",
    Side.TAMPER: "share-link signatures and the one-assist-per-helper constraint",
}


@dataclass
class Tally:
    attempted: int = 0
    counted: int = 0
    held: int = 0
    voided: int = 0
    refused: int = 0

    def share(self, part: int) -> float:
        return round(part / self.attempted, 4) if self.attempted else 0.0


@dataclass
class Ring:
    accounts: int
    first_assist_hour: float | None
    confirmed_after_hours: float | None  # None: never confirmed


@dataclass
class Invites:
    delivered: int = 0
    refused: int = 0
    refused_by_code: dict[str, int] = field(default_factory=dict)
    max_per_person_day: int = 0
    p99_per_person_day: int = 0
    over_own_daily_max: int = 0
    against_preferences: int = 0  # from someone they do not accept invites from
    quiet_hours_broken: int = 0
    complaints: int = 0


@dataclass
class Money:
    orders_placed: int = 0
    orders_refused: int = 0
    refused_by_code: dict[str, int] = field(default_factory=dict)
    most_committed_day_cents: int = 0
    people_past_their_cap: int = 0
    reminders_sent: int = 0


@dataclass
class Campaigns:
    activities_started: int = 0
    completed: int = 0
    k_factor_net_of_fakes: float = 0.0
    budget_cents: int = 0
    budget_spent_cents: int = 0
    budget_reserved_cents: int = 0


@dataclass
class Brigaded:
    reports_filed: int
    sender_restricted: bool
    reach_before: float | None  # invites delivered / sent to non-brigaders, before
    reach_after: float | None


@dataclass
class Check:
    name: str
    passed: bool
    value: float
    limit: float
    let_through_by: str | None = None  # the defence that missed, when it did


@dataclass
class Figures:
    scenario: str
    seed: int
    days: int
    people: dict[str, int]
    fake: dict[str, Tally]
    honest: dict[str, Tally]
    rings: list[Ring]
    honest_restricted: int
    honest_banned: int
    hijacked_restricted: int
    invites: Invites
    money: Money
    campaigns: Campaigns
    brigaded: list[Brigaded]
    checks: list[Check]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _tallies(sim: Simulation, sides: tuple[Side, ...]) -> dict[str, Tally]:
    found = {side.value: Tally() for side in sides}
    total = Tally()
    seen: set[int] = set()
    for attempt in sim.ledger.assists:
        if attempt.side not in sides:
            continue
        # A replay answered with the first assist's answer made no new assist.
        status = "refused" if attempt.assist_id in seen else _final(sim, attempt)
        if attempt.assist_id is not None:
            seen.add(attempt.assist_id)
        for tally in (found[attempt.side.value], total):
            tally.attempted += 1
            setattr(tally, status, getattr(tally, status) + 1)
    present = {k: v for k, v in found.items() if v.attempted}
    return {**present, "all": total}


def _final(sim: Simulation, attempt: AssistTry) -> str:
    if attempt.assist_id is None:
        return "refused"
    row = sim.readback.assist_status.get(attempt.assist_id)
    if row is None or attempt.status not in (201, 202):
        return "refused"
    return str(row["status"])


def _accounts(sim: Simulation, people: list[Person]) -> set[int]:
    return {sim.wire_accounts[p.index] for p in people if p.index in sim.wire_accounts}


def _rings(sim: Simulation) -> list[Ring]:
    found = []
    for members in sim.plan.rings:
        accounts = {sim.wire_accounts[m] for m in members if m in sim.wire_accounts}
        times = [a.at for a in sim.ledger.assists if a.person in members and a.side is Side.FARM]
        first = min(times) if times else None
        confirmed = [
            elapsed(case["decided_at"])
            for case in sim.readback.cases
            if case["kind"] == "fraud_ring"
            and case["status"] == "confirmed"
            and accounts & set(case["subject_account_ids"])
        ]
        after = None
        if first is not None and confirmed:
            after = round(max(0, min(confirmed) - first) / HOUR, 2)
        found.append(
            Ring(len(members), round(first / HOUR, 2) if first is not None else None, after)
        )
    return found


def _restricted(sim: Simulation, kinds: tuple[str, ...]) -> set[int]:
    return {
        int(a["account_id"])
        for a in sim.readback.actions
        if a["kind"] in kinds and a["lifted_at"] is None
    }


def _local_day_hour(at: int) -> tuple[int, int]:
    # Play starts at local midnight (population.EPOCH): its seconds are the shop's days.
    return at // DAY, (at % DAY) // HOUR


def _quiet(person: Person, hour: int) -> bool:
    start, end = person.preferences.quiet_start_hour, person.preferences.quiet_end_hour
    return hour >= start or hour < end if start > end else start <= hour < end


def _refusals(codes: Iterable[str | None]) -> dict[str, int]:
    """How many of each refusal, by the problem's code, in a stable order."""
    return dict(sorted(Counter(code or "unknown" for code in codes).items()))


def _invites(sim: Simulation) -> Invites:
    out = Invites()
    per_day: Counter[tuple[int, int]] = Counter()
    out.refused_by_code = _refusals(i.code for i in sim.ledger.invites if not i.delivered)
    out.refused = sum(out.refused_by_code.values())
    for invite in sim.ledger.invites:
        if not invite.delivered:
            continue
        out.delivered += 1
        recipient = sim.plan.people[invite.recipient]
        day, hour = _local_day_hour(invite.at)
        per_day[(invite.recipient, day)] += 1
        if per_day[(invite.recipient, day)] > recipient.preferences.daily_max:
            out.over_own_daily_max += 1
        accept = recipient.preferences.accept_from
        if accept == "nobody" or (accept == "contacts" and invite.sender not in recipient.contacts):
            out.against_preferences += 1
        if _quiet(recipient, hour):
            out.quiet_hours_broken += 1
    counts = sorted(per_day.values())
    if counts:
        out.max_per_person_day = counts[-1]
        out.p99_per_person_day = counts[min(len(counts) - 1, math.ceil(0.99 * len(counts)) - 1)]
    out.complaints = sum(
        1 for _, by, _, filed in sim.ledger.reports if filed and sim.plan.people[by].honest
    )
    return out


def _money(sim: Simulation) -> Money:
    out = Money()
    committed: Counter[tuple[int, int]] = Counter()
    out.refused_by_code = _refusals(o.code for o in sim.ledger.orders if not o.placed)
    out.orders_refused = sum(out.refused_by_code.values())
    for order in sim.ledger.orders:
        if not order.placed:
            continue
        out.orders_placed += 1
        committed[(order.person, _local_day_hour(order.at)[0])] += order.amount_cents
    past = set()
    for (person, _), cents in committed.items():
        cap = sim.plan.people[person].daily_spend_cap_cents
        if cap is not None and cents > cap:
            past.add(person)
    out.most_committed_day_cents = max(committed.values(), default=0)
    out.people_past_their_cap = len(past)
    out.reminders_sent = sum(sim.readback.reminders.values())
    return out


def _campaigns(sim: Simulation) -> Campaigns:
    out = Campaigns()
    honest_owned = [
        a.index
        for a in sim.plan.activities
        if sim.plan.people[a.owner].honest and a.index in sim.ledger.instances
    ]
    out.activities_started = len(sim.ledger.instances)
    out.completed = sum(
        1
        for status in sim.readback.instance_status.values()
        if status in ("succeeded", "purchased", "completed")
    )
    real_helpers = {
        (a.person, a.activity)
        for a in sim.ledger.assists
        if a.side in HONEST_SIDES and _final(sim, a) == "counted"
    }
    if honest_owned:
        out.k_factor_net_of_fakes = round(len(real_helpers) / len(honest_owned), 3)
    for campaign in sim.readback.campaigns:
        out.budget_cents += int(campaign["budget_cents"])
        out.budget_spent_cents += int(campaign["budget_spent_cents"])
        out.budget_reserved_cents += int(campaign["budget_reserved_cents"])
    return out


def _brigaded(sim: Simulation, restricted: set[int]) -> list[Brigaded]:
    found = []
    for sender, at, crowd in sim.plan.brigaded:
        filed = sum(
            1 for _, by, of, ok in sim.ledger.reports if ok and of == sender and by in crowd
        )
        reach = []
        for before in (True, False):
            sent = [
                i
                for i in sim.ledger.invites
                if i.sender == sender and (i.at < at) == before and i.recipient not in crowd
            ]
            delivered = sum(1 for i in sent if i.delivered)
            reach.append(round(delivered / len(sent), 3) if sent else None)
        account = sim.wire_accounts.get(sender)
        found.append(Brigaded(filed, account in restricted, reach[0], reach[1]))
    return found


def compute(sim: Simulation, *, seed: int) -> Figures:
    people = sim.plan.people
    restricted = _restricted(sim, RESTRICTING + BANNING)
    banned = _restricted(sim, BANNING)
    hijacked = {a.person for a in sim.ledger.assists if a.side is Side.HIJACK}
    honest_people = [p for p in people if p.honest and p.index not in hijacked]
    honest_accounts = _accounts(sim, honest_people)
    hijacked_accounts = _accounts(sim, [people[i] for i in sorted(hijacked)])
    figures = Figures(
        scenario=sim.scenario.name,
        seed=seed,
        days=sim.scenario.days,
        people=dict(sorted(Counter(p.side.value for p in people).items())),
        fake=_tallies(sim, ATTACKER_SIDES),
        honest=_tallies(sim, HONEST_SIDES),
        rings=_rings(sim),
        honest_restricted=len(honest_accounts & restricted),
        honest_banned=len(honest_accounts & banned),
        hijacked_restricted=len(hijacked_accounts & restricted),
        invites=_invites(sim),
        money=_money(sim),
        campaigns=_campaigns(sim),
        brigaded=_brigaded(sim, restricted),
        checks=[],
    )
    figures.checks = checks(figures, sim)
    return figures


def checks(figures: Figures, sim: Simulation) -> list[Check]:
    """The issue's bars for the default community, each with the defence that let a miss
    through."""
    fake, honest = figures.fake["all"], figures.honest["all"]
    counted_by = [k for k, t in figures.fake.items() if k != "all" and t.counted]
    slow = [
        r for r in figures.rings if r.confirmed_after_hours is None or r.confirmed_after_hours > 24
    ]
    found = [
        Check(
            "fake assists counted ≤ 5% of attempted",
            fake.share(fake.counted) <= 0.05,
            fake.share(fake.counted),
            0.05,
            "; ".join(_fake_cause(sim, Side(k)) for k in counted_by) or None,
        ),
        Check(
            "every farm ring confirmed within one simulated day",
            not slow,
            float(len(slow)),
            0.0,
            DEFENCES[Side.FARM] if slow else None,
        ),
        Check(
            "honest assists held ≤ 1%",
            honest.share(honest.held) <= 0.01,
            honest.share(honest.held),
            0.01,
            _honest_cause(sim, "held"),
        ),
        Check(
            "honest assists voided ≤ 0.1%",
            honest.share(honest.voided) <= 0.001,
            honest.share(honest.voided),
            0.001,
            _honest_cause(sim, "voided"),
        ),
        Check(
            "no honest person restricted",
            figures.honest_restricted == 0,
            float(figures.honest_restricted),
            0.0,
            "the enforcement ladder acting on a review case" if figures.honest_restricted else None,
        ),
    ]
    inv = figures.invites
    against = inv.against_preferences + inv.quiet_hours_broken + inv.over_own_daily_max
    found.append(
        Check(
            "nobody receives an invite their preferences refuse",
            against == 0,
            float(against),
            0.0,
            "invite consent, quiet hours and daily caps (invites/)" if against else None,
        )
    )
    found.append(
        Check(
            "nobody commits money past their caps",
            figures.money.people_past_their_cap == 0,
            float(figures.money.people_past_their_cap),
            0.0,
            "spending guardrails (guardrails/)" if figures.money.people_past_their_cap else None,
        )
    )
    return found


def _signals(sim: Simulation, sides: tuple[Side, ...], status: str) -> Counter[str]:
    """The inline scorer's reasons on the assists of `sides` that ended as `status`."""
    reasons: Counter[str] = Counter()
    seen: set[int] = set()  # a replay answered with the first assist is that assist
    for attempt in sim.ledger.assists:
        if attempt.assist_id in seen or attempt.side not in sides:
            continue
        if _final(sim, attempt) == status and attempt.assist_id is not None:
            seen.add(attempt.assist_id)
            row = sim.readback.assist_status[attempt.assist_id]
            reasons.update(r.split(":")[0] for r in row["risk_reasons"] or ["no signal"])
    return reasons


def _named(reasons: Counter[str]) -> str:
    return ", ".join(f"{r} ({n})" for r, n in reasons.most_common(4))


def _fake_cause(sim: Simulation, side: Side) -> str:
    """The defence that should have stopped this attacker, and the inline signals its
    counted assists carried (below the hold score, or none)."""
    counted = _signals(sim, (side,), "counted")
    return f"{side.value}: {DEFENCES[side]}; signals on the counted ones: {_named(counted)}"


def _honest_cause(sim: Simulation, status: str) -> str | None:
    """The signals the engine gave for honest assists it held or voided, most common first."""
    reasons = _signals(sim, HONEST_SIDES, status)
    if not reasons:
        return None
    named = _named(reasons)
    voiders: Counter[str] = Counter()
    for case in sim.readback.cases:
        if case["status"] == "confirmed":
            voiders[case["kind"]] += 1
    by = f"; confirmed cases: {dict(voiders)}" if status == "voided" and voiders else ""
    return f"inline scorer signals: {named}{by}"
