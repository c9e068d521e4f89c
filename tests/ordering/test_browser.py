"""The orderer's main flow in a real browser, in Swedish: an orderer orders a package, the
approver approves from the email link, purchasing creates the purchase order, and the delivery
creates the asset assigned to the recipient."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from samdrift.assets.models import Asset
from samdrift.core.outbox import send_due
from samdrift.ordering.models import Order, PurchaseOrder
from tests.playwright_fixtures import check_page_basics, log_in

pytestmark = pytest.mark.browser


def test_order_approve_purchase_deliver(new_page: Any, world: Any, live_server: Any, settings: Any) -> None:
    a = world.a
    settings.SAMDRIFT_BASE_URL = live_server.url
    mail.outbox.clear()

    # The orderer orders an employee laptop for a new colleague, on a phone-sized screen.
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, a.orderer.username)
    page.goto("/order/")
    check_page_basics(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Beställ")
    page.get_by_label("Paket eller tjänst", exact=True).select_option(label="Medarbetardator")
    # "Lägg i beställningen" beside a package adds it as a row; the running total follows the picks.
    rows = page.get_by_label("Paket eller tjänst", exact=True)
    page.get_by_role("button", name="Lägg i beställningen: Medarbetardator").click()
    expect(rows).to_have_count(2)
    expect(page.locator("[data-total=one_time]")).to_have_text(re.compile(r"^22\s850,00$"))
    expect(page.locator("[data-total=monthly]")).to_have_text("500,00")
    rows.nth(1).select_option(label="Välj…")  # an emptied row is ignored
    page.get_by_role("button", name="Lägg till ett paket eller en tjänst").click()
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_be_focused()
    expect(page.locator("[data-total=one_time]")).to_have_text(re.compile(r"^11\s425,00$"))
    # Recipients are found by search (an owner has thousands of people) and ticked.
    page.get_by_label(re.compile(r"^Mottagare")).fill(a.employee.last_name[:4])
    page.locator(".sd-recipient-results").get_by_label(re.compile(re.escape(str(a.employee)))).check()
    expect(page.locator(".sd-recipient-chosen").get_by_label(re.compile(re.escape(str(a.employee))))).to_be_checked()
    page.get_by_label(re.compile(r"^Kostnadsställe")).select_option(label=str(a.cost_centre))
    page.get_by_label("Eller leveransadress", exact=True).fill("Stationsgatan 2, Höör")
    page.get_by_role("button", name="Skicka för attest").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Väntar på attest")
    order = Order.objects.filter(owner=a.owner).order_by("-id").first()
    assert order is not None
    assert order.lines.count() == 1, "the emptied rows add nothing"

    # The approver follows the link in the email and approves (the worker sends it).
    send_due()
    (message,) = [m for m in mail.outbox if a.approver.email in m.to]
    link = re.search(r"https?://\S+", message.body)
    assert link is not None
    approver = new_page()
    log_in(approver, a.approver.username)
    approver.goto(link.group(0))
    check_page_basics(approver)
    approver.get_by_role("button", name="Godkänn").click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Godkänd")

    # Purchasing creates the purchase order; the supplier receives it by email.
    tech = new_page()
    log_in(tech, world.technician.username)
    tech.goto(order.get_absolute_url())
    tech.get_by_role("button", name="Skapa inköpsordrar").click()
    po = PurchaseOrder.objects.get(order=order)
    send_due()
    assert any("order@leverantor.example" in m.to for m in mail.outbox)
    tech.get_by_role("link", name=po.number).click()
    check_page_basics(tech)

    # The delivery with the serial number creates the asset, assigned to the colleague.
    tech.get_by_label(re.compile("eller enheter", re.IGNORECASE)).fill("LAP-14 SN-BROWSER-1\nDOCK-1")
    tech.get_by_role("button", name="Registrera leverans").click()
    expect(tech.get_by_role("heading", level=1)).to_contain_text("Levererad")
    asset = Asset.objects.get(serial_number="SN-BROWSER-1")
    assert asset.assigned_to_id == a.employee.pk
