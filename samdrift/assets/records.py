"""Assets' records (records/services.py) that the information management plan disposes of but an
access request does not search (they are answered from the asset pages and a GDPR extract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from samdrift.assets.models import AssetAssignment, InventoryUpload
from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import Role
from samdrift.records.services import DisposalOnly, delete_rows

RECORDS_ROLES = (Role.RECORDS_OFFICER, Role.ADMIN)


class DeviceHistorySource(DisposalOnly):
    """Who held which device (assignments): N years after the assignment ended."""

    label = "assets.assetassignment"
    verbose = staticmethod(lambda: _("Device history"))

    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        ended = AssetAssignment.objects.filter(ended_at__isnull=False)
        if event == "closed":
            return ended.filter(ended_at__lt=cutoff)
        if event == "created":
            return ended.filter(started_at__lt=cutoff)
        return None

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        return do_dispose_device_history(ids, method, actor=actor)


class InventoryDataSource(DisposalOnly):
    """Payloads the owners' inventory agents sent (data held for the owner): N years after receipt.
    The facts they set on the asset stay; only the stored payloads go."""

    label = "assets.inventoryupload"
    verbose = staticmethod(lambda: _("Inventory data"))

    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        if event in ("created", "closed"):
            return InventoryUpload.objects.filter(received_at__lt=cutoff)
        return None

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        return do_dispose_inventory_data(ids, method, actor=actor)


def _audit_disposal(actor: Any, role: str, label: str, method: str, count: int) -> None:
    record_event(
        actor, role, AuditEventType.UPDATED,
        object_type=label, object_repr=str(count),
        extra={"action": "dispose", "method": method, "count": count},
    )  # fmt: skip


@transaction.atomic
def do_dispose_device_history(ids: models.QuerySet, method: str, *, actor: Any) -> int:
    """Dispose of ended assignments: anonymised (the device's history stays, without the person)
    or deleted. One audit event for the batch."""
    role = require_role(actor, owner_id=None, operator_roles=RECORDS_ROLES)
    rows = AssetAssignment.objects.filter(pk__in=ids)
    count = rows.update(person=None) if method == "anonymise" else delete_rows(rows)
    _audit_disposal(actor, role, "assets.assetassignment", method, count)
    return count


@transaction.atomic
def do_dispose_inventory_data(ids: models.QuerySet, method: str, *, actor: Any) -> int:
    """Dispose of stored agent payloads: emptied (the row stays as a receipt) or deleted. The facts
    they set on the asset stay. One audit event for the batch."""
    role = require_role(actor, owner_id=None, operator_roles=RECORDS_ROLES)
    rows = InventoryUpload.objects.filter(pk__in=ids)
    count = rows.update(raw=b"", remote_addr=None, error="") if method == "anonymise" else delete_rows(rows)
    _audit_disposal(actor, role, "assets.inventoryupload", method, count)
    return count
