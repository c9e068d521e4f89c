"""Background tasks of assets (run by the worker, enqueued by the scheduler)."""

import logging
from datetime import timedelta
from typing import Any

from django.tasks import task
from django.utils import timezone

from samdrift.assets import inventory
from samdrift.assets.models import InventoryUpload, UploadStatus
from samdrift.core.jobs import holding_lease

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


def _actor(user_id: int | None) -> Any:
    from samdrift.tenancy.models import User

    return User.objects.filter(pk=user_id).first() if user_id else None


@task
def check_asset_import_task(batch_id: int, user_id: int | None) -> dict[str, Any]:
    """The dry run of a large asset file; progress is written on the batch as it goes."""
    from samdrift.assets import imports
    from samdrift.assets.models import AssetImport, ImportState

    batch = AssetImport.objects.select_related("owner").get(pk=batch_id)
    try:
        with holding_lease(batch):
            batch = imports.check_asset_import(batch, actor=_actor(user_id), in_background=True)
    except Exception as exc:  # the batch records why; the worker logs the trace
        log.exception("asset import %s: dry run failed", batch_id)
        AssetImport.objects.filter(pk=batch_id).update(status=ImportState.ERROR, message=str(exc)[:500])
        return {"import": batch_id, "status": ImportState.ERROR}
    return {"import": batch_id, "status": batch.status, "errors": batch.error_count}


@task
def commit_asset_import_task(batch_id: int, user_id: int | None) -> dict[str, Any]:
    """The all-or-nothing import of a large asset file."""
    from django.core.exceptions import ValidationError

    from samdrift.assets import imports
    from samdrift.assets.models import AssetImport, ImportState

    batch = AssetImport.objects.select_related("owner").get(pk=batch_id)
    try:
        with holding_lease(batch):
            batch = imports.do_commit_asset_import(batch, actor=_actor(user_id))
    except ValidationError:
        return {"import": batch_id, "status": AssetImport.objects.get(pk=batch_id).status}
    except Exception as exc:
        log.exception("asset import %s failed", batch_id)
        AssetImport.objects.filter(pk=batch_id).update(status=ImportState.ERROR, message=str(exc)[:500])
        return {"import": batch_id, "status": ImportState.ERROR}
    return {"import": batch_id, "status": batch.status, "new": batch.create_count, "changed": batch.update_count}
