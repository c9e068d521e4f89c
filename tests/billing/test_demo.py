"""The issue's "done when", tried as a new user would on the demo data: finance runs November,
previews, closes, and downloads Hörby's Peppol XML (lines per cost centre), PDF and XLSX; the
period's SIE export balances; the platform pool of 1,000,000.00 splits exactly by population."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.urls import reverse
from lxml import etree
from openpyxl import load_workbook

from samdrift.billing import demo, validation
from samdrift.billing.models import Article, BillingPeriod, Invoice, InvoiceLine, PeriodStatus, WorkTypeRate
from samdrift.billing.sie import read_sie
from samdrift.tenancy.models import User

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def test_finance_bills_november_on_the_demo_data(demo_data: None, client: Any) -> None:
    # demo_data: the tenancy demo, then every app's load_app_demo (billing among them)
    assert WorkTypeRate.objects.count() == len(demo.WORK_RATES)
    assert demo.load_app_demo() == {}  # already loaded: nothing happens
    # Gigabytes are E34 in UN/ECE Rec. 20 (GB is gallon per day), the ordering demo's storage too.
    assert Article.objects.get(code="ORD-LAGRING").unit_code == "E34"
    assert not Article.objects.filter(unit_code="GB").exists()
    finance = User.objects.get(username="ekonomi")
    client.force_login(finance)
    period = BillingPeriod.objects.get(year=2026, month=11)
    assert client.post(reverse("billingperiod_run", args=[period.pk])).status_code == 302  # preview
    assert client.post(reverse("billingperiod_run", args=[period.pk])).status_code == 302  # and again
    assert client.post(reverse("billingperiod_close", args=[period.pk]), {"confirm": "1"}).status_code == 302
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    pool = InvoiceLine.objects.filter(period=period, pool__code="PLATTFORM")
    assert sum(line.amount for line in pool) == Decimal("1000000.00") and pool.count() == 3
    horby = Invoice.objects.get(period=period, owner__name="Hörby")
    xml = client.get(reverse("invoice_xml", args=[horby.pk])).content
    root = etree.fromstring(xml)
    centres = {el.text for el in root.iter(f"{{{CBC}}}AccountingCost")}
    assert len(centres) >= 3  # specified per cost centre
    assert validation.check_document(xml) == []
    pdf = client.get(reverse("invoice_pdf", args=[horby.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    book = load_workbook(io.BytesIO(client.get(reverse("invoice_xlsx", args=[horby.pk])).content))
    assert len(list(book.worksheets[1].iter_rows())) == len(centres) + 2  # header, centres, total
    sie = read_sie(client.get(reverse("billingperiod_sie", args=[period.pk])).content)
    assert len(sie.vouchers) == Invoice.objects.filter(period=period).count()
    for voucher in sie.vouchers:
        assert sum(t.amount for t in voucher.transactions) == 0
