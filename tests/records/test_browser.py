"""The records officer's main flow in a real browser, in Swedish: register a request, find and add
the records, decide with masking, make the decision and download the masked PDF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from samdrift.records.models import AccessRequest
from tests.playwright_fixtures import check_page_basics, log_in

pytestmark = pytest.mark.browser


def test_request_to_masked_pdf(page: Page, rw: Any) -> None:
    log_in(page, rw.officer.username)
    nav = page.get_by_role("navigation", name="Huvudmeny")
    nav.get_by_role("button", name="Diarium").click()
    nav.get_by_role("link", name="Begäran om handling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Begäran om allmän handling")
    check_page_basics(page)
    page.get_by_role("link", name=re.compile(r"^Lägg till")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrera en begäran om allmän handling")
    check_page_basics(page)
    page.get_by_label("Vad som begärs").fill("Alla ärenden om wifi på Höörs bibliotek i oktober")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status").filter(has_text="Registrerad som SAM")).to_be_visible()
    check_page_basics(page)

    # Search across the system and add what is found.
    page.get_by_label("Sökord").fill("wifi Höör bibliotek")
    page.get_by_label("Från").fill("2025-10-01")
    page.get_by_label("Till", exact=True).fill("2025-10-31")
    page.get_by_role("button", name="Sök", exact=True).click()
    results = page.get_by_role("table", name="1 handling hittades")
    expect(results).to_contain_text(rw.wifi.number)
    expect(results).to_contain_text("Har sekretessmarkering")
    expect(results).not_to_contain_text(rw.printer.number)
    check_page_basics(page)
    page.get_by_role("button", name="Lägg till de valda handlingarna").click()
    expect(page.get_by_role("status").filter(has_text="1 handlingar tillagda")).to_be_visible()

    # Assess the record: the confidential note is shown marked, then decide on partial release.
    page.get_by_role("link", name=rw.wifi.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(rw.wifi.number)
    check_page_basics(page)
    expect(page.locator("tr.table-warning")).to_contain_text("OSL 18 kap. 8 §")
    page.get_by_label("Beslut", exact=True).select_option("partial")
    page.get_by_role("button", name="Spara beslutet").click()
    expect(page.get_by_role("status").filter(has_text="Beslutat")).to_be_visible()
    expect(page.get_by_role("table", name="Handlingar i begäran")).to_contain_text("Lämnas ut med maskering")

    page.get_by_role("button", name="Fatta beslutet").click()
    expect(page.get_by_role("status").filter(has_text="Beslutet är fattat")).to_be_visible()
    expect(page.locator("pre")).to_contain_text("Hur man överklagar")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Utlämnande (PDF)").click()
    download = download_info.value
    path = download.path()
    assert path is not None
    content = open(path, "rb").read()
    assert content.startswith(b"%PDF-") and len(content) > 1000
    assert download.suggested_filename.endswith(".pdf")
    assert AccessRequest.objects.get().status == "decided"
