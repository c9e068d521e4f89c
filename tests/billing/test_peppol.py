"""Peppol BIS 3: generated Invoice and CreditNote XML satisfy the EN 16931 totals rules and the
Swedish rules of DOMAIN.md; every amount is read back from the XML, not from our own objects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from samdrift.billing.peppol import (
    CUSTOMIZATION_ID,
    PROFILE_ID,
    AllowanceCharge,
    Party,
    PeppolDocument,
    PeppolLine,
    build_xml,
)

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SELLER = Party(
    "Samdrift IT AB",
    "5590000005",
    street="Storgatan 1",
    postcode="242 30",
    city="Hörby",
    vat_number="SE559000000501",
    bankgiro="999-0001",
)
BUYER = Party("Hörby kommun", "2120001124", street="Box 1", postcode="242 21", city="Hörby")


def line(n: int, amount: str, qty: str = "1", rate: str = "25", cc: str = "1100") -> PeppolLine:
    a = Decimal(amount)
    q = Decimal(qty)
    return PeppolLine(
        id=str(n),
        name=f"Tjänst {n}",
        quantity=q,
        price=a / q,
        amount=a,
        vat_rate=Decimal(rate),
        accounting_cost=cc,
    )


def doc(**kwargs: object) -> PeppolDocument:
    base: dict = {
        "number": "2026-11-0001",
        "issue_date": date(2026, 11, 30),
        "due_date": date(2026, 12, 30),
        "buyer_reference": "HRB-1100",
        "seller": SELLER,
        "buyer": BUYER,
        "lines": (line(1, "1000.00"), line(2, "333.33", "3", cc="1200"), line(3, "0.07")),
        "period_start": date(2026, 11, 1),
        "period_end": date(2026, 11, 30),
    }
    base.update(kwargs)
    return PeppolDocument(**base)  # type: ignore[arg-type]


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def amount(root: etree._Element, path: str) -> Decimal:
    (el,) = root.xpath(path, namespaces=NS)
    text = el.text
    assert text is not None and len(text.split(".")[1]) == 2, f"{path}: {text} is not two decimals"
    assert el.get("currencyID") == "SEK"
    return Decimal(text)


def amounts(root: etree._Element, path: str) -> list[Decimal]:
    return [Decimal(e.text) for e in root.xpath(path, namespaces=NS)]


def check_rules(root: etree._Element, kind: str = "Invoice") -> None:
    """The totals rules, read from the XML alone."""
    line_el = "CreditNoteLine" if kind == "CreditNote" else "InvoiceLine"
    lmt = "/*/cac:LegalMonetaryTotal/cbc:"
    line_ext = amount(root, lmt + "LineExtensionAmount")
    tax_excl = amount(root, lmt + "TaxExclusiveAmount")
    tax_incl = amount(root, lmt + "TaxInclusiveAmount")
    payable = amount(root, lmt + "PayableAmount")
    allowances = sum(amounts(root, "/*/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount"), Decimal(0))
    charges = sum(amounts(root, "/*/cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount"), Decimal(0))
    allowance_total = amounts(root, lmt + "AllowanceTotalAmount")
    charge_total = amounts(root, lmt + "ChargeTotalAmount")
    prepaid = sum(amounts(root, lmt + "PrepaidAmount"), Decimal(0))
    rounding = sum(amounts(root, lmt + "PayableRoundingAmount"), Decimal(0))
    # BR-CO-10
    assert line_ext == sum(amounts(root, f"/*/cac:{line_el}/cbc:LineExtensionAmount"), Decimal(0))
    # BR-CO-11, BR-CO-12
    assert sum(allowance_total, Decimal(0)) == allowances
    assert sum(charge_total, Decimal(0)) == charges
    # BR-CO-13
    assert tax_excl == line_ext - allowances + charges
    # BR-CO-14
    tax = amount(root, "/*/cac:TaxTotal/cbc:TaxAmount")
    assert tax == sum(amounts(root, "/*/cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount"), Decimal(0))
    # BR-S-08: per rate, the taxable amount is the lines and allowances/charges of that rate
    for sub in root.xpath("/*/cac:TaxTotal/cac:TaxSubtotal", namespaces=NS):
        rate = sub.xpath("cac:TaxCategory/cbc:Percent/text()", namespaces=NS)[0]
        taxable = Decimal(sub.xpath("cbc:TaxableAmount/text()", namespaces=NS)[0])
        expected = sum(
            amounts(
                root,
                f"/*/cac:{line_el}[cac:Item/cac:ClassifiedTaxCategory/cbc:Percent='{rate}']/cbc:LineExtensionAmount",
            ),
            Decimal(0),
        )
        expected -= sum(
            amounts(
                root,
                f"/*/cac:AllowanceCharge[cbc:ChargeIndicator='false'][cac:TaxCategory/cbc:Percent='{rate}']/cbc:Amount",
            ),
            Decimal(0),
        )
        expected += sum(
            amounts(
                root,
                f"/*/cac:AllowanceCharge[cbc:ChargeIndicator='true'][cac:TaxCategory/cbc:Percent='{rate}']/cbc:Amount",
            ),
            Decimal(0),
        )
        assert taxable == expected
        sub_tax = Decimal(sub.xpath("cbc:TaxAmount/text()", namespaces=NS)[0])
        # BR-S-09/BR-CO-17 as published: round(taxable × rate ÷ 100 × 100) ÷ 100 with XPath's round,
        # a half towards plus infinity (-0.005 gives 0.00).
        exact = taxable * Decimal(rate) / 100 * 100 + Decimal("0.5")
        assert sub_tax == (exact.to_integral_value(rounding="ROUND_FLOOR") / 100).quantize(Decimal("0.01"))
    # BR-CO-15, BR-CO-16
    assert tax_incl == tax_excl + tax
    assert payable == tax_incl - prepaid + rounding
    # PEPPOL-EN16931-R003
    assert root.xpath("/*/cbc:BuyerReference/text()", namespaces=NS)
    # PEPPOL-EN16931-R120 (with its 0.02 slack): line net = quantity * price / base quantity
    for el in root.xpath(f"/*/cac:{line_el}", namespaces=NS):
        qty = Decimal(el.xpath("cbc:InvoicedQuantity/text()|cbc:CreditedQuantity/text()", namespaces=NS)[0])
        price = Decimal(el.xpath("cac:Price/cbc:PriceAmount/text()", namespaces=NS)[0])
        base = Decimal((el.xpath("cac:Price/cbc:BaseQuantity/text()", namespaces=NS) or ["1"])[0])
        net = Decimal(el.xpath("cbc:LineExtensionAmount/text()", namespaces=NS)[0])
        assert price >= 0  # BR-27
        assert abs(net - qty * price / base) <= Decimal("0.02")


def test_invoice_header_parties_and_payment() -> None:
    root = parse(build_xml(doc()))
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
    x = lambda p: root.xpath(p, namespaces=NS)  # noqa: E731
    assert x("/*/cbc:CustomizationID/text()") == [CUSTOMIZATION_ID]
    assert x("/*/cbc:ProfileID/text()") == [PROFILE_ID]
    assert x("/*/cbc:InvoiceTypeCode/text()") == ["380"]
    assert x("/*/cbc:BuyerReference/text()") == ["HRB-1100"]
    assert x("/*/cbc:DocumentCurrencyCode/text()") == ["SEK"]
    seller = "/*/cac:AccountingSupplierParty/cac:Party/"
    buyer = "/*/cac:AccountingCustomerParty/cac:Party/"
    assert x(seller + "cbc:EndpointID/@schemeID") == ["0007"]
    assert x(seller + "cbc:EndpointID/text()") == ["5590000005"]
    assert x(buyer + "cbc:EndpointID/@schemeID") == ["0007"]
    assert x(buyer + "cbc:EndpointID/text()") == ["2120001124"]
    assert x(seller + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID/text()") == ["SE559000000501"]
    assert x(seller + "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='TAX']/cbc:CompanyID/text()") == ["Godkänd för F-skatt"]
    assert x(seller + "cac:PartyLegalEntity/cbc:CompanyID/text()") == ["5590000005"]
    assert x("/*/cac:PaymentMeans/cbc:PaymentMeansCode/text()") == ["30"]
    assert x("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == ["9990001"]
    assert x("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID/text()") == [
        "SE:BANKGIRO"
    ]
    assert x("/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID/text()") == ["S"]
    assert x("/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent/text()") == ["25"]
    assert x("/*/cac:InvoiceLine/cbc:AccountingCost/text()") == ["1100", "1200", "1100"]


def test_invoice_amounts_read_back() -> None:
    root = parse(build_xml(doc()))
    check_rules(root)
    lmt = "/*/cac:LegalMonetaryTotal/cbc:"
    assert amount(root, lmt + "LineExtensionAmount") == Decimal("1333.40")
    assert amount(root, lmt + "TaxExclusiveAmount") == Decimal("1333.40")
    assert amount(root, "/*/cac:TaxTotal/cbc:TaxAmount") == Decimal("333.35")
    assert amount(root, lmt + "TaxInclusiveAmount") == Decimal("1666.75")
    assert amount(root, lmt + "PayableAmount") == Decimal("1666.75")
    assert amounts(root, "/*/cac:InvoiceLine/cbc:LineExtensionAmount") == [
        Decimal("1000.00"),
        Decimal("333.33"),
        Decimal("0.07"),
    ]


def test_allowances_charges_prepaid_rounding_and_two_rates() -> None:
    d = doc(
        lines=(line(1, "1000.00"), line(2, "99.99", rate="12")),
        allowance_charges=(
            AllowanceCharge(False, Decimal("100.00"), "Rabatt"),
            AllowanceCharge(True, Decimal("50.50"), "Expeditionsavgift"),
        ),
        prepaid=Decimal("200.00"),
        rounding=Decimal("-0.37"),
    )
    root = parse(build_xml(d))
    check_rules(root)
    lmt = "/*/cac:LegalMonetaryTotal/cbc:"
    assert amount(root, lmt + "AllowanceTotalAmount") == Decimal("100.00")
    assert amount(root, lmt + "ChargeTotalAmount") == Decimal("50.50")
    assert amount(root, lmt + "TaxExclusiveAmount") == Decimal("1050.49")
    # 25%: 950.50 -> 237.63 (half up); 12%: 99.99 -> 12.00
    assert amount(root, "/*/cac:TaxTotal/cbc:TaxAmount") == Decimal("249.63")
    assert amount(root, lmt + "PayableAmount") == Decimal("1050.49") + Decimal("249.63") - 200 - Decimal("0.37")


def test_credit_note() -> None:
    d = doc(is_credit_note=True, number="K-2026-0001", credited_invoice="2026-10-0001")
    root = parse(build_xml(d))
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    x = lambda p: root.xpath(p, namespaces=NS)  # noqa: E731
    assert x("/*/cbc:CreditNoteTypeCode/text()") == ["381"]
    assert x("/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()") == ["2026-10-0001"]
    assert x("/*/cac:PaymentMeans") == []  # a credit note is not paid: no payment instructions
    assert not x("/*/cbc:DueDate")
    assert len(x("/*/cac:CreditNoteLine/cbc:CreditedQuantity")) == 3
    check_rules(root, "CreditNote")


def test_negative_line_is_a_negative_quantity_at_a_positive_price() -> None:
    root = parse(build_xml(doc(lines=(line(1, "1000.00"), line(2, "-250.00", "1")))))
    check_rules(root)
    assert root.xpath("/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity/text()", namespaces=NS) == ["-1"]


money = st.decimals(min_value=Decimal("-100000"), max_value=Decimal("1000000"), places=2)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(money, st.integers(1, 500), st.sampled_from(["25", "12", "6"])),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.tuples(st.booleans(), st.decimals(min_value=0, max_value=10000, places=2)), max_size=3),
    st.decimals(min_value=0, max_value=1000, places=2),
    st.decimals(min_value=Decimal("-0.49"), max_value=Decimal("0.49"), places=2),
)
def test_totals_rules_hold_for_any_invoice(rows: list, acs: list, prepaid: Decimal, rounding: Decimal) -> None:
    lines = tuple(
        PeppolLine(str(i), f"Rad {i}", Decimal(q), (a / q).quantize(Decimal("0.000001")), a, vat_rate=Decimal(r))
        for i, (a, q, r) in enumerate(rows, start=1)
    )
    allowance_charges = tuple(AllowanceCharge(c, v, "x") for c, v in acs)
    root = parse(build_xml(doc(lines=lines, allowance_charges=allowance_charges, prepaid=prepaid, rounding=rounding)))
    check_rules(root)
