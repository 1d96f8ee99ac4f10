"""The seeded plan: the same scenario and seed give the same people and acts; every act
is one a real client could make, in an order a real client could make it."""

from __future__ import annotations

from pathlib import Path

from huzhu.simulate.population import HONEST_SIDES, Side, Verb, make_plan
from huzhu.simulate.scenario import load_scenario

DEFAULT = load_scenario(Path(__file__).parents[2] / "scenarios" / "default.toml")


def test_same_seed_same_plan_and_another_seed_another() -> None:
    a, b, c = make_plan(DEFAULT, seed=5), make_plan(DEFAULT, seed=5), make_plan(DEFAULT, seed=6)
    assert a.people == b.people
    assert a.actions == b.actions
    assert a.actions != c.actions


def test_every_assist_follows_its_own_open_and_its_activity_start() -> None:
    plan = make_plan(DEFAULT, seed=2)
    started = {a.index: a.at for a in plan.activities}
    opened: dict[tuple[int, int | None], int] = {}
    for action in plan.sorted_actions():
        if action.verb is Verb.OPEN:
            assert action.activity is not None
            assert action.at > started[action.activity]
            opened.setdefault((action.actor, action.activity), action.at)
        if action.verb is Verb.ASSIST:
            assert opened[(action.actor, action.activity)] < action.at


def test_honest_people_predate_play_and_attackers_are_made_during_it() -> None:
    plan = make_plan(DEFAULT, seed=3)
    for person in plan.people:
        if person.side in (Side.FRIEND, Side.MUTUAL_HELP, Side.SPENDER):
            assert person.made_at < 0
        if person.side in (Side.FARM, Side.SYBIL, Side.SPAM, Side.BRIGADE, Side.TAMPER):
            assert person.made_at >= 0
    # Every person acts only after they signed in.
    made = {p.index: p.made_at for p in plan.people}
    for action in plan.actions:
        if action.verb is not Verb.SIGN_IN:
            assert action.at >= made[action.actor]


def test_a_farm_shares_phones_and_one_network_and_honest_people_do_not() -> None:
    plan = make_plan(DEFAULT, seed=4)
    for ring in plan.rings:
        people = [plan.people[i] for i in ring]
        assert len({p.device for p in people}) == DEFAULT.attackers.farm.phones
        assert len({p.host.rsplit(".", 1)[0] for p in people}) == 1
    honest = [p for p in plan.people if p.side in HONEST_SIDES]
    assert len({p.device for p in honest}) == len(honest)
    assert len({p.host.rsplit(".", 1)[0] for p in honest}) == len(honest)
