"""The local payment provider: idempotent by key, and a ledger that refuses to capture
twice, to void a capture or to refund more than was taken — on both backends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.db import Database
from huzhu.errors import HuzhuError
from huzhu.payments import repository
from huzhu.payments.errors import (
    AuthorizationClosed,
    InvalidAmount,
    NotACapture,
    NotAnAuthorization,
    PaymentKeyReused,
    PaymentNotFound,
    RefundExceedsCapture,
    UnknownPaymentProvider,
)
from huzhu.payments.models import PaymentTxn
from huzhu.payments.schemas import PaymentResult
from huzhu.payments.service import LocalPaymentProvider, get_provider
from tests.factories import make_participant, make_shop

provider = LocalPaymentProvider()


@pytest.fixture
def account_id(database: Database, settings: Settings) -> int:
    with database.unit_of_work() as s:
        shop_id = make_shop(s)
        return make_participant(s, settings, shop_id=shop_id, name="payer")[0]


def _count(session: Session, **where: object) -> int:
    stmt = select(func.count()).select_from(PaymentTxn)
    for column, value in where.items():
        stmt = stmt.where(getattr(PaymentTxn, column) == value)
    return int(session.scalar(stmt) or 0)


def _authorize(session: Session, account_id: int, key: str = "auth:1", cents: int = 500) -> str:
    return provider.authorize(session, key=key, amount_cents=cents, account_id=account_id).ref


def test_same_key_returns_first_result_and_moves_money_once(
    database: Database, account_id: int
) -> None:
    with database.unit_of_work() as s:
        first = provider.authorize(s, key="auth:1", amount_cents=500, account_id=account_id)
        again = provider.authorize(s, key="auth:1", amount_cents=500, account_id=account_id)
        capture = provider.capture(s, key="cap:1", authorization_ref=first.ref)
        capture_again = provider.capture(s, key="cap:1", authorization_ref=first.ref)
        assert (again.ref, again.replayed, first.replayed) == (first.ref, True, False)
        assert capture_again.ref == capture.ref
        assert capture_again.replayed
        assert _count(s) == 2


def test_key_reused_for_a_different_payment_is_refused(database: Database, account_id: int) -> None:
    with database.unit_of_work() as s:
        ref = _authorize(s, account_id)
        with pytest.raises(PaymentKeyReused):
            provider.authorize(s, key="auth:1", amount_cents=999, account_id=account_id)
        with pytest.raises(PaymentKeyReused):
            provider.charge(s, key="auth:1", amount_cents=500, account_id=account_id)
        with pytest.raises(PaymentKeyReused):
            provider.void(s, key="auth:1", authorization_ref=ref)


def test_capture_is_refused_twice_under_different_keys(database: Database, account_id: int) -> None:
    with database.unit_of_work() as s:
        ref = _authorize(s, account_id)
        provider.capture(s, key="cap:a", authorization_ref=ref)
        with pytest.raises(AuthorizationClosed):
            provider.capture(s, key="cap:b", authorization_ref=ref)
        assert _count(s, op="capture") == 1
        assert get_transaction(s, ref).state == "captured"


def test_only_an_existing_authorization_can_be_captured(
    database: Database, account_id: int
) -> None:
    with database.unit_of_work() as s:
        with pytest.raises(PaymentNotFound):
            provider.capture(s, key="cap:x", authorization_ref="local_authorize_nope")
        charge = provider.charge(s, key="charge:1", amount_cents=300, account_id=account_id)
        with pytest.raises(NotAnAuthorization):
            provider.capture(s, key="cap:y", authorization_ref=charge.ref)
        assert _count(s) == 1


def test_capture_cannot_exceed_the_authorization(database: Database, account_id: int) -> None:
    with database.unit_of_work() as s:
        ref = _authorize(s, account_id, cents=500)
        with pytest.raises(InvalidAmount):
            provider.capture(s, key="cap:big", authorization_ref=ref, amount_cents=501)
        partial = provider.capture(s, key="cap:part", authorization_ref=ref, amount_cents=200)
        assert partial.amount_cents == 200


def test_void_only_an_uncaptured_authorization(database: Database, account_id: int) -> None:
    with database.unit_of_work() as s:
        captured = _authorize(s, account_id, key="auth:c")
        provider.capture(s, key="cap:c", authorization_ref=captured)
        with pytest.raises(AuthorizationClosed):
            provider.void(s, key="void:c", authorization_ref=captured)
        open_ref = _authorize(s, account_id, key="auth:v")
        voided = provider.void(s, key="void:v", authorization_ref=open_ref)
        assert voided.amount_cents == 500
        with pytest.raises(AuthorizationClosed):
            provider.capture(s, key="cap:v", authorization_ref=open_ref)
        assert get_transaction(s, open_ref).state == "voided"


def test_refund_never_exceeds_what_was_captured(database: Database, account_id: int) -> None:
    with database.unit_of_work() as s:
        auth = _authorize(s, account_id, cents=500)
        capture = provider.capture(s, key="cap:1", authorization_ref=auth)
        provider.refund(s, key="ref:1", capture_ref=capture.ref, amount_cents=300)
        with pytest.raises(RefundExceedsCapture):
            provider.refund(s, key="ref:2", capture_ref=capture.ref, amount_cents=201)
        provider.refund(s, key="ref:3", capture_ref=capture.ref, amount_cents=200)
        with pytest.raises(RefundExceedsCapture):
            provider.refund(s, key="ref:4", capture_ref=capture.ref, amount_cents=1)
        with pytest.raises(NotACapture):
            provider.refund(s, key="ref:5", capture_ref=auth, amount_cents=1)
        assert get_transaction(s, capture.ref).refunded_cents == 500
        assert _count(s, op="refund") == 2


def test_a_charge_is_refundable_and_a_payout_is_recorded(
    database: Database, account_id: int
) -> None:
    with database.unit_of_work() as s:
        charge = provider.charge(s, key="charge:1", amount_cents=800, account_id=account_id)
        refund = provider.refund(s, key="refund:1", capture_ref=charge.ref, amount_cents=800)
        payout = provider.payout(s, key="payout:1", amount_cents=1200, account_id=account_id)
        assert refund.parent_ref == charge.ref
        assert refund.account_id == account_id
        assert payout.op == "payout"
        assert payout.amount_cents == 1200


@pytest.mark.parametrize("cents", [0, -5])
def test_non_positive_amount_is_refused(database: Database, account_id: int, cents: int) -> None:
    with database.unit_of_work() as s, pytest.raises(InvalidAmount):
        provider.authorize(s, key="auth:0", amount_cents=cents, account_id=account_id)


def test_settings_pick_the_provider(settings: Settings) -> None:
    assert isinstance(get_provider(settings), LocalPaymentProvider)
    other = settings.model_copy(
        update={"payments": settings.payments.model_copy(update={"provider": "psp"})}
    )
    with pytest.raises(UnknownPaymentProvider):
        get_provider(other)


def _race(database: Database, n: int, call: object) -> list[PaymentResult | HuzhuError]:
    """Run `call(session)` in n threads at once, each in its own unit of work."""
    barrier = threading.Barrier(n)
    results: list[PaymentResult | HuzhuError] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            with database.unit_of_work() as s:
                result = call(s)  # type: ignore[operator]
            outcome: PaymentResult | HuzhuError = result
        except HuzhuError as exc:
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_same_key_resolves_to_the_first_row(database: Database, account_id: int) -> None:
    results = _race(
        database,
        8,
        lambda s: provider.charge(s, key="charge:race", amount_cents=700, account_id=account_id),
    )
    refs = {r.ref for r in results if isinstance(r, PaymentResult)}
    assert len(results) == 8
    assert len(refs) == 1
    assert sum(1 for r in results if isinstance(r, PaymentResult) and not r.replayed) == 1
    with database.unit_of_work() as s:
        assert _count(s, op="charge") == 1


def test_concurrent_captures_under_different_keys_capture_once(
    database: Database, account_id: int
) -> None:
    with database.unit_of_work() as s:
        ref = _authorize(s, account_id)
    counter = iter(range(100))
    lock = threading.Lock()

    def capture(s: Session) -> PaymentResult:
        with lock:
            n = next(counter)
        return provider.capture(s, key=f"cap:{n}", authorization_ref=ref)

    results = _race(database, 8, capture)
    assert sum(isinstance(r, PaymentResult) for r in results) == 1
    assert all(isinstance(r, AuthorizationClosed) for r in results if isinstance(r, HuzhuError))
    with database.unit_of_work() as s:
        assert _count(s, op="capture") == 1


def get_transaction(session: Session, ref: str) -> PaymentTxn:
    """One ledger row by its reference."""
    txn = repository.by_ref(session, ref)
    assert txn is not None, ref
    return txn
