"""What other apps may read of the service desk (read-only): an agent's queues as counts (the
same filters as the ticket list's queues, so a count and the list it links to agree) and the
monthly ticket figures per owner that insight keeps in its summary tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from samdrift.servicedesk.calendar import STOCKHOLM
from samdrift.servicedesk.filters import apply_queue
from samdrift.servicedesk.models import SupportGroup, Ticket


def get_agent_work(user: Any) -> dict[str, Any]:
    """Counts for the agent's start page: my open tickets, mine breaching soon, mine waiting on the
    requester or a supplier, and per group of mine the unassigned open tickets."""
    tickets = Ticket.objects.for_user(user)
    mine = tickets.filter(assignee_id=user.pk)
    groups = list(SupportGroup.objects.filter(members=user, active=True).order_by("name").values("id", "name"))
    unassigned = dict(
        apply_queue(tickets, "unassigned", user)
        .filter(group_id__in=[g["id"] for g in groups])
        .values_list("group_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "mine": apply_queue(mine, "mine", user).count(),
        "breaching": apply_queue(mine, "breaching", user).count(),
        "waiting": apply_queue(mine, "waiting", user).count(),
        "groups": [{**g, "unassigned": unassigned.get(g["id"], 0)} for g in groups],
    }


def _months(field: str) -> Any:
    return TruncMonth(field, tzinfo=STOCKHOLM)


def get_ticket_months(start: datetime, end: datetime, owner_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """Per (owner id, month): tickets opened; tickets resolved, within SLA, rated and their ratings;
    first responses and those within SLA; and opened per category name. Four grouped queries."""
    base = Ticket.objects.filter(merged_into__isnull=True)
    if owner_ids is not None:
        base = base.filter(owner_id__in=list(owner_ids))
    opened = base.filter(created__gte=start, created__lt=end).annotate(m=_months("created"))
    resolved = base.filter(resolved_at__gte=start, resolved_at__lt=end).annotate(m=_months("resolved_at"))

    def key(row: Any) -> tuple[int, Any]:
        month = row["m"]
        if isinstance(month, datetime):
            month = (timezone.localtime(month, STOCKHOLM) if timezone.is_aware(month) else month).date()
        return row["owner_id"], month

    out: dict[tuple[int, Any], dict[str, int]] = {}
    row: Any
    for row in (
        opened.values("owner_id", "m")
        .annotate(
            n=Count("id"),
            fr=Count("id", filter=Q(first_responded_at__isnull=False)),
            fr_met=Count("id", filter=Q(first_responded_at__isnull=False, first_response_breached=False)),
        )
        .order_by()
    ):
        out.setdefault(key(row), {}).update(
            opened=row["n"], first_responses=row["fr"], first_response_met=row["fr_met"]
        )
    for row in (
        resolved.values("owner_id", "m")
        .annotate(
            n=Count("id"),
            met=Count("id", filter=Q(resolution_breached=False)),
            rated=Count("csat_score"),
            score=Sum("csat_score"),
        )
        .order_by()
    ):
        out.setdefault(key(row), {}).update(
            resolved=row["n"], resolution_met=row["met"], csat_count=row["rated"], csat_sum=row["score"] or 0
        )
    categories: dict[tuple[int, Any], list[tuple[str, str, int]]] = {}
    for row in (
        opened.values("owner_id", "m", "category_id").annotate(name=F("category__name"), n=Count("id")).order_by()
    ):
        categories.setdefault(key(row), []).append((str(row["category_id"] or ""), row["name"] or "", row["n"]))
    return {"figures": out, "categories": categories}
