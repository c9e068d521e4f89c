"""The service desk's tickets as official records (records/services.py): how an access request
finds them, how they are shown part by part with their secrecy markings, and their disposal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import Role
from samdrift.records.services import DISPOSED, Part, Rendered, SecrecyGround, Source, delete_rows
from samdrift.servicedesk.models import Comment, Ticket

RECORDS_ROLES = (Role.RECORDS_OFFICER, Role.ADMIN)


class TicketSource(Source):
    label = "servicedesk.ticket"
    verbose = staticmethod(lambda: _("Ticket"))
    search_fields = ("subject", "description", "number")
    date_field = "created"
    identifier_field = "number"
    order = 10

    def queryset(self) -> models.QuerySet:
        return super().queryset().select_related("owner", "requester")

    def title(self, obj: Any) -> str:
        return obj.subject

    def natively_marked(self, obj: Any) -> bool:
        return bool(obj.confidential)

    def marked_parts(self, ids: list[int]) -> set[str]:
        if not ids:
            return set()
        rows = Comment.objects.filter(ticket_id__in=ids, confidential=True).values_list("ticket_id", flat=True)
        return {str(i) for i in rows.distinct()}

    def parts(self, obj: Any, grounds: dict[str, SecrecyGround]) -> Rendered:
        requester = obj.requester
        pupil = requester.kind == "pupil"
        parts = [
            Part("owner", _("Owner"), str(obj.owner)),
            Part(
                "requester", pgettext("records", "Requester"), str(requester), grounds.get("osl_23") if pupil else None
            ),
            Part("created", _("Created"), timezone.localtime(obj.created).strftime("%Y-%m-%d %H:%M")),
            Part("status", _("Status"), str(obj.get_status_display())),
            Part("subject", _("Subject"), obj.subject),
            Part("description", _("Description"), obj.description),
        ]
        for comment in Comment.objects.filter(ticket=obj).order_by("created", "id"):
            label = f"{comment.get_kind_display()} {timezone.localtime(comment.created):%Y-%m-%d %H:%M}"
            ground = grounds.get(comment.secrecy_ground) if comment.confidential else None
            parts.append(Part(f"comment:{comment.pk}", label, comment.body, ground))
        record_ground = grounds.get(obj.secrecy_ground) if obj.confidential else None
        return Rendered(obj.number, obj.subject, parts, record_ground, pupil_data=pupil)

    def disposal_queryset(self, cutoff: datetime, event: str) -> models.QuerySet | None:
        qs = self.model()._default_manager.all()
        if event == "closed":
            return qs.filter(status="closed", closed_at__lt=cutoff)
        if event == "created":
            return qs.filter(created__lt=cutoff)
        return None

    def dispose(self, ids: models.QuerySet, method: str, *, actor: Any) -> int:
        return do_dispose_tickets(ids, method, actor=actor)


@transaction.atomic
def do_dispose_tickets(ids: models.QuerySet, method: str, *, actor: Any) -> int:
    """Dispose of tickets under an approved disposal decision (gallring), set-based: anonymised
    (subject replaced, description, satisfaction comment and comments removed) or deleted with
    their own rows. One audit event for the batch; the records officer's batch lists the items."""
    role = require_role(actor, owner_id=None, operator_roles=RECORDS_ROLES)
    tickets = Ticket.objects.filter(pk__in=ids)
    if method == "anonymise":
        delete_rows(Comment.objects.filter(ticket_id__in=ids))
        count = tickets.update(subject=DISPOSED, description="", csat_comment="")
    else:
        Ticket.objects.filter(merged_into_id__in=ids).update(merged_into=None)
        count = delete_rows(tickets)
    record_event(
        actor, role, AuditEventType.UPDATED,
        object_type="servicedesk.ticket", object_repr=str(count),
        extra={"action": "dispose", "method": method, "count": count},
    )  # fmt: skip
    return count
