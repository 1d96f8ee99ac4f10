"""One real server for all page tests, on a fresh SQLite database holding the demo
seed, and one Chromium per module (Playwright's sync API keeps an event loop running,
which must not outlive the module: other tests call asyncio.run). Starting a server
costs seconds of CPU, so it is shared; every test works with its own participants (or
reads the numbers it checks live), so tests do not depend on each other's order. Pages
are checked the way people use them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from huzhu.db import Database
from huzhu.seed import seed_demo
from tests.conftest import make_settings
from tests.support.browser import chromium_browser
from tests.support.servers import LiveServer, start_server


@dataclass
class Demo:
    server: LiveServer
    db_url: str

    @property
    def url(self) -> str:
        return self.server.url

    def participant_token(self, subject: str) -> str:
        response = httpx.post(
            f"{self.url}/api/v1/auth/participant",
            json={"shop": "demo", "subject": subject},
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["token"])

    def api(self, subject: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call as the participant `subject` (the answer, whatever its status)."""
        headers = {"Authorization": f"Bearer {self.participant_token(subject)}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def instances_of(self, subject: str) -> list[dict[str, Any]]:
        token = self.participant_token(subject)
        response = httpx.get(
            f"{self.url}/api/v1/me/instances",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()
        return list(response.json()["items"])

    def instance_of(self, subject: str, kind: str) -> dict[str, Any]:
        return next(i for i in self.instances_of(subject) if i["kind"] == kind)


def start_demo(
    sqlite_template: Path, folder: Path, extra_env: dict[str, str] | None = None
) -> Demo:
    """A server on a fresh SQLite database holding the demo seed (stop its `server`)."""
    path = folder / "demo.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = make_settings(url, jobs={"run_in_process": False})
    db = Database(settings.db)
    try:
        seed_demo(db, settings)
    finally:
        db.dispose()
    # The real `huzhu` entry point (the other tests' servers run its serve command alone).
    server = start_server(db_url=url, log_dir=folder, full_cli=True, extra_env=extra_env)
    return Demo(server, url)


@pytest.fixture(scope="session")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    started = start_demo(sqlite_template, tmp_path_factory.mktemp("web"))
    try:
        yield started
    finally:
        started.server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as found:
        yield found


@pytest.fixture
def page_for(browser: Any, demo: Demo) -> Iterator[Any]:
    """page_for(locale) → a fresh page (own cookies) whose browser prefers that language;
    every request it makes is checked to stay on the server (no CDN, nothing external)."""
    contexts: list[Any] = []
    outside: list[str] = []

    def _make(locale: str = "en-US") -> Any:
        context = browser.new_context(locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on(
            "request",
            lambda req: outside.append(req.url) if not req.url.startswith(demo.url) else None,
        )
        return page

    yield _make
    for context in contexts:
        context.close()
    assert outside == [], f"pages reached outside the server: {outside}"


def sign_in(page: Any, demo: Demo, name: str, *, next_path: str = "/") -> None:
    """The local demo sign-in, through its form."""
    page.goto(f"{demo.url}/signin?next={next_path}")
    page.fill("#f-name", name)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def operator_sign_in(page: Any, demo: Demo, email: str, password: str) -> None:
    page.goto(f"{demo.url}/console/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


A11Y_SCRIPT = """() => {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang) problems.push('html has no lang');
  if (!document.title.trim()) problems.push('no title');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
    if (el.id && document.querySelector(`label[for="${el.id}"]`)) return true;
    return !!el.closest('label');
  };
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!named(el)) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    const text = (el.textContent || '').trim() || el.getAttribute('aria-label');
    if (!text) problems.push(`${el.tagName.toLowerCase()} without a name`);
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push('img without alt');
  }
  for (const el of document.querySelectorAll('[aria-describedby]')) {
    for (const id of el.getAttribute('aria-describedby').split(/\\s+/)) {
      if (id && !document.getElementById(id)) problems.push(`aria-describedby ${id} missing`);
    }
  }
  const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dupes.length) problems.push(`duplicate ids ${dupes}`);
  return problems;
}"""


def accessibility_problems(page: Any) -> list[str]:
    """An offline sanity check: lang, title, one h1, labels on every input, names on
    buttons and links, alt on images, aria-describedby targets, unique ids."""
    return list(page.evaluate(A11Y_SCRIPT))
