"""The agent's flow in a real browser (Playwright, Debian's Chromium): queue → open a ticket →
reply and resolve in one submit, the ticket page updating in place through HTMX."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from samdrift.servicedesk.models import Comment, Status, Ticket
from tests.playwright_fixtures import check_page_basics, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_works_a_ticket_from_the_queue(page: Page, world: Any) -> None:
    ticket = world.a.extra["sd_ticket"]
    log_in(page, world.agent.username)
    page.goto("/servicedesk/tickets/")
    page.get_by_role("link", name="Alla öppna").click()
    expect(page).to_have_url(re.compile(r"queue=open"))
    check_page_basics(page)
    page.get_by_role("link", name=ticket.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.number)
    check_page_basics(page)

    url = page.url
    # One compose area: the reply and the new status go in the same submit, so choosing the status
    # cannot wipe the reply being typed.
    compose = page.locator("#compose-form")
    compose.get_by_label("Text").fill("Vi har bytt tonerkassett, prova igen.")
    compose.get_by_label("Status").select_option(Status.RESOLVED)
    expect(compose.get_by_label("Text")).to_have_value("Vi har bytt tonerkassett, prova igen.")
    compose.get_by_role("button", name="Spara").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Vi har bytt tonerkassett, prova igen.")
    expect(page.locator("#ticket-status")).to_have_text("Löst")
    # Focus goes to the message saying what was done, which the live region also announces.
    expect(page.locator("[data-focus-after-swap]")).to_be_focused()
    expect(page.locator("#ticket-live")).to_contain_text("Svaret har skickats.")
    assert page.url == url  # replaced in place, no page load
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    assert Comment.objects.filter(ticket=ticket, body="Vi har bytt tonerkassett, prova igen.").exists()
