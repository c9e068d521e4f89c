"""Validation of our Peppol BIS 3 UBL output: the UBL 2.1 schema and Schematron rules.

- `xsd_errors`: the OASIS UBL 2.1 Invoice and CreditNote schemas (data/ubl-2.1, unchanged), with
  lxml: element order, types, required elements.
- `schematron_failures`: every compiled Schematron XSLT in data/schematron (SVRL output), run with
  saxonche (XSLT 2.0/3.0; lxml cannot run these). data/schematron/README.md lists what is there
  and where the official CEN EN 16931 and Peppol BIS Billing 3.0 XSLT files go.

`check_document` runs both and returns the fatal findings; an empty list means valid.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from lxml import etree

DATA = Path(__file__).resolve().parent / "data"
UBL_DIR = DATA / "ubl-2.1" / "maindoc"
SCHEMATRON_DIR = DATA / "schematron"
SVRL = "http://purl.oclc.org/dsdl/svrl"
NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"


@dataclass(frozen=True)
class Failure:
    """One failed assertion (or successful report) of a Schematron rule."""

    rule: str
    flag: str  # fatal or warning
    text: str
    location: str
    source: str  # the XSLT file that reported it

    @property
    def is_fatal(self) -> bool:
        return self.flag in ("fatal", "error")


@cache
def _schema(root_name: str) -> etree.XMLSchema:
    name = "UBL-Invoice-2.1.xsd" if root_name == "Invoice" else "UBL-CreditNote-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(UBL_DIR / name)))


def xsd_errors(xml: bytes) -> list[str]:
    """UBL 2.1 schema errors of an Invoice or CreditNote ("line N: message"), or []."""
    doc = etree.fromstring(xml)
    root_name = etree.QName(doc).localname
    if root_name not in ("Invoice", "CreditNote"):
        return [f"the root element is {root_name}, not Invoice or CreditNote"]
    schema = _schema(root_name)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]


def rule_files() -> list[Path]:
    """The compiled Schematron stylesheets in use, in name order."""
    return sorted([*SCHEMATRON_DIR.glob("*.xslt"), *SCHEMATRON_DIR.glob("*.xsl")])


# SaxonC keeps one Java-free processor per process; compiled stylesheets are reused. Its objects
# are not thread-safe, so one lock serialises validation (it is used in tests and by finance).
_lock = threading.Lock()
_state: dict[str, Any] = {}


def _executable(path: Path) -> Any:
    from saxonche import PySaxonProcessor  # imported here: it starts the Saxon runtime

    if "processor" not in _state:
        _state["processor"] = PySaxonProcessor(license=False)
        _state["compiled"] = {}
    compiled: dict[Path, Any] = _state["compiled"]
    if path not in compiled:
        xslt = _state["processor"].new_xslt30_processor()
        compiled[path] = xslt.compile_stylesheet(stylesheet_file=str(path))
    return compiled[path]


def schematron_failures(xml: bytes, files: list[Path] | None = None) -> list[Failure]:
    """Run each compiled Schematron XSLT on the document and collect its SVRL findings."""
    failures: list[Failure] = []
    with _lock:
        for path in files if files is not None else rule_files():
            executable = _executable(path)
            node = _state["processor"].parse_xml(xml_text=xml.decode("utf-8"))
            svrl = executable.transform_to_string(xdm_node=node)
            report = etree.fromstring(svrl.encode("utf-8"))
            for el in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
                text = " ".join("".join(el.itertext()).split())
                failures.append(
                    Failure(
                        rule=el.get("id", ""),
                        flag=el.get("flag", "fatal"),
                        text=text,
                        location=el.get("location", ""),
                        source=path.name,
                    )
                )
    return failures


def check_document(xml: bytes) -> list[str]:
    """Schema errors and fatal Schematron failures of one document; [] when it is valid."""
    problems = [f"UBL 2.1: {e}" for e in xsd_errors(xml)]
    problems += [f"{f.rule}: {f.text} ({f.location})" for f in schematron_failures(xml) if f.is_fatal]
    return problems


# --- findings for people: which rule, which line, in Swedish ----------------------------------

_LINE = re.compile(r"(?:InvoiceLine|CreditNoteLine)\[(\d+)\]")

#: What the rules Samdrift's documents are most likely to break mean, for finance staff.
RULE_TEXTS = {
    "PEPPOL-EN16931-R120": _("The line amount is not quantity × price ÷ base quantity (tolerance 0.02)."),
    "BR-S-05": _("A standard-rated (S) line must have a VAT rate above zero."),
    "SE-R-006": _("A Swedish seller's standard rate must be 25, 12 or 6 %."),
    "BR-E-10": _("An exempt (E) VAT breakdown needs an exemption reason."),
    "BR-O-02": _("An invoice outside the scope of VAT (O) may not carry a VAT number."),
    "BR-O-11": _("An invoice outside the scope of VAT (O) may not contain other VAT categories."),
    "BR-CO-10": _("The sum of the line amounts does not match the invoice total."),
    "BR-CO-14": _("The VAT total is not the sum of the VAT per category."),
    "BR-CO-15": _("The total incl. VAT is not the total excl. VAT plus VAT."),
    "BR-CO-16": _("The amount to pay is not the total incl. VAT less prepaid amounts."),
    "BR-S-08": _("The taxable amount of a VAT rate is not the sum of its lines."),
    "BR-S-09": _("The VAT of a rate is not its taxable amount × the rate."),
    "PEPPOL-COMMON-R049": _("The organisation number (scheme 0007) is not a valid Swedish organisation number."),
}


@dataclass(frozen=True)
class Finding:
    """One failed rule of a document: the rule id, the line number (0: the whole document) and
    what it means (in Swedish by default), with the rule's own text."""

    rule: str
    line: int
    text: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "line": self.line, "text": self.text, "source": self.source}


def findings(xml: bytes) -> list[Finding]:
    """The schema errors and fatal rule failures of a document, each with its line."""
    result = [Finding("UBL 2.1", 0, e, "xsd") for e in xsd_errors(xml)]
    for failure in schematron_failures(xml):
        if not failure.is_fatal:
            continue
        match = _LINE.search(failure.location)
        explained = RULE_TEXTS.get(failure.rule)
        text = f"{explained} ({failure.text})" if explained else failure.text
        result.append(Finding(failure.rule, int(match.group(1)) if match else 0, str(text), failure.source))
    return result


def rule_set_names() -> str:
    """The rule files in use, for the record of what an issued document was checked with."""
    return ", ".join(["UBL-2.1-xsd", *(p.name for p in rule_files())])
