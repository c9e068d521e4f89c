"""Our Peppol BIS 3 invoices and credit notes pass the UBL 2.1 schema and the Schematron rules in
samdrift/billing/data/schematron (run with saxonche); broken documents fail with the right rule."""

from __future__ import annotations

from lxml import etree

from samdrift.billing import actions, outputs, validation
from samdrift.billing.models import Invoice
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


def _rules(xml: bytes) -> set[str]:
    return {f.rule for f in validation.schematron_failures(xml) if f.is_fatal}


def _closed_period_with_credit_note(billing: Billing) -> tuple[list[Invoice], Invoice]:  # noqa: F811
    w = billing.world
    actions.do_run_billing(billing.period, actor=w.finance)
    actions.do_close_period(billing.period, actor=w.finance)
    invoices = list(Invoice.objects.filter(period=billing.period).select_related("owner", "period"))
    note = actions.do_credit_invoice(invoices[0], actor=w.finance, reason="test")
    return invoices, note


def test_rule_files_are_there() -> None:
    names = [p.name for p in validation.rule_files()]
    assert "samdrift-en16931-core.xslt" in names


def test_our_invoices_and_credit_notes_are_valid(billing: Billing) -> None:  # noqa: F811
    invoices, note = _closed_period_with_credit_note(billing)
    assert len(invoices) == 3
    for document in [*invoices, note]:
        xml = outputs.invoice_xml(document)
        assert validation.xsd_errors(xml) == [], document.number
        assert validation.check_document(xml) == [], document.number
    root = etree.fromstring(outputs.invoice_xml(note))
    assert etree.QName(root).localname == "CreditNote"


def _broken(xml: bytes, path: str, value: str) -> bytes:
    root = etree.fromstring(xml)
    el = root.find(path, {"cbc": CBC, "cac": CAC})
    assert el is not None
    el.text = value
    return etree.tostring(root)


def test_wrong_totals_fail_their_br_co_rules(billing: Billing) -> None:  # noqa: F811
    invoices, _note = _closed_period_with_credit_note(billing)
    xml = outputs.invoice_xml(invoices[1])
    assert _rules(xml) == set()
    # A line total that is not the sum of the lines (and so TaxExclusive no longer follows from it).
    broken = _broken(xml, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount", "1.00")
    assert {"BR-CO-10", "BR-CO-13"} <= _rules(broken)
    # VAT total that is not the sum of its subtotals.
    broken = _broken(xml, "cac:TaxTotal/cbc:TaxAmount", "0.01")
    assert _rules(broken) == {"BR-CO-14", "BR-CO-15"}  # the total with VAT builds on it
    # An amount due that is not the total with VAT.
    broken = _broken(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount", "0.00")
    assert _rules(broken) == {"BR-CO-16"}
    # VAT of a rate computed wrongly.
    broken = _broken(xml, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "3.00")
    assert {"BR-S-09", "BR-CO-14"} <= _rules(broken)
    failure = next(f for f in validation.schematron_failures(broken) if f.rule == "BR-S-09")
    assert failure.is_fatal and "TaxSubtotal" in failure.location and "BR-S-09" in failure.text


def test_missing_buyer_reference_and_lines_fail(billing: Billing) -> None:  # noqa: F811
    invoices, _note = _closed_period_with_credit_note(billing)
    root = etree.fromstring(outputs.invoice_xml(invoices[0]))
    root.remove(root.find(f"{{{CBC}}}BuyerReference"))
    for line in root.findall(f"{{{CAC}}}InvoiceLine"):
        root.remove(line)
    rules = _rules(etree.tostring(root))
    assert {"PEPPOL-EN16931-R003", "BR-16"} <= rules


def test_schema_finds_elements_out_of_order(billing: Billing) -> None:  # noqa: F811
    invoices, _note = _closed_period_with_credit_note(billing)
    root = etree.fromstring(outputs.invoice_xml(invoices[0]))
    issue_date = root.find(f"{{{CBC}}}IssueDate")
    root.remove(issue_date)
    root.append(issue_date)  # IssueDate after the lines: not UBL
    errors = validation.xsd_errors(etree.tostring(root))
    assert errors and "IssueDate" in errors[0]
    assert any(p.startswith("UBL 2.1:") for p in validation.check_document(etree.tostring(root)))


def test_other_root_is_refused() -> None:
    assert validation.xsd_errors(b"<Order/>") == ["the root element is Order, not Invoice or CreditNote"]
