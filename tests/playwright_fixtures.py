"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

No browser is downloaded: the system Chromium is used (`SAMDRIFT_CHROMIUM`, default
/usr/bin/chromium). Without it these tests fail rather than skip, so that CI cannot pass while
silently leaving out the browser flows. One browser serves the whole session; each test gets a
fresh context (cookies, language), which takes milliseconds.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate (test fixtures create the data).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("SAMDRIFT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

expect.set_options(timeout=5_000)


class _OneRequestAtATime(ThreadedWSGIServer):
    """The live server, serving one request at a time where its threads share the test's database
    connection, and able to wait until no request is left.

    On SQLite the test database lives in memory, and pytest-django hands the live server's request
    threads the test's own connection. Django's documentation warns that simultaneous queries
    through it fail at random; worse, its transaction is one for all of them. A request still
    running while the browser signed in (one sent beside it by the same page, or one the last
    test's browser left: Chromium closes a context without waiting for the server) took the new
    session with it when it rolled back, and the next page was the login page (CI, 7 December
    2026; tests/test_live_server.py plays it). Requests therefore
    take turns on a shared connection (a browser's few parallel requests wait milliseconds), and a
    test's teardown waits for the last one to end before its tables are emptied. On PostgreSQL
    each thread has its own connection and requests run side by side, as in production.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = threading.Lock()
        self._idle = threading.Condition()
        self._running = 0

    def set_app(self, application: Any) -> None:
        shared = bool(self.connections_override)

        def served(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with self._idle:
                self._running += 1
            if shared:
                self._turn.acquire()
            try:
                return _EndsOnClose(application(environ, start_response), self._done, shared)
            except BaseException:
                self._done(shared)
                raise

        super().set_app(served)

    def _done(self, shared: bool) -> None:
        if shared:
            self._turn.release()
        with self._idle:
            self._running -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 60) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout)


class _EndsOnClose:
    """A WSGI answer whose request counts as running until the server has sent it and closed it
    (a streamed export still reads the database while it is sent)."""

    def __init__(self, answer: Iterable[bytes], done: Any, shared: bool) -> None:
        self._answer, self._done, self._shared, self._closed = answer, done, shared, False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._answer)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._answer, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self._shared)


# pytest-django builds its live server from Django's LiveServerThread, which names the server class.
LiveServerThread.server_class = _OneRequestAtATime


@pytest.fixture(scope="session")
def live_server(django_db_setup: Any, live_server: Any) -> Any:
    """pytest-django's live server, started only once the test database exists.

    It hands its threads the test's connection only if that connection is an in-memory SQLite
    database when the server starts; being session-scoped, it used to start before the test
    database whenever the first test of a worker was a live-server test, and its threads then
    opened connections of their own to the shared in-memory database, where a write by one fails
    another's read with "database table is locked". Which of the two a worker got depended on the
    order its tests came in."""
    return live_server


@pytest.fixture(autouse=True)
def _live_server_idle_before_teardown(request: Any) -> Iterator[None]:
    """A live-server test ends only when its last request has: the flush that empties the tables
    (torn down after this fixture) must not run under a request still being served
    (pytest-dev/pytest-django#454)."""
    live = request.getfixturevalue("live_server") if "live_server" in request.fixturenames else None
    yield
    server = getattr(getattr(live, "thread", None), "httpd", None)
    if isinstance(server, _OneRequestAtATime):
        assert server.wait_idle(), "the live server was still serving a request a minute after the test"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The browser tests need the system Chromium: "
            "install it (`apt-get install chromium`) or set SAMDRIFT_CHROMIUM to its path.",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(browser: Browser, live_server: Any) -> Iterator[Any]:
    """Open pages against the live server; Swedish browser language unless told otherwise."""
    contexts = []

    def open_page(*, locale: str = "sv-SE", javascript: bool = True, bypass_csp: bool = False) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            java_script_enabled=javascript,
            bypass_csp=bypass_csp,
            viewport={"width": 1280, "height": 900},
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Page:
    return new_page()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1, name="Översikt")).to_be_visible()


def check_page_basics(page: Page) -> None:
    """Every page: a language, a title, one h1, the landmarks, and a label for every control."""
    assert page.locator("html").get_attribute("lang") in {"sv", "en"}
    assert re.fullmatch(r".+ · Samdrift", page.title()), page.title()
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("header")).to_have_count(1)
    expect(page.locator("main#main")).to_have_count(1)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(el => el.type !== 'hidden')
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !el.getAttribute('aria-labelledby'))
              .map(el => el.name || el.id)"""
    )
    assert unlabelled == [], f"controls without a label: {unlabelled}"
