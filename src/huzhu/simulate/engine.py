"""Plays a plan through the real engine on a simulated clock.

The app is the one `huzhu serve` runs (create_app: middleware, hot path, inline scorer,
outbox), on a fresh database built by the migrations. Time is the app clock (real time
plus an offset, kit/clock.py): before each act the offset is moved so that the app's
"now" is the act's simulated moment, and between acts the job runner is stepped every
`TICK` simulated seconds — its periodic tasks timed by the app clock, so the hourly ring
scan, expiries, notices, reminders and the outbox run as a worker would run them over
those days. Nothing waits on the wall clock.

The shop is set up as `huzhu shop create` sets one up (a shop and its owner); everything
after that is HTTP: the owner creates and launches campaigns, people sign in, set their
preferences, start, share, open, assist, invite, report and order.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import httpx
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import huzhu.all_tasks  # noqa: F401  (every domain's jobs and periodic tasks, as a worker has)
from huzhu.accounts import service as accounts
from huzhu.accounts.rules import Role
from huzhu.app import create_app
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.migrations import run_migrations
from huzhu.simulate.client import PROXY, Wire, expect, problem_code
from huzhu.simulate.ledger import AssistTry, InviteTry, Ledger, OrderTry, Readback, Refusal
from huzhu.simulate.population import (
    HISTORY,
    HOUR,
    Action,
    Person,
    Plan,
    Verb,
    at_datetime,
)
from huzhu.simulate.scenario import Scenario, ScenarioError

TICK = 300  # simulated seconds between steps of the job runner
SHOP_SLUG = "wargame"
OWNER_EMAIL = "owner@wargame.huzhu"
Progress = Callable[[int, int], None]  # (simulated seconds done, of)


class ScenarioSettings(Settings):
    """Settings from the scenario alone: no HUZHU_* variable and no .env file of the
    machine it runs on, so a scenario and a seed give the same run anywhere."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def simulation_settings(scenario: Scenario, database_url: str) -> Settings:
    """The scenario's settings over the embedded defaults, and what the simulation needs:
    its loopback peer trusted as the proxy that names each person's address, no job
    thread of the app's own (the simulation steps the runner), the open sign-in."""
    values: dict[str, Any] = {k: dict(v) for k, v in scenario.settings.items()}
    values.setdefault("web", {})["trusted_proxies"] = PROXY
    values.setdefault("jobs", {})["run_in_process"] = False
    values.setdefault("accounts", {})["local_login_open"] = True
    # Rate-limit and invite-cap counts live in the process under this prefix, past the
    # app's life: a run of its own never meets another run's counts.
    values.setdefault("redis", {}).setdefault("key_prefix", f"simulate-{uuid.uuid4().hex[:12]}")
    unknown = _unknown_keys(Settings, scenario.settings)
    if unknown:
        raise ScenarioError(f"settings: no such setting: {', '.join(unknown)}")
    if values["redis"].get("url"):
        # Redis ends a window when a key's TTL runs out in real time, and a simulated
        # day passes here in seconds: its rate limits and risk counts would see a whole
        # run as one moment. The in-process storage keeps the app clock.
        raise ScenarioError(
            "settings: redis.url: the wargame runs on a simulated clock, which Redis "
            "expiry does not follow; remove it (counts stay in the process)"
        )
    try:
        return ScenarioSettings(database_url=database_url, env="embedded", **values)
    except ValidationError as exc:
        raise ScenarioError(f"settings: {exc}") from exc


def _unknown_keys(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> list[str]:
    """Settings ignore names they do not know (an environment holds other things); a
    scenario's are all meant for us, so a misspelt one is refused, not dropped."""
    unknown = []
    for key, value in values.items():
        field = model.model_fields.get(key)
        if field is None:
            unknown.append(prefix + key)
            continue
        kind = field.annotation
        if isinstance(value, dict) and isinstance(kind, type) and issubclass(kind, BaseModel):
            unknown += _unknown_keys(kind, value, f"{prefix}{key}.")
    return unknown


class Simulation:
    def __init__(self, scenario: Scenario, plan: Plan, *, database_url: str) -> None:
        self.scenario = scenario
        self.plan = plan
        self.settings = simulation_settings(scenario, database_url)
        self.ledger = Ledger()
        self.readback = Readback()
        self.campaigns: dict[str, int] = {}
        self.now = -HISTORY
        self._password = ""
        self.wire_accounts: dict[int, int] = {}  # person index -> account id

    # -- time ------------------------------------------------------------------------

    def _set_clock(self, seconds: int) -> None:
        target = at_datetime(seconds)
        clock.advance((target - clock.utcnow()).total_seconds())
        self.now = seconds

    def _run_until(self, runner: JobRunner, seconds: int) -> None:
        """Step the job runner every TICK up to `seconds`, then stand there."""
        next_tick = (self.now // TICK + 1) * TICK
        while next_tick <= seconds:
            self._set_clock(next_tick)
            runner.run_periodic()
            while runner.run_due(limit=500):
                pass
            next_tick += TICK
        self._set_clock(seconds)

    # -- the run -----------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> None:
        run_migrations(self.settings.db.sqlalchemy_url)
        db = Database(self.settings.db)
        try:
            self._set_clock(-HISTORY - HOUR)
            self._password = password = secrets.token_urlsafe(16)
            with db.unit_of_work() as session:
                shop = accounts.create_shop(session, slug=SHOP_SLUG, name="Wargame shop")
                accounts.create_operator(
                    session,
                    shop_id=shop.id,
                    email=OWNER_EMAIL,
                    display_name="owner",
                    password=password,
                    role=Role.OWNER,
                )
            runner = JobRunner(
                db, self.settings, worker_id="simulate", seconds=lambda: clock.utcnow().timestamp()
            )
            # As `huzhu serve` runs it behind a trusted proxy: uvicorn's own middleware
            # takes each person's address from X-Forwarded-For.
            app: Any = ProxyHeadersMiddleware(
                cast(Any, create_app(self.settings)),
                trusted_hosts=self.settings.web.trusted_proxies,
            )
            with TestClient(app, client=(PROXY, 50_000)) as client:
                wire = Wire(client, shop_slug=SHOP_SLUG)
                self.wire_accounts = wire.accounts
                self._set_up(wire)
                self._play(wire, runner, progress)
                self._read_back(wire)
        finally:
            clock.reset()
            db.dispose()

    def _set_up(self, wire: Wire) -> None:
        for person in self.plan.people:
            if person.made_at < 0:
                wire.sign_in(person)
        for person in self.plan.people:
            if person.made_at < 0:
                self._preferences(wire, person)
        self._set_clock(-HOUR)
        self._sign_in_owner(wire)
        self._campaigns(wire)

    def _sign_in_owner(self, wire: Wire) -> None:
        """The owner signs in (their session lasts hours, not the whole run)."""
        r = wire.client.post(
            "/api/v1/auth/login", json={"email": OWNER_EMAIL, "password": self._password}
        )
        expect(r, 200)
        wire.owner_token = r.json()["token"]

    def _preferences(self, wire: Wire, person: Person) -> None:
        headers = wire.as_person(person)
        prefs = person.preferences
        r = wire.put(
            "/api/v1/me/invite-preferences",
            headers=headers,
            json={
                "accept_from": prefs.accept_from,
                "quiet_start": f"{prefs.quiet_start_hour:02d}:00",
                "quiet_end": f"{prefs.quiet_end_hour:02d}:00",
                "time_zone": "Asia/Shanghai",
                "daily_max": prefs.daily_max,
            },
        )
        expect(r, 200)
        for contact in person.contacts:
            r = wire.put(f"/api/v1/me/contacts/{wire.accounts[contact]}", headers=headers)
            expect(r, 200, 201, 204)
        if person.daily_spend_cap_cents is not None:
            r = wire.put(
                "/api/v1/me/guardrails",
                headers=headers,
                json={"daily_spend_cents": person.daily_spend_cap_cents},
            )
            expect(r, 200)
            r = wire.put(
                "/api/v1/me/inbox/preferences",
                headers=headers,
                json={"muted_kinds": [], "summary": "daily"},
            )
            expect(r, 200)

    def _campaigns(self, wire: Wire) -> None:
        bargain = self.scenario.campaigns.bargain
        groupbuy = self.scenario.campaigns.groupbuy
        bodies = {
            "bargain": {
                "kind": "bargain",
                "name": "砍价 Bargain",
                "channel": "own_app",
                "budget_cents": bargain.budget_cents,
                "inventory_total": 100_000,
                "instance_ttl_seconds": bargain.instance_ttl_hours * HOUR,
                "daily_assists_per_helper": bargain.daily_assists_per_helper,
                "price_cents": bargain.price_cents,
                "floor_cents": bargain.floor_cents,
                "max_helpers": bargain.max_helpers,
            },
            "groupbuy": {
                "kind": "groupbuy",
                "name": "拼团 Group buy",
                "channel": "own_app",
                "budget_cents": groupbuy.budget_cents,
                "inventory_total": groupbuy.inventory,
                "instance_ttl_seconds": groupbuy.instance_ttl_hours * HOUR,
                "team_size": groupbuy.team_size,
                "price_cents": groupbuy.price_cents,
                "group_price_cents": groupbuy.group_price_cents,
            },
        }
        for kind, body in bodies.items():
            r = wire.post("/api/v1/campaigns", headers=wire.owner(), json=body)
            expect(r, 201)
            campaign_id = int(r.json()["id"])
            expect(wire.post(f"/api/v1/campaigns/{campaign_id}/launch", headers=wire.owner()), 200)
            self.campaigns[kind] = campaign_id

    def _play(self, wire: Wire, runner: JobRunner, progress: Progress | None) -> None:
        self._set_clock(0)
        end = self.plan.end + self.scenario.settle_hours * HOUR
        actions = self.plan.sorted_actions()
        for action in actions:
            self._run_until(runner, action.at)
            self._act(wire, action)
            if progress:
                progress(action.at, end)
        self._run_until(runner, end)
        if progress:
            progress(end, end)

    # -- acts --------------------------------------------------------------------------

    def _act(self, wire: Wire, action: Action) -> None:
        person = self.plan.people[action.actor]
        if action.verb is Verb.SIGN_IN:
            wire.sign_in(person)
            return
        headers = wire.as_person(person, host=action.host, device=action.device)
        act = ACTS[action.verb]
        act(self, wire, action, headers)

    def _refused(self, action: Action, r: httpx.Response) -> None:
        self.ledger.refusals.append(
            Refusal(
                action.at,
                action.actor,
                action.side,
                action.verb.value,
                r.status_code,
                problem_code(r),
            )
        )

    def _start(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        assert action.activity is not None
        activity = self.plan.activities[action.activity]
        r = wire.post(
            f"/api/v1/campaigns/{self.campaigns['bargain']}/instances", headers=headers, json={}
        )
        if r.status_code != 201:
            self._refused(action, r)
            return
        instance_id = int(r.json()["id"])
        self.ledger.instances[activity.index] = instance_id
        body: dict[str, Any] = {"channel": activity.channel}
        if activity.channel == "group":
            body["group_ref"] = f"group-{activity.owner}"
        r = wire.post(f"/api/v1/instances/{instance_id}/share-links", headers=headers, json=body)
        if r.status_code != 201:
            self._refused(action, r)
            return
        self.ledger.links[activity.index] = r.json()["token"]

    def _open(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        assert action.activity is not None
        token = self.ledger.links.get(action.activity)
        if token is None:
            return  # the activity never started: nobody could open it
        r = wire.post(f"/api/v1/shares/{token}/open", headers=headers)
        if r.status_code != 201:
            self._refused(action, r)
            return
        self.ledger.opens[(action.actor, action.activity)] = int(r.json()["open_id"])

    def _assist(
        self, wire: Wire, action: Action, headers: dict[str, str], *, key: str | None = None
    ) -> httpx.Response | None:
        assert action.activity is not None
        instance_id = self.ledger.instances.get(action.activity)
        if instance_id is None or action.activity not in self.ledger.links:
            return None
        params: dict[str, Any] = {"share": self.ledger.links[action.activity]}
        open_id = self.ledger.opens.get((action.actor, action.activity))
        if open_id is not None:
            params["share_open"] = open_id
        if key:
            headers = {**headers, "Idempotency-Key": key}
        r = wire.post(f"/api/v1/instances/{instance_id}/assists", headers=headers, params=params)
        given = r.json().get("assist_id") if r.status_code in (201, 202) else None
        self.ledger.assists.append(
            AssistTry(
                action.at,
                action.actor,
                action.side,
                action.activity,
                r.status_code,
                problem_code(r),
                int(given) if given is not None else None,
            )
        )
        return r

    def _assist_act(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        self._assist(wire, action, headers)

    def _invite(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        assert action.activity is not None
        assert action.target is not None
        instance_id = self.ledger.instances.get(action.activity)
        if instance_id is None:
            return
        r = wire.post(
            f"/api/v1/instances/{instance_id}/invites",
            headers=headers,
            json={"recipient_id": wire.accounts[action.target]},
        )
        self.ledger.invites.append(
            InviteTry(
                action.at,
                action.actor,
                action.target,
                action.side,
                r.status_code == 201,
                problem_code(r),
            )
        )

    def _report(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        assert action.target is not None
        if action.only_if_invited_by is not None and not any(
            i.delivered and i.sender == action.only_if_invited_by and i.recipient == action.actor
            for i in self.ledger.invites
        ):
            return  # no invite reached them: nothing to complain about
        r = wire.post(
            "/api/v1/reports",
            headers=headers,
            json={"kind": "spam", "account_id": wire.accounts[action.target]},
        )
        filed = r.status_code == 201
        self.ledger.reports.append((action.at, action.actor, action.target, filed))
        if not filed:
            self._refused(action, r)

    def _mute(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        assert action.target is not None
        r = wire.put(f"/api/v1/me/mutes/{wire.accounts[action.target]}", headers=headers)
        if r.status_code >= 300:
            self._refused(action, r)

    def _order(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        """Open a team (the activity is the team) or join one: a confirmation first, with
        the real numbers, then the order carrying its token — as the pages do."""
        assert action.activity is not None
        opening = action.verb is Verb.OPEN_TEAM
        if opening:
            target, path = (
                self.campaigns["groupbuy"],
                f"/api/v1/campaigns/{self.campaigns['groupbuy']}/teams",
            )
        else:
            team_id = self.ledger.instances.get(action.activity)
            if team_id is None:
                return
            target, path = team_id, f"/api/v1/teams/{team_id}/join"
        r = wire.post(
            "/api/v1/me/confirmations",
            headers=headers,
            json={"action": "open_team" if opening else "join_team", "target_id": target},
        )
        if r.status_code != 200:
            self.ledger.orders.append(OrderTry(action.at, action.actor, 0, False, problem_code(r)))
            return
        quote = r.json()
        if quote["token"] is None:
            refused = str(quote["refused"] or "no_token")
            self.ledger.orders.append(
                OrderTry(action.at, action.actor, quote["amount_cents"], False, refused)
            )
            return
        r = wire.post(path, headers={**headers, "Huzhu-Confirmation": quote["token"]})
        placed = r.status_code == 201
        amount = int(r.json()["order"]["amount_cents"]) if placed else int(quote["amount_cents"])
        if placed and opening:
            self.ledger.instances[action.activity] = int(r.json()["team"]["team_id"])
        self.ledger.orders.append(
            OrderTry(action.at, action.actor, amount, placed, problem_code(r))
        )

    def _tamper_open(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        """A link with one character of its signature changed."""
        assert action.activity is not None
        token = self.ledger.links.get(action.activity)
        if token is None:
            return
        flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        r = wire.post(f"/api/v1/shares/{flipped}/open", headers=headers)
        self._refused(action, r)  # recorded whatever it answered: the figures judge it

    def _replay(self, wire: Wire, action: Action, headers: dict[str, str]) -> None:
        """Open, assist, then replay the same request with its key and without it."""
        self._open(wire, action, headers)
        key = f"replay-{action.actor}-{action.activity}"
        self._assist(wire, action, headers, key=key)
        self._assist(wire, action, headers, key=key)
        self._assist(wire, action, headers)

    # -- what the engine says afterwards -----------------------------------------------

    def _read_back(self, wire: Wire) -> None:
        self._sign_in_owner(wire)
        owner = wire.owner()
        back = self.readback
        for activity, instance_id in sorted(self.ledger.instances.items()):
            if self.plan.activities[activity].kind == "groupbuy":
                back.instance_status[activity] = wire.get(
                    f"/api/v1/teams/{instance_id}", headers=owner
                )["status"]
                continue
            back.instance_status[activity] = wire.get(
                f"/api/v1/instances/{instance_id}", headers=owner
            )["status"]
            for row in wire.pages(f"/api/v1/instances/{instance_id}/assists", headers=owner):
                back.assist_status[int(row["id"])] = row
        back.cases = list(wire.pages("/api/v1/review/cases", headers=owner))
        back.actions = list(wire.pages("/api/v1/enforcement/actions", headers=owner))
        back.campaigns = list(wire.pages("/api/v1/campaigns", headers=owner))
        for person in self.plan.people:
            if person.daily_spend_cap_cents is None:
                continue
            inbox = wire.get("/api/v1/me/inbox", headers=wire.as_person(person), limit=200)
            back.reminders[person.index] = sum(1 for m in inbox["items"] if m["kind"] == "reminder")


ActFn = Callable[[Simulation, Wire, Action, dict[str, str]], None]
ACTS: dict[Verb, ActFn] = {
    Verb.START: Simulation._start,
    Verb.OPEN: Simulation._open,
    Verb.ASSIST: Simulation._assist_act,
    Verb.INVITE: Simulation._invite,
    Verb.REPORT_SPAM: Simulation._report,
    Verb.MUTE: Simulation._mute,
    Verb.OPEN_TEAM: Simulation._order,
    Verb.JOIN_TEAM: Simulation._order,
    Verb.TAMPER_OPEN: Simulation._tamper_open,
    Verb.REPLAY_ASSIST: Simulation._replay,
}


def elapsed(at: Any) -> int:
    """Simulated seconds of an engine time (an ISO string), to the minute below: the app
    clock runs on by the few milliseconds a request takes, which must not show."""
    from datetime import datetime

    moment = datetime.fromisoformat(str(at))
    seconds = int((moment - at_datetime(0)) / timedelta(seconds=1))
    return seconds // 60 * 60
