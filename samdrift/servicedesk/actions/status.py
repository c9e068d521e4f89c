"""A ticket's status, assignment and rating, one at a time or in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.audit import PendingEvent, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE
from samdrift.servicedesk import notify, sla
from samdrift.servicedesk.actions._base import (
    TRANSITIONS,
    _audit_ticket,
    _check_assignee,
    _role,
    _save,
    reopen_window,
    requester_or_desk,
)
from samdrift.servicedesk.models import (
    OPEN_STATUSES,
    Status,
    SupportGroup,
    Ticket,
)


def transition(ticket: Ticket, new: str, *, actor: Any, role: str, now: Any, reason: str = "") -> dict[str, Any]:
    old = ticket.status
    if new not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if new == old:
        raise ValidationError({"status": _("The ticket already has this status.")})
    if new not in TRANSITIONS.get(old, frozenset()):
        raise ValidationError(
            {
                "status": _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                % {"old": Status(old).label, "new": Status(new).label}
            }
        )
    if new == Status.ASSIGNED and ticket.assignee_id is None and ticket.group_id is None:
        raise ValidationError({"status": _("Assign the ticket to a group or an agent first.")})
    sla.on_status_change(ticket, old, new, now)
    ticket.status = new
    fields = {"status", *sla.SLA_FIELDS}
    if new == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.resolution_breached = ticket.resolution_due is not None and now > ticket.resolution_due
        fields |= {"resolved_at", "resolution_breached"}
    if new == Status.CLOSED:
        ticket.closed_at = now
        fields.add("closed_at")
    _save(ticket, fields)
    extra = {"reason": reason} if reason else {}
    _audit_ticket(actor, role, ticket, "status", {"status": [old, new]}, **extra)
    return {"old": old, "new": new}


@transaction.atomic
def do_change_ticket_status(ticket: Ticket, status: str, *, actor: Any, reason: str = "") -> Ticket:
    """Move a ticket along its lifecycle; waiting and resolved pause the SLA clock."""
    role = _role(actor, "ticket", ticket.owner_id)
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    transition(ticket, status, actor=actor, role=role, now=timezone.now(), reason=reason)
    if status == Status.RESOLVED:
        notify.notify_ticket_resolved(ticket)
    return ticket


@transaction.atomic
def do_reopen_ticket(ticket: Ticket, *, actor: Any, reason: str = "") -> Ticket:
    """Reopen a resolved ticket within the reopen window (desk staff or the requester)."""
    role = requester_or_desk(actor, ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    if ticket.status != Status.RESOLVED:
        raise ValidationError({"status": _("Only a resolved ticket can be reopened.")})
    if ticket.resolved_at is not None and now - ticket.resolved_at > reopen_window():
        message = _("The ticket was resolved more than %(days)s days ago; open a new ticket instead.")
        raise ValidationError({"status": message % {"days": reopen_window().days}})
    reopen_ticket(ticket, actor=actor, role=role, now=now, reason=reason)
    return ticket


def reopen_ticket(ticket: Ticket, *, actor: Any, role: str, now: Any, reason: str) -> None:
    """The reopening itself, audited: for an action that has locked the resolved ticket and checked
    the reopen window (`do_reopen_ticket`, and the email intake when the requester answers)."""
    old = ticket.status
    sla.on_status_change(ticket, old, Status.IN_PROGRESS, now)
    ticket.status = Status.IN_PROGRESS
    ticket.resolved_at = None
    ticket.resolution_breached = False
    _save(ticket, {"status", "resolved_at", *sla.SLA_FIELDS})
    _audit_ticket(actor, role, ticket, "reopen", {"status": [old, ticket.status]}, reason=reason)


@transaction.atomic
def do_assign_ticket(ticket: Ticket, *, group: SupportGroup | None, assignee: Any, actor: Any) -> Ticket:
    """Give the ticket to a group and/or an agent; a new ticket becomes assigned."""
    role = _role(actor, "ticket", ticket.owner_id)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not ticket.is_open:
        raise ValidationError(_("A resolved or closed ticket cannot be reassigned."))
    if group is None and assignee is None:
        raise ValidationError({"group": _("Choose a group or an agent.")})
    _check_assignee(group, assignee)
    changes: dict[str, Any] = {}
    for name, value in (("group", group), ("assignee", assignee)):
        old = getattr(ticket, f"{name}_id")
        new = value.pk if value is not None else None
        if old != new:
            changes[name] = [old, new]
            setattr(ticket, name, value)
    if not changes:
        return ticket
    fields = set(changes)
    if ticket.status == Status.NEW:
        changes["status"] = [Status.NEW, Status.ASSIGNED]
        ticket.status = Status.ASSIGNED
        fields.add("status")
    _save(ticket, fields)
    _audit_ticket(actor, role, ticket, "assign", changes)
    return ticket


@transaction.atomic
def do_rate_ticket(ticket: Ticket, score: int, comment: str = "", *, actor: Any) -> Ticket:
    """The requester rates a resolved or closed ticket (CSAT 1–5)."""
    role = requester_or_desk(actor, ticket)
    if role != "requester" and role != SYSTEM_ROLE:
        raise PermissionDenied
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError({"csat_score": _("Rate the ticket once it has been resolved.")})
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"csat_score": _("Give a rating from 1 to 5.")})
    changes = {"csat_score": [ticket.csat_score, score], "csat_comment": [ticket.csat_comment, comment]}
    ticket.csat_score, ticket.csat_comment = score, comment
    _save(ticket, {"csat_score", "csat_comment"})
    _audit_ticket(actor, role, ticket, "rate", changes)
    return ticket


@transaction.atomic
def do_bulk_update_tickets(tickets: Iterable[Ticket], data: dict[str, Any], *, actor: Any) -> int:
    """Apply a group, an assignee and/or a status to many tickets: all of them or none.

    Group and assignee are set with one UPDATE; a status is checked per ticket (the lifecycle and
    the SLA clock need it)."""
    tickets = list(tickets)
    if not tickets:
        return 0
    roles = {t.owner_id: _role(actor, "ticket", t.owner_id) for t in tickets}
    group, assignee, status = data.get("group"), data.get("assignee"), data.get("status")
    if group is None and assignee is None and not status:
        raise ValidationError(_("Choose what to change."))
    ids = [t.pk for t in tickets]
    if group is not None or assignee is not None:
        _check_assignee(group, assignee)
        closed = [t.number for t in tickets if not t.is_open]
        if closed:
            raise ValidationError(_("Resolved or closed tickets cannot be reassigned: %s") % ", ".join(closed))
        values: dict[str, Any] = {"updated": timezone.now()}
        if group is not None:
            values["group"] = group
        if assignee is not None:
            values["assignee"] = assignee
        Ticket.objects.filter(pk__in=ids).update(**values)
        Ticket.objects.filter(pk__in=ids, status=Status.NEW).update(status=Status.ASSIGNED)
        record_events(
            actor,
            next(iter(roles.values())),
            [
                PendingEvent(
                    AuditEventType.UPDATED,
                    obj=t,
                    changes={
                        **({"group": [t.group_id, group.pk]} if group is not None else {}),
                        **({"assignee": [t.assignee_id, assignee.pk]} if assignee is not None else {}),
                    },
                    extra={"action": "bulk_assign"},
                )
                for t in tickets
            ],
        )
    if status:
        now = timezone.now()
        for ticket in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            try:
                transition(ticket, status, actor=actor, role=roles[ticket.owner_id], now=now, reason="bulk")
            except ValidationError as exc:
                raise ValidationError(f"{ticket.number}: {' '.join(exc.messages)}") from exc
    return len(ids)


def open_tickets_of(queryset: Any) -> Any:
    return queryset.filter(status__in=OPEN_STATUSES)
