"""Opening a ticket, editing it and naming its devices."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import scope_for
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE
from samdrift.servicedesk import notify, sla
from samdrift.servicedesk.actions._base import (
    TICKET_FIELDS_ON_CREATE,
    _asset_tags,
    _audit_ticket,
    _check_assets,
    _check_assignee,
    _check_same_owner,
    _check_secrecy,
    _clean_new_ticket,
    _role,
    _save,
    check_processing_allowed,
)
from samdrift.servicedesk.models import (
    CONFIDENTIAL_ROLES,
    Status,
    Ticket,
    priority_for,
)
from samdrift.servicedesk.numbering import next_ticket_number as next_ticket_number
from samdrift.servicedesk.permissions import WRITE_ROLES
from samdrift.tenancy.models import Person

# --- tickets ---------------------------------------------------------------------------------


def _set_assets(ticket: Ticket, assets: Iterable[Any], *, actor: Any, role: str) -> bool:
    new = _check_assets(ticket.owner_id, ticket.requester_id, assets, role)
    old = list(ticket.assets.all())
    if {a.pk for a in old} == {a.pk for a in new}:
        return False
    ticket.assets.set(new)
    _save(ticket, [])
    _audit_ticket(actor, role, ticket, "devices", {"assets": [_asset_tags(old), _asset_tags(new)]})
    return True


@transaction.atomic
def do_set_ticket_assets(ticket: Ticket, assets: Iterable[Any], *, actor: Any) -> Ticket:
    """Name the devices a ticket is about (desk staff); the asset's page lists the ticket."""
    _set_assets(ticket, assets, actor=actor, role=_role(actor, "ticket", ticket.owner_id))
    return ticket


@transaction.atomic
def do_create_ticket(data: dict[str, Any], *, actor: Any, acknowledge: bool = True) -> Ticket:
    """Open a ticket. Desk staff open for anyone; owner users for people of their owner; an end
    user only for themselves. Priority comes from the matrix, due times from the owner's SLA.

    The requester's acknowledgement is queued in the outbox; mail intake passes `acknowledge=False`
    and queues it itself, threaded on the message that opened the ticket."""
    data = {k: v for k, v in data.items() if k in TICKET_FIELDS_ON_CREATE or k == "owner"}
    requester: Person | None = data.get("requester")
    scope = scope_for(actor)
    if requester is None:
        if scope.person_id is None:
            raise ValidationError({"requester": _("Say who the ticket is for.")})
        requester = Person.objects.get(pk=scope.person_id)
        data["requester"] = requester
    owner_id = requester.owner_id
    owner = data.pop("owner", None)
    if owner is not None and getattr(owner, "pk", owner) != owner_id:
        raise ValidationError({"owner": _("The requester belongs to another owner.")})
    role = _role(actor, "ticket_create", owner_id)
    if role == "end_user" and requester.pk != scope.person_id:
        raise PermissionDenied
    check_processing_allowed(requester, actor, role)
    if role not in {SYSTEM_ROLE, *WRITE_ROLES["ticket"][0]}:
        # Only the desk sets the handling fields; a confidential ticket is only marked by the desk.
        for name in ("group", "assignee", "confidential", "secrecy_ground", "impact", "urgency"):
            data.pop(name, None)
    _check_same_owner(owner_id, category=data.get("category"), cost_centre=data.get("cost_centre"))
    assets = _check_assets(owner_id, requester.pk, data.pop("assets", None) or (), role)
    _check_secrecy(data)
    category = data.get("category")
    if data.get("group") is None and category is not None and category.default_group_id:
        data["group"] = category.default_group
    _check_assignee(data.get("group"), data.get("assignee"))
    now = timezone.now()
    ticket = Ticket(owner_id=owner_id, created=now, updated=now, **data)
    # The acknowledgement's sender is read in the same round trip as the priority and the policy.
    sender_sql = notify.sender_column(owner_id) if acknowledge else None
    ticket.priority, ticket.sla_policy, sender = sla.priority_policy_and(
        owner_id, ticket.impact, ticket.urgency, sender_sql
    )
    ticket.status = Status.ASSIGNED if ticket.assignee_id else Status.NEW
    if ticket.cost_centre_id is None and requester.cost_centre_id:
        ticket.cost_centre_id = requester.cost_centre_id
    sla.recompute(ticket, reload_policy=False)
    _clean_new_ticket(ticket)
    # Numbered last, just before the insert: the counter row stays locked until commit, so the
    # less that happens after it, the less other creations wait.
    ticket.number = next_ticket_number(now)
    ticket.save(force_insert=True)
    if assets:
        ticket.assets.set(assets)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        ticket,
        changes={
            "number": [None, ticket.number],
            "subject": [None, ticket.subject],
            "requester": [None, ticket.requester_id],
            "priority": [None, ticket.priority],
            "status": [None, ticket.status],
            "resolution_due": [None, ticket.resolution_due],
            **({"assets": [None, _asset_tags(assets)]} if assets else {}),
        },
    )
    if acknowledge:
        # Not opened by mail: there is no message to thread on, nothing to look up.
        notify.notify_ticket_created(ticket, first=notify.not_opened_by_mail(sender))
    return ticket


@transaction.atomic
def do_update_ticket(ticket: Ticket, data: dict[str, Any], *, actor: Any) -> Ticket:
    """Change the description fields of a ticket; a new impact or urgency recomputes priority and SLA."""
    role = _role(actor, "ticket", ticket.owner_id)
    allowed = {"subject", "description", "type", "category", "impact", "urgency", "cost_centre"}
    allowed |= {"confidential", "secrecy_ground", "assets"}
    data = {k: v for k, v in data.items() if k in allowed}
    _check_same_owner(ticket.owner_id, category=data.get("category"), cost_centre=data.get("cost_centre"))
    if "assets" in data:
        _set_assets(ticket, data.pop("assets") or (), actor=actor, role=role)
    if "confidential" in data or "secrecy_ground" in data:
        if not scope_for(actor).has_operator_role(CONFIDENTIAL_ROLES) and role != SYSTEM_ROLE:
            raise PermissionDenied
        merged = {"confidential": ticket.confidential, "secrecy_ground": ticket.secrecy_ground, **data}
        if not merged["confidential"]:
            merged["secrecy_ground"] = ""
            data["secrecy_ground"] = ""
        _check_secrecy(merged)
    impact, urgency = data.get("impact", ticket.impact), data.get("urgency", ticket.urgency)
    data["priority"] = priority_for(impact, urgency)
    from samdrift.core.audit import diff

    changes = diff(ticket, data)
    if not changes:
        return ticket
    fields = set(changes)
    if "priority" in changes:
        sla.recompute(ticket)
        fields |= set(sla.SLA_FIELDS)
    ticket.full_clean()
    _save(ticket, [ticket._meta.get_field(n).attname for n in fields])  # type: ignore[union-attr]
    _audit_ticket(actor, role, ticket, "update", changes)
    return ticket
