"""Background tasks of records management (run by the worker, enqueued by the scheduler)."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from samdrift.core.jobs import holding_lease
from samdrift.records.actions import propose_disposal
from samdrift.records.models import RecordType

log = logging.getLogger(__name__)


@task
def propose_disposals() -> dict[str, Any]:
    """Nightly: for each record type with a disposal rule, propose a batch of the records past
    retention. Proposing disposes of nothing; a records officer approves each batch."""
    proposed = {}
    for record_type in RecordType.objects.filter(active=True, keep=False).select_related("content_type"):
        batch = propose_disposal(record_type, actor=None)
        if batch is not None:
            proposed[record_type.code] = batch.item_count
            log.info("disposal batch %s proposed: %s records of %s", batch.pk, batch.item_count, record_type.code)
    return {"proposed": proposed}


@task
def build_archive_export_task(export_id: int) -> dict[str, Any]:
    """Build an archive package (arkivleverans); progress is written on the export as it goes."""
    from samdrift.records.archive import build_archive_export, fail_export
    from samdrift.records.models import ArchiveExport

    export = ArchiveExport.objects.select_related("created_by").get(pk=export_id)
    try:
        with holding_lease(export):
            export = build_archive_export(export, actor=export.created_by)
    except Exception as exc:  # the export records why; the worker logs the trace
        log.exception("archive export %s failed", export_id)
        fail_export(export_id, str(exc))
        return {"export": export_id, "status": "failed", "error": str(exc)}
    return {"export": export_id, "status": export.status, "records": export.record_count, "sha256": export.sha256}
