"""Background tasks of take-back: large reports' dry run and apply, and rendering certificates."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from samdrift.core.jobs import holding_lease, set_progress

log = logging.getLogger(__name__)


def _actor(user_id: int | None) -> Any:
    from samdrift.tenancy.models import User

    return User.objects.filter(pk=user_id).first() if user_id else None


@task
def check_report_task(report_id: int, user_id: int | None) -> dict[str, Any]:
    """The dry run of a large partner report; progress is written on the report as it goes."""
    from samdrift.circular import reports
    from samdrift.circular.models import PartnerReport, ReportState

    report = PartnerReport.objects.get(pk=report_id)
    try:
        with holding_lease(report):
            report = reports.check_report(
                report, actor=_actor(user_id), progress=lambda pct, msg: set_progress(report, pct, msg)
            )
    except Exception as exc:  # the report records why; the worker logs the trace
        log.exception("partner report %s: dry run failed", report_id)
        PartnerReport.objects.filter(pk=report_id).update(status=ReportState.ERROR, message=str(exc)[:500])
        return {"report": report_id, "status": ReportState.ERROR}
    return {"report": report_id, "status": report.status}


@task
def apply_report_task(report_id: int, user_id: int | None) -> dict[str, Any]:
    """Apply a large checked report in one transaction; on any error nothing is applied and the
    report goes back to ready with the reason."""
    from samdrift.circular import reports
    from samdrift.circular.models import PartnerReport, ReportState

    report = PartnerReport.objects.get(pk=report_id)
    try:
        with holding_lease(report):
            set_progress(report, 0, "")
            report = reports.do_apply_report(report, actor=_actor(user_id))
    except Exception as exc:
        log.exception("partner report %s: apply failed", report_id)
        message = " ".join(getattr(exc, "messages", [str(exc)]))[:500]
        PartnerReport.objects.filter(pk=report_id, status=ReportState.APPLYING).update(
            status=ReportState.READY, message=message, lease_expires=None
        )
        return {"report": report_id, "status": ReportState.READY, "error": message}
    return {"report": report_id, "status": report.status}


@task
def render_certificates_task() -> dict[str, Any]:
    """Render the certificates of applied reports that have no PDF yet (a few hundred a run)."""
    from samdrift.circular.certificates import render_pending

    return {"rendered": render_pending()}
