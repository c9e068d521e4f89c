"""Our rule check gives the rule ids the official CEN EN 16931 and Peppol BIS Billing 3.0 rule sets
gave on the same documents (run out of band, docs/billing.md "How the documents were checked").

The expected ids below are what the official rules reported; each example is checked as an
invoice and as a credit note.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from samdrift.billing import validation
from samdrift.billing.peppol import PeppolLine, build_xml
from tests.billing.test_vat_and_rules import _doc, time_line

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def _line(amount: str, *, category: str = "S", rate: int = 25, price: str | None = None, qty: str = "1") -> PeppolLine:
    return PeppolLine(
        id="1", name="Andel", quantity=Decimal(qty), price=Decimal(price or amount), amount=Decimal(amount),
        vat_category=category, vat_rate=Decimal(rate),
    )  # fmt: skip


#: The failing examples of issue 14 and their neighbours, with the official rule ids.
EXAMPLES: dict[str, tuple[list[PeppolLine], set[str]]] = {
    "25 min at 1,100 as 0.4167 h": (
        [
            PeppolLine(
                id="1",
                name="Tid",
                quantity=Decimal("0.4167"),
                price=Decimal(1100),
                amount=Decimal("458.33"),
                unit_code="HUR",
            )
        ],
        {"PEPPOL-EN16931-R120"},
    ),
    "25 min at 1,100 per 60 min": ([time_line(1, 25, Decimal(1100))], set()),
    "standard rate 0 %": ([_line("100.00", rate=0)], {"BR-S-05", "SE-R-006"}),
    "standard rate 8 %": ([_line("100.00", rate=8)], {"SE-R-006"}),
    "0.03 off": ([_line("10.03", price="10.00")], {"PEPPOL-EN16931-R120"}),
    "0.02 off": ([_line("10.02", price="10.00")], set()),
    "negative half öre": ([_line("-0.01", price="0.005", qty="-1"), time_line(2, 60, Decimal(950))], set()),
    "exempt": ([_line("50.00", category="E", rate=0), time_line(2, 7, Decimal(850))], set()),
    "zero rated": ([_line("50.00", category="Z", rate=0)], set()),
    "outside scope beside standard": (
        [_line("50.00", category="O", rate=0), time_line(2, 7, Decimal(850))],
        {"BR-O-11", "BR-O-12"},
    ),
}


@pytest.mark.parametrize("credit", [False, True], ids=["invoice", "credit note"])
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_issues_examples_give_the_official_rule_ids(name: str, credit: bool) -> None:
    lines, expected = EXAMPLES[name]
    assert {f.rule for f in validation.findings(build_xml(_doc(lines, credit=credit)))} == expected


def _changed(xml: bytes, path: str, change: Any) -> bytes:
    root = etree.fromstring(xml)
    change(root.xpath(path, namespaces=NS)[0])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _plus(delta: str) -> Any:
    def change(el: Any) -> None:
        el.text = str(Decimal(el.text) + Decimal(delta))

    return change


def _set(text: str) -> Any:
    def change(el: Any) -> None:
        el.text = text

    return change


def _drop(el: Any) -> None:
    el.getparent().remove(el)


#: Changes to a correct document and the rule ids the official rules gave for the same change.
MUTATIONS = {
    "VAT of a rate 0.50 off (within BR-S-09/BR-CO-17's 1.00)": (
        "//cac:TaxSubtotal/cbc:TaxAmount", _plus("0.50"), {"BR-CO-14"}),
    "VAT of a rate 1.50 off": ("//cac:TaxSubtotal/cbc:TaxAmount", _plus("1.50"), {"BR-CO-14", "BR-CO-17", "BR-S-09"}),
    "taxable amount 0.50 off (within BR-S-08's 1.00)": ("//cac:TaxSubtotal/cbc:TaxableAmount", _plus("0.50"), set()),
    "amount due 0.01 off": ("//cac:LegalMonetaryTotal/cbc:PayableAmount", _plus("0.01"), {"BR-CO-16"}),
    "total with VAT 0.01 off": (
        "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", _plus("0.01"), {"BR-CO-15", "BR-CO-16"}),
    "no buyer reference": ("/*/cbc:BuyerReference", _drop, {"PEPPOL-EN16931-R003"}),
    "an empty element": ("/*/cbc:BuyerReference", _set(""), {"PEPPOL-EN16931-R008"}),
    "a wrong organisation number": (
        "//cac:AccountingCustomerParty//cbc:EndpointID", _set("2120001234"), {"PEPPOL-COMMON-R049"}),
    "8 % on a line": (
        "//cac:ClassifiedTaxCategory[cbc:ID='S']/cbc:Percent", _set("8"), {"BR-S-08", "SE-R-006"}),
    "no exemption reason": ("//cac:TaxSubtotal/cac:TaxCategory[cbc:ID='E']/cbc:TaxExemptionReasonCode", _drop, set()),
    "a 13-character VAT number": (
        "//cac:AccountingSupplierParty//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
        _set("SE55900000050"), {"SE-R-001"}),
    "F-skatt misspelt": (
        "//cac:AccountingSupplierParty//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='TAX']/cbc:CompanyID",
        _set("F-skatt"), {"SE-R-005"}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_changed_documents_give_the_official_rule_ids(name: str) -> None:
    """A document with an S line at 25 % and an exempt line (its reason code and text both given,
    so dropping the code alone still passes BR-E-10, as the official rules say)."""
    base = build_xml(_doc([time_line(1, 95, Decimal(1100)), _line("50.00", category="E", rate=0)]))
    assert validation.findings(base) == []
    path, change, expected = MUTATIONS[name]
    assert {f.rule for f in validation.findings(_changed(base, path, change))} == expected
