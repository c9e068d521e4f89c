"""The billing run as a background task (worker process); progress is stored on the run."""

from __future__ import annotations

import logging
from typing import Any

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
    from samdrift.billing.actions import finish_run_audit

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
    return {"run": run_id, "status": run.status, "lines": run.line_count, "invoices": run.invoice_count}
