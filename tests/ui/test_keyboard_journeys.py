"""The main journeys by keyboard alone (issue 15), in Debian's Chromium: Tab and Shift+Tab to move,
typing into fields, arrow keys in selects, Enter and Space to act; no mouse click anywhere. Every
control reached shows where the focus is, and after an htmx action the focus is not dropped to the
page's body.

Controls are found by their labels and roles (the ticket page is being reworked), and reached by
pressing Tab until they hold the focus, so a control that cannot be reached by keyboard fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from samdrift.servicedesk.models import Status
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

TAB_LIMIT = 150


def _has_focus(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` holds the focus; it must then show it."""
    target.wait_for(state="attached")
    for _ in range(TAB_LIMIT):
        if _has_focus(target):
            break
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    else:
        raise AssertionError(f"not reachable by keyboard: {target}")
    visible = page.evaluate(
        """() => { const el = document.activeElement, s = getComputedStyle(el);
                   return el.matches(':focus-visible') && (s.outlineStyle !== 'none' || s.boxShadow !== 'none'); }"""
    )
    assert visible, f"the focus is not visible on {target}"


def choose(page: Page, select: Locator, value: str) -> None:
    """Pick an option of a focused <select> with the arrow keys."""
    tab_to(page, select)
    for key in ("Home", *["ArrowDown"] * 30):
        if select.input_value() == value:
            return
        page.keyboard.press(key)
    assert select.input_value() == value


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    tab_to(page, page.get_by_label("Användarnamn"))
    page.keyboard.type(username)
    tab_to(page, page.get_by_label("Lösenord"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


def test_portal_ticket_then_the_agent_resolves_it_by_keyboard(new_page: Any, world: Any) -> None:
    subject = "Skrivaren på plan 2 skriver inte ut"
    user = new_page()
    log_in(user, world.a.end_user.username)
    user.goto("/portal/")
    tab_to(user, user.get_by_role("link", name=re.compile("Anmäl ett problem")).first)
    user.keyboard.press("Enter")
    user.wait_for_url(re.compile("/portal/new/"))
    tab_to(user, user.locator("#id_subject"))
    user.keyboard.type(subject)
    tab_to(user, user.locator("#id_description"))
    user.keyboard.type("Den blinkar orange och ingenting kommer ut.")
    tab_to(user, user.get_by_role("button", name="Skicka"))
    user.keyboard.press("Enter")
    user.wait_for_load_state()
    expect(user.get_by_text(subject).first).to_be_visible()
    found = re.search(r"SD-\d{4}-\d+", user.locator("main").inner_text())
    assert found, "the portal names the new ticket's number"

    agent = new_page()
    log_in(agent, world.agent.username)
    agent.goto(f"/servicedesk/tickets/?queue=open&q={found.group(0)}")
    tab_to(agent, agent.get_by_role("link", name=found.group(0)).first)
    agent.keyboard.press("Enter")
    agent.wait_for_url(re.compile(r"/servicedesk/tickets/\d+/"))
    choose(agent, agent.get_by_label("Status", exact=True), Status.RESOLVED)
    # The submit button of the form that holds the status (wherever the page puts it).
    submit = agent.locator("form", has=agent.get_by_label("Status", exact=True)).locator("button[type=submit]").first
    tab_to(agent, submit)
    agent.keyboard.press("Enter")
    expect(agent.locator("#ticket-status")).to_have_text("Löst")
    # The htmx answer leaves the focus on the panel's message, not on the page's body.
    for _ in range(50):
        if agent.evaluate("() => document.activeElement !== null && document.activeElement !== document.body"):
            break
        agent.wait_for_timeout(100)
    else:
        raise AssertionError("after the htmx action the focus fell to the page's body")
    # The end user sees it resolved.
    user.reload()
    expect(user.locator("main")).to_contain_text("Löst")
