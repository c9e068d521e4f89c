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
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from samdrift.assets.models import Asset
from samdrift.billing import tasks as billing_tasks
from samdrift.billing.models import BillingJob, Invoice, PeriodStatus
from samdrift.core.outbox import send_due
from samdrift.ordering.models import Order, PurchaseOrder
from samdrift.servicedesk.models import Status
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)
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


def press(page: Page, target: Locator, key: str = "Enter") -> None:
    """Reach `target` by Tab and press a key on it (Enter follows a link or submits; Space ticks)."""
    tab_to(page, target)
    page.keyboard.press(key)


def test_laptop_order_approval_purchase_delivery_asset_by_keyboard(
    new_page: Any, world: Any, live_server: Any, settings: Any
) -> None:
    a = world.a
    settings.SAMDRIFT_BASE_URL = live_server.url
    mail.outbox.clear()

    # The orderer adds the laptop package beside its description; the focus lands on the row it filled.
    page = new_page()
    log_in(page, a.orderer.username)
    page.goto("/order/")
    press(page, page.get_by_role("button", name="Lägg i beställningen: Medarbetardator"))
    expect(page.get_by_label("Paket eller tjänst", exact=True).first).to_be_focused()
    # A recipient is found by typing and ticked with Space.
    tab_to(page, page.get_by_label(re.compile(r"^Mottagare")))
    page.keyboard.type(a.employee.last_name[:4])
    found = page.locator(".sd-recipient-results").get_by_label(re.compile(re.escape(str(a.employee))))
    press(page, found, "Space")
    expect(page.locator(".sd-recipient-chosen").get_by_label(re.compile(re.escape(str(a.employee))))).to_be_checked()
    centre = page.get_by_label(re.compile(r"^Kostnadsställe"))
    choose(page, centre, str(a.cost_centre.pk))
    tab_to(page, page.get_by_label("Eller leveransadress", exact=True))
    page.keyboard.type("Stationsgatan 2, Höör")
    press(page, page.get_by_role("button", name="Skicka för attest"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Väntar på attest")
    order = Order.objects.filter(owner=a.owner).order_by("-id").first()
    assert order is not None and order.lines.count() == 1

    # The approver opens the link of the email and approves.
    send_due()
    (message,) = [m for m in mail.outbox if a.approver.email in m.to]
    link = re.search(r"https?://\S+", message.body)
    assert link is not None
    approver = new_page()
    log_in(approver, a.approver.username)
    approver.goto(link.group(0))
    press(approver, approver.get_by_role("button", name="Godkänn"))
    expect(approver.get_by_role("heading", level=1)).to_contain_text("Godkänd")

    # Purchasing creates the purchase order, follows it, and registers the delivery with its serial.
    tech = new_page()
    log_in(tech, world.technician.username)
    tech.goto(order.get_absolute_url())
    press(tech, tech.get_by_role("button", name="Skapa inköpsordrar"))
    expect(tech.get_by_role("link", name=re.compile(r"^PO-|\d")).first).to_be_attached()
    po = PurchaseOrder.objects.get(order=order)
    press(tech, tech.get_by_role("link", name=po.number))
    tech.wait_for_url(re.compile(r"/ordering/purchase-orders/\d+/$"))
    tab_to(tech, tech.get_by_label(re.compile("eller enheter", re.IGNORECASE)))
    tech.keyboard.type("LAP-14 SN-KEYBOARD-1")
    tech.keyboard.press("Enter")  # a new line in the text area, not a submit
    tech.keyboard.type("DOCK-1")
    press(tech, tech.get_by_role("button", name="Registrera leverans"))
    expect(tech.get_by_role("heading", level=1)).to_contain_text("Levererad")

    # The delivery names the new asset; it opens by keyboard and is the colleague's.
    asset = Asset.objects.get(serial_number="SN-KEYBOARD-1")
    assert asset.assigned_to_id == a.employee.pk
    press(tech, tech.get_by_role("link", name="SN-KEYBOARD-1"))
    tech.wait_for_url(re.compile(rf"/assets/{asset.pk}/$"))
    expect(tech.locator("main")).to_contain_text(str(a.employee))


def test_billing_run_close_then_the_owner_gets_the_pdf_by_keyboard(
    new_page: Any,
    billing: Billing,  # noqa: F811
) -> None:
    w = billing.world
    period = billing.period
    finance = new_page()
    log_in(finance, w.finance.username)
    finance.goto(period.get_absolute_url())
    press(finance, finance.get_by_role("button", name="Kör fakturering (förhandsvisning)"))
    expect(finance.locator("main")).to_contain_text("Körningen är klar")
    # The run is listed in words (period, time, who), not as a number.
    expect(finance.locator("#runs-heading + ul")).to_contain_text(f"{period}, startad")
    press(finance, finance.get_by_label(re.compile("Jag har granskat förhandsvisningen")), "Space")
    press(finance, finance.get_by_role("button", name="Stäng perioden"))
    finance.wait_for_url(re.compile(r"/billing/jobs/\d+/"))
    job = BillingJob.objects.get(period=period)
    billing_tasks.close_period.call(job.pk)  # what the task worker does
    # The page polls the job; once it is done it offers the invoices, reached by keyboard.
    done = finance.get_by_role("link", name="Visa fakturorna")
    expect(done).to_be_visible(timeout=10_000)
    press(finance, done)
    finance.wait_for_url(re.compile(rf"/billing/periods/{period.pk}/"))
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED

    # The owner's viewer opens the invoice from the list and downloads its PDF by keyboard; the
    # page says that the PDF is being made and then that it is ready.
    invoice = Invoice.objects.get(period=period, owner=w.a.owner)
    owner = new_page()
    log_in(owner, w.a.viewer.username)
    owner.goto("/billing/invoices/")
    press(owner, owner.get_by_role("link", name=invoice.number))
    owner.wait_for_url(re.compile(rf"/billing/invoices/{invoice.pk}/"))
    pdf = owner.get_by_role("link", name="PDF", exact=True)
    tab_to(owner, pdf)
    with owner.expect_download() as download:
        owner.keyboard.press("Enter")
        expect(owner.locator("#pdf-status")).not_to_be_empty()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    expect(owner.locator("#pdf-status")).to_contain_text("klar")
