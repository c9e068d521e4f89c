"""Closing a period and reading a year-end file run as jobs (core/jobs.py): the page starts them and
shows their progress; the worker renders and checks every document before anything is issued,
keeps an uploaded file until it is read, and a failed or abandoned job changes nothing and can be
started again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from samdrift.billing import actions, tasks
from samdrift.billing.models import (
    BillingJob,
    BillingJobKind,
    CostPool,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    PeriodStatus,
    RunStatus,
    Settlement,
)
from samdrift.core.jobs import sweep_expired_jobs
from tests.billing.test_engine import Billing, billing  # noqa: F401  (fixture)
from tests.billing.test_reconciliation import accounting_file


def _close_job(billing: Billing, web: Any) -> BillingJob:  # noqa: F811
    fin = billing.world.finance
    actions.do_run_billing(billing.period, actor=fin)
    response = web(fin).post(
        reverse("billingperiod_close", args=[billing.period.pk]), {"confirm": "1", "background": "1"}
    )
    job = BillingJob.objects.get(kind=BillingJobKind.CLOSE_PERIOD, period=billing.period)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == RunStatus.QUEUED
    billing.period.refresh_from_db()
    assert billing.period.status == PeriodStatus.OPEN, "the request only starts the job"
    return job


def test_closing_runs_as_a_job_with_progress(billing: Billing, web: Any) -> None:  # noqa: F811
    job = _close_job(billing, web)
    page = web(billing.world.finance).get(job.get_absolute_url())
    assert page.status_code == 200 and "progress" in page.content.decode()
    # A second close while the first is queued, or a rerun of the billing, is refused.
    again = web(billing.world.finance).post(
        reverse("billingperiod_close", args=[billing.period.pk]), {"confirm": "1", "background": "1"}
    )
    assert again.status_code == 302 and BillingJob.objects.filter(kind=BillingJobKind.CLOSE_PERIOD).count() == 1
    tasks.close_period.call(job.pk)  # what the worker does
    job.refresh_from_db()
    assert (job.status, job.progress) == (RunStatus.DONE, 100) and job.finished is not None
    assert job.result == {"issued": 3}
    billing.period.refresh_from_db()
    assert billing.period.status == PeriodStatus.CLOSED
    invoices = Invoice.objects.filter(period=billing.period)
    assert all(inv.issued_at for inv in invoices)
    assert InvoiceDocument.objects.filter(invoice__in=invoices).count() == 3
    # The stored PDF is the one rendered first, for the issue day the invoice carries.
    doc = InvoiceDocument.objects.filter(invoice__in=invoices).first()
    assert doc is not None and bytes(doc.pdf).startswith(b"%PDF")
    done = web(billing.world.finance).get(job.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert (
        done.status_code == 200 and reverse("billingperiod_detail", args=[billing.period.pk]) in done.content.decode()
    )


def test_a_failing_document_fails_the_job_and_issues_nothing(billing: Billing, web: Any) -> None:  # noqa: F811
    job = _close_job(billing, web)
    line = InvoiceLine.objects.filter(period=billing.period, invoice__isnull=False).order_by("id").first()
    assert line is not None
    InvoiceLine.objects.filter(pk=line.pk).update(amount=line.amount + Decimal("5.00"))  # R120 and BR-CO-10
    tasks.close_period.call(job.pk)
    job.refresh_from_db()
    assert job.status == RunStatus.FAILED and line.invoice.number in job.message  # type: ignore[union-attr]
    assert "PEPPOL-EN16931-R120" in job.message and "Inget" in job.message  # Swedish
    billing.period.refresh_from_db()
    assert billing.period.status == PeriodStatus.OPEN
    assert not Invoice.objects.filter(period=billing.period, issued_at__isnull=False).exists()
    assert not InvoiceDocument.objects.exists()
    # The period page shows which rule failed on which line; the close can be started again.
    assert Invoice.objects.get(pk=line.invoice_id).problems
    InvoiceLine.objects.filter(pk=line.pk).update(amount=line.amount)
    assert actions.do_start_close_period(billing.period, actor=billing.world.finance).pk != job.pk


def test_an_abandoned_close_is_failed_by_the_sweep_and_can_be_started_again(billing: Billing, web: Any) -> None:  # noqa: F811
    job = _close_job(billing, web)
    past = timezone.now() - timedelta(minutes=10)
    BillingJob.objects.filter(pk=job.pk).update(status=RunStatus.RUNNING, lease_expires=past, heartbeat_at=past)
    sweep_expired_jobs()
    job.refresh_from_db()
    assert job.status == RunStatus.FAILED and job.expired_at is not None
    billing.period.refresh_from_db()
    assert billing.period.status == PeriodStatus.OPEN
    again = actions.do_start_close_period(billing.period, actor=billing.world.finance)
    tasks.close_period.call(again.pk)
    billing.period.refresh_from_db()
    assert billing.period.status == PeriodStatus.CLOSED


def _january(billing: Billing) -> Any:  # noqa: F811
    fin = billing.world.finance
    CostPool.objects.filter(code="DC").update(sie_dimension="6", sie_object="DC")
    actions.do_run_billing(billing.period, actor=fin)
    actions.do_close_period(billing.period, actor=fin)
    return actions.do_create_period(2027, 1, actor=fin)


def test_reconciliation_upload_runs_as_a_job(billing: Billing, web: Any) -> None:  # noqa: F811
    january = _january(billing)
    client = web(billing.world.finance)
    upload = SimpleUploadedFile("bokforing.se", accounting_file())
    response = client.post(
        reverse("billing_reconciliation"),
        {"year": 2026, "settle_period": january.pk, "file": upload, "background": "1"},
    )
    job = BillingJob.objects.get(kind=BillingJobKind.RECONCILE, period=january)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert bytes(job.data) == accounting_file() and job.filename == "bokforing.se"  # kept until read
    assert not Settlement.objects.exists()
    tasks.reconcile.call(job.pk)
    job.refresh_from_db()
    assert job.status == RunStatus.DONE and job.result["pools"][0]["difference"] == "250000.00"
    assert Settlement.objects.count() == 3
    page = client.get(reverse("billing_reconciliation") + f"?job={job.pk}")
    assert page.status_code == 200 and "250000.00" in page.content.decode()
    # The same file again changes nothing (issue 14: a year cannot be billed twice).
    second = actions.do_start_reconciliation(accounting_file(), 2026, january, actor=billing.world.finance)
    tasks.reconcile.call(second.pk)
    second.refresh_from_db()
    assert second.status == RunStatus.DONE and second.result.get("unchanged") and Settlement.objects.count() == 3


def test_a_refused_file_fails_its_job_in_swedish(billing: Billing) -> None:  # noqa: F811
    january = _january(billing)
    job = actions.do_start_reconciliation(
        accounting_file(orgnr="556654-7898"), 2026, january, actor=billing.world.finance, filename="fel.se"
    )
    tasks.reconcile.call(job.pk)
    job.refresh_from_db()
    assert job.status == RunStatus.FAILED and "556654-7898" in job.message and "#ORGNR" in job.message
    assert not Settlement.objects.exists()
