"""The main flows in a real browser, in Swedish first: log in, the dashboard, lists filtered by
htmx (and without JavaScript), a person edited with its history, the language switch, owner
isolation, form errors and keyboard use."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page_basics, log_in

pytestmark = pytest.mark.browser


def test_operator_main_flow(page: Page, world: Any) -> None:
    a, b = world.a, world.b

    # Not logged in: the Swedish login page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    assert page.locator("html").get_attribute("lang") == "sv"
    check_page_basics(page)

    # The start page shows the administrator's own work: the health of the worker and scheduler.
    log_in(page, world.admin.username)
    check_page_basics(page)
    expect(page.locator("main h2").first).to_be_visible()

    # The people list, filtered by htmx as one types (no page load), the URL kept in step.
    menu = page.get_by_role("navigation", name="Huvudmeny")
    menu.get_by_role("button", name="Administration").click()
    menu.get_by_role("link", name="Personer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personer")
    check_page_basics(page)
    expect(page.locator("nav a[aria-current]")).to_have_text("Personer")
    results = page.get_by_role("table", name="Personer")
    expect(results).to_contain_text(b.employee.last_name)
    page.evaluate("window.__samePage = true")
    page.get_by_label("Sök").fill(a.employee.first_name)
    expect(results.get_by_role("link", name=a.employee.last_name)).to_be_visible()
    expect(results).not_to_contain_text(b.employee.last_name)
    expect(results).not_to_contain_text(a.pupil.last_name)
    expect(page).to_have_url(re.compile(r"[?&]q=Anst"))
    assert page.evaluate("window.__samePage") is True, "the filter reloaded the page instead of using htmx"

    # A person: details, edit a field, saved.
    results.get_by_role("link", name=a.employee.last_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(str(a.employee))
    check_page_basics(page)
    page.get_by_role("link", name="Redigera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Redigera person")
    check_page_basics(page)
    page.get_by_label("Titel").fill("Rektor")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status").filter(has_text="Sparat")).to_be_visible()
    expect(page.locator("dl")).to_contain_text("Rektor")

    # History, as a tab of the person.
    page.get_by_role("navigation", name="Avsnitt").get_by_role("link", name="Historik").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Historik för {a.employee}")
    check_page_basics(page)
    changed = page.get_by_role("row").filter(has_text="Ändrad")
    expect(changed).to_contain_text("Titel")
    expect(changed).to_contain_text("Rektor")
    expect(changed).to_contain_text(world.admin.username)

    # Switch to English: the same page, in English.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"History of {a.employee}")
    assert page.locator("html").get_attribute("lang") == "en"
    english_menu = page.get_by_role("navigation", name="Main navigation")
    english_menu.get_by_role("button", name="Administration").click()
    expect(english_menu.get_by_role("link", name="People")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Updated")).to_contain_text("Title")

    # Log out.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_owner_user_sees_only_their_owner(page: Page, world: Any, live_server: Any) -> None:
    a, b = world.a, world.b
    log_in(page, a.viewer.username)
    # The start page: the owner's insight card, linking to its insight page.
    expect(page.get_by_role("heading", level=3, name=a.owner.name)).to_be_visible()
    expect(page.get_by_role("link", name=a.owner.name, exact=True)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(b.owner.name)

    page.goto("/people/")
    results = page.get_by_role("table", name="Personer")
    expect(results).to_contain_text(a.employee.last_name)
    expect(results).not_to_contain_text(b.employee.last_name)
    expect(page.get_by_label("Ägare")).not_to_contain_text(b.owner.name)

    # Another owner's person looks exactly like a missing one.
    response = page.goto(f"/people/{b.employee.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Sidan hittades inte")
    check_page_basics(page)


def test_invalid_value_shows_inline_error_and_focused_summary(page: Page, world: Any) -> None:
    log_in(page, world.admin.username)
    page.goto(f"/people/{world.a.employee.pk}/edit/")
    page.get_by_label("E-post").fill("inte-en-adress")
    page.get_by_role("button", name="Spara").click()

    summary = page.get_by_role("alert").filter(has_text="Något behöver rättas")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Fel: ")
    check_page_basics(page)
    email = page.get_by_label("E-post")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("giltig", re.IGNORECASE))
    expect(page.locator("#id_email_error")).to_be_visible()

    # The summary links to the field, which takes the focus.
    summary.get_by_role("link", name=re.compile("E-post")).click()
    expect(email).to_be_focused()
    # Nothing was saved.
    page.goto(f"/people/{world.a.employee.pk}/")
    expect(page.locator("dl")).not_to_contain_text("inte-en-adress")


def test_keyboard_reaches_skip_link_then_main_navigation(page: Page, world: Any) -> None:
    log_in(page, world.admin.username)
    page.goto("/people/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hoppa till innehållet")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    # Then, in order: the skip link, the brand, the account controls and the main navigation.
    page.reload()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Samdrift")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Logga ut")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="English")).to_be_focused()
    page.keyboard.press("Tab")
    nav = page.get_by_role("navigation", name="Huvudmeny")
    expect(nav.get_by_role("link", name="Översikt")).to_be_focused()
    # The menu is grouped by capability; Administration is the sixth group.
    for _ in range(6):  # Servicedesk, Tillgångar, Beställningar, Ekonomi, Diarium, Administration
        page.keyboard.press("Tab")
    group = nav.get_by_role("button", name="Administration")
    expect(group).to_be_focused()
    page.keyboard.press("Enter")
    expect(group).to_have_attribute("aria-expanded", "true")
    for _ in range(4):  # Ägare, Organisationsenheter, Kostnadsställen, Personer
        page.keyboard.press("ArrowDown")
    current = nav.get_by_role("link", name="Personer")
    expect(current).to_be_focused()
    expect(current).to_have_attribute("aria-current", "page")


def test_filter_works_without_javascript(new_page: Any, world: Any) -> None:
    page = new_page(javascript=False)
    log_in(page, world.admin.username)
    page.goto("/people/")
    page.get_by_label("Sök").fill(world.b.pupil.first_name)
    page.get_by_role("button", name="Filtrera").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Elev"))
    results = page.get_by_role("table", name="Personer")
    expect(results).to_contain_text(world.b.pupil.last_name)
    expect(results).not_to_contain_text(world.a.pupil.last_name)
