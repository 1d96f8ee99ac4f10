"""Who lives in the community, and what each of them does when: a seeded plan.

Everything comes from one `random.Random(seed)` in a fixed order, and times are whole
simulated seconds from the start of play (`EPOCH`), so the same scenario and seed give
the same people and the same plan. Nothing here talks to the engine: `engine.py` plays
the plan through the app's HTTP interface.

Honest people are a month old when play starts, each with a phone and a home network of
their own; attackers' accounts are made during play. A person's `side` is the truth the
report judges the engine against: the engine never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from random import Random

from huzhu.simulate.scenario import Scenario

HOUR = 3_600
DAY = 86_400
#: Play starts at midnight in Shanghai on a fixed date, so evenings and quiet hours fall
#: where they fall in the shop's zone, whenever the simulation is run.
EPOCH = datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
HISTORY = 20 * DAY  # honest accounts were made this long before play (tokens last 30)


class Side(StrEnum):
    FRIEND = "friend"
    MUTUAL_HELP = "mutual_help"
    VIRAL = "viral"
    SPENDER = "spender"
    CUSTOMER = "customer"  # pays attackers for assists on their own activity
    FARM = "farm"
    SYBIL = "sybil"
    HIJACK = "hijack"
    SPAM = "spam"
    BRIGADE = "brigade"
    TAMPER = "tamper"


HONEST_SIDES = (Side.FRIEND, Side.MUTUAL_HELP, Side.VIRAL, Side.SPENDER)
ATTACKER_SIDES = (Side.FARM, Side.SYBIL, Side.HIJACK, Side.SPAM, Side.BRIGADE, Side.TAMPER)


class Verb(StrEnum):
    SIGN_IN = "sign_in"
    START = "start"  # start an activity and make its share link
    OPEN = "open"  # open the activity's share link
    ASSIST = "assist"  # through the open made before
    INVITE = "invite"  # a direct invite to `target`
    REPORT_SPAM = "report_spam"  # report `target` for spam
    MUTE = "mute"  # mute `target`
    OPEN_TEAM = "open_team"  # group buy: open a team (the activity)
    JOIN_TEAM = "join_team"
    TAMPER_OPEN = "tamper_open"  # open the link with its token altered
    REPLAY_ASSIST = "replay_assist"  # assist, then send the same request twice more


@dataclass(frozen=True, slots=True)
class Preferences:
    accept_from: str = "contacts"
    quiet_start_hour: int = 22
    quiet_end_hour: int = 8
    daily_max: int = 3


@dataclass
class Person:
    index: int
    side: Side
    host: str  # the network address the shop sees
    device: str
    made_at: int  # simulated seconds; negative: before play
    preferences: Preferences = Preferences()
    contacts: list[int] = field(default_factory=list)
    daily_spend_cap_cents: int | None = None

    @property
    def subject(self) -> str:
        return f"sim-{self.side.value}-{self.index}"

    @property
    def honest(self) -> bool:
        return self.side in HONEST_SIDES


@dataclass(frozen=True, slots=True)
class Activity:
    index: int
    owner: int
    kind: str  # "bargain" or "groupbuy"
    channel: str  # the share link's channel
    at: int  # when it starts


@dataclass(frozen=True, slots=True)
class Action:
    at: int
    verb: Verb
    actor: int
    side: Side  # who really acts (a hijacker acts through someone else's account)
    activity: int | None = None
    target: int | None = None
    host: str | None = None  # the address and phone of this request, if not the actor's
    device: str | None = None
    only_if_invited_by: int | None = None  # a complaint follows a delivered invite only


@dataclass
class Plan:
    people: list[Person] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    rings: list[list[int]] = field(default_factory=list)  # farm rings: their accounts
    brigaded: list[tuple[int, int, list[int]]] = field(default_factory=list)  # sender, at, who
    end: int = 0

    def person(self, side: Side, *, made_at: int, host: str, device: str) -> Person:
        made = Person(len(self.people), side, host, device, made_at)
        self.people.append(made)
        if made_at >= 0:
            self.actions.append(Action(made_at, Verb.SIGN_IN, made.index, side))
        return made

    def activity(self, owner: Person, *, at: int, kind: str = "bargain", channel: str) -> int:
        made = Activity(len(self.activities), owner.index, kind, channel, at)
        self.activities.append(made)
        verb = Verb.OPEN_TEAM if kind == "groupbuy" else Verb.START
        self.actions.append(Action(at, verb, owner.index, owner.side, activity=made.index))
        return made.index

    def help(self, helper: Person, activity: int, *, opened: int, tapped: int) -> None:
        self.actions.append(Action(opened, Verb.OPEN, helper.index, helper.side, activity))
        self.actions.append(Action(tapped, Verb.ASSIST, helper.index, helper.side, activity))

    def sorted_actions(self) -> list[Action]:
        # Stable: same-second actions keep the order they were planned in.
        return sorted(self.actions, key=lambda a: a.at)


def local_time(rng: Random, day: int, *, evening: float = 0.7) -> int:
    """A moment of `day` in the shop's zone: evenings (18–22h) are busier."""
    hour = rng.uniform(18, 22) if rng.random() < evening else rng.uniform(9, 18)
    return day * DAY + int(hour * HOUR)


def make_plan(scenario: Scenario, *, seed: int) -> Plan:
    rng = Random(seed)
    plan = Plan(end=scenario.days * DAY)
    circles = _friends(plan, rng, scenario)
    _mutual_help(plan, rng, scenario)
    _viral(plan, rng, scenario)
    _spenders(plan, rng, scenario)
    honest = [p for p in plan.people if p.side is Side.FRIEND]
    _farms(plan, rng, scenario)
    _sybils(plan, rng, scenario)
    _hijackers(plan, rng, scenario, honest)
    _spammers(plan, rng, scenario, honest)
    _brigades(plan, rng, scenario, circles)
    _tamperers(plan, rng, scenario)
    return plan


def _own(kind: str, n: int) -> tuple[str, str]:
    """A home network and a phone of one's own: one /24 per person."""
    return f"10.{20 + n // 250}.{n % 250}.{7 + n % 11}", f"{kind}-phone-{n}"


def _friends(plan: Plan, rng: Random, scenario: Scenario) -> list[list[Person]]:
    pop = scenario.population
    circles: list[list[Person]] = []
    for _ in range(pop.friend_circles):
        circle = []
        for _ in range(pop.circle_size):
            host, device = _own("friend", len(plan.people))
            circle.append(plan.person(Side.FRIEND, made_at=-HISTORY, host=host, device=device))
        circles.append(circle)
    for circle in circles:
        for person in circle:
            person.contacts = [p.index for p in circle if p is not person]
            if rng.random() < 0.1:
                person.preferences = Preferences(accept_from="nobody")
    everyone = [p for circle in circles for p in circle]
    ttl = scenario.campaigns.bargain.instance_ttl_hours * HOUR
    busy = brigaded_senders(scenario, circles)  # their own day is planned with the brigade
    for circle in circles:
        enthusiasts = circle[: pop.enthusiasts]
        for owner in circle:
            if owner in busy:
                continue
            free_at = 0
            for day in range(scenario.days):
                if rng.random() >= pop.starts_per_person_day:
                    continue
                start = local_time(rng, day)
                if start < free_at:
                    continue
                free_at = start + ttl
                _circle_activity(plan, rng, scenario, owner, circle, enthusiasts, everyone, start)
    return circles


def _circle_activity(
    plan: Plan,
    rng: Random,
    scenario: Scenario,
    owner: Person,
    circle: list[Person],
    enthusiasts: list[Person],
    everyone: list[Person],
    start: int,
) -> None:
    pop = scenario.population
    activity = plan.activity(owner, at=start, channel="friend")
    friends = [p for p in circle if p is not owner]
    for k, friend in enumerate(rng.sample(friends, min(pop.direct_invites, len(friends)))):
        plan.actions.append(
            Action(start + 60 + k, Verb.INVITE, owner.index, owner.side, activity, friend.index)
        )
    helpers = [p for p in friends if p in enthusiasts or rng.random() < pop.open_chance]
    strangers = [p for p in everyone if p not in circle]
    if strangers and rng.random() < pop.stranger_chance:
        helpers.append(rng.choice(strangers))
    for helper in helpers:
        opened = start + 30 + int(rng.expovariate(1 / (2 * HOUR)))
        if rng.random() < pop.assist_chance:
            plan.help(helper, activity, opened=opened, tapped=opened + rng.randint(5, 120))
        else:
            plan.actions.append(Action(opened, Verb.OPEN, helper.index, helper.side, activity))


def _mutual_help(plan: Plan, rng: Random, scenario: Scenario) -> None:
    """Strangers who post their activities in a group and help the next ones who posted:
    on purpose, and honest — the hardest case for a detector."""
    pop = scenario.population
    helpers = min(scenario.campaigns.bargain.max_helpers, pop.mutual_help_size - 1)
    for _ in range(pop.mutual_help_groups):
        members = []
        for _ in range(pop.mutual_help_size):
            host, device = _own("group", len(plan.people))
            members.append(
                plan.person(Side.MUTUAL_HELP, made_at=-HISTORY, host=host, device=device)
            )
        posted = sorted(rng.randint(19 * HOUR, 22 * HOUR) for _ in members)
        activities = [
            plan.activity(m, at=t, channel="group") for m, t in zip(members, posted, strict=True)
        ]
        for j, activity in enumerate(activities):
            for i in range(1, helpers + 1):
                helper = members[(j + i) % len(members)]
                opened = posted[j] + 60 + int(rng.expovariate(1 / 300))
                plan.help(helper, activity, opened=opened, tapped=opened + rng.randint(8, 90))


def _viral(plan: Plan, rng: Random, scenario: Scenario) -> None:
    """A link posted in a group of hundreds: most only look; many are new to the shop."""
    pop = scenario.population
    for _ in range(pop.viral_sharers):
        host, device = _own("viral", len(plan.people))
        sharer = plan.person(Side.VIRAL, made_at=-HISTORY, host=host, device=device)
        start = 20 * HOUR + rng.randint(0, HOUR)
        activity = plan.activity(sharer, at=start, channel="group")
        for _ in range(pop.viral_group_size):
            opened = start + 30 + min(HOUR, int(rng.expovariate(1 / 900)))
            new = rng.random() < 0.5
            host, device = _own("viral", len(plan.people))
            reader = plan.person(
                Side.VIRAL, made_at=opened - 20 if new else -HISTORY, host=host, device=device
            )
            if rng.random() < pop.viral_assist_chance:
                plan.help(reader, activity, opened=opened, tapped=opened + rng.randint(5, 60))
            else:
                plan.actions.append(Action(opened, Verb.OPEN, reader.index, reader.side, activity))


def _spenders(plan: Plan, rng: Random, scenario: Scenario) -> None:
    """Impulsive buyers who open and join more teams than they need, under caps they set."""
    pop = scenario.population
    spenders = []
    for _ in range(pop.spenders):
        host, device = _own("spender", len(plan.people))
        person = plan.person(Side.SPENDER, made_at=-HISTORY, host=host, device=device)
        person.daily_spend_cap_cents = pop.spender_daily_cap_cents
        spenders.append(person)
    if len(spenders) < 2:
        return
    for day in range(scenario.days):
        teams = []
        for person in spenders:
            at = day * DAY + 10 * HOUR + rng.randint(0, 2 * HOUR)
            teams.append((plan.activity(person, at=at, kind="groupbuy", channel="friend"), person))
        for person in spenders:
            others = [t for t, owner in teams if owner is not person]
            for _ in range(pop.spender_joins_per_day):
                at = day * DAY + 13 * HOUR + rng.randint(0, 8 * HOUR)
                plan.actions.append(
                    Action(at, Verb.JOIN_TEAM, person.index, person.side, rng.choice(others))
                )


def _fresh(plan: Plan, side: Side, *, at: int, host: str, device: str) -> Person:
    return plan.person(side, made_at=at, host=host, device=device)


def _customer(plan: Plan, rng: Random, at: int) -> tuple[Person, int]:
    """Someone who pays for assists on their own activity: it starts at `at`."""
    n = len(plan.people)
    owner = _fresh(plan, Side.CUSTOMER, at=at - 60, host=f"10.200.{n % 250}.9", device=f"cust-{n}")
    return owner, plan.activity(owner, at=at, channel="friend")


def _farms(plan: Plan, rng: Random, scenario: Scenario) -> None:
    """Crews of fresh accounts, a few to a phone, all behind one /24, tapping within a
    second of each open, working their customers' activities one after another."""
    farm = scenario.attackers.farm
    crew_size = scenario.campaigns.bargain.max_helpers
    for ring in range(farm.rings):
        at = rng.randint(0, scenario.days - 1) * DAY + rng.randint(8 * HOUR, 20 * HOUR)
        per_phone = -(-farm.accounts // farm.phones)
        accounts = [
            _fresh(
                plan,
                Side.FARM,
                at=at,
                host=f"10.66.{ring}.{k + 1}",
                device=f"farm-{ring}-phone-{k // per_phone}",
            )
            for k in range(farm.accounts)
        ]
        plan.rings.append([p.index for p in accounts])
        at += 600
        for t in range(farm.targets):
            _, activity = _customer(plan, rng, at)
            at += 120
            start = t * crew_size % len(accounts)
            crew = [accounts[(start + k) % len(accounts)] for k in range(crew_size)]
            for helper in crew[: len(accounts)]:
                at += rng.randint(3, 15)
                plan.help(helper, activity, opened=at, tapped=at + 1)
            at += 600


def _sybils(plan: Plan, rng: Random, scenario: Scenario) -> None:
    """Accounts bought for one target: each on its own phone, made just before use, used
    once, at a human-looking pace, through a proxy pool of a few networks."""
    sybil = scenario.attackers.sybil
    for b in range(sybil.buyers):
        at = local_time(rng, rng.randint(0, scenario.days - 1))
        _, activity = _customer(plan, rng, at)
        for k in range(sybil.accounts):
            n = len(plan.people)
            pool = (
                f"10.{120 + b}.{k % sybil.networks}"
                if sybil.networks
                else f"10.{130 + n // 250}.{n % 250}"
            )
            t = at + 120 + rng.randint(0, HOUR)
            helper = _fresh(plan, Side.SYBIL, at=t - 30, host=f"{pool}.{10 + k}", device=f"s{n}")
            plan.help(helper, activity, opened=t, tapped=t + rng.randint(3, 20))


def _hijackers(plan: Plan, rng: Random, scenario: Scenario, honest: list[Person]) -> None:
    """Real people's accounts used from the attacker's phone and network."""
    hijack = scenario.attackers.hijack
    if not hijack.accounts or len(honest) < hijack.accounts:
        return
    taken = rng.sample(honest, hijack.accounts)
    at = local_time(rng, rng.randint(0, scenario.days - 1))
    for _ in range(hijack.targets):
        _, activity = _customer(plan, rng, at)
        for person in taken:
            at += rng.randint(2, 6)
            for verb, t in ((Verb.OPEN, at), (Verb.ASSIST, at + 1)):
                plan.actions.append(
                    Action(
                        t,
                        verb,
                        person.index,
                        Side.HIJACK,
                        activity,
                        host="10.99.0.5",
                        device="hijack-phone",
                    )
                )
        at += 900


def _spammers(plan: Plan, rng: Random, scenario: Scenario, honest: list[Person]) -> None:
    spam = scenario.attackers.spam
    for s in range(spam.spammers):
        at = local_time(rng, rng.randint(0, scenario.days - 1))
        spammer = _fresh(plan, Side.SPAM, at=at, host=f"10.55.{s}.2", device=f"spam-{s}")
        activity = plan.activity(spammer, at=at + 60, channel="friend")
        for k in range(spam.invites):
            if not honest:
                break
            recipient = rng.choice(honest)
            t = at + 120 + k * 30
            plan.actions.append(
                Action(t, Verb.INVITE, spammer.index, Side.SPAM, activity, recipient.index)
            )
            if rng.random() < spam.complaint_chance:
                complaint = Action(
                    t + 600,
                    Verb.REPORT_SPAM,
                    recipient.index,
                    recipient.side,
                    target=spammer.index,
                    only_if_invited_by=spammer.index,
                )
                plan.actions.append(complaint)


def _brigades(plan: Plan, rng: Random, scenario: Scenario, circles: list[list[Person]]) -> None:
    """Accounts that mute and report one honest sender within an hour. The sender starts
    an activity in the morning and invites half their friends before the brigade and the
    other half after it: their reach is what the brigade is after."""
    brigade = scenario.attackers.brigade
    for b, sender in enumerate(brigaded_senders(scenario, circles)):
        circle = circles[b % len(circles)]
        start = 8 * HOUR + 5 * 60
        attack = 9 * HOUR
        activity = plan.activity(sender, at=start, channel="friend")
        friends = [p for p in circle if p is not sender and p.preferences.accept_from != "nobody"]
        half = len(friends) // 2
        for k, friend in enumerate(friends):
            at = start + 60 + k if k < half else attack + 3 * HOUR + k
            plan.actions.append(
                Action(at, Verb.INVITE, sender.index, sender.side, activity, friend.index)
            )
        crowd = []
        for k in range(brigade.accounts):
            member = _fresh(
                plan, Side.BRIGADE, at=attack, host=f"10.44.{b}.{k + 1}", device=f"brigade-{b}-{k}"
            )
            crowd.append(member.index)
            t = attack + 60 + rng.randint(0, HOUR)
            plan.actions.append(
                Action(t, Verb.MUTE, member.index, Side.BRIGADE, target=sender.index)
            )
            plan.actions.append(
                Action(t + 5, Verb.REPORT_SPAM, member.index, Side.BRIGADE, target=sender.index)
            )
        plan.brigaded.append((sender.index, attack, crowd))


def brigaded_senders(scenario: Scenario, circles: list[list[Person]]) -> list[Person]:
    """The honest sender each brigade goes after: the last of a circle."""
    if not circles:
        return []
    return [circles[b % len(circles)][-1] for b in range(scenario.attackers.brigade.brigades)]


def _tamperers(plan: Plan, rng: Random, scenario: Scenario) -> None:
    tamper = scenario.attackers.tamper
    ttl = scenario.campaigns.bargain.instance_ttl_hours * HOUR
    for t in range(tamper.tamperers):
        at = local_time(rng, rng.randint(0, scenario.days - 1))
        who = _fresh(plan, Side.TAMPER, at=at, host=f"10.33.{t}.8", device=f"tamper-{t}")
        for k in range(tamper.tries):
            when = at + 60 + k * 300
            # An activity of a friend's running now: its link is what a tamperer finds.
            running = [
                a
                for a in plan.activities
                if plan.people[a.owner].side is Side.FRIEND and a.at < when < a.at + ttl
            ]
            if not running:
                continue
            activity = rng.choice(running).index
            plan.actions.append(Action(when, Verb.TAMPER_OPEN, who.index, Side.TAMPER, activity))
            plan.actions.append(
                Action(when + 30, Verb.REPLAY_ASSIST, who.index, Side.TAMPER, activity)
            )


def at_datetime(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)
