"""GDPR: everything Samdrift holds about one person (registerutdrag, art. 15), and the plan of what
an erasure (art. 17) removes and what the law keeps, with the reason.

Reads every capability's data about the person with the records officer's authority (checked by
the calling action). Set-based: one query per kind of data, however many rows."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.models import AuditEvent
from samdrift.records.models import RecordType

MAX_ROWS = 5000


def _dt(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value.isoformat()
    return value.isoformat()


def person_extract(person: Any) -> dict[str, Any]:
    """Everything that refers to the person, grouped by where it is kept."""
    from samdrift.assets.models import Asset, AssetAssignment, LicenceAssignment
    from samdrift.servicedesk.models import Ticket
    from samdrift.tenancy.models import User

    extract: dict[str, Any] = {
        "person": {
            "name": str(person),
            "kind": str(person.get_kind_display()),
            "owner": str(person.owner),
            "identifier": person.external_id,
            "email": person.email,
            "phone": person.phone,
            "title": person.title,
            "org_unit": str(person.org_unit) if person.org_unit_id else "",
            "cost_centre": str(person.cost_centre) if person.cost_centre_id else "",
            "active": person.active,
        },
        "generated": _dt(timezone.now()),
    }
    user = User.objects.filter(person=person).first()
    extract["account"] = (
        {
            "username": user.username,
            "last_login": _dt(user.last_login),
            "roles": [
                f"{m.get_role_display()} {m.owner or ''}".strip() for m in user.memberships.select_related("owner")
            ],
        }
        if user
        else None
    )
    extract["tickets"] = [
        {"number": t.number, "subject": t.subject, "created": _dt(t.created), "status": str(t.get_status_display())}
        for t in Ticket.objects.filter(requester=person).order_by("created", "id")[:MAX_ROWS]
    ]
    extract["devices_held"] = [
        {
            "asset_tag": a.asset.asset_tag,
            "device": f"{a.asset.manufacturer.name} {a.asset.model.name}",
            "category": str(a.asset.model.get_category_display()),
            "serial_number": a.asset.serial_number,
            "from": _dt(a.started_at),
            "until": _dt(a.ended_at),
        }
        for a in AssetAssignment.objects.filter(person=person)
        .select_related("asset__manufacturer", "asset__model")
        .order_by("started_at", "id")[:MAX_ROWS]
    ]
    held = {d["asset_tag"] for d in extract["devices_held"]}
    for asset in Asset.objects.filter(assigned_to=person).select_related("manufacturer", "model"):
        if asset.asset_tag not in held:
            extract["devices_held"].append(
                {
                    "asset_tag": asset.asset_tag,
                    "device": f"{asset.manufacturer.name} {asset.model.name}",
                    "category": str(asset.model.get_category_display()),
                    "serial_number": asset.serial_number,
                    "from": None,
                    "until": None,
                }
            )
    extract["licences"] = [
        {"product": la.entitlement.product.name, "assigned": _dt(la.created)}
        for la in LicenceAssignment.objects.filter(person=person).select_related("entitlement__product")[:MAX_ROWS]
    ]
    extract["orders"] = _orders_of(person)
    extract["audit_events"] = [
        {"time": _dt(e.created), "event": e.event_type, "by": e.actor_label, "fields": sorted((e.changes or {}).keys())}
        for e in AuditEvent.objects.filter(object_type="tenancy.person", object_id=str(person.pk)).order_by("id")[
            :MAX_ROWS
        ]
    ]
    return extract


def _orders_of(person: Any) -> list[dict[str, Any]]:
    """Orders placed for or by the person, when the ordering capability is installed."""
    try:
        from samdrift.ordering import models as ordering_models  # type: ignore[attr-defined]
    except ImportError:
        return []
    order_model = getattr(ordering_models, "Order", None)
    if order_model is None:
        return []
    names = {f.name for f in order_model._meta.get_fields()}
    for field in ("person", "recipient", "for_person", "requester"):
        if field in names:
            rows = order_model._default_manager.filter(**{field: person}).order_by("pk")[:MAX_ROWS]
            return [{"order": str(o), "created": _dt(getattr(o, "created", None))} for o in rows]
    return []


def _retention(label: str) -> str:
    app_label, model = label.split(".")
    try:
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
    except ContentType.DoesNotExist:
        return ""
    record_type = RecordType.objects.filter(content_type=content_type, active=True).first()
    return f"{record_type.name}: {record_type.retention_display}" if record_type else ""


def erasure_plan(person: Any) -> dict[str, Any]:
    """What an erasure changes and what stays, with the reason it stays."""
    extract = person_extract(person)
    kept = []
    if extract["tickets"]:
        kept.append(
            {
                "what": _("Tickets where the person is the requester"),
                "count": len(extract["tickets"]),
                "why": _retention("servicedesk.ticket")
                or _("Official records, kept under the information management plan."),
            }
        )
    if extract["devices_held"]:
        kept.append(
            {
                "what": _("Device history (who held which device)"),
                "count": len(extract["devices_held"]),
                "why": _retention("assets.assetassignment")
                or _("Basis of the charges to the owner (accounting records)."),
            }
        )
    if extract["audit_events"]:
        kept.append(
            {
                "what": _("Audit trail events"),
                "count": len(extract["audit_events"]),
                "why": _("The audit trail is append-only: it proves who did what and cannot be changed."),
            }
        )
    return {
        "erased": [_("Name"), _("E-mail"), _("Phone"), _("Title"), _("Identifier")],
        "kept": kept,
        "note": _("The kept records now refer to an anonymised person."),
    }
