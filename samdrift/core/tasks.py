"""Background tasks of the shared parts (run by the worker, enqueued by the scheduler)."""

import logging
from typing import Any

from django.tasks import task

from samdrift.core.audit import verify_chain

log = logging.getLogger(__name__)


@task
def verify_audit_chain() -> dict[str, Any]:
    """Nightly: recompute the audit hash chain; a broken link is logged as an error."""
    report = verify_chain()
    if report.ok:
        log.info("audit chain OK: %s events", report.checked)
    else:
        log.error("audit chain BROKEN at event %s: %s", report.broken_at, report.reason)
    return {"ok": report.ok, "checked": report.checked, "broken_at": report.broken_at, "reason": report.reason}


@task
def send_outbox() -> dict[str, Any]:
    """After each action that queued mail, and every minute: send what is due in the outbox."""
    from samdrift.core.outbox import send_due

    return send_due()


@task
def sweep_jobs() -> dict[str, Any]:
    """Every minute (in the scheduler): fail the jobs whose lease ran out and the task rows whose
    worker is gone, so that nothing stays "running" for ever."""
    from samdrift.core.jobs import sweep

    return sweep()


@task
def export_audit_checkpoint() -> dict[str, Any]:
    """Daily: write the signed head of the audit chain to a file and mail it to the records officers."""
    from samdrift.core.checkpoint import do_export_audit_checkpoint

    path = do_export_audit_checkpoint(actor=None)
    return {"file": str(path)}


@task
def run_import_job(key: str, batch_id: int, step: str, user_id: int | None) -> dict[str, Any]:
    """One step of an import (its dry run or its all-or-nothing commit), holding the job's lease."""
    from samdrift.core.importing import run_job

    return run_job(key, batch_id, step, user_id)


@task
def run_export(job_id: int) -> dict[str, Any]:
    """A large list export (samdrift/core/exports.py): the rows of the same list view, for the same
    user and filters, written with the job's progress."""
    from django.conf import settings
    from django.utils import timezone, translation

    from samdrift.core import exports
    from samdrift.core.actions import do_finish_export
    from samdrift.core.jobs import holding_lease, set_progress
    from samdrift.core.models import ExportJob, ExportStatus

    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return {"job": job_id, "status": job.status}
    try:
        with translation.override(settings.LANGUAGE_CODE):
            set_progress(job, 0, "", status=ExportStatus.RUNNING)
            view = exports.view_for(job.route, job.query, job.created_by)
            query = exports.query_of(view)
            total = query.rows.count()

            def progress(done: int, total: int) -> None:
                set_progress(job, 99 * done // max(1, total), f"{done} / {total}")

            with holding_lease(job):
                content, rows = exports.write(job.format, query, total=total, progress=progress)
            do_finish_export(job, content, rows, f"{query.name}.{job.format}", view.model._meta.label_lower)
    except Exception as exc:  # the job records why; the worker logs the trace
        log.exception("export (job %s) failed", job_id)
        set_progress(job, job.progress, str(exc), status=ExportStatus.FAILED, finished=timezone.now())
        return {"job": job_id, "status": ExportStatus.FAILED, "error": str(exc)}
    return {"job": job_id, "status": ExportStatus.DONE, "rows": rows}
