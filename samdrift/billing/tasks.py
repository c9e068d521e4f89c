"""The billing run as a background task (worker process); progress is stored on the run."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from samdrift.billing import engine
from samdrift.billing.models import FINANCE_ROLES, BillingRun, RunStatus
from samdrift.core.access import require_role
from samdrift.core.jobs import holding_lease

log = logging.getLogger(__name__)


@task
def run_billing(run_id: int) -> dict[str, Any]:
    """Execute a queued run step by step (each step commits, so the UI can show the progress)."""
    from samdrift.billing.actions.periods import finish_run_audit

    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    actor = run.created_by
    try:
        role = require_role(actor, owner_id=None, operator_roles=FINANCE_ROLES)
        with holding_lease(run):
            engine.execute_run(run)
        with transaction.atomic():
            finish_run_audit(run, actor=actor, role=role)
    except Exception as exc:  # the run records why it failed; the worker logs the trace
        log.exception("billing run %s failed", run_id)
        BillingRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, message=str(exc)[:500], finished=timezone.now()
        )
        return {"run": run_id, "status": RunStatus.FAILED, "error": str(exc)}
    render_previews.enqueue(run.period_id)
    return {"run": run_id, "status": run.status, "lines": run.line_count, "invoices": run.invoice_count}


# Invoices laid out per task: a few seconds of work, after which the worker takes any other task
# waiting (a close, an import) before the next batch of previews, which has the lowest priority.
PREVIEWS_PER_TASK = 5
PREVIEW_PRIORITY = -50


@task(priority=PREVIEW_PRIORITY)
def render_previews(period_id: int, after: str = "") -> dict[str, Any]:
    """Lay out the preview PDFs of a period's invoices not yet issued (numbers after `after`), so
    that finance downloads a kept one instead of waiting seconds for the layout of a long invoice.
    Runs after each billing run; a few invoices per task, then queues itself for the rest."""
    from samdrift.billing import documents
    from samdrift.billing.models import Invoice

    batch = list(
        Invoice.objects.filter(period_id=period_id, issued_at__isnull=True, number__gt=after)
        .select_related("owner", "period", "credited_invoice")
        .order_by("number")[: PREVIEWS_PER_TASK + 1]
    )
    now, rest = batch[:PREVIEWS_PER_TASK], batch[PREVIEWS_PER_TASK:]
    laid_out = documents.render_previews(now)
    if rest:
        render_previews.enqueue(period_id, now[-1].number)
    return {"period": period_id, "invoices": len(now), "laid_out": laid_out, "more": bool(rest)}


def _finish(job: Any, status: str, message: Any, **fields: Any) -> None:
    from samdrift.core.jobs import set_progress

    job.status = status
    job.finished = timezone.now()
    set_progress(job, 100, message, status=status, finished=job.finished, **fields)


@task
def close_period(job_id: int) -> dict[str, Any]:
    """Render every invoice's PDF and check its XML (progress per invoice), then issue them all
    and close the period in one transaction. A failing document closes nothing: the job fails
    naming it, and the period page lists which rule failed on which line."""
    from django.core.exceptions import ValidationError
    from django.utils import translation
    from django.utils.translation import gettext as _

    from samdrift.billing import documents
    from samdrift.billing.actions import periods
    from samdrift.billing.models import BillingJob, Invoice, InvoiceKind
    from samdrift.core.jobs import set_progress

    job = BillingJob.objects.select_related("period", "created_by").get(pk=job_id)
    actor = job.created_by
    with translation.override(settings.LANGUAGE_CODE):
        try:
            require_role(actor, owner_id=None, operator_roles=FINANCE_ROLES)
            with holding_lease(job):
                job.status = RunStatus.RUNNING
                set_progress(job, 1, _("Rendering the invoices."), status=RunStatus.RUNNING)
                day = timezone.localdate()
                invoices = list(
                    Invoice.objects.filter(period=job.period, kind=InvoiceKind.INVOICE, issued_at__isnull=True)
                    .select_related("owner", "period", "credited_invoice")
                    .order_by("number")
                )
                pdfs: dict[int, bytes] = {}
                failing: list[str] = []
                for n, invoice in enumerate(invoices, start=1):
                    pdf, found = documents.render_for_issue(invoice, day)
                    pdfs[invoice.pk] = pdf
                    if found:
                        failing.append(f"{invoice.number}: {', '.join(sorted({f.rule for f in found}))}")
                    set_progress(
                        job, 1 + 90 * n // max(1, len(invoices)),
                        _("%(done)s of %(count)s invoices rendered and checked.") % {"done": n, "count": len(invoices)},
                    )  # fmt: skip
                if failing:
                    periods.do_check_period(job.period, actor=actor)  # the period page shows rule and line
                    raise ValidationError(
                        _("Nothing was issued; these invoices fail the rules: %(list)s") % {"list": "; ".join(failing)}
                    )
                set_progress(job, 95, _("Issuing the invoices and closing the period."))
                periods.do_close_period(job.period, actor=actor, day=day, pdfs=pdfs)
            _finish(
                job, RunStatus.DONE, _("The period is closed and its invoices are issued."),
                result={"issued": len(invoices)},
            )  # fmt: skip
        except Exception as exc:  # the job records why; the worker logs the trace
            log.exception("closing period (job %s) failed", job_id)
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            _finish(job, RunStatus.FAILED, text[:500])
            return {"job": job_id, "status": RunStatus.FAILED, "error": text}
    return {"job": job_id, "status": RunStatus.DONE}


@task
def reconcile(job_id: int) -> dict[str, Any]:
    """Read the kept accounting file and reconcile the year (or only check it, for a dry run)."""
    from django.core.exceptions import ValidationError
    from django.utils import translation
    from django.utils.translation import gettext as _

    from samdrift.billing.actions import accounting
    from samdrift.billing.models import BillingJob
    from samdrift.core.jobs import set_progress

    job = BillingJob.objects.select_related("period", "created_by").get(pk=job_id)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            with holding_lease(job):
                job.status = RunStatus.RUNNING
                set_progress(job, 10, _("Reading the accounting file."), status=RunStatus.RUNNING)
                report = accounting.do_reconcile_year(
                    bytes(job.data), job.year or 0, job.period, actor=job.created_by,
                    filename=job.filename, dry_run=job.dry_run,
                )  # fmt: skip
            _finish(job, RunStatus.DONE, _("The file was read."), result=report)
        except Exception as exc:  # refused files name the mismatch; the job keeps the message
            if not isinstance(exc, ValidationError):
                log.exception("reconciliation (job %s) failed", job_id)
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            _finish(job, RunStatus.FAILED, text[:500])
            return {"job": job_id, "status": RunStatus.FAILED, "error": text}
    return {"job": job_id, "status": RunStatus.DONE}
