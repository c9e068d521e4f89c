"""SLA clocks of tickets: due times from the owner's policy, paused while waiting or resolved.

Due times are always recomputed from the ticket's creation plus the target plus the business time
spent paused, so a priority change, a pause and a reopening all give the same answer as if the
ticket had carried its final values from the start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from samdrift.servicedesk.calendar import DEFAULT_CALENDAR, BusinessCalendar, add_business_time
from samdrift.servicedesk.calendar import business_seconds_between as between
from samdrift.servicedesk.models import (
    DEFAULT_MATRIX,
    DEFAULT_TARGETS,
    PAUSED_STATUSES,
    PriorityCell,
    SlaPolicy,
    Ticket,
)

SLA_FIELDS = [
    "sla_policy",
    "first_response_due",
    "resolution_due",
    "sla_paused_seconds",
    "sla_paused_since",
    "first_response_breached",
    "resolution_breached",
]


def policy_for(owner_id: int, priority: int) -> SlaPolicy | None:
    return SlaPolicy.objects.filter(owner_id=owner_id, priority=priority, active=True).first()


def priority_and_policy(owner_id: int, impact: int, urgency: int) -> tuple[int, SlaPolicy | None]:
    """The matrix's priority for impact × urgency and the owner's active policy for it: what a new
    ticket needs, in one query rather than two (`priority_for`, then `policy_for`), with the same
    answers: the configured cell or the default matrix, and the policy of that priority or none."""
    priority, policy, _ = priority_policy_and(owner_id, impact, urgency)
    return priority, policy


def priority_policy_and(
    owner_id: int, impact: int, urgency: int, column: tuple[str, list[Any]] | None = None
) -> tuple[int, SlaPolicy | None, Any]:
    """`priority_and_policy`, and in the same round trip the value of one more scalar subquery
    (`column`: its SQL and parameters), which a new ticket's caller needs too (the sender of its
    acknowledgement); None without one."""
    table, cells = SlaPolicy._meta.db_table, PriorityCell._meta.db_table
    columns = ", ".join(f"p.{connection.ops.quote_name(str(f.column))}" for f in SlaPolicy._meta.concrete_fields)
    default = DEFAULT_MATRIX[(int(impact), int(urgency))]
    extra_sql, extra_params = column if column is not None else ("NULL", [])
    # Table and column names come from the models, never from input.
    sql = (
        f"SELECT m.matrix_priority, ({extra_sql}) AS also_value, {columns} FROM (SELECT COALESCE("  # noqa: S608
        f"(SELECT c.priority FROM {cells} c WHERE c.impact = %s AND c.urgency = %s LIMIT 1), %s) AS matrix_priority) m "
        f"LEFT JOIN {table} p ON p.owner_id = %s AND p.priority = m.matrix_priority AND p.active"
    )
    (row,) = SlaPolicy.objects.raw(sql, [*extra_params, impact, urgency, default, owner_id])  # the LEFT JOIN's one row
    priority = int(getattr(row, "matrix_priority", 0)) or default
    return priority, row if row.pk is not None else None, getattr(row, "also_value", None)


def calendar_of(ticket: Ticket) -> BusinessCalendar:
    return ticket.sla_policy.calendar if ticket.sla_policy is not None else DEFAULT_CALENDAR


def targets(ticket: Ticket) -> tuple[int, int]:
    """(first response, resolution) targets in business seconds."""
    policy = ticket.sla_policy
    if policy is not None:
        return policy.first_response_minutes * 60, policy.resolution_minutes * 60
    first, resolution = DEFAULT_TARGETS[int(ticket.priority)]
    return first * 60, resolution * 60


def recompute(ticket: Ticket, *, reload_policy: bool = True) -> None:
    """Set the ticket's policy and due times in memory (the caller saves SLA_FIELDS)."""
    if reload_policy:
        ticket.sla_policy = policy_for(ticket.owner_id, ticket.priority)
    first, resolution = targets(ticket)
    calendar = calendar_of(ticket)
    paused = ticket.sla_paused_seconds
    if ticket.first_responded_at is None:
        ticket.first_response_due = add_business_time(ticket.created, first + paused, calendar)
    else:
        ticket.first_response_due = ticket.first_response_due or add_business_time(ticket.created, first, calendar)
    ticket.resolution_due = add_business_time(ticket.created, resolution + paused, calendar)


def on_status_change(ticket: Ticket, old: str, new: str, now: datetime) -> None:
    """Pause the clock on entering a paused status, resume (and push due times) on leaving one."""
    was_paused, is_paused = old in PAUSED_STATUSES, new in PAUSED_STATUSES
    if is_paused and not was_paused:
        ticket.sla_paused_since = now
    elif was_paused and not is_paused:
        if ticket.sla_paused_since is not None:
            ticket.sla_paused_seconds += between(ticket.sla_paused_since, now, calendar_of(ticket))
        ticket.sla_paused_since = None
        recompute(ticket, reload_policy=False)


def business_seconds_left(ticket: Ticket, due: datetime | None, now: datetime) -> int | None:
    """Business seconds until `due` (negative once overdue); None when there is no due time."""
    if due is None:
        return None
    calendar = calendar_of(ticket)
    if due >= now:
        return between(now, due, calendar)
    return -between(due, now, calendar)
