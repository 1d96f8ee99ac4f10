"""The payment provider interface, the local provider, and how to pick one.

Every call takes the caller's unit of work (`session`) and an idempotency `key` chosen by
the caller so that it names the business fact, e.g. f"capture:{purchase_id}". The same
key always returns the first call's result and never moves money twice — also when two
workers send it at the same moment (UNIQUE(payment_txn.key); the second waits for the
first and gets its row). Reusing a key for a different movement is refused, because
answering it with the first result would hide a caller's bug.

A real PSP adapter implements `PaymentProvider` and is returned by `get_provider`; it
would pass `key` on as the PSP's own idempotency key and may keep its ledger in the same
table. The local provider is the ledger itself, and it really enforces what a PSP does:
capture only an open authorization and only once, void only an uncaptured one, never
refund more than was captured.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.kit import clock
from huzhu.kit.export import fields_of
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
from huzhu.payments.schemas import Movements, PaymentOp, PaymentResult, TxnState


class PaymentProvider(Protocol):
    """Money movements, each idempotent by `key`, each returning the provider's reference."""

    def authorize(
        self, session: Session, *, key: str, amount_cents: int, account_id: int
    ) -> PaymentResult:
        """Hold `amount_cents` on the participant's means of payment."""
        ...

    def capture(
        self,
        session: Session,
        *,
        key: str,
        authorization_ref: str,
        amount_cents: int | None = None,
    ) -> PaymentResult:
        """Take (part of) an open authorization, once; None takes all of it."""
        ...

    def void(self, session: Session, *, key: str, authorization_ref: str) -> PaymentResult:
        """Release an authorization that was never captured."""
        ...

    def refund(
        self, session: Session, *, key: str, capture_ref: str, amount_cents: int
    ) -> PaymentResult:
        """Return money taken by a capture or a charge, never more than was taken."""
        ...

    def charge(
        self, session: Session, *, key: str, amount_cents: int, account_id: int
    ) -> PaymentResult:
        """Authorize and capture in one step (a purchase paid at once)."""
        ...

    def payout(
        self, session: Session, *, key: str, amount_cents: int, account_id: int
    ) -> PaymentResult:
        """Pay a participant (an unlock reward)."""
        ...


def _result(txn: PaymentTxn, *, replayed: bool) -> PaymentResult:
    return PaymentResult(
        ref=txn.ref,
        op=txn.op,
        amount_cents=txn.amount_cents,
        parent_ref=txn.parent_ref,
        account_id=txn.account_id,
        replayed=replayed,
    )


def _check_amount(amount_cents: int) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidAmount("amount_cents must be a positive integer", field="amount_cents")


def _replay(
    txn: PaymentTxn,
    *,
    op: PaymentOp,
    parent_ref: str | None,
    account_id: int | None,
    amount_cents: int | None,
) -> PaymentResult:
    same = (
        txn.op == op
        and txn.parent_ref == parent_ref
        and (account_id is None or txn.account_id == account_id)
        and (amount_cents is None or txn.amount_cents == amount_cents)
    )
    if not same:
        raise PaymentKeyReused(f"key {txn.key!r} already recorded a different {txn.op}")
    return _result(txn, replayed=True)


class LocalPaymentProvider:
    """The ledger in `payment_txn` is the money: what the demo and the tests pay with."""

    name = "local"

    # -- the one write path ---------------------------------------------------------

    def _record(
        self,
        session: Session,
        *,
        key: str,
        op: PaymentOp,
        amount_cents: int,
        account_id: int | None,
        parent: PaymentTxn | None = None,
        requested_cents: int | None = None,
    ) -> PaymentResult:
        """Insert the movement under its key and apply its effect on the parent in one
        savepoint: either both happen or neither, and a lost race on the key (another
        transaction inserted it first) returns that transaction's result."""
        parent_ref = parent.ref if parent is not None else None
        state = TxnState.AUTHORIZED if op == PaymentOp.AUTHORIZE else TxnState.DONE
        with session.begin_nested():
            txn_id = repository.insert_unless_key_exists(
                session,
                {
                    "key": key,
                    "op": op,
                    "ref": f"local_{op}_{secrets.token_hex(12)}",
                    "parent_ref": parent_ref,
                    "account_id": account_id,
                    "amount_cents": amount_cents,
                    "state": state,
                    "refunded_cents": 0,
                    "created_at": clock.utcnow(),
                },
            )
            if txn_id is not None and parent is not None:
                self._apply_to_parent(session, op=op, parent=parent, amount_cents=amount_cents)
        if txn_id is None:
            first = repository.by_key(session, key)
            assert first is not None  # the conflict that stopped our insert is this row
            return _replay(
                first,
                op=op,
                parent_ref=parent_ref,
                account_id=account_id,
                amount_cents=requested_cents,
            )
        return _result(repository.by_id(session, txn_id), replayed=False)

    @staticmethod
    def _apply_to_parent(
        session: Session, *, op: PaymentOp, parent: PaymentTxn, amount_cents: int
    ) -> None:
        if op in (PaymentOp.CAPTURE, PaymentOp.VOID):
            new_state = TxnState.CAPTURED if op == PaymentOp.CAPTURE else TxnState.VOIDED
            if not repository.close_authorization(session, ref=parent.ref, new_state=new_state):
                raise AuthorizationClosed(f"authorization {parent.ref} is no longer open")
        elif op == PaymentOp.REFUND and not repository.add_refund(
            session, ref=parent.ref, amount_cents=amount_cents
        ):
            raise RefundExceedsCapture(
                f"refunding {amount_cents} cents would exceed what {parent.ref} captured"
            )

    def _first(
        self,
        session: Session,
        key: str,
        *,
        op: PaymentOp,
        parent_ref: str | None = None,
        account_id: int | None = None,
        amount_cents: int | None = None,
    ) -> PaymentResult | None:
        txn = repository.by_key(session, key)
        if txn is None:
            return None
        return _replay(
            txn, op=op, parent_ref=parent_ref, account_id=account_id, amount_cents=amount_cents
        )

    def _parent(self, session: Session, ref: str, *, ops: tuple[PaymentOp, ...]) -> PaymentTxn:
        parent = repository.by_ref(session, ref)
        if parent is None:
            raise PaymentNotFound(f"no payment {ref}")
        if parent.op not in ops:
            error = NotAnAuthorization if ops == (PaymentOp.AUTHORIZE,) else NotACapture
            raise error(f"{ref} is a {parent.op}")
        return parent

    # -- the interface ----------------------------------------------------------------

    def _open(
        self, session: Session, *, key: str, op: PaymentOp, amount_cents: int, account_id: int
    ) -> PaymentResult:
        """authorize, charge and payout: movements with no parent."""
        _check_amount(amount_cents)
        first = self._first(session, key, op=op, account_id=account_id, amount_cents=amount_cents)
        if first is not None:
            return first
        return self._record(
            session,
            key=key,
            op=op,
            amount_cents=amount_cents,
            account_id=account_id,
            requested_cents=amount_cents,
        )

    def authorize(
        self, session: Session, *, key: str, amount_cents: int, account_id: int
    ) -> PaymentResult:
        return self._open(
            session,
            key=key,
            op=PaymentOp.AUTHORIZE,
            amount_cents=amount_cents,
            account_id=account_id,
        )

    def charge(
        self, session: Session, *, key: str, amount_cents: int, account_id: int
    ) -> PaymentResult:
        return self._open(
            session, key=key, op=PaymentOp.CHARGE, amount_cents=amount_cents, account_id=account_id
        )

    def payout(
        self, session: Session, *, key: str, amount_cents: int, account_id: int
    ) -> PaymentResult:
        return self._open(
            session, key=key, op=PaymentOp.PAYOUT, amount_cents=amount_cents, account_id=account_id
        )

    def capture(
        self,
        session: Session,
        *,
        key: str,
        authorization_ref: str,
        amount_cents: int | None = None,
    ) -> PaymentResult:
        if amount_cents is not None:
            _check_amount(amount_cents)
        first = self._first(
            session,
            key,
            op=PaymentOp.CAPTURE,
            parent_ref=authorization_ref,
            amount_cents=amount_cents,
        )
        if first is not None:
            return first
        auth = self._parent(session, authorization_ref, ops=(PaymentOp.AUTHORIZE,))
        amount = auth.amount_cents if amount_cents is None else amount_cents
        if amount > auth.amount_cents:
            raise InvalidAmount(
                f"cannot capture {amount} cents of a {auth.amount_cents}-cent authorization",
                field="amount_cents",
            )
        return self._record(
            session,
            key=key,
            op=PaymentOp.CAPTURE,
            amount_cents=amount,
            account_id=auth.account_id,
            parent=auth,
            requested_cents=amount_cents,
        )

    def void(self, session: Session, *, key: str, authorization_ref: str) -> PaymentResult:
        first = self._first(session, key, op=PaymentOp.VOID, parent_ref=authorization_ref)
        if first is not None:
            return first
        auth = self._parent(session, authorization_ref, ops=(PaymentOp.AUTHORIZE,))
        return self._record(
            session,
            key=key,
            op=PaymentOp.VOID,
            amount_cents=auth.amount_cents,
            account_id=auth.account_id,
            parent=auth,
        )

    def refund(
        self, session: Session, *, key: str, capture_ref: str, amount_cents: int
    ) -> PaymentResult:
        _check_amount(amount_cents)
        first = self._first(
            session, key, op=PaymentOp.REFUND, parent_ref=capture_ref, amount_cents=amount_cents
        )
        if first is not None:
            return first
        taken = self._parent(session, capture_ref, ops=(PaymentOp.CAPTURE, PaymentOp.CHARGE))
        return self._record(
            session,
            key=key,
            op=PaymentOp.REFUND,
            amount_cents=amount_cents,
            account_id=taken.account_id,
            parent=taken,
            requested_cents=amount_cents,
        )


def get_provider(settings: Settings) -> PaymentProvider:
    """The provider the settings name. Only the local one exists so far; a PSP adapter
    (WeChat Pay, Alipay) is added here behind the same interface."""
    name = settings.payments.provider
    if name == "local":
        return LocalPaymentProvider()
    raise UnknownPaymentProvider(f"payment provider {name!r} is not available", field="provider")


def movements_of(
    session: Session, *, account_id: int, since: datetime, until: datetime
) -> Movements:
    """The person's money in [since, until) as the ledger recorded it. A refund is dated
    when it was made, not when the charge it returns was."""
    totals = repository.totals_by_op(session, account_id=account_id, since=since, until=until)
    return Movements(
        charged_cents=totals.get(PaymentOp.CAPTURE, 0) + totals.get(PaymentOp.CHARGE, 0),
        refunded_cents=totals.get(PaymentOp.REFUND, 0),
        paid_out_cents=totals.get(PaymentOp.PAYOUT, 0),
    )


# Not the caller's idempotency key: it is the shop's, and says nothing the row does not.
TXN_EXPORT_FIELDS = (
    "id", "op", "ref", "parent_ref", "amount_cents", "state", "refunded_cents", "created_at",
)  # fmt: skip


def export_of(session: Session, *, account_id: int) -> list[dict[str, Any]]:
    """Every ledger entry that names the person (payments they made, rewards paid them)."""
    return [fields_of(t, TXN_EXPORT_FIELDS) for t in repository.txns_of(session, account_id)]
