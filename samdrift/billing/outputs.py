"""Documents made from invoices: Peppol XML and the XLSX specification (the SIE 4 export of a month
is `sie_export`).

Callers fetch the invoice or period through the scoped layer first; these functions only format.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import BytesIO

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from samdrift.billing.models import BillingProfile, Invoice, InvoiceLine
from samdrift.billing.peppol import Party, PeppolDocument, PeppolLine, build_xml
from samdrift.billing.units import swedish_money
from samdrift.core import cells
from samdrift.tenancy.models import Operator


def _operator() -> Operator:
    operator = Operator.objects.filter(pk=1).first()
    if operator is None:
        raise ValidationError(_("Enter the operator's details (name, organisation and VAT number, Bankgiro) first."))
    return operator


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.select_related("cost_centre").order_by("cost_centre__code", "id"))


def peppol_document(invoice: Invoice, invoice_lines: list[InvoiceLine] | None = None) -> PeppolDocument:
    """The invoice as a Peppol BIS 3 document, its lines specified per cost centre
    (`invoice_lines`: its lines as `_lines` reads them, when the caller has them already)."""
    op = _operator()
    owner = invoice.owner
    seller = Party(
        name=op.name,
        org_number=op.org_number,
        street=op.street,
        postcode=op.postcode,
        city=op.city,
        vat_number=op.vat_number,
        bankgiro=op.bankgiro,
        email=op.email,
    )
    profile = BillingProfile.objects.filter(owner_id=owner.pk).only("peppol_endpoint").first()
    buyer = Party(
        name=owner.name,
        org_number=owner.org_number,
        street=owner.invoice_street,
        postcode=owner.invoice_postcode,
        city=owner.invoice_city,
        endpoint=profile.peppol_endpoint if profile else "",
    )
    lines = tuple(
        PeppolLine(
            id=str(n),
            name=line.description[:200],
            quantity=line.quantity,
            price=line.unit_price,
            amount=line.amount,
            unit_code=line.unit_code,
            base_quantity=line.base_quantity,
            vat_rate=line.vat_rate,
            vat_category=line.vat_category,
            accounting_cost=line.cost_centre.code,
            note=_("Cost centre %(code)s %(name)s, reference %(ref)s")
            % {"code": line.cost_centre.code, "name": line.cost_centre.name, "ref": line.buyer_reference},
        )
        for n, line in enumerate(_lines(invoice) if invoice_lines is None else invoice_lines, start=1)
    )
    period = invoice.period
    credited = invoice.credited_invoice
    note = ""
    if invoice.is_credit_note:
        note = _("Credit note for invoice %(number)s. Not to be paid: %(amount)s is credited to you.") % {
            "number": credited.number if credited else "",
            "amount": swedish_money(invoice.total_amount),
        }
    return PeppolDocument(
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        buyer_reference=invoice.buyer_reference,
        seller=seller,
        buyer=buyer,
        lines=lines,
        is_credit_note=invoice.is_credit_note,
        period_start=period.first_day,
        period_end=period.last_day,
        credited_invoice=credited.number if credited else "",
        credited_issue_date=credited.issue_date if credited else None,
        note=note,
        payment_terms=_("%(days)s days net") % {"days": (invoice.due_date - invoice.issue_date).days},
        payment_id=invoice.ocr,
    )


def invoice_xml(invoice: Invoice) -> bytes:
    with translation.override("sv"):
        return build_xml(peppol_document(invoice))


def invoice_xlsx(invoice: Invoice) -> bytes:
    """The specification for the owner's ERP: every line with its cost centre, and a sum per centre."""
    with translation.override("sv"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Specification")[:31]
        headers = [
            _("Invoice"),
            _("Cost centre"),
            _("Cost centre name"),
            _("Buyer reference"),
            _("Description"),
            _("Quantity"),
            _("Unit"),
            _("Unit price"),
            _("Amount excl. VAT"),
            _("VAT rate (%)"),
            _("Account"),
            _("Source"),
            _("Source id"),
        ]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        per_centre: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for line in _lines(invoice):
            sheet.append(
                cells.xlsx_row(
                    sheet,
                    [
                        invoice.number,
                        line.cost_centre.code,
                        line.cost_centre.name,
                        line.buyer_reference,
                        line.description,
                        line.quantity,
                        line.unit_code,
                        line.unit_price,
                        line.amount,
                        line.vat_rate,
                        line.revenue_account,
                        line.source_type,
                        line.source_id,
                    ],
                )
            )
            per_centre[(line.cost_centre.code, line.cost_centre.name, line.buyer_reference)] += line.amount
        summary = workbook.create_sheet(_("Per cost centre")[:31])
        summary.append([_("Cost centre"), _("Cost centre name"), _("Buyer reference"), _("Amount excl. VAT")])
        for cell in summary[1]:
            cell.font = Font(bold=True)
        for (code, name, ref), amount in sorted(per_centre.items()):
            summary.append(cells.xlsx_row(summary, [code, name, ref, amount]))
        summary.append([_("Total"), "", "", invoice.net_amount])
        buffer = BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
