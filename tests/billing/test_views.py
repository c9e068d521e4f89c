"""Finance runs, previews and closes a period in the UI and the API; an owner viewer sees only
their own invoices and downloads; nobody else sees billing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.urls import reverse
from lxml import etree
from openpyxl import load_workbook

from samdrift.billing import actions
from samdrift.billing.models import BillingPeriod, Invoice, InvoiceLine, PeriodStatus
from samdrift.billing.sie import read_sie
from samdrift.core.models import AuditEvent
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)
from tests.billing.test_peppol import check_rules


def test_finance_runs_previews_and_closes_in_the_ui(billing: Billing, web: Any) -> None:  # noqa: F811
    client = web(billing.world.finance)
    period = billing.period
    page = client.get(reverse("billingperiod_detail", args=[period.pk]))
    assert page.status_code == 200
    response = client.post(reverse("billingperiod_run", args=[period.pk]))
    assert response.status_code == 302
    page = client.get(reverse("billingperiod_detail", args=[period.pk])).content.decode()
    assert "202611-9901" in page and "202611-9903" in page
    response = client.post(reverse("billingperiod_close", args=[period.pk]), {"confirm": "1"})
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    # The period's link serves the file of the month its invoices were issued in (the close day).
    issued = Invoice.objects.filter(period=period).latest("issue_date").issue_date
    sie = client.get(reverse("billingperiod_sie", args=[period.pk]))
    assert sie.status_code == 200 and f"samdrift-sie-{issued:%Y-%m}" in sie["Content-Disposition"]
    vouchers = read_sie(sie.content).vouchers
    numbers = set(Invoice.objects.filter(period=period).values_list("number", flat=True))
    assert len(numbers) == 3 and len([v for v in vouchers if any(n in v.text for n in numbers)]) == 3
    assert all(v.date == issued for v in vouchers)


def test_background_run_page_polls_its_progress(billing: Billing, web: Any) -> None:  # noqa: F811
    client = web(billing.world.finance)
    response = client.post(reverse("billingperiod_run", args=[billing.period.pk]), {"background": "1"})
    run_url = response["Location"]
    page = client.get(run_url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    fragment = client.get(run_url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="job-progress"')


def test_owner_viewer_sees_own_invoice_lines_per_cost_centre_and_downloads(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    web(w.finance).post(reverse("billingperiod_run", args=[billing.period.pk]))
    invoice = Invoice.objects.get(period=billing.period, owner=w.a.owner)
    client = web(w.a.viewer)
    assert invoice.number not in client.get(reverse("invoice_list")).content.decode()  # a preview
    actions.do_close_period(billing.period, actor=w.finance)
    listing = client.get(reverse("invoice_list")).content.decode()
    assert invoice.number in listing and "202611-9902" not in listing
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "CC-AAAQX" in page and "CC-A2" in page and "REF-A2" in page
    xml = client.get(reverse("invoice_xml", args=[invoice.pk]))
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml"
    check_rules(etree.fromstring(xml.content))
    xlsx = client.get(reverse("invoice_xlsx", args=[invoice.pk]))
    book = load_workbook(io.BytesIO(xlsx.content))
    sheets = book.sheetnames
    rows = list(book[sheets[1]].iter_rows(values_only=True))
    assert {r[0] for r in rows[1:-1]} == {"CC-AAAQX", "CC-A2"}
    assert Decimal(str(rows[-1][3])) == invoice.net_amount
    assert (
        AuditEvent.objects.filter(event_type="exported", object_id=str(invoice.pk), owner_id=w.a.owner.pk).count() == 2
    )
    # The drill-down of a pool line: the key, the owner's figure and the total, not the others' figures.
    line = InvoiceLine.objects.get(invoice=invoice, source_type="pool")
    page = client.get(reverse("invoiceline_detail", args=[line.pk])).content.decode()
    assert "15562" in page and "47411" in page and w.b.owner.name not in page
    # Owner viewers cannot act, and do not see periods or pools.
    assert client.post(reverse("billingperiod_run", args=[billing.period.pk])).status_code == 404
    assert client.get(reverse("billingperiod_detail", args=[billing.period.pk])).status_code == 404
    assert client.post(reverse("billingperiod_create"), {"year": 2027, "month": 1}).status_code == 403
    assert not BillingPeriod.objects.filter(year=2027).exists()


def test_other_staff_see_no_invoices(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    web(w.finance).post(reverse("billingperiod_run", args=[billing.period.pk]))
    invoice = Invoice.objects.filter(period=billing.period).first()
    for user in (w.agent, w.technician, w.a.orderer, w.a.end_user):
        assert web(user).get(reverse("invoice_detail", args=[invoice.pk])).status_code == 404


def test_api_periods_runs_and_invoice_xml(billing: Billing, api: Any) -> None:  # noqa: F811
    w = billing.world
    client = api(w.finance)
    periods = client.get("/api/v1/billing/periods/").json()["results"]
    assert any(p["id"] == billing.period.pk for p in periods)
    run = client.post(f"/api/v1/billing/periods/{billing.period.pk}/run/")
    assert run.status_code == 201 and run.json()["status"] == "done"
    created = client.post("/api/v1/billing/periods/", {"year": 2026, "month": 12}, format="json")
    assert created.status_code == 201
    duplicate = client.post("/api/v1/billing/periods/", {"year": 2026, "month": 12}, format="json")
    assert duplicate.status_code == 400
    viewer = api(w.a.viewer)
    assert viewer.get("/api/v1/billing/invoices/").json()["results"] == []  # previews are not shown
    assert viewer.post(f"/api/v1/billing/periods/{billing.period.pk}/close/").status_code == 404
    close = client.post(f"/api/v1/billing/periods/{billing.period.pk}/close/")
    assert close.status_code == 200 and close.json()["status"] == "closed"
    invoices = viewer.get("/api/v1/billing/invoices/").json()["results"]
    assert {i["owner"] for i in invoices} == {w.a.owner.pk}
    mine = next(i for i in invoices if i["period"] == billing.period.pk)
    detail = viewer.get(f"/api/v1/billing/invoices/{mine['id']}/").json()
    assert sum(float(line["amount"]) for line in detail["lines"]) == float(detail["net_amount"])
    xml = viewer.get(f"/api/v1/billing/invoices/{mine['id']}/xml/")
    assert xml.status_code == 200
    check_rules(etree.fromstring(xml.content))
    other = Invoice.objects.get(period=billing.period, owner=w.b.owner)
    assert viewer.get(f"/api/v1/billing/invoices/{other.pk}/xml/").status_code == 404
    again = client.post(f"/api/v1/billing/periods/{billing.period.pk}/run/")
    assert again.status_code == 400


def test_usage_upload_checks_then_imports(billing: Billing, web: Any) -> None:  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from samdrift.billing.models import UsageRow

    client = web(billing.world.finance)
    url = reverse("billing_usage_import")
    assert client.get(url).status_code == 200
    before = UsageRow.objects.count()
    body = b"owner;cost_centre;metric;quantity\n9901;CC-AAAQX;LAGRING;12\n"
    page = client.post(url, {"month": "2026-11-15", "file": SimpleUploadedFile("u.csv", body), "dry_run": "on"})
    assert page.status_code == 200 and UsageRow.objects.count() == before
    client.post(url, {"month": "2026-11-15", "file": SimpleUploadedFile("u.csv", body)})
    assert UsageRow.objects.count() == before + 1
    assert web(billing.world.a.viewer).get(url).status_code == 403


def test_reconciliation_upload_dry_run(billing: Billing, web: Any) -> None:  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web(billing.world.finance)
    url = reverse("billing_reconciliation")
    raw = (Path(__file__).parent / "data" / "transaktioner_ovnbolag-bad-balance.se").read_bytes()
    page = client.post(
        url,
        {"year": 2026, "settle_period": billing.period.pk, "file": SimpleUploadedFile("bad.se", raw), "dry_run": "on"},
    )
    assert page.status_code == 200 and "3905" in page.content.decode()


def test_owner_trend_shows_own_months_only(billing: Billing, web: Any) -> None:  # noqa: F811
    w = billing.world
    web(w.finance).post(reverse("billingperiod_run", args=[billing.period.pk]))
    actions.do_close_period(billing.period, actor=w.finance)
    page = web(w.a.viewer).get(reverse("billing_trend"), {"owner": w.b.owner.pk}).content.decode()
    assert "2026-11" in page and "2020-01" in page and "Klientpaket" in page
    assert w.b.marker not in page
    assert "329" in page  # November for A: 329 062,59 (formatted)


def test_runs_and_jobs_are_named_in_words_not_by_number(billing: Billing, web: Any) -> None:  # noqa: F811
    """The operations page and the audit log show a run by its period and start time, not '#12'."""
    from django.utils import translation

    from samdrift.billing.models import BillingJob, BillingJobKind, BillingRun

    client = web(billing.world.finance)
    client.post(reverse("billingperiod_run", args=[billing.period.pk]))
    run = BillingRun.objects.filter(period=billing.period).latest("id")
    with translation.override("sv"):
        name = str(run)
    assert name.startswith(f"{billing.period}, startad ") and "#" not in name
    job = BillingJob(kind=BillingJobKind.CLOSE_PERIOD, period=billing.period, created=run.created)
    with translation.override("sv"):
        assert "#" not in str(job) and f"{billing.period}, startad " in str(job)
