"""An order line's progress, shared by purchase orders and deliveries: the purchasing role, one
UPDATE for many lines and their audit events, services started in billing, and orders finished when
all their lines are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import F
from django.utils import timezone

from samdrift.core.access import require_role
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.ordering.actions.catalogue import service_prices
from samdrift.ordering.models import (
    PURCHASING_ROLES,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    PackageLine,
    PurchaseOrderLine,
    ServiceKind,
)


def _role(actor: Any, owner_id: int | None = None) -> str:
    return require_role(actor, owner_id=owner_id, operator_roles=PURCHASING_ROLES)


def _complete_lines(line_ids: set[int]) -> list[int]:
    """Order lines whose every purchase-order line is fully delivered."""
    open_ids = set(
        PurchaseOrderLine.objects.filter(order_line_id__in=line_ids, delivered_quantity__lt=F("quantity")).values_list(
            "order_line_id", flat=True
        )
    )
    return sorted(line_ids - open_ids)


def _start_services(line_ids: list[int], *, day: date, actor: Any) -> None:
    """Start the package's (or the line's own) services for delivered lines, through billing."""
    from samdrift.billing import services as billing

    lines = list(
        OrderLine.objects.filter(pk__in=line_ids).select_related(
            "order__cost_centre", "owner", "service__billing_article", "recipient"
        )
    )
    package_services: dict[int, list[PackageLine]] = defaultdict(list)
    for pl in PackageLine.objects.filter(
        package_id__in={ln.package_id for ln in lines if ln.package_id}, service__isnull=False
    ).select_related("service__billing_article"):
        package_services[pl.package_id].append(pl)
    service_ids: set[int] = {pl.service_id for pls in package_services.values() for pl in pls if pl.service_id}
    service_ids |= {ln.service_id for ln in lines if ln.service_id}
    prices = service_prices(service_ids, day)
    for line in lines:
        wanted = (
            [(pl.service, pl.quantity * line.quantity) for pl in package_services.get(line.package_id, [])]  # type: ignore[arg-type]
            if line.package_id
            else [(line.service, line.quantity)]
        )
        for service, quantity in wanted:
            assert service is not None
            price = prices.get(service.pk)
            if price is None:
                continue
            ref = f"ordering.line:{line.pk}"  # records' GDPR search finds a person's rows by it
            text = f"{service.name} · {line.recipient}"
            if service.kind == ServiceKind.MONTHLY:
                billing.start_subscription(
                    owner=line.owner,
                    cost_centre=line.order.cost_centre,
                    article=service.billing_article,
                    description=text,
                    monthly_price=to_money(price * quantity),
                    start=day,
                    source=line,
                    external_ref=ref,
                    actor=actor,
                )
            elif service.kind == ServiceKind.ONE_TIME:
                billing.start_charge(
                    owner=line.owner,
                    cost_centre=line.order.cost_centre,
                    article=service.billing_article,
                    description=text,
                    day=day,
                    quantity=quantity,
                    unit_price=price,
                    source=line,
                    external_ref=ref,
                    kind=billing.ChargeKind.SERVICE,
                    actor=actor,
                )
            # Metered and hourly services are billed from usage (billing's usage import).


def _deliver_service_lines(line_ids: list[int], *, actor: Any, role: str, day: date) -> None:
    """Lines with nothing to buy (services only) are in place once approved: start them now."""
    now = timezone.now()
    _start_services(line_ids, day=day, actor=actor)
    _set_line_status(line_ids, LineStatus.DELIVERED, ordered_at=now, confirmed_at=now, delivered_at=now)
    record_events(actor, role, _line_events(line_ids, LineStatus.APPROVED, LineStatus.DELIVERED, "deliver_service"))


def _set_line_status(line_ids: Iterable[int], status: str, **stamps: Any) -> None:
    """One UPDATE for many order lines; the caller records their events (`_line_events`)."""
    OrderLine.objects.filter(pk__in=list(line_ids)).update(status=status, **stamps)


def _line_events(line_ids: Iterable[int], before: str, after: str, action: str) -> list[PendingEvent]:
    """The audit events of a set-based status change of order lines (one query for their owners)."""
    rows = OrderLine.objects.filter(pk__in=list(line_ids)).order_by("pk").values_list("pk", "owner_id")
    return [
        PendingEvent(
            AuditEventType.UPDATED,
            owner_id=owner_id,
            object_type="ordering.orderline",
            object_id=str(pk),
            object_repr=str(pk),
            changes={"status": [before, after]},
            extra={"action": action},
        )
        for pk, owner_id in rows
    ]


def _finish_orders(order_ids: set[int], *, actor: Any, role: str) -> None:
    """An order is delivered when every live line is, and closed when every one is handed over."""
    for order in Order.objects.filter(pk__in=order_ids).select_for_update():
        statuses = set(
            OrderLine.objects.filter(order=order).exclude(status=LineStatus.CANCELLED).values_list("status", flat=True)
        )
        if statuses and statuses <= {LineStatus.HANDED_OVER}:
            new = OrderStatus.CLOSED
        elif statuses and statuses <= {LineStatus.DELIVERED, LineStatus.HANDED_OVER}:
            new = OrderStatus.DELIVERED
        else:
            continue
        if order.status != new:
            old, order.status = order.status, new
            order.save(update_fields=["status"])
            record_event(
                actor, role, AuditEventType.UPDATED, order, changes={"status": [old, new]}, extra={"action": "finish"}
            )
