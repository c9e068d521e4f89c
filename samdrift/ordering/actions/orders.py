"""Orders: placing, approving, rejecting, cancelling and changing them; mail goes out on commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.access import scope_for
from samdrift.core.actions import update_audited
from samdrift.core.audit import record_event
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.core.roles import SYSTEM_ROLE, Role
from samdrift.ordering.actions.agreements import called_off_value, check_call_off
from samdrift.ordering.actions.approvers import approval_level_for, approvers_for
from samdrift.ordering.actions.catalogue import price_packages, price_services
from samdrift.ordering.actions.common import _role, today
from samdrift.ordering.models import (
    MAX_ORDER_ITEMS,
    Agreement,
    Approver,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    Service,
)
from samdrift.ordering.permissions import WRITE_ROLES
from samdrift.tenancy.models import CostCentre, Person


@dataclass
class OrderItem:
    """What the orderer picked: a package or a service, for each recipient, `quantity` each."""

    recipients: list[Person]
    package: Package | None = None
    service: Service | None = None
    quantity: int = 1


def may_order_service(scope: Any, held: set[str] | frozenset[str], service: Service) -> bool:
    """Whether a user (their scope, and the owner roles `held` where they order) may order the
    service on its own: an administrator, or a role the service names. Packages carry the rest."""
    return scope.has_operator_role({Role.ADMIN}) or bool(held & set(service.orderable_by))


def _order_role(actor: Any, owner_id: int) -> str:
    return _role(actor, "order", owner_id)


def check_order_items(owner_id: int, items: list[OrderItem], actor: Any, day: date) -> list[dict[str, Any]]:
    """Validate the picks and price them; returns the line data. Raises with every problem found."""
    errors: list[str] = []
    if not items:
        raise ValidationError(_("Pick at least one package or service."))
    if len(items) > MAX_ORDER_ITEMS:
        raise ValidationError(_("An order holds at most %(n)s packages and services.") % {"n": MAX_ORDER_ITEMS})
    scope = scope_for(actor)
    held = scope.roles_in(owner_id)
    packages = [i.package for i in items if i.package is not None]
    services = [i.service for i in items if i.service is not None]
    package_prices = price_packages(
        Package.objects.filter(pk__in=[p.pk for p in packages]).prefetch_related(
            "lines__service", "lines__agreement__parties"
        ),
        day,
    )
    service_price = price_services(services, day)
    agreements: dict[int, Agreement] = {}
    for package in Package.objects.filter(pk__in=[p.pk for p in packages]).prefetch_related(
        "lines__agreement__parties"
    ):
        for line in package.lines.all():
            if line.agreement is not None:
                agreements[line.agreement.pk] = line.agreement
    used = called_off_value(agreements)
    for agreement in agreements.values():
        try:
            check_call_off(agreement, owner_id, day, Decimal(0), used.get(agreement.pk, Decimal(0)))
        except ValidationError as exc:
            errors.extend(exc.messages)
    lines = []
    for item in items:
        if item.quantity < 1:
            errors.append(_("The quantity must be at least 1."))
        if not item.recipients:
            errors.append(_("Choose at least one recipient."))
        for person in item.recipients:
            if person.owner_id != owner_id:
                errors.append(_("%(person)s does not belong to the ordering owner.") % {"person": person})
            elif not person.active:
                errors.append(_("%(person)s is inactive.") % {"person": person})
            elif person.processing_restricted:
                # GDPR art. 18: the records officer has restricted processing of the person's data.
                errors.append(
                    _("%(person)s cannot be named as recipient: processing of their data is restricted (GDPR art. 18).")
                    % {"person": person}
                )
        if item.package is not None:
            if not item.package.active:
                errors.append(_("The package %(name)s is no longer offered.") % {"name": item.package.name})
            price = package_prices.get(item.package.pk)
            name = item.package.name
        elif item.service is not None:
            service = item.service
            if not service.active:
                errors.append(_("The service %(name)s is no longer offered.") % {"name": service.name})
            if not may_order_service(scope, held, service):
                errors.append(_("Your role may not order %(name)s.") % {"name": service.name})
            price = service_price.get(service.pk)
            name = service.name
        else:
            errors.append(_("Pick a package or a service."))
            continue
        if price is None or price.missing:
            errors.append(
                _("%(name)s has no price valid today (%(what)s).")
                % {"name": name, "what": ", ".join(price.missing) if price else ""}
            )
            continue
        for person in item.recipients:
            lines.append(
                {
                    "recipient": person,
                    "package": item.package,
                    "service": item.service,
                    "quantity": item.quantity,
                    "description": name,
                    "one_time_price": to_money(price.one_time * item.quantity),
                    "monthly_price": to_money(price.monthly * item.quantity),
                }
            )
    if errors:
        raise ValidationError(sorted(set(errors)))
    return lines


@transaction.atomic
def do_create_order(data: dict[str, Any], items: list[OrderItem], *, actor: Any, day: date | None = None) -> Order:
    """An orderer orders packages or services for recipients; the order awaits approval.

    Nothing is bought before approval. The approvers get an email with a link on commit.
    """
    day = day or today()
    centre: CostCentre | None = data.get("cost_centre")
    if centre is None:
        raise ValidationError({"cost_centre": _("Choose a cost centre.")})
    owner_id = centre.owner_id
    role = _order_role(actor, owner_id)
    if not centre.active:
        raise ValidationError({"cost_centre": _("The cost centre is inactive.")})
    site = data.get("delivery_site")
    if site is not None and site.owner_id != owner_id:
        raise ValidationError({"delivery_site": _("Must belong to the same owner.")})
    if site is None and not (data.get("delivery_address") or "").strip():
        raise ValidationError({"delivery_site": _("Choose a delivery site or write a delivery address.")})
    lines = check_order_items(owner_id, items, actor, day)
    one_time = sum((ln["one_time_price"] for ln in lines), Decimal(0))
    monthly = sum((ln["monthly_price"] for ln in lines), Decimal(0))
    order = Order(
        owner_id=owner_id,
        orderer=actor,
        cost_centre=centre,
        delivery_site=site,
        delivery_address=(data.get("delivery_address") or "").strip(),
        note=data.get("note") or "",
        one_time_total=one_time,
        monthly_total=monthly,
    )
    order.approval_level = approval_level_for(owner_id, centre.pk, order.approval_amount)
    order.full_clean()
    order.save(force_insert=True)
    now = order.submitted_at
    OrderLine.objects.bulk_create(OrderLine(owner_id=owner_id, order=order, submitted_at=now, **ln) for ln in lines)
    record_event(
        actor, role, AuditEventType.CREATED, order,
        changes={"status": [None, order.status], "one_time_total": [None, one_time], "monthly_total": [None, monthly]},
        extra={"lines": len(lines), "approval_level": order.approval_level},
    )  # fmt: skip
    _notify_approvers_on_commit(order)
    return order


def _notify_approvers_on_commit(order: Order) -> None:
    """Queue the approval requests in the outbox (sent by the worker once this transaction commits)."""
    from samdrift.ordering import notify

    notify.notify_approvers(order)


def _may_decide(order: Order, actor: Any) -> bool:
    if actor is None:
        return False
    return any(u.pk == actor.pk for u in approvers_for(order))


def may_decide(order: Order, actor: Any) -> bool:
    return order.status == OrderStatus.SUBMITTED and _may_decide(order, actor) and order.orderer_id != actor.pk


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def do_approve_order(order: Order, *, actor: Any, reason: str = "") -> Order:
    """The cost centre's approver (or the second level, or a substitute) approves the order."""
    order = _lock(order)
    if order.status != OrderStatus.SUBMITTED:
        raise ValidationError(
            _("Only an order awaiting approval can be approved (this one is %(s)s).")
            % {"s": order.get_status_display()}
        )
    if not _may_decide(order, actor):
        raise PermissionDenied
    if order.orderer_id == actor.pk:
        raise ValidationError(_("You cannot approve your own order."))
    now = timezone.now()
    order.status, order.decided_at, order.decided_by, order.decision_reason = OrderStatus.APPROVED, now, actor, reason
    order.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    OrderLine.objects.filter(order=order, status=LineStatus.OPEN).update(status=LineStatus.APPROVED, approved_at=now)
    record_event(
        actor, Role.APPROVER, AuditEventType.UPDATED, order,
        changes={"status": [OrderStatus.SUBMITTED, OrderStatus.APPROVED]}, extra={"action": "approve", "reason": reason},
    )  # fmt: skip
    from samdrift.ordering import notify

    notify.notify_orderer_decided(order)
    return order


@transaction.atomic
def do_reject_order(order: Order, reason: str, *, actor: Any) -> Order:
    order = _lock(order)
    if order.status != OrderStatus.SUBMITTED:
        raise ValidationError(_("Only an order awaiting approval can be rejected."))
    if not _may_decide(order, actor):
        raise PermissionDenied
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the order is rejected.")})
    now = timezone.now()
    order.status, order.decided_at, order.decided_by, order.decision_reason = OrderStatus.REJECTED, now, actor, reason
    order.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    OrderLine.objects.filter(order=order).update(status=LineStatus.CANCELLED)
    record_event(
        actor, Role.APPROVER, AuditEventType.UPDATED, order,
        changes={"status": [OrderStatus.SUBMITTED, OrderStatus.REJECTED]}, extra={"action": "reject", "reason": reason},
    )  # fmt: skip
    from samdrift.ordering import notify

    notify.notify_orderer_decided(order)
    return order


def cancel_role(order: Order, actor: Any) -> str | None:
    """The role in which `actor` may cancel the order, or None: its orderer (still an orderer at the
    owner), an approver of its cost centre (or of the whole owner, or their substitute) holding the
    approver role, or operator staff who may write orders. Other orderers of the owner may not."""
    if actor is None:
        return None
    scope = scope_for(actor)
    if scope.is_system:
        return SYSTEM_ROLE
    operator_roles, _owner_roles = WRITE_ROLES["order"]
    for role in sorted(scope.operator_roles & operator_roles):
        return role
    held = scope.roles_in(order.owner_id)
    if order.orderer_id == actor.pk and Role.ORDERER in held:
        return Role.ORDERER
    if Role.APPROVER in held:
        rules = Approver.objects.filter(owner_id=order.owner_id, active=True).filter(
            Q(cost_centre_id=order.cost_centre_id, level=1) | Q(level=2)
        )
        if rules.filter(Q(user_id=actor.pk) | Q(substitute_id=actor.pk)).exists():
            return Role.APPROVER
    return None


def may_cancel(order: Order, actor: Any) -> bool:
    return order.status in {OrderStatus.SUBMITTED, OrderStatus.APPROVED} and cancel_role(order, actor) is not None


@transaction.atomic
def do_cancel_order(order: Order, *, actor: Any, reason: str = "") -> Order:
    """Cancel before anything is ordered from a supplier: the orderer, the approvers or the operator."""
    order = _lock(order)
    role = cancel_role(order, actor)
    if role is None:
        raise PermissionDenied
    if order.status not in {OrderStatus.SUBMITTED, OrderStatus.APPROVED}:
        raise ValidationError(_("Only an order that has not been sent to a supplier can be cancelled."))
    before = order.status
    order.status = OrderStatus.CANCELLED
    order.decision_reason = reason or order.decision_reason
    order.save(update_fields=["status", "decision_reason"])
    OrderLine.objects.filter(order=order).update(status=LineStatus.CANCELLED)
    record_event(
        actor, role, AuditEventType.UPDATED, order, changes={"status": [before, OrderStatus.CANCELLED]},
        extra={"action": "cancel", "reason": reason},
    )  # fmt: skip
    return order


@transaction.atomic
def do_change_order(order: Order, data: dict[str, Any], *, actor: Any) -> Order:
    """Change cost centre, delivery or note. After approval the change needs a new approval."""
    order = _lock(order)
    role = _order_role(actor, order.owner_id)
    if order.status not in {OrderStatus.SUBMITTED, OrderStatus.APPROVED}:
        raise ValidationError(_("Only an order that has not been sent to a supplier can be changed."))
    allowed = {k: v for k, v in data.items() if k in {"cost_centre", "delivery_site", "delivery_address", "note"}}
    centre = allowed.get("cost_centre")
    if centre is not None and centre.owner_id != order.owner_id:
        raise ValidationError({"cost_centre": _("Must belong to the same owner.")})
    site = allowed.get("delivery_site")
    if site is not None and site.owner_id != order.owner_id:
        raise ValidationError({"delivery_site": _("Must belong to the same owner.")})
    before_status = order.status
    order = update_audited(order, allowed, actor=actor, role=role)
    if before_status == OrderStatus.APPROVED:
        order.status, order.decided_at, order.decided_by = OrderStatus.SUBMITTED, None, None
        order.approval_round += 1
        order.approval_level = approval_level_for(order.owner_id, order.cost_centre_id, order.approval_amount)
        order.save(update_fields=["status", "decided_at", "decided_by", "approval_round", "approval_level"])
        OrderLine.objects.filter(order=order, status=LineStatus.APPROVED).update(
            status=LineStatus.OPEN, approved_at=None
        )
        record_event(
            actor, role, AuditEventType.UPDATED, order, changes={"status": [before_status, OrderStatus.SUBMITTED]},
            extra={"action": "reapproval", "round": order.approval_round},
        )  # fmt: skip
        _notify_approvers_on_commit(order)
    return order
