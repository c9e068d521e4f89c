"""Lost and stolen devices (förlustanmälan): their own path, beside take-back's erasure chain.

A loss report says what happened (lost or stolen, when, where, the police report number of a
theft), who reported it and whether the data on the device was protected (encrypted disk, remote
wipe). Making one moves the device to its lost or stolen status, takes it out of a take-back batch
it was packed in (the batch shows it), and raises an incident for the owner's security officer,
as a device that was not erased does. The report is an official record kept under the
information management plan (records' published registry, like the certificates).

Technicians and administrators report any device; an owner's own staff report the devices they
hold themselves. A partner report's device missing after the deadline may be resolved as lost:
applying the report makes its loss report (report_apply).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from samdrift.assets import actions as asset_actions
from samdrift.assets.models import TRANSITIONS, Asset, AssetStatus
from samdrift.circular.models import STAFF, BatchItem, ItemState, LossKind, LossReport, ReportLine, SecurityContact
from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import OWNER_ROLES

LOSS_FIELDS = ("kind", "occurred_on", "place", "police_report", "encrypted", "remotely_wiped", "description")


def loss_role(actor: Any, asset: Asset) -> str:
    """Staff report any device; a person at the owner reports the device they hold themselves."""
    try:
        return require_role(actor, owner_id=asset.owner_id, operator_roles=STAFF)
    except PermissionDenied:
        role = require_role(actor, owner_id=asset.owner_id, owner_roles=OWNER_ROLES)
        person_id = getattr(actor, "person_id", None)
        if person_id is None or asset.assigned_to_id != person_id:
            raise
        return role


def may_report_loss(user: Any, asset: Asset) -> bool:
    try:
        loss_role(user, asset)
    except PermissionDenied:
        return False
    return bool(TRANSITIONS.get(asset.status, frozenset()) & {AssetStatus.LOST, AssetStatus.STOLEN})


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes", "ja"}
    return bool(value)


def clean_loss(data: dict[str, Any], today: date) -> dict[str, Any]:
    """The loss report's fields checked; every problem named at once."""
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in LossKind.values:
        errors["kind"] = _("Say whether the device was lost or stolen.")
    raw_day = data.get("occurred_on")
    day = raw_day if isinstance(raw_day, date) else parse_date(str(raw_day or "").strip()) if raw_day else None
    if day is None:
        errors["occurred_on"] = _("Give the date of the loss (YYYY-MM-DD).")
    elif day > today:
        errors["occurred_on"] = _("The date of the loss cannot be in the future.")
    place = str(data.get("place") or "").strip()
    if not place:
        errors["place"] = _("Say where the device was lost or stolen.")
    police = str(data.get("police_report") or "").strip()
    if kind == LossKind.STOLEN and not police:
        errors["police_report"] = _("A stolen device needs the police report number.")
    if len(place) > 200 or len(police) > 40:
        errors.setdefault("place", _("The place is at most 200 characters, the police report number 40."))
    description = str(data.get("description") or "").strip()
    if len(description) > 5000:
        errors["description"] = _("The description is at most 5,000 characters.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "occurred_on": day,
        "place": place,
        "police_report": police,
        "encrypted": _flag(data.get("encrypted")),
        "remotely_wiped": _flag(data.get("remotely_wiped")),
        "description": description,
    }


@transaction.atomic
def do_report_loss(
    asset: Asset, data: dict[str, Any], *, actor: Any, report_line: ReportLine | None = None
) -> LossReport:
    """Report a device lost or stolen: its status, its leaving a take-back batch, the incident for
    the owner's security officer and the loss report itself, all or nothing."""
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    role = loss_role(actor, asset)
    clean = clean_loss(data, timezone.localdate())
    if asset.status in {AssetStatus.LOST, AssetStatus.STOLEN}:
        raise ValidationError(_("The device is already reported lost or stolen."))
    asset_actions.check_transition(asset, clean["kind"])
    contact = SecurityContact.objects.filter(owner_id=asset.owner_id).select_related("person").first()
    if contact is None:
        raise ValidationError(_("The owner has no security officer to receive the incident; name one first."))
    item = BatchItem.objects.select_for_update().select_related("batch").filter(asset=asset).first()
    now = timezone.now()
    scope_person = getattr(actor, "person_id", None)
    report = LossReport(
        owner_id=asset.owner_id,
        number=f"FA-{uuid.uuid4().hex[:17]}",  # its own number once it has an id
        asset=asset,
        status_before=asset.status,
        reporter_person_id=scope_person,
        reported_by=actor if getattr(actor, "pk", None) else None,
        batch_item=item if item is not None and item.state == ItemState.PACKED else None,
        report_line=report_line,
        created=now,
        **clean,
    )
    report.save(force_insert=True)
    report.number = f"FA-{report.pk:05d}"
    asset_actions.change_status_as(
        asset, clean["kind"], actor=actor, role=role, extra={"action": "report_loss", "loss_report": report.number}
    )
    if report.batch_item is not None:
        BatchItem.objects.filter(pk=item.pk).update(state=ItemState.LOST, closed_at=now)  # type: ignore[union-attr]
        record_event(
            actor, role, AuditEventType.UPDATED, item,
            changes={"state": [ItemState.PACKED, ItemState.LOST]},
            extra={"action": "left_batch_lost", "batch": item.batch.number, "loss_report": report.number},  # type: ignore[union-attr]
        )  # fmt: skip
    report.ticket_number = _raise_incident(report, contact, actor=actor, staff=role in STAFF or actor is None)
    report.save(update_fields=["number", "ticket_number"])
    record_event(
        actor, role, AuditEventType.CREATED, report,
        changes={name: [None, clean[name]] for name in LOSS_FIELDS},
        extra={"action": "report_loss", "asset": asset.asset_tag, "incident": report.ticket_number,
               **({"batch": item.batch.number} if report.batch_item is not None else {})},  # type: ignore[union-attr]
    )  # fmt: skip
    return report


def _raise_incident(report: LossReport, contact: SecurityContact, *, actor: Any, staff: bool) -> str:
    """The incident for the owner's security officer. A device's own user may not open a
    confidential ticket for someone else, so theirs is opened by the system; the loss report's
    audit event names who reported it."""
    from samdrift.servicedesk.actions import do_create_ticket
    from samdrift.servicedesk.models import Level, TicketSecrecyGround

    asset = report.asset
    protected = [
        str(label)
        for flag, label in ((report.encrypted, _("encrypted disk")), (report.remotely_wiped, _("remotely wiped")))
        if flag
    ]
    ticket = do_create_ticket(
        {
            "requester": contact.person,
            "subject": _("%(kind)s device %(asset)s (loss report %(number)s)")
            % {"kind": LossKind(report.kind).label, "asset": asset.asset_tag, "number": report.number},
            "description": _(
                "%(asset)s (serial number %(serial)s) was reported %(kind)s on %(day)s at %(place)s. "
                "Police report: %(police)s. Protection: %(protected)s.\n%(text)s"
            )
            % {
                "asset": asset.asset_tag,
                "serial": asset.serial_number or "-",
                "kind": LossKind(report.kind).label.lower(),
                "day": report.occurred_on.isoformat(),
                "place": report.place,
                "police": report.police_report or "-",
                "protected": ", ".join(protected) or _("none known"),
                "text": report.description,
            },
            "type": "incident",
            "impact": Level.HIGH,
            "urgency": Level.HIGH,
            "confidential": True,
            "secrecy_ground": TicketSecrecyGround.SECURITY,
            "assets": [asset],
        },
        actor=actor if staff else None,
    )
    return str(ticket.number)


def loss_from_missing(line: ReportLine, *, actor: Any) -> LossReport:
    """A device the partner never reported, resolved as lost: its loss report, made when the
    partner's report is applied."""
    batch = line.report.batch
    item = line.item
    assert item is not None  # a missing line is always a batch device
    return do_report_loss(
        item.asset,
        {
            "kind": LossKind.LOST,
            "occurred_on": timezone.localtime(batch.received_at or timezone.now()).date(),
            "place": _("In take-back batch %(batch)s, with %(partner)s or on the way")
            % {"batch": batch.number, "partner": batch.partner.name},
            "description": line.resolution_note,
        },
        actor=actor,
        report_line=line,
    )


@transaction.atomic
def do_dispose_loss_reports(ids: Any, method: str, *, actor: Any) -> int:
    """Loss reports past their retention go; the device keeps its lost or stolen status and the
    audit trail keeps each report's number. One audit event for the batch."""
    from samdrift.circular.actions import DISPOSAL_ROLES, _audit_disposal

    role = require_role(actor, owner_id=None, operator_roles=DISPOSAL_ROLES)
    rows = LossReport.objects.filter(pk__in=ids)
    count = rows._raw_delete(rows.db)  # type: ignore[attr-defined]
    _audit_disposal(actor, role, "circular.lossreport", method, count)
    return int(count)
