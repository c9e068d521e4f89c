"""The asset import in a real browser, in Swedish: a technician uploads a supplier's delivery file,
accepts the columns the page recognised (saving them by name), reads the dry run with the wrong
row flagged, uploads the corrected file with the saved mapping, confirms, and finds the devices in
the asset list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from samdrift.assets.models import Asset, AssetImport, AssetImportMapping
from tests.playwright_fixtures import check_page_basics, log_in

pytestmark = pytest.mark.browser

DATA = Path(__file__).parent / "data"
SERIALS = ["LEV-0001", "LEV-0002", "LEV-0003"]


def required_field(label: str) -> re.Pattern[str]:
    """A required field's label: its name, a star, and "(obligatoriskt)" for screen readers."""
    return re.compile(rf"^{re.escape(label)}[\s*]*\(obligatoriskt\)$")


def test_technician_imports_a_delivery_file_after_correcting_it(new_page: Any, world: Any) -> None:
    a = world.a
    page = new_page()
    log_in(page, world.technician.username)

    # Upload the delivery file; no saved mapping yet.
    page.goto("/assets/imports/new/")
    check_page_basics(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Importera tillgångar")
    page.get_by_label(required_field("Ägare")).select_option(label=a.owner.name)
    page.get_by_label(required_field("Fil")).set_input_files(DATA / "leverans-med-fel.csv")
    page.get_by_role("button", name="Ladda upp").click()

    # The columns page offers what it recognised in the Windows-1252 file; the technician accepts
    # it and saves the choice for this supplier. Each field's label is capitalised like every other
    # label (the merged UI overhaul); the page works, only the test still looked for lower case.
    expect(page.get_by_role("heading", level=1)).to_have_text("Välj kolumner")
    check_page_basics(page)
    expect(page.get_by_label("Serienummer", exact=True)).to_have_value("Serienummer")
    expect(page.get_by_label("Modell", exact=True)).to_have_value("Modell")
    expect(page.get_by_label("Kostnadsställe", exact=True)).to_have_value("Kostnadsställe")
    expect(page.get_by_label("Inventarienummer", exact=True)).to_have_value("")  # not in the file
    page.get_by_label("Spara kolumnvalet som").fill("Leverantör AB")
    page.get_by_role("button", name="Kontrollera filen (provkörning)").click()

    # The dry run: the wrong row is flagged with its reason, and nothing can be confirmed.
    expect(page.get_by_role("heading", level=1)).to_have_text("leverans-med-fel.csv")
    check_page_basics(page)
    expect(page.get_by_role("status").filter(has_text="Kontrollerad, innehåller fel")).to_be_visible()
    flagged = page.locator("tr.table-danger")
    expect(flagged).to_have_count(1)
    expect(flagged.get_by_role("rowheader")).to_have_text("4")
    expect(flagged).to_contain_text("LEV-0003")
    expect(flagged).to_contain_text("Okänd modell ”Modell X999”")
    expect(page.get_by_role("button", name="Bekräfta importen")).to_have_count(0)
    assert not Asset.objects.filter(serial_number__in=SERIALS).exists()

    # The corrected file, with the saved mapping: checked at once, no errors.
    page.goto("/assets/imports/new/")
    page.get_by_label(required_field("Ägare")).select_option(label=a.owner.name)
    page.get_by_label(required_field("Fil")).set_input_files(DATA / "leverans-rattad.csv")
    page.get_by_label("Sparad kolumnmall").select_option(label=f"Leverantör AB ({a.owner.name})")
    page.get_by_role("button", name="Ladda upp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("leverans-rattad.csv")
    expect(page.get_by_role("status").filter(has_text="Kontrollerad, klar att importera")).to_be_visible()
    expect(page.locator("tr.table-danger")).to_have_count(0)
    report = page.get_by_role("table", name="Rapport")
    for serial in SERIALS:  # each row with what it will write
        row = report.get_by_role("row").filter(has_text=serial)
        expect(row).to_contain_text(f"kostnadsställe: {a.cost_centre.code}")
        expect(row).to_contain_text("pris (kr): 12345.50")

    page.get_by_role("button", name="Bekräfta importen").click()
    expect(page.get_by_text("Importerat: 3 nya och 0 ändrade.")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Importerad")).to_be_visible()
    batch = AssetImport.objects.get(original_filename="leverans-rattad.csv")
    assert batch.status == "committed" and batch.mapping == AssetImportMapping.objects.get(name="Leverantör AB")

    # The devices are in the asset list, for the owner, at the cost centre in the file.
    page.goto("/assets/")
    page.get_by_label("Sök", exact=True).fill("LEV-")
    table = page.locator("#results table")
    for serial in SERIALS:
        row = table.get_by_role("row").filter(has=page.get_by_role("link", name=serial, exact=True))
        expect(row).to_have_count(1)
        expect(row).to_contain_text(a.owner.name)
        expect(row).to_contain_text(re.compile(re.escape(a.cost_centre.code)))
    assert Asset.objects.filter(owner=a.owner, serial_number__in=SERIALS).count() == 3
