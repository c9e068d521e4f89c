"""The take-back flow in a real browser, in Swedish, as a technician: a batch is created, laptops
of two owners are packed by scanning their labels, the pickup is ordered, picked up and received,
the partner's CSV is uploaded, the dry run's exceptions are resolved and the report applied; the
asset page then shows the certificate, and the owner's viewer sees the CO2e on the climate page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from samdrift.circular.models import Batch, Certificate, ReportLine
from tests.browser.conftest import check_page_basics, log_in
from tests.circular.samples.make_samples import NOT_ERASED, A
from tests.circular.test_takeback import _forty

pytestmark = pytest.mark.browser
SAMPLE = Path(__file__).resolve().parent / "samples" / "partner_report.csv"


def test_a_technician_takes_back_forty_laptops(page: Page, world: Any) -> None:
    a_assets, b_assets, _site = _forty(world)
    log_in(page, world.technician.username)
    menu = page.get_by_role("navigation", name="Huvudmeny")
    menu.get_by_role("button", name="Tillgångar").click()
    menu.get_by_role("link", name="Återtagsomgångar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Återtagsomgångar")
    check_page_basics(page)

    # A new batch for the partner.
    page.goto("/circular/batches/new/")
    page.get_by_label("Partner").select_option(label="Cirkulär IT Partner AB")
    page.get_by_label("Hämtadress").fill("Kommunhuset, godsmottagningen")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ÅT-")
    check_page_basics(page)
    batch = Batch.objects.order_by("-id").first()
    assert batch is not None

    # Packed by scanning: every label one per line, into one box under one seal.
    page.get_by_label("Skannade etiketter").fill("\n".join(a.asset_tag for a in a_assets + b_assets))
    page.get_by_label("Kartong").fill("K1")
    page.get_by_label("Plomb").fill("S-100")
    page.get_by_role("button", name="Packa de skannade enheterna").click()
    expect(page.locator("main .alert").first).to_contain_text("40 enheter packade")
    expect(page.get_by_role("heading", name=re.compile(r"Enheter \(40\)"))).to_be_visible()

    # Pickup ordered, picked up, received.
    page.get_by_role("button", name="Skicka hämtningsordern").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hämtning beställd")
    page.get_by_role("button", name="Markera som hämtad").click()
    page.get_by_role("button", name="Markera som mottagen av partnern").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mottagen av partnern")

    # The partner's report: uploaded, checked, three exceptions.
    page.get_by_label("Partnerns rapport (CSV eller XLSX)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Ladda upp rapporten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("partner_report.csv")
    expect(page.get_by_role("heading", name="Avvikelser att hantera innan rapporten tillämpas")).to_be_visible()
    check_page_basics(page)
    expect(page.locator("#open-count")).to_have_text("3")
    expect(page.get_by_role("button", name="Tillämpa rapporten")).to_have_count(0)

    # Resolved one by one (the not-erased laptop raises an incident; its only choice).
    for line in ReportLine.objects.filter(report__batch=batch, report__filename="partner_report.csv").exclude(
        problem=""
    ):
        page.get_by_role("button", name=f"Hantera {line.serial_number}").click()
    expect(page.locator("#open-count")).to_have_text("0")
    page.get_by_role("button", name="Tillämpa rapporten").click()
    expect(page.get_by_text("Rapporten tillämpades.")).to_be_visible()
    expect(page.get_by_role("heading", name="Krediteringar av restvärde")).to_be_visible()

    # The asset page shows the certificate; the laptop that was not erased has none.
    first = next(a for a in a_assets if a.serial_number == A[0])
    cert = Certificate.objects.get(asset=first)
    page.goto(f"/assets/{first.pk}/")
    expect(page.get_by_role("region", name="Återtag")).to_contain_text(cert.number)
    failed = next(a for a in b_assets if a.serial_number == NOT_ERASED)
    page.goto(f"/assets/{failed.pk}/")
    expect(page.get_by_role("region", name="Återtag")).to_contain_text("Inget ännu")

    # Owner A's viewer: the climate page, with factor and source, and nothing of owner B.
    viewer = page.context.browser.new_context(base_url=page.url.split("/assets")[0], locale="sv-SE").new_page()  # type: ignore[union-attr]
    log_in(viewer, world.a.viewer.username)
    viewer.goto("/circular/climate/")
    check_page_basics(viewer)
    expect(viewer.get_by_role("heading", level=1)).to_have_text("Återtag och klimat")
    expect(viewer.locator("main")).to_contain_text("Inrego")
    expect(viewer.locator("main")).not_to_contain_text(world.b.owner.name)
    viewer.context.close()
