"""Properties of the spam rule (risk/review/rules.py): it fires exactly when enough
distinct reporters filed within the window, spends only those reports, and one pile of
reports never pays for two rungs. And the fraud-report rule: a confirmed report
implicates exactly the held, flagged and ring-named assists its evidence shows, never a
clean one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from hypothesis import given
from hypothesis import strategies as st

from huzhu.risk.review.rules import (
    FLAGGED,
    HELD,
    NAMED_BY_RING,
    CaseKind,
    CaseStatus,
    ReportKind,
    open_key,
    reported_assists,
    spam_rule_reports,
)
from huzhu.risk.review.schemas import CaseKindFilter, CaseStatusFilter, FraudReportIn, SpamReportIn

NOW = datetime(2026, 6, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)

reports = st.lists(
    st.tuples(st.integers(1, 8), st.integers(0, 60 * 24 * 3600)),
    max_size=20,
).map(
    lambda rows: [
        (i + 1, reporter, NOW - timedelta(seconds=age)) for i, (reporter, age) in enumerate(rows)
    ]
)


@given(reports, st.integers(1, 6))
def test_fires_exactly_at_the_threshold_of_distinct_recent_reporters(
    rows: list[tuple[int, int, datetime]], threshold: int
) -> None:
    spent = spam_rule_reports(rows, now=NOW, window=WINDOW, threshold=threshold)
    recent = [(rid, who) for rid, who, at in rows if NOW - at <= WINDOW]
    distinct = len({who for _, who in recent})
    if distinct < threshold:
        assert spent is None
        return
    assert spent == sorted(rid for rid, _ in recent)  # every recent report, nothing older


@given(reports, st.integers(1, 6))
def test_spent_reports_cannot_pay_for_a_second_rung(
    rows: list[tuple[int, int, datetime]], threshold: int
) -> None:
    spent = spam_rule_reports(rows, now=NOW, window=WINDOW, threshold=threshold)
    if spent is None:
        return
    left = [r for r in rows if r[0] not in set(spent)]
    assert spam_rule_reports(left, now=NOW, window=WINDOW, threshold=threshold) is None


def test_one_reporter_many_times_is_one_reporter() -> None:
    rows = [(i, 7, NOW) for i in range(1, 10)]
    assert spam_rule_reports(rows, now=NOW, window=WINDOW, threshold=2) is None


def test_open_keys_name_the_subject() -> None:
    assert open_key(kind="spam", account_id=5, instance_id=None) == "spam:5"
    assert open_key(kind="fraud", account_id=5, instance_id=9) == "fraud:instance:9"


# (status, risk decision, has reasons, given by a ring account) of one assist as a report saw it
assist_rows = st.lists(
    st.tuples(
        st.sampled_from(["counted", "held", "voided"]),
        st.sampled_from(["count", "hold"]),
        st.booleans(),
        st.booleans(),
    ),
    max_size=12,
)


def _snapshot(rows: list[tuple[str, str, bool, bool]]) -> dict[str, Any]:
    return {
        "assists": [
            {
                "assist_id": i + 1,
                "helper_id": 100 + i,
                "status": status,
                "risk_decision": decision,
                "risk_reasons": ["new_account"] if reasons else [],
            }
            for i, (status, decision, reasons, _) in enumerate(rows)
        ],
        "open_cases": [
            {
                "case_id": 9,
                "kind": "fraud_ring",
                "assist_ids": [
                    i + 1 for i, row in enumerate(rows) if row[3] and row[0] != "voided"
                ],
            },
            {"case_id": 10, "kind": "spike"},
        ],
    }


@given(assist_rows)
def test_a_report_implicates_held_flagged_and_ring_named_assists_only(
    rows: list[tuple[str, str, bool, bool]],
) -> None:
    found = reported_assists(_snapshot(rows))
    for i, (status, decision, reasons, in_ring) in enumerate(rows):
        why = found.get(i + 1)
        if status == "voided":
            assert why is None
        elif status == "held":
            assert why == HELD
        elif decision == "count" and reasons:
            assert why == FLAGGED
        elif in_ring:
            assert why == NAMED_BY_RING
        else:  # counted clean, or held and cleared by a review since: not implicated
            assert why is None


def test_a_joining_report_adds_what_it_saw_and_a_clean_report_implicates_nothing() -> None:
    first = _snapshot([("counted", "count", False, False), ("held", "hold", True, False)])
    assert reported_assists(first) == {2: HELD}
    second = _snapshot(
        [
            ("counted", "count", False, False),
            ("counted", "hold", True, False),  # the first held one, cleared since
            ("held", "hold", True, False),
        ]
    )
    # What an earlier report saw still counts (the service drops what a review cleared).
    assert reported_assists({**first, "updates": [second]}) == {2: HELD, 3: HELD}
    clean = _snapshot([("counted", "count", False, False)] * 3)
    assert reported_assists(clean) == {}
    assert reported_assists({}) == {}


def test_the_api_filters_offer_exactly_the_case_statuses_and_kinds() -> None:
    # The filters are enums of their own so that the OpenAPI component names stay put.
    assert [s.value for s in CaseStatusFilter] == [s.value for s in CaseStatus]
    assert [k.value for k in CaseKindFilter] == [k.value for k in CaseKind]
    assert {
        get_args(m.model_fields["kind"].annotation)[0] for m in (SpamReportIn, FraudReportIn)
    } == set(ReportKind)
