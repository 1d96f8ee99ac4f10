"""The review queue as detectors use it: open_case joins an open case under the same key
(a ring found twice is one case), and a confirm rule registered for a kind is what
enforce="rule" runs for it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from huzhu.config import Settings
from huzhu.enforcement import service as enforcement
from huzhu.enforcement.models import EnforcementAction
from huzhu.risk.review import service as review_service
from huzhu.risk.review.errors import CaseAlreadyDecided
from huzhu.risk.review.models import ReviewCase
from tests.factories import make_participant, make_shop


def _ring(session: Session, settings: Settings) -> tuple[int, list[int]]:
    shop_id = make_shop(session)
    members = [
        make_participant(session, settings, shop_id=shop_id, name=f"fake{i}")[0] for i in range(3)
    ]
    return shop_id, members


def test_a_ring_found_twice_is_one_case_with_both_findings(
    session: Session, settings: Settings
) -> None:
    shop_id, members = _ring(session, settings)
    found: dict[str, Any] = {"density": 9.5, "targets": [11, 12]}
    first = review_service.open_case(
        session,
        shop_id=shop_id,
        kind="fraud_ring",
        source="detector:fraudar",
        subject_account_ids=members,
        summary="3 accounts assisting the same 2 instances within 40 s",
        evidence=found,
        open_key="ring:fraudar:abc",
    )
    again = review_service.open_case(
        session,
        shop_id=shop_id,
        kind="fraud_ring",
        source="detector:fraudar",
        subject_account_ids=members,
        summary="same ring",
        evidence={"density": 10.0, "targets": [11, 12, 13]},
        open_key="ring:fraudar:abc",
    )
    assert again.id == first.id
    assert again.evidence["density"] == 9.5
    assert again.evidence["updates"][0]["targets"] == [11, 12, 13]
    assert first.subject_account_ids == sorted(members)
    with pytest.raises(ValueError, match="not_a_kind"):
        review_service.open_case(
            session,
            shop_id=shop_id,
            kind="not_a_kind",
            source="x",
            subject_account_ids=[],
            summary="",
            evidence={},
        )


def test_enforce_by_rule_runs_the_rule_registered_for_the_kind(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop_id, members = _ring(session, settings)
    seen: list[int] = []

    def ban_the_ring(s: Session, conf: Settings, case: ReviewCase) -> list[EnforcementAction]:
        seen.append(case.id)
        return [
            enforcement.enforce(
                s,
                account_id=a,
                rung_or_kind="ban",
                reason="fake assister",
                evidence={"case_id": case.id},
                actor="detector:test",
                case_id=case.id,
                settings=conf.enforcement,
            )
            for a in case.subject_account_ids
        ]

    monkeypatch.setitem(review_service._CONFIRM_RULES, "spike", ban_the_ring)
    case = review_service.open_case(
        session,
        shop_id=shop_id,
        kind="spike",
        source="detector:spike",
        subject_account_ids=members,
        summary="burst",
        evidence={},
    )
    decided, actions = review_service.confirm_case(
        session,
        settings,
        shop_id=shop_id,
        case_id=case.id,
        reason="ring",
        enforce="rule",
        actor="operator:1",
    )
    assert seen == [case.id]
    assert decided.status == "confirmed"
    assert sorted(a.account_id for a in actions) == sorted(members)
    assert {a.kind for a in actions} == {"ban"}
    with pytest.raises(CaseAlreadyDecided):
        review_service.dismiss_case(
            session, shop_id=shop_id, case_id=case.id, reason="x", actor="operator:1"
        )
    # A kind without a rule: confirming by rule acts on nobody.
    monkeypatch.delitem(review_service._CONFIRM_RULES, "inline_hold", raising=False)
    other = review_service.open_case(
        session,
        shop_id=shop_id,
        kind="inline_hold",
        source="inline",
        subject_account_ids=members[:1],
        summary="held assist",
        evidence={},
    )
    _, none = review_service.confirm_case(
        session,
        settings,
        shop_id=shop_id,
        case_id=other.id,
        reason="ok",
        enforce="rule",
        actor="operator:1",
    )
    assert none == []
