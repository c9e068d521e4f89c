"""Background tasks of assets (run by the worker, enqueued by the scheduler)."""

import logging
from datetime import timedelta
from typing import Any

from django.tasks import task
from django.utils import timezone

from samdrift.assets import inventory
from samdrift.assets.models import InventoryUpload, UploadStatus

log = logging.getLogger(__name__)


@task
def retry_inventory_uploads() -> dict[str, Any]:
    """Process again what was received but not processed (a crash) or failed (a bug since fixed)."""
    cutoff = timezone.now() - timedelta(minutes=5)
    ids = list(
        InventoryUpload.objects.filter(status__in=[UploadStatus.RECEIVED, UploadStatus.FAILED], received_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    done = 0
    for upload in InventoryUpload.objects.filter(pk__in=ids).order_by("id").iterator(chunk_size=50):
        try:
            inventory.process_upload(upload)
        except inventory.InventoryError:
            pass  # marked rejected, kept
        done += 1
    log.info("inventory retry: %s uploads processed again", done)
    return {"processed": done}


@task
def check_asset_import_task(batch_id: int, user_id: int | None) -> dict[str, Any]:
    """Kept for tasks queued before imports ran on `samdrift.core.tasks.run_import_job`."""
    from samdrift.core.importing import CHECK, run_job

    return run_job("assets.import", batch_id, CHECK, user_id)


@task
def commit_asset_import_task(batch_id: int, user_id: int | None) -> dict[str, Any]:
    """Kept for tasks queued before imports ran on `samdrift.core.tasks.run_import_job`."""
    from samdrift.core.importing import COMMIT, run_job

    return run_job("assets.import", batch_id, COMMIT, user_id)
