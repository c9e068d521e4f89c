"""Insight's writes: the operator's setting. (The summary tables are written by refresh.py and
the reports by reports.py, each with its audit event.)"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from samdrift.core.access import require_role
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.roles import Role
from samdrift.insight.models import InsightSettings


@transaction.atomic
def do_update_insight_settings(data: dict[str, Any], *, actor: Any) -> InsightSettings:
    """Whether owners see each other by name beside the group average (operator administrators)."""
    role = require_role(actor, owner_id=None, operator_roles={Role.ADMIN})
    current = InsightSettings.objects.select_for_update().filter(pk=1).first()
    before = current.name_other_owners if current else False
    value = bool(data.get("name_other_owners"))
    if current is None:
        current = InsightSettings.objects.create(pk=1, name_other_owners=value, updated=timezone.now())
    else:
        current.name_other_owners = value
        current.updated = timezone.now()
        current.save(update_fields=["name_other_owners", "updated"])
    record_event(
        actor,
        role,
        AuditEventType.UPDATED,
        current,
        changes={"name_other_owners": [before, value]} if before != value else {},
    )
    return current
