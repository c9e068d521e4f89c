"""Saved views of the ticket queue (sparade vyer): a name for a set of filters, per desk user,
optionally shared with the rest of the desk. Only the query string is kept; the list applies
the user's own scope whenever it is opened, so sharing a view never shares rows."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samdrift.core.access import require_role, scope_for
from samdrift.core.actions import create_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.servicedesk.models import SavedView
from samdrift.servicedesk.permissions import DESK

# Only the queue's own filters are kept; paging, sorting cursors and exports are not a view.
VIEW_PARAMS = ("queue", "status", "priority", "type", "owner", "category", "group", "assignee", "q", "sort")


def clean_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False) if k in VIEW_PARAMS]
    return urlencode(pairs)[:1000]


@transaction.atomic
def do_save_view(data: dict[str, Any], *, actor: Any) -> SavedView:
    role = require_role(actor, owner_id=None, operator_roles=DESK)
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if SavedView.objects.filter(user=actor, name__iexact=name).exists():
        raise ValidationError({"name": _("You already have a view with this name.")})
    values = {
        "user": actor,
        "name": name[:100],
        "query": clean_query(data.get("query") or ""),
        "shared": bool(data.get("shared")),
    }
    return create_audited(SavedView, values, actor=actor, role=role)


@transaction.atomic
def do_delete_saved_view(view: SavedView, *, actor: Any) -> None:
    role = require_role(actor, owner_id=None, operator_roles=DESK)
    if view.user_id != scope_for(actor).user_id:
        raise PermissionDenied
    record_event(
        actor, role, AuditEventType.DEACTIVATED, view, changes={"name": [view.name, None]}, extra={"action": "delete"}
    )
    view.delete()
