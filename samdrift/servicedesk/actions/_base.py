"""What every service-desk action shares: the status rules, the role checks and the ticket's
audit event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE, Role
from samdrift.servicedesk.models import (
    Status,
    SupportGroup,
    Ticket,
)
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


def requester_or_desk(actor: Any, ticket: Ticket) -> str:
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
