"""GDPR: everything Samdrift holds about one person (registerutdrag, art. 15), the plan of what
an erasure (art. 17) removes and what the law keeps, with the reason, and the reports of a
rectification (art. 16: what was corrected, what keeps the old value and why) and of a restriction
of processing (art. 18).

Reads every capability's data about the person with the records officer's authority (checked by
the calling action). Set-based: one query per kind of data, however many rows."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
            "processing_restricted_since": _dt(person.processing_restricted_since),
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
    """What was ordered for the person: every order line naming them as recipient, with its
    order, status and the stages it went through."""
    from samdrift.ordering.models import OrderLine

    lines = (
        OrderLine.objects.filter(recipient=person)
        .select_related("order", "package", "service")
        .order_by("order_id", "pk")[:MAX_ROWS]
    )
    return [
        {
            "order": str(line.order),
            "line": line.description,
            "status": line.status,
            "submitted": _dt(line.submitted_at),
            "delivered": _dt(line.delivered_at),
            "handed_over": _dt(line.handed_over_at),
        }
        for line in lines
    ]


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


# --- rectification (art. 16) and restriction (art. 18) --------------------------------------------

# The person's own data a rectification may correct. The identifier (the owner's own key), the kind
# and the cost centre are the owner's administrative data, corrected in the people register.
RECTIFIABLE = ("first_name", "last_name", "email", "phone", "title", "org_unit")
PUPIL_GROUND = "osl_23"


def field_label(name: str) -> str:
    from samdrift.tenancy.models import Person

    return str(capfirst(getattr(Person._meta.get_field(name), "verbose_name", name)))


def display_value(person: Any, name: str) -> str:
    if name == "org_unit":
        return str(person.org_unit) if person.org_unit_id else ""
    return str(getattr(person, name) or "")


def secret_fields(person: Any) -> dict[str, str]:
    """The person's fields that are secret, with the provision: every field of a pupil (OSL 23
    kap.: a pupil's identity and personal circumstances, as the records sources treat a pupil who
    is a requester), the standing markings that apply to the person, and markings set on them."""
    from samdrift.records.models import SecrecyGround, SecrecyMarking, StandingMarking

    content_type = ContentType.objects.get_for_model(person)
    found: dict[str, str] = {}
    if person.is_pupil:
        reference = SecrecyGround.objects.filter(code=PUPIL_GROUND).values_list("reference", flat=True).first()
        for name in RECTIFIABLE:
            found[name] = reference or "OSL 23 kap."
    for standing in StandingMarking.objects.filter(content_type=content_type).select_related("ground"):
        if all(str(getattr(person, k, None)) == str(v) for k, v in (standing.condition or {}).items()):
            found.setdefault(standing.field_name, standing.ground.reference)
    for marking in SecrecyMarking.objects.filter(
        content_type=content_type, object_id=str(person.pk), lifted_at__isnull=True
    ).select_related("ground"):
        for name in [marking.field_name] if marking.field_name else RECTIFIABLE:
            found.setdefault(name, marking.ground.reference)
    return found


def _model(label: str) -> Any:
    """Another capability's model, read here with the records officer's authority; None when that
    capability is not installed (records depends on none of them)."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _order_refs(person: Any) -> list[str]:
    """The billing source references (`ordering.line:<id>`) of the order lines for the person."""
    order_line = _model("ordering.OrderLine")
    if order_line is None:
        return []
    ids = order_line._default_manager.filter(recipient=person).values_list("pk", flat=True)[:MAX_ROWS]
    return [f"ordering.line:{pk}" for pk in ids]


def _billing_rows(person: Any) -> tuple[int, int, int]:
    """(invoice lines on issued invoices, those invoices, subscriptions and charges not yet ended)
    that come from orders for the person: their descriptions name the recipient as named at
    delivery. Three queries, whatever the number of rows."""
    subscription, charge, invoice_line = (
        _model("billing.Subscription"),
        _model("billing.Charge"),
        _model("billing.InvoiceLine"),
    )
    refs = _order_refs(person)
    if not refs or subscription is None or charge is None or invoice_line is None:
        return 0, 0, 0
    subs = subscription._default_manager.filter(external_ref__in=refs)
    charges = charge._default_manager.filter(external_ref__in=refs)
    issued = invoice_line._default_manager.filter(
        Q(source_type="subscription", source_id__in=subs.values("pk"))
        | Q(source_type="charge", source_id__in=charges.values("pk")),
        invoice__isnull=False,
    )
    counts = issued.aggregate(lines=Count("pk"), invoices=Count("invoice", distinct=True))
    invoiced_charges = issued.filter(source_type="charge").values("source_id")
    today = timezone.localdate()
    running = (
        subs.filter(Q(end__isnull=True) | Q(end__gte=today)).count() + charges.exclude(pk__in=invoiced_charges).count()
    )
    return counts["lines"] or 0, counts["invoices"] or 0, running


def rectification_kept(person: Any, changed: set[str], old: dict[str, str]) -> tuple[list, list]:
    """What keeps the old value, and why (the law keeps these records as they were), and what
    others must follow up. One query per kind of record."""
    from samdrift.records.models import Case, GdprRequest
    from samdrift.servicedesk.models import InboundMessage, Ticket

    kept: list[dict[str, Any]] = []
    follow_up: list[dict[str, Any]] = []
    renamed = bool(changed & {"first_name", "last_name"})
    person_ct = ContentType.objects.get_for_model(person)

    def keep(what: str, count: int, why: str) -> None:
        if count:
            kept.append({"what": what, "count": count, "why": why})

    if changed & {"first_name", "last_name", "email"}:
        retention = _retention("servicedesk.ticket")
        keep(
            _("Tickets where the person is the requester"),
            Ticket.objects.filter(requester=person).count(),
            _(
                "They show the corrected person, but what was written in them (description, comments, "
                "e-mail) stays as written: official records are kept as they were."
            )
            + (f" {retention}" if retention else ""),
        )
        keep(
            _("Register entries about the person"),
            Case.objects.filter(content_type=person_ct, object_id=str(person.pk)).count(),
            _("Registered records are kept as they were registered."),
        )
    if "email" in changed and old.get("email"):
        keep(
            _("E-mail received from the old address"),
            # Stored lower-cased (servicedesk.mail.peek_headers): an exact match uses the sender index.
            InboundMessage.objects.filter(sender=old["email"].lower()).count(),
            _("Received e-mail is an official record, kept as it came in."),
        )
    if renamed:
        lines, invoices, running = _billing_rows(person)
        keep(
            ngettext(
                "Lines of issued invoices that name the person (on %(invoices)s invoice)",
                "Lines of issued invoices that name the person (on %(invoices)s invoices)",
                invoices,
            )
            % {"invoices": invoices},
            lines,
            _(
                "Issued invoices are accounting records, kept as they were issued (bokföringslagen 7 kap.); "
                "an error on an invoice is corrected by a credit note, never by changing the invoice."
            ),
        )
        if running:
            follow_up.append(
                {
                    "what": _("Subscriptions and charges from orders for the person, not yet invoiced"),
                    "count": running,
                    "who": _(
                        "Their description names the person as named at delivery: Finance corrects it, so that "
                        "coming invoices carry the corrected name."
                    ),
                }
            )
        keep(
            _("Earlier GDPR requests about the person"),
            GdprRequest.objects.filter(person=person).count(),
            _("Each request is kept as it was handled, with the name the person had then."),
        )
    keep(
        _("Audit trail events about the person"),
        AuditEvent.objects.filter(object_type=person._meta.label_lower, object_id=str(person.pk)).count(),
        _(
            "The audit trail is append-only: it keeps the old values, to prove who changed what. Only "
            "records officers and administrators read it."
        ),
    )
    return kept, follow_up


def rectification_report(
    person: Any, old: dict[str, str], new: dict[str, str], note: str, event_id: int | None
) -> dict[str, Any]:
    """Each corrected field with its old and new value, except secret ones (a pupil's data, marked
    fields): the report is an official record of its own and copies no secret value; the values are
    in the audit event it names, which only records officers and administrators read."""
    secret = secret_fields(person)
    changes = []
    for name in RECTIFIABLE:
        if name not in new:
            continue
        row: dict[str, Any] = {"field": name, "label": field_label(name)}
        if name in secret:
            row["masked"] = secret[name]
        else:
            row["old"], row["new"] = old[name], new[name]
        changes.append(row)
    return {"changes": changes, "note": note, "audit_event": event_id}


def restriction_effects() -> list[str]:
    return [
        _("The person's data are kept, but not used."),
        _("New orders cannot name the person as recipient."),
        _(
            "New tickets for the person can only be opened by an administrator or a records officer; "
            "e-mail from the person waits in the error queue of received e-mail."
        ),
        _("The person's page and the list of people show that processing is restricted."),
    ]
