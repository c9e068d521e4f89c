"""Periodic work of the service desk (enqueued by the scheduler, run by the worker)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from samdrift.core.audit import PendingEvent, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.roles import SYSTEM_ROLE
from samdrift.servicedesk import notify
from samdrift.servicedesk.calendar import add_business_time
from samdrift.servicedesk.models import OPEN_STATUSES, PAUSED_STATUSES, SupportGroup, Ticket

log = logging.getLogger(__name__)


def warn_minutes() -> int:
    """Business minutes before the resolution due time at which agents are warned."""
    return int(settings.SERVICEDESK_WARN_BUSINESS_MINUTES)


BATCH = 2000


def _flag_breaches(candidates: Any, flag: str) -> int:
    """Set `flag` on the candidates, one UPDATE per batch, with one audit event per ticket."""
    total = 0
    rows = list(candidates.select_for_update().order_by("pk").values_list("pk", "number", "owner_id"))
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        Ticket.objects.filter(pk__in=[pk for pk, _n, _o in batch], **{flag: False}).update(**{flag: True})
        record_events(
            None,
            SYSTEM_ROLE,
            [
                PendingEvent(
                    AuditEventType.UPDATED,
                    owner_id=owner_id,
                    object_type="servicedesk.ticket",
                    object_id=str(pk),
                    object_repr=number,
                    changes={flag: [False, True]},
                    extra={"action": "sla_breach"},
                )
                for pk, number, owner_id in batch
            ],
        )
        total += len(batch)
    return total


@transaction.atomic
def check_sla(now: datetime | None = None) -> dict[str, int]:
    """Flag breaches and warn about tickets breaching soon, set-based; idempotent.

    A ticket is warned about once (breaching_soon_at); a paused ticket is never flagged.
    """
    now = now or timezone.now()
    running = Ticket.objects.filter(status__in=OPEN_STATUSES).exclude(status__in=PAUSED_STATUSES)
    first = _flag_breaches(
        running.filter(first_responded_at__isnull=True, first_response_due__lt=now, first_response_breached=False),
        "first_response_breached",
    )
    resolution = _flag_breaches(
        running.filter(resolution_due__lt=now, resolution_breached=False), "resolution_breached"
    )
    horizon = add_business_time(now, warn_minutes() * 60)
    soon = list(
        running.filter(breaching_soon_at__isnull=True, resolution_due__lte=horizon).values(
            "pk", "number", "owner_id", "assignee_id", "assignee__email", "assignee__language", "group_id"
        )
    )
    if soon:
        Ticket.objects.filter(pk__in=[t["pk"] for t in soon]).update(breaching_soon_at=now)
        record_events(
            None,
            SYSTEM_ROLE,
            [
                PendingEvent(
                    AuditEventType.UPDATED,
                    owner_id=t["owner_id"],
                    object_type="servicedesk.ticket",
                    object_id=str(t["pk"]),
                    object_repr=t["number"],
                    changes={"breaching_soon_at": [None, now]},
                    extra={"action": "breaching_soon"},
                )
                for t in soon
            ],
        )
        recipients: dict[tuple[str, str], list[str]] = defaultdict(list)
        group_ids = {t["group_id"] for t in soon if not t["assignee_id"] and t["group_id"]}
        members: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for group_id, email, language in SupportGroup.members.through.objects.filter(
            supportgroup_id__in=group_ids
        ).values_list("supportgroup_id", "user__email", "user__language"):
            members[group_id].append((email, language))
        for t in soon:
            if t["assignee_id"]:
                targets = [(t["assignee__email"], t["assignee__language"])]
            else:
                targets = members.get(t["group_id"], [])
            for target in targets:
                if target[0]:
                    recipients[target].append(t["number"])
        for (email, language), numbers in recipients.items():
            notify.notify_breaching_soon(email, language, numbers)
    log.info("SLA check: %s first-response and %s resolution breaches, %s warned", first, resolution, len(soon))
    return {"first_response_breached": first, "resolution_breached": resolution, "breaching_soon": len(soon)}


@task
def check_sla_task() -> dict[str, Any]:
    """Every few minutes: flag SLA breaches and warn agents of tickets about to breach."""
    return check_sla()


@task
def poll_mailboxes_task() -> dict[str, Any]:
    """Every minute: read the active mailboxes and turn new messages into tickets and comments."""
    from samdrift.servicedesk.intake import poll_all_mailboxes

    return poll_all_mailboxes()


@task
def poll_mailbox_task(mailbox_id: int) -> dict[str, Any]:
    """One mailbox now (the "Read now" button on its page)."""
    from samdrift.servicedesk.intake import poll_mailbox
    from samdrift.servicedesk.models import Mailbox

    mailbox = Mailbox.objects.filter(pk=mailbox_id, active=True).first()
    if mailbox is None:
        return {"stored": 0, "processed": 0, "error": 0}
    return poll_mailbox(mailbox)
