"""Replies, notes and time logged on a ticket."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import scope_for
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE
from samdrift.servicedesk import notify
from samdrift.servicedesk.actions._base import (
    _audit_ticket,
    _check_secrecy,
    _role,
    _save,
    requester_or_desk,
)
from samdrift.servicedesk.actions.status import transition
from samdrift.servicedesk.models import (
    CONFIDENTIAL_ROLES,
    Comment,
    CommentKind,
    Status,
    Ticket,
    TimeEntry,
)

_COMMENT_CLEAN_EXCLUDE = ["owner", "ticket", "author", "author_person"]


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
    role = requester_or_desk(actor, ticket)
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
    # The ticket was just read under lock, the owner is the ticket's, the author is the actor and
    # the secrecy rule was checked above (and all four by the database): full_clean need not ask
    # the database again (three queries and two savepoints of every reply).
    comment.full_clean(exclude=_COMMENT_CLEAN_EXCLUDE, validate_constraints=False)
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
        transition(ticket, Status.IN_PROGRESS, actor=actor, role=role, now=now, reason="requester replied")
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
