"""The invoice as a PDF (faktura med specifikation), in Swedish, made with WeasyPrint.

One page per invoice or credit note: seller and buyer, the lines specified per cost centre with
that cost centre's invoice reference, VAT per rate, the totals (the same figures as the Peppol
XML: `peppol.totals`), and how to pay: Bankgiro and the OCR number.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from stdnum import luhn

from samdrift.billing.models import Invoice
from samdrift.billing.outputs import _lines, _operator, peppol_document
from samdrift.billing.peppol import totals
from samdrift.billing.units import swedish_number, unit_name


def _decimals(value: Decimal) -> int:
    """The decimals a unit price really has (0.8500 → 2, 0.1234 → 4)."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def ocr_number(invoice_number: str) -> str:
    """The Bankgiro OCR reference of an invoice: its digits, a length digit and a Luhn check digit.

    Bankgirot's "hard check" (längdkontroll och checksiffra): the length digit is the full length,
    check digit included, modulo 10; the check digit is computed over everything before it.
    """
    digits = "".join(ch for ch in invoice_number if ch.isdigit())[:23] or "0"
    with_length = digits + str((len(digits) + 2) % 10)
    return with_length + luhn.calc_check_digit(with_length)


def check_ocr(reference: str) -> bool:
    """True for a well-formed OCR reference (length digit and Luhn check digit both right)."""
    if not reference.isdigit() or len(reference) < 3:
        return False
    return luhn.is_valid(reference) and int(reference[-2]) == len(reference) % 10


def _vat_text(rate: Decimal) -> str:
    """25.00 → "25", 12.50 → "12,50" (as the template filter floatformat:"-2" wrote it)."""
    return swedish_number(rate, 0 if rate == rate.to_integral() else 2)


def pdf_context(invoice: Invoice) -> dict[str, Any]:
    lines = _lines(invoice)
    doc = peppol_document(invoice, lines)
    sums = totals(doc)
    per_centre: OrderedDict[Any, dict[str, Any]] = OrderedDict()
    for line in lines:
        # Swedish text for people: unit names instead of Rec. 20 codes, "1 100,00 kr/60 min".
        line.unit_text = unit_name(line.unit_code)  # type: ignore[attr-defined]
        line.quantity_text = swedish_number(line.quantity)  # type: ignore[attr-defined]
        per = "" if line.base_quantity == 1 else f"/{swedish_number(line.base_quantity)}\u00a0{line.unit_text}"  # type: ignore[attr-defined]
        line.price_text = f"{swedish_number(line.unit_price, max(2, _decimals(line.unit_price)))}{per}"  # type: ignore[attr-defined]
        # Formatted here rather than by template filters: the same text (1 234,50), a tenth of the time.
        line.amount_text = swedish_number(line.amount, 2)  # type: ignore[attr-defined]
        line.vat_text = _vat_text(line.vat_rate) if line.vat_category == "S" else line.vat_category  # type: ignore[attr-defined]
        group = per_centre.setdefault(
            line.cost_centre, {"lines": [], "net": Decimal("0.00"), "reference": line.buyer_reference}
        )
        group["lines"].append(line)
        group["net"] += line.amount
    for group in per_centre.values():
        group["net_text"] = swedish_number(group["net"], 2)
    return {
        "invoice": invoice,
        "operator": _operator(),
        "owner": invoice.owner,
        "period": invoice.period,
        "per_centre": per_centre,
        "totals": sums,
        "ocr": invoice.ocr,  # only an issued invoice has one; a preview is PRELIMINÄR
        "preview": not invoice.is_issued,
        "payment_terms": doc.payment_terms,
    }


def render_invoice_html(invoice: Invoice) -> str:
    with translation.override("sv"):
        return render_to_string("billing/invoice_pdf.html", pdf_context(invoice))


def render_invoice_document(invoice: Invoice) -> Any:
    """The laid-out WeasyPrint document (pages and boxes), before it is written as PDF."""
    import weasyprint  # imported here: it loads pango, which only this function needs

    return weasyprint.HTML(string=render_invoice_html(invoice)).render()


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes."""
    return render_invoice_document(invoice).write_pdf()  # type: ignore[no-any-return]


def pdf_from_html(html: str) -> bytes:
    """PDF bytes laid out from the invoice HTML that `render_invoice_html` gave."""
    import weasyprint

    return weasyprint.HTML(string=html).render().write_pdf()  # type: ignore[no-any-return]


def layout_version() -> str:
    """What besides the HTML decides the PDF's bytes: the layout engine's version."""
    import weasyprint

    return f"weasyprint {weasyprint.__version__}"


def document_text(document: Any) -> str:
    """All text of a laid-out WeasyPrint document, in reading order (tests and checks)."""
    parts: list[str] = []

    def walk(box: Any) -> None:
        text = getattr(box, "text", None)
        if isinstance(text, str):
            parts.append(text)
        for child in getattr(box, "children", ()) or ():
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(parts)


WARM_UP_BODY = """<footer>Samdrift · Org.nr 556000-0000</footer><div class="head"><div><strong>Hörby</strong>
<div class="box">Hörby kommun</div></div><div><h1>FAKTURA</h1><dl><dt>Fakturanummer</dt><dd>1</dd></dl></div></div>
<h2>Kostnadsställe K1 · referens R1</h2><table class="lines"><thead><tr><th class="c-desc">Beskrivning</th>
<th class="num c-qty">Antal</th><th class="c-unit">Enhet</th><th class="num c-price">Pris</th><th class="num c-vat">Moms</th>
<th class="num c-amount">Belopp</th></tr></thead><tbody><tr><td>Klientpaket å ä ö</td><td class="num">1</td><td>st</td>
<td class="num">395,00</td><td class="num">25</td><td class="num">1 395,00</td></tr></tbody><tfoot><tr><td colspan="5">
Summa</td><td class="num">395,00</td></tr></tfoot></table><table class="totals"><tr class="pay"><td>Att betala</td>
<td class="num">493,75 SEK</td></tr></table><div class="pay-box"><div><span>Bankgiro</span><strong>123-4567</strong>
</div></div>"""


def warm_up() -> None:
    """Load WeasyPrint and its fonts once, so that the first invoice PDF a user asks for is not
    the one that pays for it (about 6 s of import and font set-up on a busy two-core machine).
    Called from BillingConfig.ready() in gunicorn and task-worker processes, before they serve.

    A one-page invoice in the invoice's own style sheet: every face (regular and bold, each size),
    the page footer, the flex, grid and table layouts are set up here and not on the first real
    invoice (a plain paragraph left half of the first invoice's extra time to it)."""
    import weasyprint

    css = render_to_string("billing/invoice_pdf.css")
    html = f'<html lang="sv"><head><meta charset="utf-8"><style>{css}</style></head><body>{WARM_UP_BODY}</body></html>'
    weasyprint.HTML(string=html).write_pdf()
