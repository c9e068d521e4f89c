"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

No browser is downloaded: the system Chromium is used (`SAMDRIFT_CHROMIUM`, default
/usr/bin/chromium). Without it these tests fail rather than skip, so that CI cannot pass while
silently leaving out the browser flows. One browser serves the whole session; each test gets a
fresh context (cookies, language), which takes milliseconds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
