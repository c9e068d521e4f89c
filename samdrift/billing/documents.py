"""Issued documents (utställda fakturor): rendered, checked and stored once, served as stored.

A preview (an open period's invoice) is marked PRELIMINÄR and has no OCR number. Its PDF is kept
with the SHA-256 of the HTML it was laid out from (`InvoicePreview`): a download renders the HTML
(milliseconds) and serves the kept PDF when the HTML is the same, and lays it out again (seconds for
hundreds of lines) only when something on it changed. The worker lays out every preview of a
period after its billing run (`tasks.render_previews`), so finance rarely waits for one. Issuing an invoice dates it, gives it its OCR number, renders its Peppol XML and PDF,
checks the XML against the UBL schema and every rule set in `data/schematron`, and stores both
files with their SHA-256 (`InvoiceDocument`): downloads serve those bytes ever after, so a changed
address or cost centre never changes a sent invoice.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.billing import validation
from samdrift.billing.models import BillingProfile, Invoice, InvoiceDocument, InvoicePreview


def payment_days(invoice: Invoice) -> int:
    profile = BillingProfile.objects.filter(owner_id=invoice.owner_id).only("payment_days").first()
    return profile.payment_days if profile else 30


def check_invoice(invoice: Invoice) -> list[validation.Finding]:
    """Render the invoice's XML as it stands and check it; store the findings on the invoice."""
    from samdrift.billing.outputs import invoice_xml

    found = validation.findings(invoice_xml(invoice))
    invoice.problems = [f.as_dict() for f in found]
    invoice.checked_at = timezone.now()
    invoice.save(update_fields=["problems", "checked_at"])
    return found


def _as_issued(invoice: Invoice, day: date) -> None:
    """Set (in memory) what issuing on `day` sets: the dates, the OCR number, the issue time."""
    from samdrift.billing.pdf import ocr_number

    invoice.issue_date = day
    invoice.due_date = day if invoice.is_credit_note else day + timedelta(days=payment_days(invoice))
    invoice.ocr = "" if invoice.is_credit_note else ocr_number(invoice.number)
    invoice.issued_at = timezone.now()


def render_for_issue(invoice: Invoice, day: date) -> tuple[bytes, list[validation.Finding]]:
    """The PDF the invoice will be issued with on `day`, and its XML's findings; writes nothing.

    Closing a period in the background renders every PDF (the slow part) this way first, with
    its progress shown, and then issues them all in one short transaction (`issue(..., pdf=)`).
    """
    from samdrift.billing.outputs import invoice_xml
    from samdrift.billing.pdf import invoice_pdf

    if invoice.is_issued:
        raise ValidationError(_("%(invoice)s is already issued.") % {"invoice": invoice})
    _as_issued(invoice, day)
    return invoice_pdf(invoice), validation.findings(invoice_xml(invoice))


def issue(invoice: Invoice, day: date, *, pdf: bytes | None = None) -> InvoiceDocument:
    """Date the invoice `day` (due date counted from it), give it its OCR number, render, check
    and store its XML and PDF (`pdf`: rendered before by `render_for_issue` for the same day).
    Raises ValidationError naming the failed rules; the caller's transaction then leaves
    everything as it was."""
    from samdrift.billing.outputs import invoice_xml
    from samdrift.billing.pdf import invoice_pdf

    if invoice.is_issued:
        raise ValidationError(_("%(invoice)s is already issued.") % {"invoice": invoice})
    _as_issued(invoice, day)
    xml = invoice_xml(invoice)
    found = validation.findings(xml)
    invoice.problems = [f.as_dict() for f in found]
    invoice.checked_at = invoice.issued_at
    if found:
        raise ValidationError(
            _("%(invoice)s fails %(rules)s; nothing was issued.")
            % {"invoice": invoice, "rules": ", ".join(sorted({f.rule for f in found}))}
        )
    invoice.save(update_fields=["issue_date", "due_date", "ocr", "issued_at", "problems", "checked_at"])
    if pdf is None:
        pdf = invoice_pdf(invoice)
    InvoicePreview.objects.filter(invoice_id=invoice.pk).delete()  # the issued document replaces it
    return InvoiceDocument.objects.create(
        invoice=invoice,
        owner_id=invoice.owner_id,
        xml=xml,
        pdf=pdf,
        xml_sha256=hashlib.sha256(xml).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        rules=validation.rule_set_names()[:500],
    )


def stored(invoice: Invoice) -> InvoiceDocument | None:
    return InvoiceDocument.objects.filter(invoice_id=invoice.pk).first()


def xml_bytes(invoice: Invoice) -> bytes:
    """The stored XML of an issued invoice, or a preview rendered now."""
    from samdrift.billing.outputs import invoice_xml

    document = stored(invoice)
    return bytes(document.xml) if document else invoice_xml(invoice)


def pdf_bytes(invoice: Invoice) -> bytes:
    """The stored PDF of an issued invoice, or its preview (PRELIMINÄR, no OCR number)."""
    document = stored(invoice)
    return bytes(document.pdf) if document else preview_pdf(invoice)


def preview_pdf(invoice: Invoice) -> bytes:
    """The preview PDF of an invoice not yet issued: the kept one when the invoice's HTML is what it
    was laid out from, else laid out now and kept (replacing the old one)."""
    return _preview(invoice)[0]


def _preview(invoice: Invoice) -> tuple[bytes, bool]:
    """The preview's bytes, and whether they were laid out now (False: the kept ones)."""
    from samdrift.billing.pdf import layout_version, pdf_from_html, render_invoice_html

    html = render_invoice_html(invoice)
    key = hashlib.sha256(f"{layout_version()}\n{html}".encode()).hexdigest()
    kept = InvoicePreview.objects.filter(invoice_id=invoice.pk, html_sha256=key).values_list("pdf", flat=True).first()
    if kept is not None:
        return bytes(kept), False
    pdf = pdf_from_html(html)
    _keep_preview(invoice, key, pdf)
    return pdf, True


def _keep_preview(invoice: Invoice, key: str, pdf: bytes) -> None:
    """Keep a laid-out preview (a cache of the layout, not a change anyone made: no audit event).
    Two processes laying out the same invoice at once both keep theirs; the last one stays."""
    try:
        with transaction.atomic():
            updated = InvoicePreview.objects.filter(invoice_id=invoice.pk).update(
                html_sha256=key, pdf=pdf, created=timezone.now()
            )
            if not updated:
                InvoicePreview.objects.create(
                    invoice_id=invoice.pk, owner_id=invoice.owner_id, html_sha256=key, pdf=pdf
                )
    except IntegrityError:  # the other process created it first; its bytes are as good
        pass


def render_previews(invoices: list[Invoice]) -> int:
    """Lay out the preview PDF of each invoice not yet issued whose kept one is missing or stale;
    the number laid out."""
    laid_out = 0
    for invoice in invoices:
        if invoice.is_issued:
            continue
        try:
            laid_out += _preview(invoice)[1]
        except ValidationError:  # e.g. no operator details yet: the download says so when asked
            continue
    return laid_out
