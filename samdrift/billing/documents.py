"""Issued documents (utställda fakturor): rendered, checked and stored once, served as stored.

A preview (an open period's invoice) is rendered on each download, marked PRELIMINÄR and without
an OCR number. Issuing an invoice dates it, gives it its OCR number, renders its Peppol XML and PDF,
checks the XML against the UBL schema and every rule set in `data/schematron`, and stores both
files with their SHA-256 (`InvoiceDocument`): downloads serve those bytes ever after, so a changed
address or cost centre never changes a sent invoice.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.billing import validation
from samdrift.billing.models import BillingProfile, Invoice, InvoiceDocument


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
    """The stored PDF of an issued invoice, or a preview (PRELIMINÄR, no OCR) rendered now."""
    from samdrift.billing.pdf import invoice_pdf

    document = stored(invoice)
    return bytes(document.pdf) if document else invoice_pdf(invoice)
