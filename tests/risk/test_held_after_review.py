"""Held assists after review, on the real hot path over HTTP: dismissing an inline hold
(the analyst found the assists genuine) counts each one that can still count — lowest
free slot, progress, success as on the hot path — and voids with an honest reason those
that came too late; under new assists racing on the same instance, progress stays the sum
of the claimed slots and nothing exceeds the slots. Dismissing a spike also lifts the
instance's watch, so new assists count again; confirming it keeps the watch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.assists import service as assists
from huzhu.assists.models import Assist, Instance, InstanceSlot
from huzhu.assists.voiding import rules as voiding_rules
from huzhu.db import Database
from huzhu.jobs.models import Job
from huzhu.kit import clock
from huzhu.notify import service as notify
from huzhu.notify.models import Event, InboxMessage
from huzhu.risk import rings  # noqa: F401  (registers the confirm and dismiss rules)
from huzhu.risk.review import service as review_service
from huzhu.risk.review.errors import CaseAlreadyDecided
from huzhu.risk.review.models import ReviewCase
from tests.assists.conftest import BARGAIN_RULES, UNLOCK_RULES, write_instance
from tests.conftest import make_settings
from tests.factories import PASSWORD, auth, make_campaign, make_participant, make_shop
from tests.support.servers import LiveServer, start_server

PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50",
    "Accept-Language": "zh-CN,zh;q=0.9",
}
# httpx's own user agent names an HTTP library: the scorer holds it.
SCRIPT: dict[str, str] = {}
SPIKE_MIN = 5


class Env:
    def __init__(
        self, server: LiveServer, db: Database, db_url: str, shop_id: int, analyst: str
    ) -> None:
        self.server, self.db, self.shop_id, self.analyst = server, db, shop_id, analyst
        self.settings = make_settings(db_url)
        self._n = 0

    def token(self) -> str:
        self._n += 1
        with self.db.unit_of_work() as s:
            return make_participant(s, self.settings, shop_id=self.shop_id, name=f"h{self._n}")[1]

    def instance(self, kind: str, rules: dict[str, object], slots: list[int]) -> tuple[int, int]:
        """(instance id, initiator id)."""
        with self.db.unit_of_work() as s:
            campaign = make_campaign(s, shop_id=self.shop_id, kind=kind, rules=rules)
            self._n += 1
            starter, _ = make_participant(
                s, self.settings, shop_id=self.shop_id, name=f"starter{self._n}"
            )
            return (
                write_instance(
                    s,
                    shop_id=self.shop_id,
                    campaign=campaign,
                    kind=kind,
                    initiator_id=starter,
                    slots=slots,
                ),
                starter,
            )

    def assist(self, client: httpx.Client, instance_id: int, headers: dict[str, str]) -> int:
        r = client.post(
            f"/api/v1/instances/{instance_id}/assists", headers={**auth(self.token()), **headers}
        )
        assert r.status_code in (201, 202, 409), r.text
        return r.status_code

    def hold_case(self, instance_id: int) -> int:
        with self.db.unit_of_work() as s:
            return review_service.open_case(
                s,
                shop_id=self.shop_id,
                kind="inline_hold",
                source="test",
                subject_account_ids=[],
                summary="held assists",
                evidence={},
                instance_id=instance_id,
            ).id

    def dismiss(self, case_id: int) -> None:
        with self.db.unit_of_work() as s:
            review_service.dismiss_case(
                s, shop_id=self.shop_id, case_id=case_id, reason="genuine", actor="operator:1"
            )


def _start(db_url: str, tmp_path: Path, *, spike_min: int) -> tuple[Env, Database]:
    settings = make_settings(db_url)
    db = Database(settings.db)
    with db.unit_of_work() as s:
        shop_id = make_shop(s)
        email = f"analyst-{shop_id}@example.test"
        accounts.create_operator(
            s, shop_id=shop_id, email=email, display_name="a", password=PASSWORD, role=Role.ANALYST
        )
        analyst, _ = accounts.login(s, settings, email=email, password=PASSWORD)
    server = start_server(
        db_url=db_url,
        log_dir=tmp_path,
        extra_env={
            "HUZHU_RISK__INLINE_ENABLED": "true",
            "HUZHU_RISK__SPIKE_MIN_ASSISTS": str(spike_min),
            # Every request comes from loopback: not a busy network, nor a network burst,
            # nor a group of fresh accounts behind one network.
            "HUZHU_RISK__NET_ASSISTS_LIMIT": "10000",
            "HUZHU_RISK__SPIKE_NETWORK_ASSISTS": "10000",
            "HUZHU_RISK__GROUP_INSTANCE_ASSISTS": "0",
            "HUZHU_RISK__GROUP_CAMPAIGN_ASSISTS": "0",
            # nor a burst of taps with no share open from one network.
            "HUZHU_RISK__BURST_INSTANCE_ASSISTS": "0",
            "HUZHU_RISK__BURST_CAMPAIGN_ASSISTS": "0",
            "HUZHU_JOBS__RUN_IN_PROCESS": "false",
        },
    )
    return Env(server, db, db_url, shop_id, analyst), db


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    """No spikes here: the holds come from the score alone."""
    started, db = _start(db_url, tmp_path, spike_min=10_000)
    try:
        yield started
    finally:
        started.server.stop()
        db.dispose()


@pytest.fixture
def spiky_env(db_url: str, tmp_path: Path) -> Iterator[Env]:
    started, db = _start(db_url, tmp_path, spike_min=SPIKE_MIN)
    try:
        yield started
    finally:
        started.server.stop()
        db.dispose()


def _invariants(db: Database, instance_id: int) -> tuple[Instance, list[Assist]]:
    """Progress is the base plus the claimed slots, every counted assist holds exactly
    one slot, and the counts on the instance match its assists."""
    with db.unit_of_work() as s:
        instance = s.get(Instance, instance_id)
        assert instance is not None
        slots = s.scalars(select(InstanceSlot).where(InstanceSlot.instance_id == instance_id)).all()
        rows = list(s.scalars(select(Assist).where(Assist.instance_id == instance_id)).all())
        s.expunge_all()
    claimed = {sl.assist_id: sl for sl in slots if sl.assist_id is not None}
    counted = [a for a in rows if a.status == "counted"]
    assert len(claimed) == instance.slots_used == len(counted) <= instance.slots_total
    assert {a.id for a in counted} == set(claimed)
    assert all(claimed[a.id].slot == a.slot and claimed[a.id].value == a.value for a in counted)
    base = instance.target_value - sum(sl.value for sl in slots)
    assert instance.progress_value == base + sum(sl.value for sl in claimed.values())
    assert instance.held_count == sum(a.status == "held" for a in rows)
    assert instance.voided_count == sum(a.status == "voided" for a in rows)
    return instance, rows


def test_dismissing_a_hold_counts_the_assists_and_succeeds_a_bargain(env: Env) -> None:
    cuts = [1000, 900, 800, 700, 600]
    instance_id, starter = env.instance("bargain", BARGAIN_RULES, cuts)
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        assert [env.assist(client, instance_id, PHONE) for _ in range(2)] == [201, 201]
        assert [env.assist(client, instance_id, SCRIPT) for _ in range(3)] == [202] * 3
    instance, _ = _invariants(env.db, instance_id)
    assert (instance.slots_used, instance.held_count, instance.status) == (2, 3, "active")
    case_id = env.hold_case(instance_id)
    env.dismiss(case_id)
    instance, rows = _invariants(env.db, instance_id)
    assert sorted(a.status for a in rows) == ["counted"] * 5
    assert sorted(a.slot for a in rows) == [0, 1, 2, 3, 4]  # the lowest free slots, in order
    assert instance.progress_value == sum(cuts)
    # Succeeded exactly as on the hot path: status, time, purchase window, follow-up job.
    assert instance.status == "succeeded"
    assert instance.succeeded_at is not None
    window = clock.as_utc(instance.purchase_deadline_at) - clock.as_utc(instance.succeeded_at)
    assert window == timedelta(seconds=BARGAIN_RULES["purchase_window_seconds"])
    with env.db.unit_of_work() as s:
        jobs = s.scalars(
            select(Job.dedupe_key).where(Job.kind == "instance.purchase_window_close")
        ).all()
        events = s.scalars(
            select(Event.type).where(
                Event.subject_type == "instance", Event.subject_id == instance_id
            )
        ).all()
        inbox = s.scalars(select(InboxMessage).where(InboxMessage.account_id == starter)).all()
        words = [_words(s, env, m) for m in inbox if m.kind == "assist_voided"]
    assert f"instance.purchase_window_close:{instance_id}:0" in jobs
    assert events.count("assist.counted") == 5
    assert events.count("instance.succeeded") == 1
    assert [title for title, _ in words] == ["Assists that were being checked now count: 3"]
    # A decision is final: dismissing again counts nothing twice.
    with pytest.raises(CaseAlreadyDecided):
        env.dismiss(case_id)
    assert _invariants(env.db, instance_id)[0].progress_value == sum(cuts)


def test_genuine_but_too_late_is_voided_with_the_reason_never_dropped(env: Env) -> None:
    full_id, starter = env.instance("unlock", UNLOCK_RULES | {"helpers_needed": 2}, [1, 1])
    ended_id, _ = env.instance(
        "unlock", UNLOCK_RULES | {"helpers_needed": 2, "instance_ttl_seconds": 7200}, [1, 1]
    )
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        assert [env.assist(client, full_id, SCRIPT) for _ in range(3)] == [202] * 3
        assert env.assist(client, full_id, PHONE) == 201
        assert env.assist(client, ended_id, SCRIPT) == 202
    with env.db.unit_of_work() as s:
        ended = s.get(Instance, ended_id)
        assert ended is not None
        ended.expires_at = clock.utcnow() - timedelta(seconds=1)
    env.dismiss(env.hold_case(full_id))
    env.dismiss(env.hold_case(ended_id))
    instance, rows = _invariants(env.db, full_id)
    assert sorted(a.status for a in rows) == ["counted", "counted", "voided", "voided"]
    assert instance.status == "succeeded"  # the first held one took the last slot
    assert {a.void_reason for a in rows if a.status == "voided"} == {voiding_rules.LATE_REASON_FULL}
    _, rows = _invariants(env.db, ended_id)
    assert [(a.status, a.void_reason) for a in rows] == [
        ("voided", voiding_rules.LATE_REASON_CLOSED)
    ]
    with env.db.unit_of_work() as s:
        inbox = s.scalars(select(InboxMessage).where(InboxMessage.account_id == starter)).all()
        words = [_words(s, env, m) for m in inbox if m.kind == "assist_voided"]
        view = assists.describe(assists.get_instance(s, full_id))
    assert view.voided_count == 2
    assert view.held_count == 0
    assert [body for _, body in words] == [
        "Assists that were being checked now count: 1; Genuine assists that could not count "
        "because the activity had already ended or was full: 2."
    ]


def test_counting_held_assists_races_new_assists_without_exceeding_the_slots(env: Env) -> None:
    slots = 45
    instance_id, _ = env.instance(
        "unlock", UNLOCK_RULES | {"helpers_needed": slots, "daily_assists_per_helper": 100},
        [1] * slots,
    )  # fmt: skip
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        assert [env.assist(client, instance_id, SCRIPT) for _ in range(20)] == [202] * 20
        case_id = env.hold_case(instance_id)
        tokens = [env.token() for _ in range(30)]

        def late(token: str) -> int:
            r = client.post(
                f"/api/v1/instances/{instance_id}/assists", headers={**auth(token), **PHONE}
            )
            return r.status_code

        def dismiss() -> int:
            # The analyst's dismissal over the API, racing the assists in the same server.
            return client.post(
                f"/api/v1/review/cases/{case_id}/dismiss",
                headers=auth(env.analyst),
                json={"reason": "friends from a school group, genuine"},
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(late, t) for t in tokens[:10]]
            dismissal = pool.submit(dismiss)
            futures += [pool.submit(late, t) for t in tokens[10:]]
            codes = [f.result() for f in futures]
            assert dismissal.result() == 200
    instance, rows = _invariants(env.db, instance_id)
    assert set(codes) <= {201, 409}
    refused = codes.count(409)
    counted = sum(a.status == "counted" for a in rows)
    late_voided = sum(a.status == "voided" for a in rows)
    # 50 genuine assists for 45 slots: every slot taken once, the rest refused or voided
    # as too late — none lost, none beyond the slots.
    assert counted == slots == instance.progress_value
    assert counted + late_voided + refused == 50
    assert instance.status == "succeeded"
    assert instance.held_count == 0


def test_dismissing_a_spike_counts_what_the_watch_held_and_lifts_the_watch(
    spiky_env: Env,
) -> None:
    env = spiky_env
    instance_id, _ = env.instance("unlock", UNLOCK_RULES | {"helpers_needed": 20}, [1] * 20)
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        scripts = [env.assist(client, instance_id, SCRIPT) for _ in range(2)]
        friends = [env.assist(client, instance_id, PHONE) for _ in range(6)]
    # The 5th assist on the instance (the 3rd friend) starts the watch; friends after it
    # are held by the watch alone.
    assert scripts == [202, 202]
    assert friends == [201, 201, 202, 202, 202, 202]
    case_id = _spike_case(env, instance_id)
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        r = client.post(
            f"/api/v1/review/cases/{case_id}/dismiss",
            headers=auth(env.analyst),
            json={"reason": "a class sharing it in their group chat"},
        )
        assert r.status_code == 200, r.text
    instance, rows = _invariants(env.db, instance_id)
    by_status = sorted((a.status, "instance_under_watch" in a.risk_reasons) for a in rows)
    assert by_status == [("counted", False)] * 2 + [("counted", True)] * 4 + [("held", False)] * 2
    assert instance.slots_used == 6
    assert instance.held_count == 2  # the scripts still wait for their own review
    # The dismissal lifted the watch: the class's next friends count at once, and the
    # burst that was judged genuine does not put the instance back under watch.
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        assert [env.assist(client, instance_id, PHONE) for _ in range(4)] == [201] * 4
    # A wrongly reopened spike case would be written in the background: stopping the
    # server waits for that work (its lifespan does), so what it wrote is all there.
    env.server.stop()
    instance, rows = _invariants(env.db, instance_id)
    assert instance.slots_used == 10
    with env.db.unit_of_work() as s:
        spikes = s.scalars(
            select(ReviewCase.status).where(
                ReviewCase.instance_id == instance_id, ReviewCase.kind == "spike"
            )
        ).all()
    assert spikes == ["dismissed"]


def _spike_case(env: Env, instance_id: int) -> int:
    for _ in range(100):  # the spike case is opened in the background after the answer
        with env.db.unit_of_work() as s:
            case_id = s.scalars(
                select(ReviewCase.id).where(
                    ReviewCase.instance_id == instance_id, ReviewCase.kind == "spike"
                )
            ).one_or_none()
        if case_id is not None:
            return int(case_id)
        time.sleep(0.1)
    raise AssertionError("no spike case was opened")


def test_confirming_a_spike_keeps_the_watch_holding_new_assists(spiky_env: Env) -> None:
    env = spiky_env
    instance_id, _ = env.instance("unlock", UNLOCK_RULES | {"helpers_needed": 20}, [1] * 20)
    with httpx.Client(base_url=env.server.url, timeout=30) as client:
        burst = [env.assist(client, instance_id, PHONE) for _ in range(SPIKE_MIN + 1)]
        assert burst == [201] * (SPIKE_MIN - 1) + [202, 202]
        r = client.post(
            f"/api/v1/review/cases/{_spike_case(env, instance_id)}/confirm",
            headers=auth(env.analyst),
            json={"reason": "bought assists", "enforce": "rule"},
        )
        assert r.status_code == 200, r.text
        assert [env.assist(client, instance_id, PHONE) for _ in range(2)] == [202, 202]
    instance, rows = _invariants(env.db, instance_id)
    assert sorted(a.status for a in rows) == ["counted"] * 4 + ["held"] * 2 + ["voided"] * 2
    assert instance.slots_used == SPIKE_MIN - 1


def _words(s: Session, env: Env, message: InboxMessage) -> tuple[str, str]:
    return notify.render_inbox_message(s, env.settings, message, language="en", time_zone="UTC")
