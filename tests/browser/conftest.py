"""The browser harness: every flow as people go through it, in Debian's Chromium driven
by Playwright, against one real `huzhu` server per module (a fresh SQLite database
holding the demo seed; jobs are run by the test, with the app clock moved where a flow
needs time to pass, so nothing waits on a timer).

Each flow runs in both languages (zh_CN, en) at a phone's 390×844 and a laptop's
1366×768. Every page a person's browser lands on is checked before the test goes on:
nothing wider than the screen, no console error, no axe-core violation of impact
serious or critical, no request leaving the server. A page that loaded and was never
checked fails the test at its end, so no visit slips by.

Screenshots for docs/img/ are written when HUZHU_SCREENSHOTS=1, from the Chinese run
(phone for participants, laptop for the console)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import huzhu.all_tasks  # noqa: F401  (the job handlers the test runs)
from huzhu.accounts import service as accounts
from huzhu.config import Settings
from huzhu.db import Database
from huzhu.jobs.runner import JobRunner
from huzhu.kit import clock
from huzhu.seed import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, seed_demo
from huzhu.web import security
from tests.conftest import make_settings
from tests.support import axe
from tests.support.browser import chromium_browser
from tests.support.servers import LiveServer, start_server

ROOT = Path(__file__).resolve().parents[2]
# As long as a page's own timeout: a dashboard's poll on a loaded machine can take more
# than Playwright's default 5 s to bring a number in.
expect.set_options(timeout=20_000)
IMG_DIR = ROOT / "docs" / "img"
SCREENSHOTS = os.environ.get("HUZHU_SCREENSHOTS") == "1"


@dataclass(frozen=True, slots=True)
class Look:
    """A language and a screen: what one run of a flow is seen in."""

    lang: str  # the page's language tag as the app names it
    locale: str  # the browser's
    size: str
    width: int
    height: int

    @property
    def id(self) -> str:
        return f"{self.lang}-{self.size}"

    @property
    def zh(self) -> bool:
        return self.lang == "zh_CN"


LOOKS = tuple(
    Look(lang, locale, size, width, height)
    for lang, locale in (("zh_CN", "zh-CN"), ("en", "en-US"))
    for size, width, height in (("phone", 390, 844), ("laptop", 1366, 768))
)


@pytest.fixture(params=LOOKS, ids=[look.id for look in LOOKS])
def look(request: pytest.FixtureRequest) -> Look:
    return request.param  # type: ignore[no-any-return]


# -- the site: one server per module ------------------------------------------------------


@dataclass
class Site:
    server: LiveServer
    settings: Settings
    db: Database

    @property
    def url(self) -> str:
        return self.server.url

    def run_jobs(self) -> int:
        """Every job due by the app clock (this process's), as the worker would run them."""
        runner = JobRunner(self.db, self.settings, worker_id="browser-test")
        runner.run_periodic(force=True)
        return runner.run_due()

    def later(self, seconds: float) -> None:
        """Let time pass for the jobs this test runs (the server's pages read the state
        the jobs leave, not the clock)."""
        clock.advance(seconds)


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "site.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = make_settings(url, jobs={"run_in_process": False})
    db = Database(settings.db)
    # In a thread of its own: seeding runs asyncio, which the worker's browser (whose
    # Playwright loop is the main thread's) forbids there.
    with ThreadPoolExecutor(1) as apart:
        apart.submit(seed_demo, db, settings).result()
    server = start_server(
        db_url=url,
        log_dir=folder,
        extra_env={
            # The test runs the jobs, so a page shows what they did once they have run.
            "HUZHU_JOBS__RUN_IN_PROCESS": "false",
            # Every person here is a fresh account on one loopback address, which the
            # group rule would rightly hold; the flows are about what people see.
            "HUZHU_RISK__GROUP_INSTANCE_ASSISTS": "0",
            "HUZHU_RISK__GROUP_CAMPAIGN_ASSISTS": "0",
        },
    )
    try:
        yield Site(server, settings, db)
    finally:
        server.stop()
        db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module and worker: each person gets a context of their own
    (own cookies, language and screen), which costs a fraction of a browser's start.
    Not one per session: Playwright's sync API keeps an asyncio loop running in the
    worker's thread while it is open, and any other test the worker runs meanwhile that
    starts a loop of its own (asyncio.run) would fail; a module's tests run one after the
    other on a worker, so the loop ends before another module's tests begin."""
    with chromium_browser() as found:
        yield found


@pytest.fixture(scope="session")
def axe_source() -> str:
    try:
        return axe.ensure()
    except Exception as exc:  # no check may be skipped quietly
        pytest.fail(f"axe-core is needed by the browser tests (make install-dev): {exc}")


# -- people -------------------------------------------------------------------------------

OVERFLOW_SCRIPT = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  widest: [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
      `${el.className ? '.' + String(el.className).split(' ').join('.') : ''}` +
      ` right=${Math.round(el.getBoundingClientRect().right)}`),
})"""

# axe-core's default rules, less those whose every check is of minor or moderate impact
# (`region`, `landmark-*`, `heading-order`…): a violation's impact is the gravest of its
# failed checks', so theirs could never fail the check, and `region` walks every element.
AXE_RULES = """() => {
  const grave = (check) => {
    const found = axe._audit.data.checks[typeof check === 'string' ? check : check.id];
    return found !== undefined && ['serious', 'critical'].includes(found.impact);
  };
  return axe._audit.rules
    .filter((r) => r.enabled !== false && !(r.tags || []).includes('experimental'))
    .filter((r) => [...r.any, ...r.all, ...r.none].some(grave))
    .map((r) => r.id);
}"""

AXE_SCRIPT = f"""async () => {{
  const result = await axe.run(document, {{
    resultTypes: ['violations'],
    runOnly: {{ type: 'rule', values: ({AXE_RULES})() }},
  }});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${{v.impact}} ${{v.id}}: ${{v.help}} at ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
}}"""


@dataclass
class Person:
    """One person's browser (own cookies, own language and screen), whose every page is
    checked as it is reached."""

    name: str
    look: Look
    page: Any
    site: Site
    axe_source: str
    operator: bool = False
    console_errors: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.site.url}{path}"

    def goto(self, path: str, *, status: int = 200) -> Any:
        self._arrived(self.page.goto(self.url(path)), status)
        return self.page

    def submit(self, selector: str, *, status: int = 200) -> Any:
        """Press a button that posts a form, and check the page it leads to (answered with
        `status`: a refused form comes back with 422 and its errors)."""
        with self.page.expect_navigation() as navigation:
            self.page.locator(selector).first.click()
        self._arrived(navigation.value, status)
        return self.page

    def _arrived(self, response: Any, status: int) -> None:
        assert response is not None
        assert response.status == status, f"{response.url} answered {response.status}"
        if status >= 400:
            # Chromium logs a document's own error status as a console error; the status
            # is the one this step expects (asserted above), so that one line is not a
            # fault of the page. Any other error still fails the check.
            expected = f"status of {status} "
            self.console_errors[:] = [
                e
                for e in self.console_errors
                if not (expected in e and e.endswith(f"({response.url})"))
            ]
        self.check()

    def check(self) -> None:
        """The page as it stands: fails on sideways overflow, a console error, a serious
        or critical axe-core violation."""
        page = self.page
        page.wait_for_load_state("load")
        where = page.url.removeprefix(self.site.url)
        width = page.evaluate(OVERFLOW_SCRIPT)
        assert width["scrollWidth"] <= width["innerWidth"], (
            f"{where} is {width['scrollWidth']} px wide on a {width['innerWidth']} px screen "
            f"({self.look.id}); sticking out: {width['widest']}"
        )
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)  # a page made without the init script
        violations = page.evaluate(AXE_SCRIPT)
        assert violations == [], f"axe-core on {where} ({self.look.id}): {violations}"
        assert self.console_errors == [], f"console errors on {where}: {self.console_errors}"
        self.unchecked.clear()
        self.checked.append(where)

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.inner_text()).strip()

    def picture(self, name: str) -> None:
        """docs/img/NAME.png, from the Chinese run at the person's usual screen."""
        usual = "laptop" if self.operator else "phone"
        if SCREENSHOTS and self.look.zh and self.look.size == usual:
            IMG_DIR.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(IMG_DIR / f"{name}.png"), full_page=True)

    def sign_in(self, *, next_path: str = "/") -> None:
        """The local demo sign-in, through its form."""
        self.goto(f"/signin?next={next_path}")
        self.page.fill("#f-name", self.name)
        self.submit("main form button[type=submit]")

    def account_id(self) -> int:
        """The participant signed in in this browser (read from its session cookie)."""
        cookies = {c["name"]: c["value"] for c in self.page.context.cookies()}
        found = accounts.verify_participant_token(
            self.site.settings, cookies[security.PARTICIPANT_COOKIE]
        )
        assert found is not None, f"{self.name} is not signed in"
        return found[1]

    def operator_sign_in(self, email: str = DEMO_OWNER_EMAIL) -> None:
        self.goto("/console/login")
        self.page.fill("#f-email", email)
        self.page.fill("#f-password", DEMO_OWNER_PASSWORD)
        self.submit("main form button[type=submit]")
        assert "/console/login" not in self.page.url, "the operator was not signed in"


@dataclass
class Seat:
    """A browser context and its page, lent to one person at a time."""

    context: Any
    page: Any


class Seats:
    """The worker's browser contexts, one look each, lent to people and given back with
    their cookies cleared and their page blank. A new context costs a renderer process
    of its own, which was most of a flow's time (each flow brings four to six people in
    four looks); a person needs no more than a cookie jar nobody else used (the pages
    keep nothing else in the browser) and a page nobody else is on."""

    def __init__(self, browser: Any, axe_source: str) -> None:
        self.browser = browser
        self.axe_source = axe_source
        self.free: dict[Look, list[Seat]] = {}

    def take(self, look: Look) -> Seat:
        free = self.free.setdefault(look, [])
        if free:
            return free.pop()
        context = self.browser.new_context(
            locale=look.locale,
            viewport={"width": look.width, "height": look.height},
            # Sharp screenshots when they are taken; the layout is the same in CSS pixels.
            # (Not is_mobile: a mobile layout viewport widens to fit what overflows, which
            # would hide what is checked.)
            device_scale_factor=2 if SCREENSHOTS and look.size == "phone" else 1,
        )
        # axe-core in every document as it starts, sent to the browser once per context
        # rather than evaluated (650 kB over the wire) on every page a check runs on.
        context.add_init_script(script=self.axe_source)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return Seat(context, page)

    def give_back(self, look: Look, seat: Seat) -> None:
        """Blank and without cookies, as a new context would be; closed instead if it
        cannot be made so (a test that failed mid-step)."""
        try:
            seat.page.goto("about:blank")
            seat.context.clear_cookies()
            assert seat.context.cookies() == []
        except Exception:
            seat.context.close()
            return
        self.free[look].append(seat)


@pytest.fixture(scope="module")
def seats(browser: Any, axe_source: str) -> Seats:
    return Seats(browser, axe_source)


@pytest.fixture
def people(
    seats: Seats, site: Site, look: Look, axe_source: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Person]]:
    """people(role) → a new person with a browser context of their own (no cookies, a
    blank page), seen in this test's look, named uniquely for this test (each run of a
    flow has its own participants)."""
    made: list[tuple[Seat, Person, list[tuple[str, Callable[..., None]]]]] = []
    outside: list[str] = []
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[-40:]

    def _make(role: str, *, operator: bool = False) -> Person:
        seat = seats.take(look)
        page = seat.page
        person = Person(f"{role}-{stem}", look, page, site, axe_source, operator=operator)

        def _console(msg: Any) -> None:
            if msg.type == "error":
                person.console_errors.append(f"{msg.text} ({msg.location.get('url')})")

        def _request(req: Any) -> None:
            if not req.url.startswith(site.url):
                outside.append(req.url)

        listeners: list[tuple[str, Callable[..., None]]] = [
            ("console", _console),
            ("pageerror", lambda exc: person.console_errors.append(str(exc))),
            ("request", _request),
            ("load", lambda p: person.unchecked.append(p.url)),
        ]
        for event, listener in listeners:
            page.on(event, listener)
        made.append((seat, person, listeners))
        return person

    yield _make
    for seat, _, listeners in made:
        for event, listener in listeners:
            seat.page.remove_listener(event, listener)
        seats.give_back(look, seat)
    assert outside == [], f"pages reached outside the server: {outside}"
    for _, person, _ in made:
        assert person.unchecked == [], f"{person.name} reached pages never checked"
