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
