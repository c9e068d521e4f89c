"""Public access requests: registering, the items asked for, the decisions (with the appeal
information) and the released package."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.actions import update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.records import sources
from samdrift.records.actions.register import do_close_case, do_register_case
from samdrift.records.actions.roles import officer_role
from samdrift.records.models import (
    AccessRequest,
    CaseStatus,
    Decision,
    Direction,
    RequestItem,
    RequestStatus,
    SecrecyGround,
)

REQUEST_FIELDS = (
    "requester_name",
    "requester_contact",
    "channel",
    "description",
    "search_from",
    "search_to",
    "received",
)


@transaction.atomic
def do_register_request(data: dict[str, Any], *, actor: Any) -> AccessRequest:
    """Register a request for official records in the register. The requester may be anonymous."""
    role = officer_role(actor)
    data = {k: v for k, v in data.items() if k in REQUEST_FIELDS and v is not None}
    description = (data.get("description") or "").strip()
    if not description:
        raise ValidationError({"description": _("Say which records are requested.")})
    if data.get("search_from") and data.get("search_to") and data["search_from"] > data["search_to"]:
        raise ValidationError({"search_to": _("The end comes before the start.")})
    received = data.get("received") or timezone.now()
    if received > timezone.now():
        raise ValidationError({"received": _("A request cannot be received in the future.")})
    case = do_register_case(
        {
            "registered": timezone.localtime(received).date(),
            "direction": Direction.INCOMING,
            "counterparty": (data.get("requester_name") or "").strip() or _("Anonymous"),
            "subject": _("Request for official records"),
        },
        actor=actor,
    )
    request = AccessRequest(
        reference=case.registration_number,
        case=case,
        handler=actor if getattr(actor, "pk", None) else None,
        **{**data, "description": description, "received": received},
    )
    request.full_clean()
    request.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        request,
        changes={"reference": [None, request.reference], "anonymous": [None, not request.requester_name]},
    )
    return request


def _open(request: AccessRequest) -> None:
    if request.status != RequestStatus.OPEN:
        raise ValidationError(_("The request is no longer open."))


@transaction.atomic
def do_add_request_item(request: AccessRequest, label: str, object_id: Any, *, actor: Any) -> RequestItem:
    """Add one record found by the search to the request."""
    role = officer_role(actor)
    _open(request)
    source = sources.source_for(label)
    obj = source.get(object_id) if source else None
    if source is None or obj is None:
        raise ValidationError({"object_id": _("There is no such record.")})
    content_type = source.content_type()
    existing = RequestItem.objects.filter(request=request, content_type=content_type, object_id=str(obj.pk)).first()
    if existing is not None:
        return existing
    item = RequestItem(
        request=request,
        content_type=content_type,
        object_id=str(obj.pk),
        label=f"{source.identifier(obj)} {source.title(obj)}"[:300],
    )
    item.save(force_insert=True)
    record_event(
        actor, role, AuditEventType.CREATED, item, changes={"label": [None, item.label]}, extra={"request": request.pk}
    )
    return item


@transaction.atomic
def do_remove_request_item(item: RequestItem, *, actor: Any) -> None:
    role = officer_role(actor)
    _open(item.request)
    record_event(
        actor, role, AuditEventType.UPDATED, item.request, extra={"action": "record_removed", "label": item.label}
    )
    item.delete()


def rendered_item(item: RequestItem) -> sources.Rendered | None:
    source = sources.source_for_ct(item.content_type)
    obj = source.get(item.object_id) if source else None
    if obj is None:
        return None
    return sources.render(item.content_type, obj)


@transaction.atomic
def do_decide_item(
    item: RequestItem, decision: str, *, actor: Any, grounds: list[SecrecyGround] | None = None, reason: str = ""
) -> RequestItem:
    """Decide on one record: release, release with the marked parts masked, or refuse.

    Masking or refusing needs a ground; when none is given, the grounds of the record's markings
    are used."""
    role = officer_role(actor)
    _open(item.request)
    if decision not in (Decision.RELEASE, Decision.PARTIAL, Decision.REFUSE):
        raise ValidationError({"decision": _("Choose release, partial release or refusal.")})
    chosen = list(grounds or [])
    if decision != Decision.RELEASE and not chosen:
        rendered = rendered_item(item)
        chosen = rendered.grounds if rendered else []
    if decision != Decision.RELEASE and not chosen:
        raise ValidationError({"grounds": _("Give the secrecy ground for what is withheld.")})
    if decision == Decision.PARTIAL:
        rendered = rendered_item(item)
        if rendered is None or (
            not any(p.ground for p in rendered.parts) and not any(a.secrecy_ground for a in rendered.attachments)
        ):
            raise ValidationError(
                {
                    "decision": _(
                        "Nothing in this record is marked: mark the secret parts first, or release or refuse it whole."
                    )
                }
            )
    before = item.decision
    item.decision = decision
    item.reason = (reason or "").strip()
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "reason", "decided_at"])
    item.grounds.set([] if decision == Decision.RELEASE else chosen)
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        item,
        changes={"decision": [before, decision]},
        extra={"request": item.request_id, "grounds": [g.code for g in item.grounds.all()]},
    )
    return item


APPEAL_INFORMATION_SV = (
    "Hur man överklagar\n"
    "Du kan överklaga beslutet att inte lämna ut allmänna handlingar eller delar av dem. Skriv till "
    "{operator} och ange vilket beslut du överklagar (diarienummer {reference}) och hur du vill att "
    "beslutet ska ändras. Överklagandet ska ha kommit in inom tre veckor från den dag du fick del av "
    "beslutet. Om beslutet inte ändras skickas överklagandet vidare till den instans som prövar det "
    "(6 kap. 7–8 §§ offentlighets- och sekretesslagen). Du behöver inte ange vem du är för att överklaga."
)


def decision_text(request: AccessRequest, items: list[RequestItem], operator_name: str, decided_on: date) -> str:
    """The written decision, in Swedish as the law's language, with appeal information when
    anything is withheld."""
    lines = [
        f"BESLUT {decided_on.isoformat()}",
        f"Diarienummer: {request.reference}",
        f"Sökande: {request.requester_name or 'Anonym'}",
        "",
        f"Begäran: {request.description}",
        "",
        "Beslut",
    ]
    withheld = False
    for item in items:
        grounds = ", ".join(g.reference for g in item.grounds.all())
        if item.decision == Decision.RELEASE:
            lines.append(f"- {item.label}: lämnas ut.")
        elif item.decision == Decision.PARTIAL:
            withheld = True
            lines.append(f"- {item.label}: lämnas ut med maskerade uppgifter, med stöd av {grounds}.")
        else:
            withheld = True
            lines.append(f"- {item.label}: lämnas inte ut, med stöd av {grounds}.")
        if item.reason:
            lines.append(f"  Skäl: {item.reason}")
    if not items:
        lines.append("- Inga allmänna handlingar som omfattas av begäran har hittats.")
    if withheld:
        lines += ["", APPEAL_INFORMATION_SV.format(operator=operator_name, reference=request.reference)]
    return "\n".join(lines)


def _operator_name() -> str:
    from samdrift.tenancy.models import Operator

    return Operator.objects.values_list("name", flat=True).first() or "bolaget"


@transaction.atomic
def do_decide_request(request: AccessRequest, *, actor: Any) -> AccessRequest:
    """Close the request with its written decision; every record must have its decision."""
    role = officer_role(actor)
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    _open(request)
    items = list(request.items.prefetch_related("grounds").order_by("added", "id"))
    if any(i.decision == Decision.PENDING for i in items):
        raise ValidationError(_("Decide on every record first."))
    now = timezone.now()
    request.decision_text = decision_text(request, items, _operator_name(), timezone.localtime(now).date())
    request.status = RequestStatus.DECIDED
    request.decided_at = now
    request.decided_by = actor if getattr(actor, "pk", None) else None
    request.save(update_fields=["decision_text", "status", "decided_at", "decided_by"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        request,
        changes={"status": [RequestStatus.OPEN, RequestStatus.DECIDED]},
        extra={"decisions": {i.label: i.decision for i in items}},
    )
    if request.case_id and request.case and request.case.status == CaseStatus.OPEN:
        do_close_case(request.case, actor=actor)
    return request


@transaction.atomic
def do_withdraw_request(request: AccessRequest, *, actor: Any) -> AccessRequest:
    role = officer_role(actor)
    _open(request)
    return update_audited(request, {"status": RequestStatus.WITHDRAWN}, actor=actor, role=role)


def record_release_download(request: AccessRequest, fmt: str, *, actor: Any) -> None:
    with transaction.atomic():
        record_event(
            actor,
            officer_role(actor),
            AuditEventType.EXPORTED,
            request,
            extra={"format": fmt, "action": "release_package"},
        )
