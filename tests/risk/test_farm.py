"""The farm-or-friends weighing (risk/farm.py) on its own: which evidence makes a group
a farm, that friends with their own phones and networks at a human pace show none, and
that what is unknown (no phone id sent, no open named) counts for neither."""

from __future__ import annotations

import pytest

from huzhu.config import DetectSettings
from huzhu.risk.detect_service import farm_policy
from huzhu.risk.farm import AssistTrace, FarmSign, GroupVerdict, corroborated, phone_groups, weigh

POLICY = farm_policy(DetectSettings())
DAY = 86_400.0


def _group(
    accounts: int, *, phones: int, networks: int, delay: float | None, age_days: float
) -> tuple[list[AssistTrace], dict[int, float]]:
    traces = []
    for a in range(accounts):
        for k in range(4):
            at = 100 * DAY + a * 30.0 + k * 600.0
            traces.append(
                AssistTrace(
                    helper_id=a,
                    at=at,
                    opened_at=None if delay is None else at - delay,
                    device_hash=f"d{a * phones // accounts}",
                    net_hash=f"n{a * networks // accounts}",
                )
            )
    return traces, {a: 100 * DAY - age_days * DAY for a in range(accounts)}


@pytest.mark.parametrize("accounts", [6, 12, 24])
def test_a_device_farm_shows_phones_network_and_instant_taps(accounts: int) -> None:
    traces, joined = _group(accounts, phones=accounts // 4, networks=1, delay=0.5, age_days=0)
    found = weigh(POLICY, traces, joined)
    assert found.verdict == GroupVerdict.FARM
    assert set(found.signs) == {
        FarmSign.SHARED_DEVICES,
        FarmSign.SHARED_NETWORKS,
        FarmSign.INSTANT_TAPS,
    }
    assert found.as_json()["accounts_per_device"] == round(accounts / (accounts // 4), 2)
    assert found.fresh_accounts == accounts


@pytest.mark.parametrize(("accounts", "delay"), [(8, 4.0), (15, 20.0), (30, 90.0)])
def test_strangers_on_their_own_phones_at_a_human_pace_show_nothing(
    accounts: int, delay: float
) -> None:
    traces, joined = _group(accounts, phones=accounts, networks=accounts, delay=delay, age_days=0)
    found = weigh(POLICY, traces, joined)
    # Fresh accounts alone decide nothing: a mutual-help group gathers newcomers too.
    assert found.fresh_accounts == accounts
    assert found.signs == ()
    assert found.verdict == GroupVerdict.MUTUAL_HELP
    assert found.median_open_to_assist_seconds == pytest.approx(delay)


def test_each_sign_alone_makes_a_farm_at_its_threshold() -> None:
    distinct = {"phones": 12, "networks": 12, "delay": 20.0, "age_days": 60.0}
    for change, sign in (
        ({"phones": 6}, FarmSign.SHARED_DEVICES),  # 2 accounts a phone
        ({"networks": 2}, FarmSign.SHARED_NETWORKS),  # 6 accounts a network
        ({"delay": 2.9}, FarmSign.INSTANT_TAPS),
        ({"delay": None}, FarmSign.NO_OPENS),
    ):
        traces, joined = _group(12, **{**distinct, **change})  # type: ignore[arg-type]
        assert weigh(POLICY, traces, joined).signs == (sign,)
    traces, joined = _group(12, **{**distinct, "phones": 7})  # type: ignore[arg-type]
    assert weigh(POLICY, traces, joined).signs == ()


def test_unknown_phones_and_networks_are_no_evidence() -> None:
    traces = [AssistTrace(helper_id=a, at=1000.0 + a, opened_at=990.0 + a) for a in range(10)]
    found = weigh(POLICY, traces, {})
    assert (found.devices, found.networks, found.median_age_seconds) == (0, 0, None)
    assert found.signs == ()
    assert found.as_json()["accounts_per_device"] is None


def _uses(
    accounts: int, per_phone: int, network: str | None, *, first: int = 0, phone: str = "p"
) -> list[tuple[int, str, str | None]]:
    return [
        (first + a, f"{phone}{a // per_phone}", network or f"n{a}")
        for a in range(accounts)
        for _ in (1, 2)
    ]


def _phones(uses: list[tuple[int, str, str | None]]) -> set[str]:
    return {phone for _, phone, _ in uses}


@pytest.mark.parametrize(("accounts", "per_phone"), [(6, 3), (12, 4), (48, 6)])
def test_a_farm_is_found_by_its_phones_whatever_it_works(accounts: int, per_phone: int) -> None:
    """Its scripted phones sit on one /24: they make one group, with or without a graph."""
    uses = _uses(accounts, per_phone, "farm-net")
    found = phone_groups(uses, scripted=_phones(uses), min_accounts=5, accounts_per_device=2.0)
    assert [(len(g.accounts), len(g.phones)) for g in found] == [(accounts, accounts // per_phone)]


def test_phones_of_one_person_each_or_of_a_couple_make_no_group() -> None:
    # A carrier's /24 with a phone each; couples sharing a phone on their own networks.
    alone = _uses(40, 1, "carrier")
    couples = _uses(40, 2, None)
    for uses in (alone, couples):
        assert (
            phone_groups(uses, scripted=_phones(uses), min_accounts=5, accounts_per_device=2) == []
        )
    # One account on a farm's phone and on a phone of its own: only shared phones count.
    uses = [*_uses(6, 3, "farm-net"), (0, "own", "farm-net")]
    (group,) = phone_groups(uses, scripted=_phones(uses), min_accounts=5, accounts_per_device=2)
    assert group.phones == ("p0", "p1")


def test_households_behind_the_farms_network_stay_out_of_its_group() -> None:
    """Families passing phones around behind a carrier's /24 read before they tap: their
    phones are not joined by the network, to each other or to a farm on it."""
    farm = _uses(12, 4, "carrier")
    homes = _uses(9, 3, "carrier", first=100, phone="home")
    (group,) = phone_groups(
        farm + homes, scripted=_phones(farm), min_accounts=5, accounts_per_device=2.0
    )
    assert group.accounts == tuple(range(12))
    assert phone_groups(homes, scripted=set(), min_accounts=5, accounts_per_device=2.0) == []


def test_only_automation_beside_shared_phones_lets_the_rule_confirm() -> None:
    assert not corroborated([FarmSign.SHARED_DEVICES, FarmSign.SHARED_NETWORKS])
    assert corroborated([FarmSign.SHARED_DEVICES, FarmSign.INSTANT_TAPS])
    assert corroborated([FarmSign.SHARED_DEVICES, FarmSign.NO_OPENS])
    assert not corroborated([FarmSign.INSTANT_TAPS, FarmSign.SHARED_NETWORKS])


def test_the_evidence_names_its_kinds() -> None:
    traces, joined = _group(12, phones=3, networks=1, delay=0.5, age_days=0)
    assert weigh(POLICY, traces, joined).as_json()["kinds"] == [
        "device_concentration",
        "network_concentration",
        "automation",
    ]
    traces, joined = _group(12, phones=12, networks=12, delay=None, age_days=60)
    assert weigh(POLICY, traces, joined).as_json()["kinds"] == ["automation"]
