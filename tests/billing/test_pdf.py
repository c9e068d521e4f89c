"""The PDF invoice: Swedish, lines per cost centre with their references, VAT and totals that match
the Peppol XML, Bankgiro and a valid OCR number; downloadable by finance and by the owner's viewer
only (UI and API); a credit note says it credits the invoice."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from samdrift.billing import actions, pdf
from samdrift.billing.models import Invoice
from samdrift.core.models import AuditEvent
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)


def _swedish(amount: Any) -> str:
    """1234567.5 -> '1 234 567,50' as Django's Swedish formatting writes it (non-breaking spaces)."""
    whole, cents = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", "\xa0")
    return f"{groups},{cents}"


def test_ocr_number_has_length_and_check_digit() -> None:
    ocr = pdf.ocr_number("202611-9901")
    assert ocr.startswith("2026119901") and len(ocr) == 12
    assert ocr[-2] == "2"  # twelve digits in all
    assert pdf.check_ocr(ocr)
    broken = ocr[:-1] + str((int(ocr[-1]) + 1) % 10)
    assert not pdf.check_ocr(broken)
    assert not pdf.check_ocr("12a")


@given(st.from_regex(r"K?20[0-9]{4}-[0-9]{4}(-[0-9]{2})?", fullmatch=True))
def test_every_invoice_number_gives_a_valid_ocr(number: str) -> None:
    assert pdf.check_ocr(pdf.ocr_number(number))


def test_pdf_is_a_swedish_invoice_per_cost_centre(billing: Billing) -> None:  # noqa: F811
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    preview = Invoice.objects.select_related("owner", "period").get(period=billing.period, owner=w.a.owner)
    text = pdf.document_text(pdf.render_invoice_document(preview))
    # A preview says so and has no OCR number to pay with.
    assert "PRELIMINÄR" in text and pdf.ocr_number(preview.number) not in text and not preview.ocr
    actions.do_close_period(billing.period, actor=w.finance)
    invoice = Invoice.objects.select_related("owner", "period").get(period=billing.period, owner=w.a.owner)
    text = pdf.document_text(pdf.render_invoice_document(invoice))
    assert "PRELIMINÄR" not in text
    assert "FAKTURA" in text and invoice.number in text and "Godkänd för F-skatt" in text
    # Each cost centre with its own invoice reference, and its sum.
    assert "Kostnadsställe CC-AAAQX" in text and "referens REF-AAAQX" in text
    assert "Kostnadsställe CC-A2" in text and "referens REF-A2" in text
    assert "Summa för kostnadsstället CC-A2" in text
    # Totals and VAT as on the invoice (and so as in the Peppol XML).
    assert _swedish(invoice.net_amount) in text
    assert _swedish(invoice.vat_amount) in text
    assert _swedish(invoice.total_amount) in text
    assert "Moms 25 %" in text and "Att betala" in text
    # How to pay: Bankgiro and the OCR number.
    assert "Bankgiro" in text and "123-4567" in text
    assert invoice.ocr == pdf.ocr_number(invoice.number) and invoice.ocr in text and "OCR-nummer" in text
    data = pdf.invoice_pdf(invoice)
    assert data.startswith(b"%PDF-") and len(data) > 5000


def test_owner_viewer_downloads_own_pdf_only(billing: Billing, web: Any, api: Any) -> None:  # noqa: F811
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    mine = Invoice.objects.get(period=billing.period, owner=w.a.owner)
    other = Invoice.objects.get(period=billing.period, owner=w.b.owner)
    client = web(w.a.viewer)
    # A preview is not the owner's to see: 404 until the period is closed and it is issued.
    assert client.get(reverse("invoice_detail", args=[mine.pk])).status_code == 404
    actions.do_close_period(billing.period, actor=w.finance)
    page = client.get(reverse("invoice_detail", args=[mine.pk])).content.decode()
    assert reverse("invoice_pdf", args=[mine.pk]) in page
    response = client.get(reverse("invoice_pdf", args=[mine.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f'filename="{mine.number}.pdf"' in response["Content-Disposition"]
    assert AuditEvent.objects.filter(
        event_type="exported", object_id=str(mine.pk), owner_id=w.a.owner.pk, extra__format="pdf"
    ).exists()
    assert client.get(reverse("invoice_pdf", args=[other.pk])).status_code == 404
    assert web(w.a.orderer).get(reverse("invoice_pdf", args=[mine.pk])).status_code == 404
    viewer = api(w.a.viewer)
    response = viewer.get(f"/api/v1/billing/invoices/{mine.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert viewer.get(f"/api/v1/billing/invoices/{other.pk}/pdf/").status_code == 404


def test_credit_note_pdf_says_it_credits_the_invoice(billing: Billing) -> None:  # noqa: F811
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    actions.do_close_period(billing.period, actor=w.finance)
    invoice = Invoice.objects.get(period=billing.period, owner=w.b.owner)
    note = actions.do_credit_invoice(invoice, actor=w.finance, reason="fel pris")
    text = pdf.document_text(pdf.render_invoice_document(note))
    assert "KREDITFAKTURA" in text and note.number in text and invoice.number in text
    assert "Att kreditera" in text and "OCR-nummer" not in text
    assert _swedish(note.total_amount) in text
