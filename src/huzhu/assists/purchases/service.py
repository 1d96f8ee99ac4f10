"""Use cases of purchases and rewards: buying a succeeded bargain at its floor, paying a
succeeded unlock's reward. The invariants are in the package's docstring
(`huzhu.assists.purchases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from huzhu.assists import repository as assists_repo
from huzhu.assists import service as assists
from huzhu.assists.errors import InstanceNotFound, NotInitiator, PurchaseNotOpen
from huzhu.assists.models import Instance, Purchase
from huzhu.assists.rules import InstanceStatus, PurchaseStatus
from huzhu.campaigns import service as campaigns
from huzhu.config import Settings
from huzhu.guardrails import service as guardrails
from huzhu.guardrails.rules import Step, StepKind
from huzhu.kit import clock
from huzhu.payments import service as payments


def purchase_bargain(
    session: Session,
    settings: Settings,
    *,
    shop_id: int,
    account_id: int,
    instance_id: int,
    confirmation: str | None,
) -> Purchase:
    """The initiator buys a succeeded bargain at its floor within the window, confirmed
    for that price and admitted by their guardrails. The charge is keyed by the instance,
    so a retry never charges twice and returns the purchase."""
    instance = assists_repo.instance_by_id(session, instance_id, lock=True)
    if instance is None or instance.shop_id != shop_id:
        raise InstanceNotFound(f"instance {instance_id} not found")
    if instance.initiator_id != account_id:
        raise NotInitiator("only the participant who started this bargain may buy it")
    existing = assists_repo.purchase_of(session, instance_id=instance.id, account_id=account_id)
    if existing is not None:
        return existing
    now = clock.utcnow()
    if instance.kind != "bargain" or instance.status != InstanceStatus.SUCCEEDED:
        raise PurchaseNotOpen(f"the instance is {instance.status}", instance_status=instance.status)
    deadline = instance.purchase_deadline_at
    if deadline is None or clock.as_utc(deadline) <= now:
        raise PurchaseNotOpen("the purchase window has closed", instance_status=instance.status)
    terms = campaigns.get_version(session, instance.campaign_version_id).rules
    floor = int(terms["floor_cents"])
    step = Step(StepKind.BUY_BARGAIN, amount_cents=floor)
    guardrails.check_confirmation(
        settings,
        confirmation,
        shop_id=shop_id,
        account_id=account_id,
        step=step,
        target_id=instance.id,
        now=now,
    )
    assists.admit_step(session, settings, shop_id=shop_id, account_id=account_id, step=step)
    ref = None
    if floor > 0:
        ref = (
            payments.get_provider(settings)
            .charge(
                session, key=f"bargain:{instance.id}", amount_cents=floor, account_id=account_id
            )
            .ref
        )
    bought = _record_purchase(
        session, instance, kind="bargain", amount=floor, subsidy=instance.target_value, ref=ref
    )
    bought.status = PurchaseStatus.CAPTURED
    bought.details = {"price_cents": int(terms["price_cents"]), "floor_cents": floor}
    instance.status = InstanceStatus.PURCHASED
    assists.close_instance(
        session,
        instance,
        spent=True,
        event="purchase.captured",
        payload={"purchase_id": bought.id, "amount_cents": floor},
    )
    return bought


def pay_unlock_reward(session: Session, settings: Settings, instance_id: int) -> None:
    """unlock.pay_reward: pay a succeeded unlock's reward exactly once — the payout is
    keyed f"reward:{instance_id}" and the instance moves to completed in the same unit of
    work, so a rerun finds nothing to do and a crashed run pays under the same key."""
    instance = assists_repo.instance_by_id(session, instance_id, lock=True)
    if instance is None or instance.kind != "unlock" or instance.status != InstanceStatus.SUCCEEDED:
        return
    terms = campaigns.get_version(session, instance.campaign_version_id).rules
    reward = int(terms["reward_cents"])
    ref = (
        payments.get_provider(settings)
        .payout(
            session,
            key=f"reward:{instance.id}",
            amount_cents=reward,
            account_id=instance.initiator_id,
        )
        .ref
    )
    paid = _record_purchase(
        session, instance, kind="reward", amount=reward, subsidy=reward, ref=ref
    )
    paid.status = PurchaseStatus.PAID
    paid.details = {"reward_name": str(terms.get("reward_name", ""))}
    instance.status = InstanceStatus.COMPLETED
    assists.close_instance(
        session,
        instance,
        spent=True,
        event="reward.paid",
        payload={"purchase_id": paid.id, "amount_cents": reward},
    )


def _record_purchase(
    session: Session, instance: Instance, *, kind: str, amount: int, subsidy: int, ref: str | None
) -> Purchase:
    now = clock.utcnow()
    row = Purchase(
        shop_id=instance.shop_id,
        campaign_id=instance.campaign_id,
        instance_id=instance.id,
        account_id=instance.initiator_id,
        kind=kind,
        amount_cents=amount,
        subsidy_cents=subsidy,
        status=PurchaseStatus.PENDING,
        payment_ref=ref,
        details={},
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class RewardWon:
    """An unlock's reward as its starter sees it: what it is, what it is worth, and
    whether it has been paid (the payout runs as a job right after the goal is reached,
    so for a moment it is won and not yet paid)."""

    instance_id: int
    name: str
    amount_cents: int
    paid: bool
    paid_at: datetime | None


def rewards_won(
    session: Session, *, account_id: int, instance_ids: list[int]
) -> dict[int, RewardWon]:
    """The rewards the person won among their unlocks `instance_ids`, by instance: the
    amount paid when it is paid (the ledger's figure), else the amount the instance's
    own terms promise."""
    won: dict[int, RewardWon] = {}
    for instance, payout in assists_repo.won_unlocks(
        session, account_id=account_id, instance_ids=instance_ids
    ):
        terms = campaigns.get_version(session, instance.campaign_version_id).rules
        paid = payout is not None and payout.status == PurchaseStatus.PAID
        won[instance.id] = RewardWon(
            instance_id=instance.id,
            name=str(terms.get("reward_name", "")),
            amount_cents=payout.amount_cents if paid and payout else int(terms["reward_cents"]),
            paid=paid,
            paid_at=clock.as_utc(payout.created_at) if paid and payout else None,
        )
    return won
