"""Every write in the service desk. Each action checks the actor's role, validates, writes with
update_fields and records its audit event in the same transaction; mail goes out on commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import create_audited, set_active_audited, update_audited
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE, Role
from samdrift.servicedesk import notify, sla
from samdrift.servicedesk.models import (
    CONFIDENTIAL_ROLES,
    OPEN_STATUSES,
    Article,
    Category,
    Comment,
    CommentKind,
    LinkKind,
    PriorityCell,
    SlaPolicy,
    Status,
    SupportGroup,
    Ticket,
    TicketLink,
    TimeEntry,
    priority_for,
)
from samdrift.servicedesk.numbering import next_ticket_number as next_ticket_number
from samdrift.servicedesk.permissions import WRITE_ROLES
from samdrift.tenancy.models import Person

# Which status may follow which. Reopening (resolved → in progress) is its own action.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_REQUESTER, Status.WAITING_SUPPLIER, Status.RESOLVED}
    ),
    Status.ASSIGNED: frozenset(
        {Status.NEW, Status.IN_PROGRESS, Status.WAITING_REQUESTER, Status.WAITING_SUPPLIER, Status.RESOLVED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.ASSIGNED, Status.WAITING_REQUESTER, Status.WAITING_SUPPLIER, Status.RESOLVED}
    ),
    Status.WAITING_REQUESTER: frozenset({Status.IN_PROGRESS, Status.WAITING_SUPPLIER, Status.RESOLVED}),
    Status.WAITING_SUPPLIER: frozenset({Status.IN_PROGRESS, Status.WAITING_REQUESTER, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

TICKET_FIELDS_ON_CREATE = (
    "subject",
    "description",
    "requester",
    "channel",
    "type",
    "category",
    "impact",
    "urgency",
    "cost_centre",
    "confidential",
    "secrecy_ground",
    "group",
    "assignee",
    "assets",
)


def reopen_window() -> timedelta:
    """How long after resolution a ticket may be reopened (SERVICEDESK_REOPEN_DAYS, default 14)."""
    return timedelta(days=int(settings.SERVICEDESK_REOPEN_DAYS))


def _role(actor: Any, thing: str, owner_id: int | None) -> str:
    operator_roles, owner_roles = WRITE_ROLES[thing]
    return require_role(actor, owner_id=owner_id, operator_roles=operator_roles, owner_roles=owner_roles)


def _requester_or_desk(actor: Any, ticket: Ticket) -> str:
    """Desk staff, or the ticket's own requester (role "requester")."""
    scope = scope_for(actor)
    if scope.person_id is not None and scope.person_id == ticket.requester_id:
        if not scope.has_operator_role(WRITE_ROLES["ticket"][0]):
            return "requester"
    return _role(actor, "ticket", ticket.owner_id)


def _check_same_owner(owner_id: int | None, **related: Any) -> None:
    errors = {}
    for name, value in related.items():
        if value is not None and getattr(value, "owner_id", owner_id) != owner_id:
            errors[name] = _("Must belong to the same owner as the ticket.")
    if errors:
        raise ValidationError(errors)


def _check_assets(owner_id: int, requester_id: int, assets: Iterable[Any], role: str) -> list[Any]:
    """The devices a ticket may name: the ticket owner's; a requester names only their own devices."""
    assets = list(assets)
    if any(asset.owner_id != owner_id for asset in assets):
        raise ValidationError({"assets": _("Must belong to the same owner as the ticket.")})
    if role not in {SYSTEM_ROLE, *WRITE_ROLES["ticket"][0]} and any(
        asset.assigned_to_id != requester_id for asset in assets
    ):
        raise ValidationError({"assets": _("You can only name devices that you have been lent.")})
    return assets


def _asset_tags(assets: Iterable[Any]) -> list[str]:
    return sorted(asset.asset_tag for asset in assets)


def _check_secrecy(data: dict[str, Any]) -> None:
    if data.get("confidential") and not data.get("secrecy_ground"):
        raise ValidationError({"secrecy_ground": _("A confidential item needs its secrecy ground.")})
    if not data.get("confidential") and data.get("secrecy_ground"):
        raise ValidationError({"secrecy_ground": _("Only a confidential item has a secrecy ground.")})


def _check_assignee(group: SupportGroup | None, assignee: Any) -> None:
    if assignee is None:
        return
    if not scope_for(assignee).has_operator_role(WRITE_ROLES["ticket"][0]):
        raise ValidationError({"assignee": _("Tickets can only be assigned to service-desk staff.")})
    if group is not None and not group.members.filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("The assignee is not a member of the group.")})


# Checked by the action itself (the requester, category, cost centre and assets through the
# scoped layer, secrecy by _check_secrecy) and by the database (foreign keys, the unique number,
# the check constraints; the number is given just before the insert): full_clean need not ask the
# database again, one query per key and two
# savepoints per constraint (11 round trips of a ticket creation's 32).
_CREATE_CLEAN_EXCLUDE = [
    "number",
    "owner",
    "requester",
    "category",
    "group",
    "assignee",
    "cost_centre",
    "sla_policy",
    "merged_into",
]


def _clean_new_ticket(ticket: Ticket) -> None:
    ticket.full_clean(exclude=_CREATE_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)


def _audit_ticket(actor: Any, role: str, ticket: Ticket, action: str, changes: dict[str, Any], **extra: Any) -> None:
    record_event(actor, role, AuditEventType.UPDATED, ticket, changes=changes, extra={"action": action, **extra})


def _save(ticket: Ticket, fields: Iterable[str]) -> None:
    ticket.updated = timezone.now()
    ticket.save(update_fields=sorted({*fields, "updated"}))


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


# Who may still open a ticket for a person whose processing is restricted (GDPR art. 18).
RESTRICTED_TICKET_ROLES = frozenset({Role.ADMIN, Role.RECORDS_OFFICER})


def check_processing_allowed(requester: Person, actor: Any, role: str) -> None:
    """A person whose processing is restricted gets no new ticket, unless an administrator or a
    records officer opens it; not the system either, so received e-mail from them waits in the
    error queue (kept, retried once the restriction is lifted)."""
    if not requester.processing_restricted:
        return
    if role != SYSTEM_ROLE and scope_for(actor).has_operator_role(RESTRICTED_TICKET_ROLES):
        return
    raise ValidationError(
        {
            "requester": _(
                "Processing of this person's data is restricted (GDPR art. 18): only an administrator or a "
                "records officer may open a new ticket for them."
            )
        }
    )


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


def _transition(ticket: Ticket, new: str, *, actor: Any, role: str, now: Any, reason: str = "") -> dict[str, Any]:
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
    _transition(ticket, status, actor=actor, role=role, now=timezone.now(), reason=reason)
    if status == Status.RESOLVED:
        notify.notify_ticket_resolved(ticket)
    return ticket


@transaction.atomic
def do_reopen_ticket(ticket: Ticket, *, actor: Any, reason: str = "") -> Ticket:
    """Reopen a resolved ticket within the reopen window (desk staff or the requester)."""
    role = _requester_or_desk(actor, ticket)
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
def do_add_comment(
    ticket: Ticket,
    body: str,
    *,
    actor: Any,
    kind: str = CommentKind.REPLY,
    confidential: bool = False,
    secrecy_ground: str = "",
) -> Comment:
    """A public reply (desk or requester) or an internal note (desk only).

    The desk's first public reply stops the first-response clock; a requester's reply to a
    ticket waiting on them puts it back in progress (and restarts the SLA clock).
    """
    role = _requester_or_desk(actor, ticket)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something.")})
    if kind not in CommentKind.values:
        raise ValidationError({"kind": _("Unknown kind of comment.")})
    if role == "requester" and (kind != CommentKind.REPLY or confidential):
        raise PermissionDenied
    if confidential and role != SYSTEM_ROLE and not scope_for(actor).has_operator_role(CONFIDENTIAL_ROLES):
        raise PermissionDenied
    _check_secrecy({"confidential": confidential, "secrecy_ground": secrecy_ground})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("The ticket is closed; open a new ticket instead."))
    now = timezone.now()
    comment = Comment(
        owner_id=ticket.owner_id,
        ticket=ticket,
        kind=kind,
        body=body,
        author=actor,
        confidential=confidential,
        secrecy_ground=secrecy_ground,
        created=now,
    )
    comment.full_clean()
    comment.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        comment,
        changes={"kind": [None, kind], "confidential": [None, confidential]},
        extra={"ticket": ticket.pk},
    )
    fields: set[str] = set()
    if role != "requester" and kind == CommentKind.REPLY and ticket.first_responded_at is None:
        ticket.first_responded_at = now
        ticket.first_response_breached = ticket.first_response_due is not None and now > ticket.first_response_due
        fields |= {"first_responded_at", "first_response_breached"}
        _audit_ticket(actor, role, ticket, "first_response", {"first_responded_at": [None, now]})
    if fields:
        _save(ticket, fields)
    if role == "requester" and ticket.status == Status.WAITING_REQUESTER:
        _transition(ticket, Status.IN_PROGRESS, actor=actor, role=role, now=now, reason="requester replied")
    if kind == CommentKind.REPLY and not confidential:
        from_desk = role != "requester"
        notify.notify_reply(comment, to_requester=from_desk)
    return comment


@transaction.atomic
def do_log_time(
    ticket: Ticket, minutes: int, *, actor: Any, billable: bool = True, work_type: str = "support", note: str = ""
) -> TimeEntry:
    role = _role(actor, "ticket", ticket.owner_id)
    entry = TimeEntry(
        owner_id=ticket.owner_id,
        ticket=ticket,
        user=actor,
        minutes=minutes,
        billable=billable,
        work_type=work_type,
        note=note,
    )
    try:
        entry.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    entry.save(force_insert=True)
    record_event(
        actor,
        role,
        AuditEventType.CREATED,
        entry,
        changes={"minutes": [None, minutes], "billable": [None, billable], "work_type": [None, work_type]},
        extra={"ticket": ticket.pk},
    )
    return entry


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


@transaction.atomic
def do_rate_ticket(ticket: Ticket, score: int, comment: str = "", *, actor: Any) -> Ticket:
    """The requester rates a resolved or closed ticket (CSAT 1–5)."""
    role = _requester_or_desk(actor, ticket)
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
                _transition(ticket, status, actor=actor, role=roles[ticket.owner_id], now=now, reason="bulk")
            except ValidationError as exc:
                raise ValidationError(f"{ticket.number}: {' '.join(exc.messages)}") from exc
    return len(ids)


def open_tickets_of(queryset: Any) -> Any:
    return queryset.filter(status__in=OPEN_STATUSES)


# --- reference data (administrators) ---------------------------------------------------------


@transaction.atomic
def do_create_category(data: dict[str, Any], *, actor: Any) -> Category:
    owner = data.get("owner")
    owner_id = getattr(owner, "pk", owner)
    role = _role(actor, "category", owner_id)
    _check_same_owner(owner_id, parent=data.get("parent"))
    return create_audited(Category, data, actor=actor, role=role)


@transaction.atomic
def do_update_category(category: Category, data: dict[str, Any], *, actor: Any) -> Category:
    role = _role(actor, "category", category.owner_id)
    _check_same_owner(category.owner_id, parent=data.get("parent"))
    node = data.get("parent")
    while node is not None:
        if node.pk == category.pk:
            raise ValidationError({"parent": _("A category cannot be part of itself.")})
        node = node.parent
    return update_audited(category, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_category_active(category: Category, active: bool, *, actor: Any) -> Category:
    return set_active_audited(category, active, actor=actor, role=_role(actor, "category", category.owner_id))


@transaction.atomic
def do_copy_categories(source_owner: Any, target_owner: Any, *, actor: Any) -> int:
    """Copy one owner's active category tree to another (how a standard tree is shared)."""
    role = _role(actor, "category", target_owner.pk)
    mapping: dict[int, Category] = {}
    pending = list(Category.objects.filter(owner=source_owner, active=True).order_by("parent_id", "id"))
    created = 0
    while pending:
        progress = False
        for node in list(pending):
            if node.parent_id is not None and node.parent_id not in mapping:
                continue
            parent = mapping.get(node.parent_id) if node.parent_id else None
            copy, made = Category.objects.get_or_create(
                owner=target_owner,
                parent=parent,
                name=node.name,
                defaults={"default_group": node.default_group, "offered_in_portal": node.offered_in_portal},
            )
            mapping[node.pk] = copy
            pending.remove(node)
            progress = True
            if made:
                created += 1
                record_event(actor, role, AuditEventType.CREATED, copy, extra={"action": "copy", "from": node.pk})
        if not progress:  # pragma: no cover - a parent outside the active set
            break
    return created


@transaction.atomic
def do_create_sla_policy(data: dict[str, Any], *, actor: Any) -> SlaPolicy:
    owner = data.get("owner")
    role = _role(actor, "slapolicy", getattr(owner, "pk", owner))
    return create_audited(SlaPolicy, data, actor=actor, role=role)


@transaction.atomic
def do_update_sla_policy(policy: SlaPolicy, data: dict[str, Any], *, actor: Any) -> SlaPolicy:
    """New targets apply to tickets opened from now on; open tickets keep the due times they got."""
    role = _role(actor, "slapolicy", policy.owner_id)
    return update_audited(policy, data, actor=actor, role=role, immutable=("owner", "priority"))


@transaction.atomic
def do_set_sla_policy_active(policy: SlaPolicy, active: bool, *, actor: Any) -> SlaPolicy:
    return set_active_audited(policy, active, actor=actor, role=_role(actor, "slapolicy", policy.owner_id))


@transaction.atomic
def do_create_support_group(data: dict[str, Any], *, actor: Any, members: Iterable[Any] = ()) -> SupportGroup:
    role = _role(actor, "group", None)
    group = create_audited(SupportGroup, data, actor=actor, role=role)
    if members:
        do_set_group_members(group, members, actor=actor)
    return group


@transaction.atomic
def do_save_support_group(data: dict[str, Any], *, actor: Any) -> SupportGroup:
    """Create a group from the form or the API: name, email and members (desk staff only)."""
    data = dict(data)
    members = data.pop("members", None) or ()
    return do_create_support_group(data, actor=actor, members=members)


@transaction.atomic
def do_update_support_group(group: SupportGroup, data: dict[str, Any], *, actor: Any) -> SupportGroup:
    role = _role(actor, "group", None)
    data = dict(data)
    members = data.pop("members", None)
    data.pop("active", None)  # (de)activation is its own action
    group = update_audited(group, data, actor=actor, role=role)
    if members is not None:
        do_set_group_members(group, members, actor=actor)
    return group


@transaction.atomic
def do_set_support_group_active(group: SupportGroup, active: bool, *, actor: Any) -> SupportGroup:
    """Deactivate (or reactivate) a group: it is no longer offered for assignment; its tickets keep it."""
    return set_active_audited(group, active, actor=actor, role=_role(actor, "group", None))


@transaction.atomic
def do_set_group_members(group: SupportGroup, members: Iterable[Any], *, actor: Any) -> SupportGroup:
    role = _role(actor, "group", None)
    members = list(members)
    for user in members:
        if not scope_for(user).has_operator_role(WRITE_ROLES["ticket"][0]):
            raise ValidationError({"members": _("%(user)s is not service-desk staff.") % {"user": user}})
    before = sorted(group.members.values_list("pk", flat=True))
    group.members.set(members)
    after = sorted(u.pk for u in members)
    if before != after:
        record_event(actor, role, AuditEventType.UPDATED, group, changes={"members": [before, after]})
    return group


@transaction.atomic
def do_set_priority_cell(impact: int, urgency: int, priority: int, *, actor: Any) -> PriorityCell:
    role = _role(actor, "matrix", None)
    cell = PriorityCell.objects.filter(impact=impact, urgency=urgency).first()
    if cell is None:
        return create_audited(
            PriorityCell, {"impact": impact, "urgency": urgency, "priority": priority}, actor=actor, role=role
        )
    return update_audited(cell, {"priority": priority}, actor=actor, role=role)


# --- knowledge base --------------------------------------------------------------------------


@transaction.atomic
def do_create_article(data: dict[str, Any], *, actor: Any) -> Article:
    owner = data.get("owner")
    owner_id = getattr(owner, "pk", owner)
    role = _role(actor, "article", owner_id)
    _check_same_owner(owner_id, category=data.get("category"))
    return create_audited(Article, {**data, "updated": timezone.now()}, actor=actor, role=role)


@transaction.atomic
def do_update_article(article: Article, data: dict[str, Any], *, actor: Any) -> Article:
    role = _role(actor, "article", article.owner_id)
    _check_same_owner(article.owner_id, category=data.get("category"))
    changed = any(
        getattr(article, article._meta.get_field(name).attname) != getattr(value, "pk", value)  # type: ignore[union-attr]
        for name, value in data.items()
    )
    if changed:
        data = {**data, "updated": timezone.now()}
    return update_audited(article, data, actor=actor, role=role, immutable=("owner",))


@transaction.atomic
def do_set_article_active(article: Article, active: bool, *, actor: Any) -> Article:
    return set_active_audited(article, active, actor=actor, role=_role(actor, "article", article.owner_id))
