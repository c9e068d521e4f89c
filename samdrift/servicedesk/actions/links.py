"""Links between tickets, and merging a duplicate into the ticket it repeats."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.servicedesk import sla
from samdrift.servicedesk.actions._base import (
    _audit_ticket,
    _role,
    _save,
)
from samdrift.servicedesk.models import (
    LinkKind,
    Status,
    Ticket,
    TicketLink,
)


@transaction.atomic
def do_link_tickets(source: Ticket, target: Ticket, *, actor: Any, kind: str = LinkKind.RELATED) -> TicketLink:
    role = _role(actor, "ticket", source.owner_id)
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be linked to itself.")})
    if source.owner_id != target.owner_id:
        raise ValidationError({"target": _("Only tickets of the same owner can be linked.")})
    if (
        TicketLink.objects.filter(source=source, target=target).exists()
        or TicketLink.objects.filter(source=target, target=source).exists()
    ):
        raise ValidationError({"target": _("The tickets are already linked.")})
    link = TicketLink(owner_id=source.owner_id, source=source, target=target, kind=kind)
    link.save(force_insert=True)
    record_event(actor, role, AuditEventType.CREATED, link, changes={"kind": [None, kind]}, extra={"action": "link"})
    return link


@transaction.atomic
def do_merge_tickets(duplicate: Ticket, into: Ticket, *, actor: Any) -> Ticket:
    """Merge a duplicate into the ticket that lives on: the duplicate is closed and points at it,
    its public comments stay where they are and the timeline of the survivor links to it."""
    role = _role(actor, "ticket", duplicate.owner_id)
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    if duplicate.owner_id != into.owner_id:
        raise ValidationError({"into": _("Only tickets of the same owner can be merged.")})
    duplicate = Ticket.objects.select_for_update().get(pk=duplicate.pk)
    if duplicate.status == Status.CLOSED:
        raise ValidationError({"into": _("The ticket is already closed.")})
    if into.merged_into_id is not None or into.status == Status.CLOSED:
        raise ValidationError({"into": _("Merge into an open ticket.")})
    now = timezone.now()
    old = duplicate.status
    sla.on_status_change(duplicate, old, Status.RESOLVED, now)
    duplicate.status = Status.CLOSED
    duplicate.merged_into = into
    duplicate.closed_at = now
    duplicate.resolved_at = duplicate.resolved_at or now
    _save(duplicate, {"status", "merged_into", "closed_at", "resolved_at", *sla.SLA_FIELDS})
    TicketLink.objects.filter(source=duplicate, target=into).delete()
    link = TicketLink(owner_id=into.owner_id, source=duplicate, target=into, kind=LinkKind.DUPLICATE)
    link.save(force_insert=True)
    _audit_ticket(actor, role, duplicate, "merge", {"status": [old, Status.CLOSED], "merged_into": [None, into.pk]})
    _audit_ticket(actor, role, into, "merged_from", {}, duplicate=duplicate.pk)
    return duplicate
