"""Farm or friends: what a group the batch scan found looks like beyond its graph.

The graph searches (risk/graph) find accounts that act together. A device farm and an
honest mutual-help group (互助群) both do: strangers in a group chat assist each other's
activities, some of them within the same hour. What tells them apart is what acting
together cost them — a farm runs many accounts on few phones behind few networks, taps
as the page answers (or never opens it), and makes accounts for the job; friends each
hold their own phone on their own network and read before they tap.

`weigh` turns what is recorded of the group's assists (their opens' keyed phone and
network hashes and times; the accounts' ages) into evidence and a verdict. Only the
farm signs (`FarmSign`) make a farm: fresh accounts are shown but decide nothing (a
mutual-help group gathers newcomers too). A group with no farm sign is a likely
mutual-help group: never confirmed by rule, and enforced only with an analyst's reason.

`phone_groups` finds what the graph cannot: a farm that spreads its accounts thinly (each
on a third of its activities, or once) moves in no lockstep, but its accounts still
share its few phones. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import median
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


class GroupVerdict(StrEnum):
    FARM = "farm"
    MUTUAL_HELP = "likely_mutual_help"


class FarmSign(StrEnum):
    """Evidence that the group is run, not joined."""

    SHARED_DEVICES = "shared_devices"  # many accounts per phone
    SHARED_NETWORKS = "shared_networks"  # many accounts per /24 (/48)
    INSTANT_TAPS = "instant_taps"  # seconds or less between open and assist
    NO_OPENS = "no_opens"  # most assists never opened a share


class EvidenceKind(StrEnum):
    """What the issue names as the ground for confirming by rule, each sign's kind."""

    DEVICES = "device_concentration"
    NETWORKS = "network_concentration"
    AUTOMATION = "automation"


KIND_OF: dict[FarmSign, EvidenceKind] = {
    FarmSign.SHARED_DEVICES: EvidenceKind.DEVICES,
    FarmSign.SHARED_NETWORKS: EvidenceKind.NETWORKS,
    FarmSign.INSTANT_TAPS: EvidenceKind.AUTOMATION,
    FarmSign.NO_OPENS: EvidenceKind.AUTOMATION,
}


# What a group found only through its shared phones needs beside them to be confirmed by
# rule: automation. Families pass a phone around, and several families behind one
# carrier network share phones and a network both; none of them taps within seconds of
# every open, or assists without opening the share.
AUTOMATION = frozenset({FarmSign.INSTANT_TAPS, FarmSign.NO_OPENS})


@dataclass(frozen=True, slots=True)
class FarmPolicy:
    """Thresholds (settings.detect.farm_*)."""

    accounts_per_device: float
    accounts_per_network: float
    open_to_assist_seconds: float
    unopened_share: float
    fresh_account_seconds: float


@dataclass(frozen=True, slots=True)
class AssistTrace:
    """One assist of the group as recorded: when, by whom, and its open (if named)."""

    helper_id: int
    at: float  # unix seconds
    opened_at: float | None = None
    device_hash: str | None = None
    net_hash: str | None = None


@dataclass(frozen=True, slots=True)
class GroupEvidence:
    accounts: int
    assists: int
    devices: int  # distinct phones among the accounts whose phone is known
    accounts_with_device: int
    networks: int
    accounts_with_network: int
    fresh_accounts: int  # younger than fresh_account_seconds at their first assist
    median_age_seconds: float | None
    median_open_to_assist_seconds: float | None
    unopened_share: float  # of the group's assists
    signs: tuple[FarmSign, ...]

    @property
    def verdict(self) -> GroupVerdict:
        return GroupVerdict.FARM if self.signs else GroupVerdict.MUTUAL_HELP

    def as_json(self) -> dict[str, Any]:
        """As kept in the case's evidence (`group`) and shown on the case page."""
        return {
            "verdict": self.verdict.value,
            "signs": [s.value for s in self.signs],
            "kinds": [k.value for k in EvidenceKind if k in {KIND_OF[s] for s in self.signs}],
            "accounts": self.accounts,
            "assists": self.assists,
            "devices": self.devices,
            "accounts_with_device": self.accounts_with_device,
            "accounts_per_device": _ratio(self.accounts_with_device, self.devices),
            "networks": self.networks,
            "accounts_with_network": self.accounts_with_network,
            "accounts_per_network": _ratio(self.accounts_with_network, self.networks),
            "fresh_accounts": self.fresh_accounts,
            "median_age_seconds": _round(self.median_age_seconds),
            "median_open_to_assist_seconds": _round(self.median_open_to_assist_seconds),
            "unopened_share": round(self.unopened_share, 3),
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 2) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def weigh(
    policy: FarmPolicy, traces: Sequence[AssistTrace], joined_at: dict[int, float]
) -> GroupEvidence:
    """The group's evidence and signs. `joined_at`: each account's creation (unix
    seconds; an account missing from it has an unknown age)."""
    accounts = sorted({t.helper_id for t in traces})
    devices: dict[str, set[int]] = {}
    networks: dict[str, set[int]] = {}
    first: dict[int, float] = {}
    delays: list[float] = []
    unopened = 0
    for t in traces:
        first[t.helper_id] = min(first.get(t.helper_id, t.at), t.at)
        if t.opened_at is None:
            unopened += 1
        else:
            delays.append(max(0.0, t.at - t.opened_at))
        if t.device_hash is not None:
            devices.setdefault(t.device_hash, set()).add(t.helper_id)
        if t.net_hash is not None:
            networks.setdefault(t.net_hash, set()).add(t.helper_id)
    with_device = len(set().union(*devices.values())) if devices else 0
    with_network = len(set().union(*networks.values())) if networks else 0
    ages = [max(0.0, first[a] - joined_at[a]) for a in accounts if a in joined_at]
    open_delay = median(delays) if delays else None
    unopened_share = unopened / len(traces) if traces else 0.0
    signs: list[FarmSign] = []
    if devices and with_device / len(devices) >= policy.accounts_per_device:
        signs.append(FarmSign.SHARED_DEVICES)
    if networks and with_network / len(networks) >= policy.accounts_per_network:
        signs.append(FarmSign.SHARED_NETWORKS)
    if open_delay is not None and open_delay < policy.open_to_assist_seconds:
        signs.append(FarmSign.INSTANT_TAPS)
    if traces and unopened_share >= policy.unopened_share:
        signs.append(FarmSign.NO_OPENS)
    return GroupEvidence(
        accounts=len(accounts),
        assists=len(traces),
        devices=len(devices),
        accounts_with_device=with_device,
        networks=len(networks),
        accounts_with_network=with_network,
        fresh_accounts=sum(1 for age in ages if age < policy.fresh_account_seconds),
        median_age_seconds=median(ages) if ages else None,
        median_open_to_assist_seconds=open_delay,
        unopened_share=unopened_share,
        signs=tuple(signs),
    )


def corroborated(signs: Iterable[str]) -> bool:
    """Shared phones and automation besides."""
    found = set(signs)
    return FarmSign.SHARED_DEVICES in found and bool(found & AUTOMATION)


@dataclass(frozen=True, slots=True)
class PhoneGroup:
    accounts: tuple[int, ...]
    phones: tuple[str, ...]  # its shared phones


def phone_groups(
    uses: Iterable[tuple[int, str, str | None]],
    *,
    scripted: Collection[str],
    min_accounts: int,
    accounts_per_device: float,
) -> list[PhoneGroup]:
    """Farms by their phones: phones each used by at least `accounts_per_device`
    accounts, joined when one account used both, or when both tap as scripts do
    (`scripted`) behind one network (a farm's few phones sit on one /24), in groups of
    at least `min_accounts` accounts with at least `accounts_per_device` accounts a
    phone; the biggest first. `uses`: (account, keyed phone hash, keyed network hash or
    None), repeats allowed.

    Only scripted phones are joined by their network: behind a carrier's /24 many
    households pass a phone around, and a farm on the same network must not take them
    into its group."""
    seen = set(uses)
    on_phone: dict[str, set[int]] = {}
    for account, phone, _ in seen:
        on_phone.setdefault(phone, set()).add(account)
    shared = {p for p, accounts in on_phone.items() if len(accounts) >= accounts_per_device}
    if not shared:
        return []
    node: dict[tuple[str, Any], int] = {}
    ends: list[tuple[int, int]] = []
    for account, phone, network in seen:
        if phone not in shared:
            continue
        at = node.setdefault(("phone", phone), len(node))
        ends.append((at, node.setdefault(("account", account), len(node))))
        if network is not None and phone in scripted:
            ends.append((at, node.setdefault(("network", network), len(node))))
    rows, cols = zip(*ends, strict=True)
    links = sp.coo_matrix((np.ones(len(ends)), (rows, cols)), shape=(len(node), len(node)))
    _, label = connected_components(links, directed=False)
    accounts_of: dict[int, list[int]] = {}
    phones_of: dict[int, list[str]] = {}
    for (what, key), i in node.items():
        if what == "account":
            accounts_of.setdefault(int(label[i]), []).append(key)
        elif what == "phone":
            phones_of.setdefault(int(label[i]), []).append(key)
    groups = [
        PhoneGroup(tuple(sorted(accounts_of[c])), tuple(sorted(phones_of[c])))
        for c in phones_of
        if len(accounts_of[c]) >= min_accounts
        and len(accounts_of[c]) / len(phones_of[c]) >= accounts_per_device
    ]
    return sorted(groups, key=lambda g: (-len(g.accounts), g.accounts))
