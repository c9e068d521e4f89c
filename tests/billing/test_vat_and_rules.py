"""VAT categories, PEPPOL-EN16931-R120 by construction and our rule check against the published
rules: generated documents over minute totals 1–600 at every demo rate, every VAT category,
negative amounts and credit notes (hypothesis), and the failing examples of issue 14."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from samdrift.billing import demo, validation, vat
from samdrift.billing.models import BillingProfile
from samdrift.billing.peppol import PeppolDocument, PeppolLine, build_xml, totals
from samdrift.billing.units import swedish_money, swedish_number
from samdrift.core.models import AuditEvent
from samdrift.core.money import to_money
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)
from tests.billing.test_peppol import BUYER, SELLER

RATES = sorted({Decimal(rate) for _type, rate in demo.WORK_RATES} | {Decimal(600), Decimal(1250)})


def _rules(xml: bytes) -> set[str]:
    return {f.rule for f in validation.findings(xml)}


def _doc(lines: list[PeppolLine], *, credit: bool = False) -> PeppolDocument:
    return PeppolDocument(
        number="202611-0180",
        issue_date=date(2026, 12, 1),
        due_date=date(2026, 12, 31),
        buyer_reference="REF-1",
        seller=SELLER,
        buyer=BUYER,
        lines=tuple(lines),
        is_credit_note=credit,
        credited_invoice="202610-0180" if credit else "",
        payment_terms="" if credit else "30 dagar netto",
        payment_id="" if credit else "2026110180123",
    )


def time_line(n: int, minutes: int, rate: Decimal, sign: int = 1) -> PeppolLine:
    """A ticket-time line as the engine writes it (external.build_time_lines)."""
    return PeppolLine(
        id=str(n),
        name=f"Tid {swedish_number(Decimal(minutes) / 60)} h",
        quantity=Decimal(sign * minutes),
        price=rate,
        amount=to_money(sign * Decimal(minutes) * rate / 60),
        unit_code="MIN",
        base_quantity=Decimal(60),
    )


def test_issue_example_fails_as_hours_and_passes_as_minutes() -> None:
    """25 minutes at 1,100 SEK/h written as 0.4167 h and 458.33 SEK fails R120 (0.4167 × 1,100 =
    458.37); written as 25 min at 1,100 per 60 min it passes, for the same amount billed."""
    hours = PeppolLine(
        id="1", name="Tid", quantity=Decimal("0.4167"), price=Decimal(1100), amount=Decimal("458.33"), unit_code="HUR"
    )
    assert "PEPPOL-EN16931-R120" in _rules(build_xml(_doc([hours])))
    minutes = time_line(1, 25, Decimal(1100))
    assert minutes.amount == Decimal("458.33")
    assert _rules(build_xml(_doc([minutes]))) == set()


def test_r120_tolerance_is_the_published_one() -> None:
    """The rule allows 0.02 either way: 0.02 off passes, 0.03 off fails; a negative half-öre line
    (-0.005 rounded away from zero to -0.01) is correct and passes."""

    def ten(amount: str) -> PeppolLine:
        return PeppolLine(id="1", name="x", quantity=Decimal(1), price=Decimal("10.00"), amount=Decimal(amount))

    assert _rules(build_xml(_doc([ten("10.02")]))) == set()
    assert "PEPPOL-EN16931-R120" in _rules(build_xml(_doc([ten("10.03")])))
    half = PeppolLine(id="1", name="x", quantity=Decimal(-1), price=Decimal("0.005"), amount=Decimal("-0.01"))
    assert _rules(build_xml(_doc([half, time_line(2, 60, Decimal(950))]))) == set()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 600), st.sampled_from(RATES), st.sampled_from([1, 1, 1, -1])), min_size=1, max_size=6
    ),
    st.booleans(),
)
def test_time_lines_pass_every_rule(rows: list[tuple[int, Decimal, int]], credit: bool) -> None:
    """Any minute total 1–600 at every demo rate, positive or negative, invoice or credit note."""
    lines = [time_line(n, m, rate, sign) for n, (m, rate, sign) in enumerate(rows, start=1)]
    for line in lines:  # by construction: within half an öre of quantity × price ÷ base quantity
        assert abs(line.amount - line.quantity * line.price / line.base_quantity) <= Decimal("0.005")
    assert _rules(build_xml(_doc(lines, credit=credit))) == set()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([("S", Decimal(25)), ("S", Decimal(12)), ("S", Decimal(6)), ("E", 0), ("Z", 0)]),
            st.decimals(min_value=Decimal("-5000"), max_value=Decimal("50000"), places=2),
            st.integers(1, 31),
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_every_category_and_part_month_passes(rows: list, credit: bool) -> None:
    """S at 25/12/6, E and Z, part-month lines (days of a 30-day month) and pool shares."""
    lines = []
    for n, ((category, rate), price, days) in enumerate(rows, start=1):
        if n % 2:  # a part-month subscription: days at the monthly price per 30 days
            amount = to_money(price * days / 30)
            lines.append(
                PeppolLine(
                    id=str(n), name="Del av månad", quantity=Decimal(days), price=price, amount=amount,
                    unit_code="DAY", base_quantity=Decimal(30), vat_category=category, vat_rate=Decimal(rate),
                )
            )  # fmt: skip
        else:  # a pool share or settlement: one at its amount
            lines.append(
                PeppolLine(
                    id=str(n), name="Andel", quantity=Decimal(1), price=price, amount=price,
                    vat_category=category, vat_rate=Decimal(rate),
                )
            )  # fmt: skip
    xml = build_xml(_doc(lines, credit=credit))
    assert _rules(xml) == set()
    t = totals(_doc(lines, credit=credit))
    assert t.tax == sum((s.tax for s in t.subtotals), Decimal(0))
    assert all(s.tax == 0 for s in t.subtotals if s.category != "S")


def test_outside_scope_invoice_passes_and_mixing_fails() -> None:
    o_line = PeppolLine(id="1", name="Myndighetsutövning", quantity=Decimal(1), price=Decimal(500),
                        amount=Decimal(500), vat_category="O", vat_rate=Decimal(0))  # fmt: skip
    xml = build_xml(_doc([o_line]))
    assert _rules(xml) == set()
    assert b"SE556036079301" not in xml and b"VATEX-EU-O" in xml  # BR-O-02, BR-O-10
    mixed = _rules(build_xml(_doc([o_line, time_line(2, 30, Decimal(950))])))
    assert {"BR-O-11", "BR-O-12"} <= mixed


def test_zero_rate_standard_is_refused_and_caught() -> None:
    """A cost pool at 0 % as S: the form/API refuse it in Swedish, and the check flags BR-S-05 and
    SE-R-006 should such a line ever be written."""
    # In Swedish whatever language an earlier test in this worker left active.
    with translation.override("sv"):
        with pytest.raises(ValidationError) as exc:
            vat.check_vat("S", Decimal(0))
        assert "25, 12 eller 6" in str(exc.value)
    with pytest.raises(ValidationError):
        vat.check_vat("S", Decimal(8))
    with pytest.raises(ValidationError):
        vat.check_vat("E", Decimal(25))
    bad = PeppolLine(
        id="1", name="Pool", quantity=Decimal(1), price=Decimal(10), amount=Decimal(10), vat_rate=Decimal(0)
    )
    assert {"BR-S-05", "SE-R-006"} <= _rules(build_xml(_doc([bad])))
    exempt = PeppolLine(id="1", name="Pool", quantity=Decimal(1), price=Decimal(10), amount=Decimal(10),
                        vat_category="E", vat_rate=Decimal(0))  # fmt: skip
    xml = build_xml(_doc([exempt]))
    assert _rules(xml) == set() and b"VATEX-EU-132" in xml


def test_one_vat_function_for_accounts() -> None:
    assert vat.vat_account("S", Decimal(25)) == "2611"
    assert vat.vat_account("S", Decimal(12)) == "2621"
    assert vat.vat_account("S", Decimal(6)) == "2631"
    assert vat.vat_account("E", Decimal(0)) == ""
    with pytest.raises(ValidationError):
        vat.vat_account("S", Decimal(8))  # never booked on the 25 % account
    subs = vat.breakdown([("S", Decimal(25), Decimal("100.00")), ("E", Decimal(0), Decimal("50.00"))])
    assert [(s.category, s.tax) for s in subs] == [("S", Decimal("25.00")), ("E", Decimal("0.00"))]


def test_swedish_number_format() -> None:
    assert swedish_number(Decimal("0.1167")) == "0,1167"
    assert swedish_money(Decimal("974035.57")) == "974\u00a0035,57\u00a0kr"
    assert swedish_number(Decimal("60.0000")) == "60"


def test_credit_note_is_not_to_be_paid() -> None:
    xml = build_xml(_doc([time_line(1, 25, Decimal(1100))], credit=True))
    assert b"PaymentMeans" not in xml and _rules(xml) == set()


def test_api_refuses_a_rate_its_category_does_not_allow_and_edits_profiles(billing: Billing, api: Any) -> None:  # noqa: F811
    w = billing.world
    # The billing world gives every owner a profile; these tests create A's from nothing.
    BillingProfile.objects.filter(owner=w.a.owner).delete()
    finance = api(w.finance)
    pool = {"code": "P0", "name": "Nollpool", "kind": "monthly", "monthly_cost": "100.00", "start": "2026-01-01",
            "revenue_account": "3090", "vat_category": "S", "vat_rate": "0"}  # fmt: skip
    refused = finance.post("/api/v1/billing/pools/", pool, format="json")
    assert refused.status_code == 400 and "25, 12 eller 6" in refused.content.decode()
    assert finance.post("/api/v1/billing/pools/", {**pool, "vat_category": "E"}, format="json").status_code == 201
    created = finance.post(
        "/api/v1/billing/profiles/",
        {
            "owner": w.a.owner.pk,
            "default_cost_centre": w.a.cost_centre.pk,
            "payment_days": 20,
            "peppol_endpoint": "0007:1",
        },
        format="json",
    )
    assert created.status_code == 400 and "organisationsnummer" in created.content.decode()
    created = finance.post(
        "/api/v1/billing/profiles/",
        {"owner": w.a.owner.pk, "default_cost_centre": w.a.cost_centre.pk, "payment_days": 20,
         "peppol_endpoint": f"0007:{w.a.owner.org_number}", "pdf_email": "faktura@example.se"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    profile = BillingProfile.objects.get(owner=w.a.owner)
    assert profile.payment_days == 20 and profile.peppol_endpoint.startswith("0007:")
    assert AuditEvent.objects.filter(object_id=str(profile.pk), event_type="created").exists()
    assert api(w.b.viewer).get(f"/api/v1/billing/profiles/{profile.pk}/").status_code == 404
    assert (
        api(w.a.viewer).patch(f"/api/v1/billing/profiles/{profile.pk}/", {"payment_days": 5}, format="json").status_code
        == 403
    )


def test_finance_edits_a_billing_profile_on_screen(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    # The billing world gives every owner a profile; these tests create A's from nothing.
    BillingProfile.objects.filter(owner=w.a.owner).delete()
    client = web(w.finance)
    assert client.get(reverse("billingprofile_list")).status_code == 200
    page = client.get(reverse("billingprofile_create"))
    assert page.status_code == 200 and "peppol_endpoint" in page.content.decode()
    response = client.post(
        reverse("billingprofile_create"),
        {"owner": w.a.owner.pk, "default_cost_centre": w.a.cost_centre.pk, "payment_days": 15,
         "peppol_endpoint": "0007:123", "pdf_email": ""},
    )  # fmt: skip
    assert response.status_code == 200 and "organisationsnummer" in response.content.decode()
    assert not BillingProfile.objects.filter(owner=w.a.owner).exists()
    response = client.post(
        reverse("billingprofile_create"),
        {"owner": w.a.owner.pk, "default_cost_centre": w.a.cost_centre.pk, "payment_days": 15,
         "peppol_endpoint": "", "pdf_email": "ekonomi@example.se"},
    )  # fmt: skip
    profile = BillingProfile.objects.get(owner=w.a.owner)
    assert response.status_code == 302 and profile.payment_days == 15
    edit = client.post(
        reverse("billingprofile_edit", args=[profile.pk]),
        {"default_cost_centre": w.a.cost_centre.pk, "payment_days": 10, "peppol_endpoint": "", "pdf_email": ""},
    )
    profile.refresh_from_db()
    assert edit.status_code == 302 and profile.payment_days == 10
    assert web(w.b.viewer).get(reverse("billingprofile_detail", args=[profile.pk])).status_code == 404
