"""Billing periods, runs and invoices: running, closing and checking a month, and credit notes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.billing import documents, engine
from samdrift.billing.actions.common import _role
from samdrift.billing.models import (
    BillingPeriod,
    BillingRun,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    PeriodStatus,
    RunStatus,
)
from samdrift.core.actions import create_audited
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType


@transaction.atomic
def do_create_period(year: int, month: int, *, actor: Any) -> BillingPeriod:
    role = _role(actor)
    if BillingPeriod.objects.filter(year=year, month=month).exists():
        raise ValidationError(_("The period %(year)s-%(month)02d already exists.") % {"year": year, "month": month})
    return create_audited(BillingPeriod, {"year": year, "month": month}, actor=actor, role=role)


@transaction.atomic
def do_run_billing(period: BillingPeriod, *, actor: Any, background: bool = False) -> BillingRun:
    """Start a billing run for an open period; rerunning replaces its draft invoices and lines.

    In the background the task commits step by step so that the UI shows its progress; otherwise
    the whole run happens in this transaction.
    """
    role = _role(actor)
    period = BillingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is closed.") % {"period": period})
    if BillingRun.objects.filter(period=period, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError(_("A run of %(period)s is already under way.") % {"period": period})
    if _job_running(period, "close_period"):
        raise ValidationError(_("The period %(period)s is already being closed.") % {"period": period})
    run = BillingRun.objects.create(period=period, created_by=actor if getattr(actor, "pk", None) else None)
    record_event(
        actor, role, AuditEventType.CREATED, run, extra={"action": "start_billing_run", "background": background}
    )
    if background:
        from samdrift.billing.tasks import run_billing

        transaction.on_commit(lambda: run_billing.enqueue(run.pk))
        return run
    engine.execute_run(run)
    finish_run_audit(run, actor=actor, role=role)
    return run


def finish_run_audit(run: BillingRun, *, actor: Any, role: str) -> None:
    """One event for the run and one per invoice, so each owner's trail shows what it was billed."""
    run.refresh_from_db()
    invoices = Invoice.objects.filter(period_id=run.period_id, kind=InvoiceKind.INVOICE, run=run)
    record_events(
        actor,
        role,
        [
            PendingEvent(
                AuditEventType.UPDATED,
                obj=run,
                changes={"status": [RunStatus.RUNNING, run.status]},
                extra={
                    "action": "finish_billing_run",
                    "lines": run.line_count,
                    "invoices": run.invoice_count,
                    "net": str(run.total_net),
                },
            ),
            *(
                PendingEvent(
                    AuditEventType.CREATED,
                    obj=inv,
                    extra={
                        "action": "billing_run",
                        "run": run.pk,
                        "net": str(inv.net_amount),
                        "vat": str(inv.vat_amount),
                    },
                )
                for inv in invoices
            ),
        ],
    )


@transaction.atomic
def do_close_period(
    period: BillingPeriod, *, actor: Any, day: date | None = None, pdfs: dict[int, bytes] | None = None
) -> BillingPeriod:
    """Close a period after a finished run: its invoices are final, nothing in it changes again.

    `day` and `pdfs` (invoice id → PDF) come from the background close, which rendered the PDFs
    first (`tasks.close_period`); without them everything is rendered here.
    """
    role = _role(actor)
    period = BillingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is already closed.") % {"period": period})
    last = BillingRun.objects.filter(period=period).order_by("-id").first()
    if last is None or last.status != RunStatus.DONE:
        raise ValidationError(_("Run the billing for %(period)s successfully before closing it.") % {"period": period})
    if InvoiceLine.objects.filter(period=period, invoice__isnull=True).exists():  # pragma: no cover - defensive
        raise ValidationError(_("The period has lines without an invoice; run it again."))
    # Issue every invoice: dated today, OCR number, XML and PDF made, checked and stored. One
    # failing document refuses the close and the transaction leaves everything as it was.
    today = day or timezone.localdate()
    issued = []
    for invoice in (
        Invoice.objects.filter(period=period, kind=InvoiceKind.INVOICE, issued_at__isnull=True)
        .select_related("owner", "period", "credited_invoice")
        .order_by("number")
    ):
        documents.issue(invoice, today, pdf=(pdfs or {}).get(invoice.pk))
        issued.append(invoice.number)
    period.status = PeriodStatus.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = actor if getattr(actor, "pk", None) else None
    period.save(update_fields=["status", "closed_at", "closed_by"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        period,
        changes={"status": [PeriodStatus.OPEN, PeriodStatus.CLOSED]},
        extra={"action": "close_period", "issued": issued, "issue_date": today.isoformat()},
    )
    return period


def _job_running(period: BillingPeriod, kind: str) -> bool:
    from samdrift.billing.models import BillingJob

    return BillingJob.objects.filter(
        period=period, kind=kind, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).exists()


@transaction.atomic
def do_start_close_period(period: BillingPeriod, *, actor: Any) -> Any:
    """Close the period in the background (tasks.close_period): every PDF is rendered with its
    progress shown, then all invoices are issued and the period closed in one transaction. The
    checks that can refuse at once are made here; a job whose worker died is started again."""
    from samdrift.billing.models import BillingJob, BillingJobKind

    role = _role(actor)
    period = BillingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("The period %(period)s is already closed.") % {"period": period})
    last = BillingRun.objects.filter(period=period).order_by("-id").first()
    if last is None or last.status != RunStatus.DONE:
        raise ValidationError(_("Run the billing for %(period)s successfully before closing it.") % {"period": period})
    if _job_running(period, BillingJobKind.CLOSE_PERIOD):
        raise ValidationError(_("The period %(period)s is already being closed.") % {"period": period})
    job = BillingJob.objects.create(
        kind=BillingJobKind.CLOSE_PERIOD, period=period, created_by=actor if getattr(actor, "pk", None) else None
    )
    record_event(actor, role, AuditEventType.CREATED, job, extra={"action": "start_close_period"})
    from samdrift.billing.tasks import close_period

    transaction.on_commit(lambda: close_period.enqueue(job.pk))
    return job


@transaction.atomic
def do_start_reconciliation(
    data: bytes, year: int, settle_period: BillingPeriod, *, actor: Any, filename: str = "", dry_run: bool = False
) -> Any:
    """Read a year-end accounting file in the background (tasks.reconcile): the file is kept on
    the job until it has been read, and `do_reconcile_year` runs there with the same checks."""
    from samdrift.billing.models import BillingJob, BillingJobKind

    role = _role(actor)
    if not data:
        raise ValidationError(_("The file is empty."))
    job = BillingJob.objects.create(
        kind=BillingJobKind.RECONCILE,
        period=settle_period,
        year=year,
        filename=filename[:255],
        data=data,
        dry_run=dry_run,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    record_event(
        actor, role, AuditEventType.CREATED, job,
        extra={"action": "start_reconciliation", "year": year, "filename": filename, "dry_run": dry_run},
    )  # fmt: skip
    from samdrift.billing.tasks import reconcile

    transaction.on_commit(lambda: reconcile.enqueue(job.pk))
    return job


@transaction.atomic
def do_check_period(period: BillingPeriod, *, actor: Any) -> int:
    """Check every not yet issued document of the period against the rules and store what fails
    (shown on the period page, rule and line). Returns how many documents fail."""
    role = _role(actor)
    failed = 0
    for invoice in (
        Invoice.objects.filter(period=period, issued_at__isnull=True)
        .select_related("owner", "period", "credited_invoice")
        .order_by("number")
    ):
        if documents.check_invoice(invoice):
            failed += 1
    record_event(actor, role, AuditEventType.UPDATED, period, extra={"action": "check_documents", "failed": failed})
    return failed


@transaction.atomic
def do_credit_invoice(invoice: Invoice, *, actor: Any, reason: str = "") -> Invoice:
    """Credit a closed period's invoice in full with a credit note (kreditfaktura).

    The corrected charges are then entered in an open period and billed by its run.
    """
    role = _role(actor, invoice.owner_id)
    invoice = Invoice.objects.select_for_update().select_related("period").get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError(_("Only an invoice can be credited."))
    if invoice.period.is_open:
        raise ValidationError(_("The period is open: correct the sources and run it again instead."))
    if Invoice.objects.filter(credited_invoice=invoice).exists():
        raise ValidationError(_("The invoice %(number)s is already credited.") % {"number": invoice.number})
    # Never dated before the invoice it credits; not to be paid, so no due date of its own.
    today = max(timezone.localdate(), invoice.issue_date)
    note = Invoice.objects.create(
        owner_id=invoice.owner_id,
        period=invoice.period,
        kind=InvoiceKind.CREDIT_NOTE,
        number=f"K{invoice.number}",
        buyer_reference=invoice.buyer_reference,
        issue_date=today,
        due_date=today,
        outside_scope=invoice.outside_scope,
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        total_amount=invoice.total_amount,
        credited_invoice=invoice,
    )
    copies = []
    for line in invoice.lines.all().order_by("id"):
        line.pk = None
        line.id = None
        line.invoice = note
        copies.append(line)
    InvoiceLine.objects.bulk_create(copies, batch_size=2000)
    documents.issue(note, today)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        note,
        extra={
            "action": "credit_invoice",
            "credits": invoice.number,
            "reason": reason,
            "total": str(note.total_amount),
        },
    )
    return note
