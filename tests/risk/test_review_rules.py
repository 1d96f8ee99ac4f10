"""Properties of the spam rule (risk/review_rules.py): it fires exactly when enough
distinct reporters filed within the window, spends only those reports, and one pile of
reports never pays for two rungs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huzhu.risk.review_rules import open_key, spam_rule_reports

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
