"""Peppol BIS Billing 3.0 (UBL 2.1) Invoice and CreditNote XML, built with lxml.

The input is a plain `PeppolDocument` (no database), so the same code serves the invoice page, the
API and the benchmark, and tests can check the EN 16931 totals rules on any document. Amounts are
computed here once, by `totals()`, and written with two decimals:

- BR-CO-10 LineExtensionAmount = sum of line net amounts
- BR-CO-11/12 AllowanceTotalAmount / ChargeTotalAmount = sum of document allowances / charges
- BR-CO-13 TaxExclusiveAmount = LineExtension - allowances + charges
- BR-CO-14 TaxAmount = sum of the TaxSubtotal amounts (each rounded to öre)
- BR-CO-15 TaxInclusiveAmount = TaxExclusive + TaxAmount
- BR-CO-16 PayableAmount = TaxInclusive - Prepaid + PayableRounding

Swedish rules (DOMAIN.md): EndpointID schemeID 0007 with the 10-digit organisation number (or the
owner's configured Peppol address), the seller's VAT number SE + 12 digits and "Godkänd för
F-skatt", Bankgiro as PaymentMeans code 30 with the OCR number as PaymentID. VAT categories and
exemption reasons come from `vat.py`; a credit note carries no payment instructions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from samdrift.billing.vat import VatCategory, VatSubtotal, breakdown, exemption
from samdrift.core.money import to_money

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
F_SKATT = "Godkänd för F-skatt"
ORGNR_SCHEME = "0007"


@dataclass(frozen=True)
class Party:
    """Seller (the operator) or buyer (an owner)."""

    name: str
    org_number: str  # 10 digits, no hyphen
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "SE"
    vat_number: str = ""  # seller: SE + 12 digits
    bankgiro: str = ""  # seller: 123-4567
    email: str = ""
    endpoint: str = ""  # "scheme:identifier" (the owner's Peppol address); default 0007:org_number

    @property
    def endpoint_scheme_and_id(self) -> tuple[str, str]:
        if self.endpoint and ":" in self.endpoint:
            scheme, _sep, ident = self.endpoint.partition(":")
            return scheme.strip(), ident.strip()
        return ORGNR_SCHEME, self.org_number


@dataclass(frozen=True)
class PeppolLine:
    """One invoice line: `quantity` units at `price` per `base_quantity`, net `amount` (excl. VAT)."""

    id: str
    name: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    unit_code: str = "C62"  # UN/ECE rec 20: one (piece)
    base_quantity: Decimal = Decimal(1)
    vat_rate: Decimal = Decimal(25)
    vat_category: str = VatCategory.STANDARD
    description: str = ""
    accounting_cost: str = ""  # the cost centre, so the owner's ERP can book the line
    note: str = ""
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level allowance (discount) or charge (fee), with its VAT rate."""

    is_charge: bool
    amount: Decimal
    reason: str
    vat_rate: Decimal = Decimal(25)
    vat_category: str = VatCategory.STANDARD


@dataclass(frozen=True)
class PeppolDocument:
    number: str
    issue_date: date
    due_date: date
    buyer_reference: str
    seller: Party
    buyer: Party
    lines: tuple[PeppolLine, ...]
    is_credit_note: bool = False
    currency: str = "SEK"
    note: str = ""
    period_start: date | None = None
    period_end: date | None = None
    allowance_charges: tuple[AllowanceCharge, ...] = ()
    prepaid: Decimal = Decimal(0)
    rounding: Decimal = Decimal(0)
    credited_invoice: str = ""  # credit notes: the invoice they correct (BillingReference)
    credited_issue_date: date | None = None
    payment_terms: str = ""
    payment_id: str = ""  # the OCR number printed on the PDF; empty on a preview


TaxSubtotal = VatSubtotal  # the breakdown is computed by the one VAT module


@dataclass(frozen=True)
class Totals:
    line_extension: Decimal
    allowances: Decimal
    charges: Decimal
    tax_exclusive: Decimal
    subtotals: tuple[TaxSubtotal, ...]
    tax: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal
    rounding: Decimal
    payable: Decimal


def totals(doc: PeppolDocument) -> Totals:
    """The document totals by EN 16931 (BR-CO-10..16); VAT rounded per rate (category subtotal)."""
    line_extension = sum((to_money(line.amount) for line in doc.lines), Decimal("0.00"))
    allowances = sum((to_money(a.amount) for a in doc.allowance_charges if not a.is_charge), Decimal("0.00"))
    charges = sum((to_money(a.amount) for a in doc.allowance_charges if a.is_charge), Decimal("0.00"))
    subtotals = breakdown(
        [(line.vat_category, line.vat_rate, line.amount) for line in doc.lines]
        + [
            (ac.vat_category, ac.vat_rate, to_money(ac.amount) if ac.is_charge else -to_money(ac.amount))
            for ac in doc.allowance_charges
        ]
    )
    tax_exclusive = line_extension - allowances + charges
    tax = sum((s.tax for s in subtotals), Decimal("0.00"))
    tax_inclusive = tax_exclusive + tax
    prepaid = to_money(doc.prepaid)
    rounding = to_money(doc.rounding)
    return Totals(
        line_extension=line_extension,
        allowances=allowances,
        charges=charges,
        tax_exclusive=tax_exclusive,
        subtotals=subtotals,
        tax=tax,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        rounding=rounding,
        payable=tax_inclusive - prepaid + rounding,
    )


def _m(value: Decimal) -> str:
    return f"{to_money(value):.2f}"


def _rate(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _price(value: Decimal) -> str:
    """A unit price at its real precision: at least two decimals, no trailing zeros beyond."""
    value = Decimal(value)
    text = format(value.normalize(), "f") if value != value.to_integral() else format(value, "f")
    if "." not in text:
        return f"{text}.00"
    whole, decimals = text.split(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _qty(value: Decimal) -> str:
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Builder:
    def __init__(self, root: etree._Element, currency: str) -> None:
        self.root = root
        self.currency = currency

    def cbc(self, parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{NS_CBC}}}{tag}", **attrs)
        if text is not None:
            el.text = text
        return el

    def cac(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")

    def money(self, parent: etree._Element, name: str, value: Decimal) -> etree._Element:
        return self.cbc(parent, name, _m(value), currencyID=self.currency)

    def tax_category(
        self, parent: etree._Element, name: str, category: str, rate: Decimal, *, reason: bool = False
    ) -> None:
        """A TaxCategory: O has no rate (BR-O-05), E/Z/O 0 %; the exemption reason only in the
        breakdown (BT-120/121), where E and O must have it and S and Z must not."""
        cat = self.cac(parent, name)
        self.cbc(cat, "ID", category)
        if category != VatCategory.OUTSIDE:
            self.cbc(cat, "Percent", _rate(rate if category == VatCategory.STANDARD else Decimal(0)))
        code, text = exemption(category)
        if reason and code:
            self.cbc(cat, "TaxExemptionReasonCode", code)
            self.cbc(cat, "TaxExemptionReason", text)
        self.cbc(self.cac(cat, "TaxScheme"), "ID", "VAT")

    def period(self, parent: etree._Element, start: date | None, end: date | None) -> None:
        if start or end:
            period = self.cac(parent, "InvoicePeriod")
            if start:
                self.cbc(period, "StartDate", start.isoformat())
            if end:
                self.cbc(period, "EndDate", end.isoformat())

    def party(self, parent: etree._Element, name: str, p: Party, *, seller: bool, with_vat: bool = True) -> None:
        party = self.cac(self.cac(parent, name), "Party")
        scheme_id, endpoint = p.endpoint_scheme_and_id
        self.cbc(party, "EndpointID", endpoint, schemeID=scheme_id)
        ident = self.cac(party, "PartyIdentification")
        self.cbc(ident, "ID", p.org_number, schemeID=ORGNR_SCHEME)
        self.cbc(self.cac(party, "PartyName"), "Name", p.name)
        address = self.cac(party, "PostalAddress")
        if p.street:
            self.cbc(address, "StreetName", p.street)
        if p.city:
            self.cbc(address, "CityName", p.city)
        if p.postcode:
            self.cbc(address, "PostalZone", p.postcode)
        self.cbc(self.cac(address, "Country"), "IdentificationCode", p.country)
        if p.vat_number and with_vat:  # BR-O-02: not on an invoice outside the scope of VAT
            scheme = self.cac(party, "PartyTaxScheme")
            self.cbc(scheme, "CompanyID", p.vat_number)
            self.cbc(self.cac(scheme, "TaxScheme"), "ID", "VAT")
        if seller:
            scheme = self.cac(party, "PartyTaxScheme")
            self.cbc(scheme, "CompanyID", F_SKATT)
            self.cbc(self.cac(scheme, "TaxScheme"), "ID", "TAX")
        legal = self.cac(party, "PartyLegalEntity")
        self.cbc(legal, "RegistrationName", p.name)
        self.cbc(legal, "CompanyID", p.org_number, schemeID=ORGNR_SCHEME)
        if p.email:
            self.cbc(self.cac(party, "Contact"), "ElectronicMail", p.email)


def build_xml(doc: PeppolDocument) -> bytes:
    """The UBL document as UTF-8 bytes with an XML declaration."""
    ns = NS_CREDIT_NOTE if doc.is_credit_note else NS_INVOICE
    root_name = "CreditNote" if doc.is_credit_note else "Invoice"
    root = etree.Element(f"{{{ns}}}{root_name}", nsmap={None: ns, "cac": NS_CAC, "cbc": NS_CBC})
    b = _Builder(root, doc.currency)
    t = totals(doc)
    b.cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    b.cbc(root, "ProfileID", PROFILE_ID)
    b.cbc(root, "ID", doc.number)
    b.cbc(root, "IssueDate", doc.issue_date.isoformat())
    if doc.is_credit_note:
        b.cbc(root, "CreditNoteTypeCode", "381")
    else:
        b.cbc(root, "DueDate", doc.due_date.isoformat())
        b.cbc(root, "InvoiceTypeCode", "380")
    if doc.note:
        b.cbc(root, "Note", doc.note)
    b.cbc(root, "DocumentCurrencyCode", doc.currency)
    b.cbc(root, "BuyerReference", doc.buyer_reference)
    b.period(root, doc.period_start, doc.period_end)
    if doc.credited_invoice:
        ref = b.cac(b.cac(root, "BillingReference"), "InvoiceDocumentReference")
        b.cbc(ref, "ID", doc.credited_invoice)
        if doc.credited_issue_date:
            b.cbc(ref, "IssueDate", doc.credited_issue_date.isoformat())
    outside = any(s.category == VatCategory.OUTSIDE for s in t.subtotals)
    b.party(root, "AccountingSupplierParty", doc.seller, seller=True, with_vat=not outside)
    b.party(root, "AccountingCustomerParty", doc.buyer, seller=False)
    if not doc.is_credit_note:  # a credit note is not paid: no payment instructions
        means = b.cac(root, "PaymentMeans")
        b.cbc(means, "PaymentMeansCode", "30", name="Bankgiro")
        if doc.payment_id:
            b.cbc(means, "PaymentID", doc.payment_id)
        if doc.seller.bankgiro:
            account = b.cac(means, "PayeeFinancialAccount")
            b.cbc(account, "ID", doc.seller.bankgiro.replace("-", ""))
            b.cbc(b.cac(account, "FinancialInstitutionBranch"), "ID", "SE:BANKGIRO")
        if doc.payment_terms:
            b.cbc(b.cac(root, "PaymentTerms"), "Note", doc.payment_terms)
    for ac in doc.allowance_charges:
        el = b.cac(root, "AllowanceCharge")
        b.cbc(el, "ChargeIndicator", "true" if ac.is_charge else "false")
        b.cbc(el, "AllowanceChargeReason", ac.reason)
        b.money(el, "Amount", ac.amount)
        b.tax_category(el, "TaxCategory", ac.vat_category, ac.vat_rate)
    tax_total = b.cac(root, "TaxTotal")
    b.money(tax_total, "TaxAmount", t.tax)
    for sub in t.subtotals:
        el = b.cac(tax_total, "TaxSubtotal")
        b.money(el, "TaxableAmount", sub.taxable)
        b.money(el, "TaxAmount", sub.tax)
        b.tax_category(el, "TaxCategory", sub.category, sub.rate, reason=True)
    lmt = b.cac(root, "LegalMonetaryTotal")
    b.money(lmt, "LineExtensionAmount", t.line_extension)
    b.money(lmt, "TaxExclusiveAmount", t.tax_exclusive)
    b.money(lmt, "TaxInclusiveAmount", t.tax_inclusive)
    if doc.allowance_charges:
        b.money(lmt, "AllowanceTotalAmount", t.allowances)
        b.money(lmt, "ChargeTotalAmount", t.charges)
    if t.prepaid:
        b.money(lmt, "PrepaidAmount", t.prepaid)
    if t.rounding:
        b.money(lmt, "PayableRoundingAmount", t.rounding)
    b.money(lmt, "PayableAmount", t.payable)
    line_name, qty_name = (
        ("CreditNoteLine", "CreditedQuantity") if doc.is_credit_note else ("InvoiceLine", "InvoicedQuantity")
    )
    for line in doc.lines:
        el = b.cac(root, line_name)
        b.cbc(el, "ID", line.id)
        if line.note:
            b.cbc(el, "Note", line.note)
        quantity, unit_price = Decimal(line.quantity), Decimal(line.price)
        if unit_price < 0:  # BR-27: the price is never negative; a credit is a negative quantity
            quantity, unit_price = -quantity, -unit_price
        b.cbc(el, qty_name, _qty(quantity), unitCode=line.unit_code)
        b.money(el, "LineExtensionAmount", line.amount)
        if line.accounting_cost:
            b.cbc(el, "AccountingCost", line.accounting_cost)
        b.period(el, line.period_start, line.period_end)
        item = b.cac(el, "Item")
        if line.description:
            b.cbc(item, "Description", line.description)
        b.cbc(item, "Name", line.name)
        b.tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        price = b.cac(el, "Price")
        b.cbc(price, "PriceAmount", _price(unit_price), currencyID=doc.currency)
        if Decimal(line.base_quantity) != 1:
            b.cbc(price, "BaseQuantity", _qty(line.base_quantity), unitCode=line.unit_code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
