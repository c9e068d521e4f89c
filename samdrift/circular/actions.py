"""Every write of take-back before the partner reports: partners, security officers, batches, what
is packed where, and the pickup order to the partner (a file sent through the outbox, like a
purchase order). The report, its dry run and applying it are in `samdrift.circular.reports`."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from samdrift.assets.models import Asset, AssetStatus
from samdrift.circular.models import (
    BATCH_FLOW,
    STAFF,
    Batch,
    BatchItem,
    BatchStatus,
    ItemState,
    Partner,
    ReportMapping,
    SecurityContact,
)
from samdrift.core import cells
from samdrift.core.access import require_role
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.outbox import Attachment, queue_message
from samdrift.core.roles import Role
from samdrift.core.tabular import looks_like_formula

MAX_LABELS = 5000


def staff_role(actor: Any, owner_id: int | None = None) -> str:
    """Take-back is run by the operator's technicians and administrators."""
    return require_role(actor, owner_id=owner_id, operator_roles=STAFF)


def _pk(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return value.pk if hasattr(value, "pk") else int(value)


# --- partners, mappings, security officers ----------------------------------------------------


@transaction.atomic
def do_create_partner(data: dict[str, Any], *, actor: Any) -> Partner:
    return create_audited(Partner, data, actor=actor, role=staff_role(actor))


@transaction.atomic
def do_update_partner(partner: Partner, data: dict[str, Any], *, actor: Any) -> Partner:
    return update_audited(partner, data, actor=actor, role=staff_role(actor))


@transaction.atomic
def do_set_partner_active(partner: Partner, active: bool, *, actor: Any) -> Partner:
    return set_active_audited(partner, active, actor=actor, role=staff_role(actor))


@transaction.atomic
def do_save_report_mapping(data: dict[str, Any], *, actor: Any) -> ReportMapping:
    """Save (or replace the columns of) a named column mapping for partner reports."""
    from samdrift.circular.reports import clean_columns

    role = staff_role(actor)
    data = dict(data)
    data["columns"] = clean_columns(data.get("columns") or {})
    existing = ReportMapping.objects.filter(name=data.get("name", "")).first()
    if existing is not None:
        return update_audited(existing, data, actor=actor, role=role)
    return create_audited(ReportMapping, data, actor=actor, role=role)


@transaction.atomic
def do_update_report_mapping(mapping: ReportMapping, data: dict[str, Any], *, actor: Any) -> ReportMapping:
    from samdrift.circular.reports import clean_columns

    data = dict(data)
    if "columns" in data:
        data["columns"] = clean_columns(data["columns"] or {})
    return update_audited(mapping, data, actor=actor, role=staff_role(actor))


@transaction.atomic
def do_set_security_contact(data: dict[str, Any], *, actor: Any) -> SecurityContact:
    """Name the owner's security officer, who receives take-back incidents (a person of that owner)."""
    owner, person = data.get("owner"), data.get("person")
    role = staff_role(actor, _pk(owner))
    if owner is None or person is None:
        raise ValidationError({"person": _("Choose the owner and a person of that owner.")})
    if person.owner_id != owner.pk:
        raise ValidationError({"person": _("Must belong to the same owner.")})
    if not person.active:
        raise ValidationError({"person": _("The person is inactive.")})
    existing = SecurityContact.objects.filter(owner=owner).first()
    if existing is not None:
        return update_audited(existing, {"person": person}, actor=actor, role=role)
    return create_audited(SecurityContact, {"owner": owner, "person": person}, actor=actor, role=role)


# --- batches -----------------------------------------------------------------------------------


def next_batch_number(when: Any = None) -> str:
    year = timezone.localdate(when).year if when else timezone.localdate().year
    prefix = f"ÅT-{year}-"
    last = Batch.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


@transaction.atomic
def do_create_batch(data: dict[str, Any], *, actor: Any) -> Batch:
    """Open a take-back batch for a partner; devices are packed into it next."""
    role = staff_role(actor)
    partner = data.get("partner")
    if partner is None:
        raise ValidationError({"partner": _("This field is required.")})
    if not partner.active:
        raise ValidationError({"partner": _("The partner is inactive.")})
    # The lock makes concurrent batches take consecutive numbers.
    list(Batch.objects.select_for_update().order_by("-id").values_list("id", flat=True)[:1])
    fields = {k: v for k, v in data.items() if k in {"partner", "pickup_address", "pickup_date", "notes"}}
    fields["number"] = next_batch_number()
    fields["created_by"] = actor if getattr(actor, "pk", None) else None
    fields["status"] = BatchStatus.OPEN
    return create_audited(Batch, fields, actor=actor, role=role)


@transaction.atomic
def do_update_batch(batch: Batch, data: dict[str, Any], *, actor: Any) -> Batch:
    role = staff_role(actor)
    allowed = {"pickup_address", "pickup_date", "notes"}
    if batch.status == BatchStatus.OPEN:
        allowed.add("partner")
    return update_audited(batch, {k: v for k, v in data.items() if k in allowed}, actor=actor, role=role)


def candidates(*, owner: Any = None, site: Any = None) -> Any:
    """Devices awaiting erasure that are in no batch yet, optionally of one owner and site."""
    qs = Asset.objects.filter(status=AssetStatus.AWAITING_ERASURE, takeback_item__isnull=True)
    if owner is not None:
        qs = qs.filter(owner_id=owner.pk if hasattr(owner, "pk") else int(owner))
    if site is not None:
        qs = qs.filter(site_id=site.pk if hasattr(site, "pk") else int(site))
    return qs.select_related("owner", "model", "site").order_by("owner_id", "site_id", "asset_tag")


def find_labels(text: str) -> tuple[list[Asset], list[str]]:
    """Devices named by scanned labels (asset tag or serial number, one per line or separated by
    spaces, commas or semicolons); the labels that match no device are returned as well."""
    labels = [x for x in re.split(r"[\s,;]+", text or "") if x]
    if len(labels) > MAX_LABELS:
        raise ValidationError({"labels": _("At most %(max)s labels at a time.") % {"max": MAX_LABELS}})
    unique = list(dict.fromkeys(labels))
    found: dict[str, Asset] = {}
    for asset in Asset.objects.filter(Q(asset_tag__in=unique) | Q(serial_number__in=unique)).select_related("owner"):
        found.setdefault(asset.asset_tag, asset)
        if asset.serial_number:
            found.setdefault(asset.serial_number, asset)
    assets: dict[int, Asset] = {}
    unknown: list[str] = []
    for label in unique:
        hit = found.get(label)
        if hit is None:
            unknown.append(label)
        else:
            assets.setdefault(hit.pk, hit)
    return list(assets.values()), unknown


def _clean_mark(value: Any, name: str) -> str:
    text = str(value or "").strip()
    if len(text) > 40:
        raise ValidationError({name: _("At most 40 characters.")})
    if looks_like_formula(text):
        raise ValidationError({name: _("A box or seal number cannot start with =, +, - or @.")})
    return text


@transaction.atomic
def do_add_batch_items(
    batch: Batch, assets: Iterable[Asset], *, actor: Any, box: str = "", seal: str = ""
) -> list[BatchItem]:
    """Pack devices awaiting erasure into an open batch: all of them, or none if one cannot go."""
    role = staff_role(actor)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.OPEN:
        raise ValidationError(_("Devices are added only while the batch is being packed."))
    box, seal = _clean_mark(box, "box"), _clean_mark(seal, "seal")
    ids = list(dict.fromkeys(a.pk for a in assets))
    if not ids:
        raise ValidationError({"assets": _("Choose at least one device.")})
    locked = list(Asset.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    taken = dict(BatchItem.objects.filter(asset_id__in=ids).values_list("asset_id", "batch__number"))
    errors = []
    for asset in locked:
        if asset.status != AssetStatus.AWAITING_ERASURE:
            errors.append(
                _("%(asset)s is %(status)s, not awaiting erasure.")
                % {"asset": asset.asset_tag, "status": AssetStatus(asset.status).label}
            )
        elif asset.pk in taken:
            errors.append(
                _("%(asset)s is already in batch %(batch)s.") % {"asset": asset.asset_tag, "batch": taken[asset.pk]}
            )
        elif not asset.serial_number:
            errors.append(
                _("%(asset)s has no serial number; the partner reports by serial number.") % {"asset": asset.asset_tag}
            )
    if len(locked) != len(ids):
        errors.append(_("A device was not found."))
    if errors:
        raise ValidationError({"assets": errors})
    now = timezone.now()
    items = BatchItem.objects.bulk_create(
        BatchItem(
            owner_id=a.owner_id, batch=batch, asset=a, serial_number=a.serial_number, box=box, seal=seal, added_at=now
        )
        for a in locked
    )
    record_events(
        actor,
        role,
        [
            PendingEvent(
                AuditEventType.CREATED,
                item,
                changes={
                    "batch": [None, batch.number],
                    "asset": [None, item.asset_id],
                    "box": [None, box],
                    "seal": [None, seal],
                },
            )
            for item in items
        ],
    )
    return items


@transaction.atomic
def do_set_item_packing(item: BatchItem, data: dict[str, Any], *, actor: Any) -> BatchItem:
    """Say which box and seal a device is packed in (while the batch is being packed)."""
    role = staff_role(actor)
    if item.batch.status != BatchStatus.OPEN:
        raise ValidationError(_("Boxes and seals are changed only while the batch is being packed."))
    clean: dict[str, Any] = {name: _clean_mark(data[name], name) for name in ("box", "seal") if name in data}
    return update_audited(item, clean, actor=actor, role=role)


@transaction.atomic
def do_remove_batch_item(item: BatchItem, *, actor: Any) -> None:
    role = staff_role(actor)
    if item.batch.status != BatchStatus.OPEN:
        raise ValidationError(_("Devices are removed only while the batch is being packed."))
    record_event(
        actor, role, AuditEventType.DEACTIVATED, item, changes={"batch": [item.batch.number, None]},
        extra={"action": "remove_from_batch"},
    )  # fmt: skip
    item.delete()


# --- the pickup order ---------------------------------------------------------------------------


def pickup_rows(batch: Batch) -> tuple[list[str], list[list[Any]]]:
    """The packing list the partner receives: one row per device, box by box. Owner names are
    left out (the partner needs serial numbers, not whose data the device held); a device reported
    lost or stolen has left the batch."""
    header = ["batch", "box", "seal", "serial_number", "asset_tag", "manufacturer", "model", "category"]
    rows = [
        [batch.number, box, seal, serial, tag, maker, model, category]
        for box, seal, serial, tag, maker, model, category in batch.items.exclude(state=ItemState.LOST).order_by(
            "box", "seal", "serial_number").values_list(
            "box", "seal", "serial_number", "asset__asset_tag", "asset__manufacturer__name", "asset__model__name",
            "asset__model__category",
        )
    ]  # fmt: skip
    return header, rows


def pickup_order_file(batch: Batch, fmt: str) -> bytes:
    header, rows = pickup_rows(batch)
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(batch.number)
        sheet.append(header)
        for row in rows:
            sheet.append(cells.xlsx_row(sheet, row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.StringIO()
    writer = cells.writer(text, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def _queue_pickup_order(batch: Batch) -> bool:
    partner = batch.partner
    if not partner.email:
        return False
    fmt = partner.attachment_format
    mime = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    count = batch.items.count()
    boxes = batch.items.exclude(box="").values("box").distinct().count()
    with translation.override(settings.LANGUAGE_CODE):
        queue_message(
            kind="circular.pickup_order",
            to=[partner.email],
            subject=_("Pickup order %(number)s: %(count)s devices for erasure")
            % {"number": batch.number, "count": count},
            body=_(
                "Please collect take-back batch %(number)s: %(count)s devices in %(boxes)s sealed boxes.\n"
                "Pickup address: %(address)s\nRequested date: %(date)s\n\n"
                "The packing list is attached. Report erasure and outcome per serial number, quoting %(number)s."
            )
            % {
                "number": batch.number,
                "count": count,
                "boxes": boxes,
                "address": batch.pickup_address or "-",
                "date": batch.pickup_date.isoformat() if batch.pickup_date else "-",
            },
            attachments=[Attachment(f"{batch.number}.{fmt}", pickup_order_file(batch, fmt), mime)],
            about=batch,
        )
    return True


@transaction.atomic
def do_order_pickup(batch: Batch, *, actor: Any) -> Batch:
    """Send the pickup order to the partner (file and e-mail through the outbox). Every device
    must be packed in a box under a seal first."""
    role = staff_role(actor)
    batch = Batch.objects.select_for_update().select_related("partner").get(pk=batch.pk)
    if batch.status != BatchStatus.OPEN:
        raise ValidationError(_("The pickup has already been ordered."))
    packed = batch.items.exclude(state=ItemState.LOST)  # a device reported lost has left the batch
    if not packed.exists():
        raise ValidationError(_("The batch has no devices."))
    unpacked = packed.filter(Q(box="") | Q(seal="")).count()
    if unpacked:
        raise ValidationError(
            _("%(count)s devices have no box or seal number. Say where every device is packed first.")
            % {"count": unpacked}
        )
    if not batch.partner.email:
        raise ValidationError(_("The partner has no e-mail address for pickup orders."))
    now = timezone.now()
    batch.status, batch.ordered_at = BatchStatus.ORDERED, now
    batch.save(update_fields=["status", "ordered_at"])
    _queue_pickup_order(batch)
    record_event(
        actor, role, AuditEventType.UPDATED, batch, changes={"status": [BatchStatus.OPEN, BatchStatus.ORDERED]},
        extra={"action": "order_pickup", "partner": batch.partner_id},
    )  # fmt: skip
    return batch


@transaction.atomic
def do_resend_pickup_order(batch: Batch, *, actor: Any) -> Batch:
    role = staff_role(actor)
    if batch.status == BatchStatus.OPEN:
        raise ValidationError(_("Order the pickup first."))
    if not _queue_pickup_order(batch):
        raise ValidationError(_("The partner has no e-mail address for pickup orders."))
    record_event(actor, role, AuditEventType.UPDATED, batch, extra={"action": "resend_pickup_order"})
    return batch


STEP_FIELDS: dict[str, str] = {BatchStatus.PICKED_UP: "picked_up_at", BatchStatus.RECEIVED: "received_at"}


@transaction.atomic
def do_advance_batch(batch: Batch, status: str, *, actor: Any) -> Batch:
    """The batch was picked up, then received by the partner (one step at a time)."""
    role = staff_role(actor)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if status not in STEP_FIELDS:
        raise ValidationError({"status": _("Unknown status.")})
    position = BATCH_FLOW.index(BatchStatus(status))
    if batch.status != BATCH_FLOW[position - 1]:
        raise ValidationError(
            {
                "status": _("The batch is %(now)s; it cannot become %(new)s now.")
                % {"now": BatchStatus(batch.status).label, "new": BatchStatus(status).label}
            }
        )
    before = batch.status
    field = STEP_FIELDS[status]
    batch.status = status
    setattr(batch, field, timezone.now())
    batch.save(update_fields=["status", field])
    record_event(actor, role, AuditEventType.UPDATED, batch, changes={"status": [before, status]})
    return batch


def batch_totals(batch: Batch, user: Any) -> list[dict[str, Any]]:
    """Per owner the user may see: devices, by state, residual value and CO2e (one query)."""
    from django.db.models import Count, Sum

    rows: Any = (
        BatchItem.objects.for_user(user)
        .filter(batch=batch)
        .values("owner_id", "owner__name")
        .annotate(
            devices=Count("id"),
            erased=Count("id", filter=Q(state=ItemState.ERASED)),
            incidents=Count("id", filter=Q(state__in=[ItemState.NOT_ERASED, ItemState.MISSING])),
            value=Sum("residual_value"),
            co2e=Sum("co2e_avoided_kg"),
        )
        .order_by("owner__name")
    )
    return list(rows)


# Disposal under the information management plan (records calls these through circular.services).
DISPOSAL_ROLES = (Role.RECORDS_OFFICER, Role.ADMIN)


def _audit_disposal(actor: Any, role: str, label: str, method: str, count: int) -> None:
    record_event(
        actor, role, AuditEventType.UPDATED,
        object_type=label, object_repr=str(count),
        extra={"action": "dispose", "method": method, "count": count},
    )  # fmt: skip


@transaction.atomic
def do_dispose_certificates(ids: Any, method: str, *, actor: Any) -> int:
    """Certificates past their retention are deleted (the device keeps its closed status; the audit
    trail keeps each certificate's number and hash). One audit event for the batch."""
    from samdrift.circular.models import Certificate

    role = require_role(actor, owner_id=None, operator_roles=DISPOSAL_ROLES)
    rows = Certificate.objects.filter(pk__in=ids)
    count = rows._raw_delete(rows.db)  # type: ignore[attr-defined]
    _audit_disposal(actor, role, "circular.certificate", method, count)
    return int(count)


@transaction.atomic
def do_dispose_partner_reports(ids: Any, method: str, *, actor: Any) -> int:
    """A partner report's file and raw rows go; its structured lines stay, because the owners'
    credits and the devices' history refer to them. One audit event for the batch."""
    from samdrift.circular.models import PartnerReport, ReportLine

    role = require_role(actor, owner_id=None, operator_roles=DISPOSAL_ROLES)
    ReportLine.objects.filter(report_id__in=ids).update(raw={})
    count = PartnerReport.objects.filter(pk__in=ids).update(content=b"", file_errors=[])
    _audit_disposal(actor, role, "circular.partnerreport", method, count)
    return count
