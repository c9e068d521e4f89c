"""The agent's flow in a real browser (Playwright, Debian's Chromium): queue → open a ticket →
reply → resolve, the ticket page updating in place through HTMX."""

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
    reply = page.locator("#ticket-panel form[action$='/comment/']")
    reply.get_by_label("Text").fill("Vi har bytt tonerkassett, prova igen.")
    reply.get_by_role("button", name="Skicka").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Vi har bytt tonerkassett, prova igen.")
    assert page.url == url  # replaced in place, no page load

    status = page.locator("#ticket-panel form[action$='/status/']")
    status.get_by_label("Ny status").select_option(Status.RESOLVED)
    status.get_by_role("button").click()
    expect(page.locator("#ticket-status")).to_have_text("Löst")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    assert Comment.objects.filter(ticket=ticket, body="Vi har bytt tonerkassett, prova igen.").exists()
