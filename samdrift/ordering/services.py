"""What other apps may read of ordering (read-only): the approver's and the orderer's open work,
the technician's deliveries, and the stage timestamps that order lead times are computed from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from samdrift.ordering.models import Approver, LineStatus, Order, OrderLine, OrderStatus, POStatus, PurchaseOrder

# Orders still moving: not yet handed over, rejected or cancelled.
IN_FLIGHT = (OrderStatus.SUBMITTED, OrderStatus.APPROVED, OrderStatus.ORDERED, OrderStatus.DELIVERED)
# Purchase orders whose goods have not all arrived.
TO_RECEIVE = (POStatus.SENT, POStatus.CONFIRMED, POStatus.PARTIAL)


def orders_awaiting_decision(user: Any) -> QuerySet[Order]:
    """The approval queue's orders (ordering's "Awaiting my approval" page shows the same rows):
    submitted orders at the owners where `user` approves or stands in, not the user's own."""
    mine = Approver.objects.filter(active=True).filter(Q(user_id=user.pk) | Q(substitute_id=user.pk))
    return (
        Order.objects.for_user(user)
        .filter(status=OrderStatus.SUBMITTED, owner_id__in=mine.values("owner_id"))
        .exclude(orderer_id=user.pk)
    )


def get_approver_work(user: Any, limit: int = 10) -> dict[str, Any]:
    """How many orders wait for the user's decision and the oldest few, with amount and orderer."""
    waiting = orders_awaiting_decision(user)
    rows = list(waiting.select_related("orderer", "cost_centre", "owner").order_by("submitted_at", "id")[:limit])
    return {"count": waiting.count(), "orders": rows}


def get_orderer_work(user: Any, limit: int = 10) -> dict[str, Any]:
    """The user's own orders still moving, by status, and the newest few with where each one is."""
    mine = Order.objects.for_user(user).filter(orderer_id=user.pk, status__in=IN_FLIGHT)
    by_status = dict(mine.values_list("status").annotate(n=Count("id")).order_by())
    rows = list(mine.select_related("cost_centre").order_by("-id")[:limit])
    return {
        "count": sum(by_status.values()),
        "by_status": [(status, OrderStatus(status).label, by_status.get(status, 0)) for status in IN_FLIGHT],
        "orders": rows,
    }


def get_technician_work(user: Any) -> dict[str, int]:
    """Purchase orders with goods still to receive, and orders delivered but not yet handed over."""
    pos = PurchaseOrder.objects.for_user(user).filter(status__in=TO_RECEIVE)
    counts = dict(pos.values_list("status").annotate(n=Count("id")).order_by())
    delivered = Order.objects.for_user(user).filter(status=OrderStatus.DELIVERED).count()
    return {**{str(s): counts.get(s, 0) for s in TO_RECEIVE}, "to_hand_over": delivered}


def iter_lead_time_stamps(start: datetime, end: datetime) -> Iterator[tuple[int, Any, tuple[Any, ...]]]:
    """For each order line handed over in [start, end): owner id, hand-over time and the stage
    timestamps (submitted, approved, ordered, delivered, handed over), streamed in owner order."""
    rows = (
        OrderLine.objects.filter(status=LineStatus.HANDED_OVER, handed_over_at__gte=start, handed_over_at__lt=end)
        .order_by("owner_id")
        .values_list("owner_id", "submitted_at", "approved_at", "ordered_at", "delivered_at", "handed_over_at")
    )
    for owner_id, submitted, approved, ordered, delivered, handed in rows.iterator(chunk_size=5000):
        yield owner_id, handed, (submitted, approved, ordered, delivered, handed)
