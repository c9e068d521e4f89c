"""Purchase orders per supplier at the agreement price of the day, made set-based for many
approved orders at once (a few queries for the whole batch), sent, resent and confirmed."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core import cells
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.ordering.actions.agreements import called_off_value, check_call_off
from samdrift.ordering.actions.catalogue import agreement_prices
from samdrift.ordering.actions.common import today
from samdrift.ordering.models import (
    Agreement,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    PackageLine,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from samdrift.ordering.purchasing.lines import (
    _deliver_service_lines,
    _finish_orders,
    _line_events,
    _role,
    _set_line_status,
)


@dataclass
class PurchaseResult:
    purchase_orders: list[int] = field(default_factory=list)
    lines: int = 0
    refused: dict[int, str] = field(default_factory=dict)  # order id -> why it was not ordered


@transaction.atomic
def bulk_create_purchase_orders(
    orders: QuerySet[Order] | None = None, *, actor: Any, day: date | None = None, send: bool = True
) -> PurchaseResult:
    """Make purchase orders for approved orders: one per order and supplier, at the agreement price
    valid `day`. An order whose agreement is expired, exhausted or has no price stays approved and
    is reported; lines without anything to buy (services only) are delivered at once."""
    role = _role(actor)
    day = day or today()
    now = timezone.now()
    qs = orders if orders is not None else Order.objects.all()
    order_rows = {o.pk: o for o in qs.filter(status=OrderStatus.APPROVED).select_for_update()}
    result = PurchaseResult()
    if not order_rows:
        return result
    line_rows = OrderLine.objects.filter(order_id__in=list(order_rows), status=LineStatus.APPROVED).values(
        "pk", "order_id", "owner_id", "package_id", "quantity"
    )
    lines: list[dict[str, Any]] = [dict(row) for row in line_rows]
    package_ids = {ln["package_id"] for ln in lines if ln["package_id"]}
    article_lines: dict[int, list[PackageLine]] = defaultdict(list)
    for pl in PackageLine.objects.filter(package_id__in=package_ids, service__isnull=True).order_by("id"):
        article_lines[pl.package_id].append(pl)
    agreements = {
        a.pk: a
        for a in Agreement.objects.filter(
            pk__in={pl.agreement_id for pls in article_lines.values() for pl in pls}
        ).prefetch_related("parties")
    }
    wanted: set[tuple[int, str]] = {
        (pl.agreement_id, pl.article_number) for pls in article_lines.values() for pl in pls if pl.agreement_id
    }
    prices = agreement_prices(wanted, day)
    used = called_off_value(agreements)
    # Group per order and agreement (an agreement has one supplier).
    planned: dict[tuple[int, int], list[PurchaseOrderLine]] = defaultdict(list)
    nothing_to_buy: list[int] = []
    lines_by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ln in lines:
        lines_by_order[ln["order_id"]].append(ln)
    for order_id, order_lines in lines_by_order.items():
        order = order_rows[order_id]
        plan: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
        try:
            for ln in order_lines:
                items = article_lines.get(ln["package_id"], []) if ln["package_id"] else []
                if not items:
                    nothing_to_buy.append(ln["pk"])
                    continue
                for pl in items:
                    price = prices.get((pl.agreement_id, pl.article_number))  # type: ignore[arg-type]
                    agreement = agreements[pl.agreement_id]  # type: ignore[index]
                    if price is None:
                        raise ValidationError(
                            _("Article %(n)s has no price under %(ref)s on %(day)s.")
                            % {"n": pl.article_number, "ref": agreement.reference, "day": day}
                        )
                    quantity = pl.quantity * ln["quantity"]
                    plan[agreement.pk].append(
                        PurchaseOrderLine(
                            owner_id=order.owner_id,
                            order_line_id=ln["pk"],
                            agreement=agreement,
                            article_number=pl.article_number,
                            description=price.description,
                            category=price.category,
                            quantity=quantity,
                            unit_price=price.unit_price,
                            amount=to_money(price.unit_price * quantity),
                            handling_fee_percent=agreement.handling_fee_percent,
                            asset_model_id=pl.asset_model_id,
                            billing_article_id=pl.billing_article_id,
                        )
                    )
            for agreement_id, po_lines in plan.items():
                amount = sum((p.amount for p in po_lines), Decimal(0))
                check_call_off(
                    agreements[agreement_id], order.owner_id, day, amount, used.get(agreement_id, Decimal(0))
                )
                used[agreement_id] = used.get(agreement_id, Decimal(0)) + amount
        except ValidationError as exc:
            result.refused[order_id] = " ".join(exc.messages)
            nothing_to_buy = [pk for pk in nothing_to_buy if pk not in {ln["pk"] for ln in order_lines}]
            continue
        for agreement_id, po_lines in plan.items():
            planned[(order_id, agreement_id)] = po_lines
    keys = list(planned)
    pos = PurchaseOrder.objects.bulk_create(
        [
            PurchaseOrder(
                owner_id=order_rows[order_id].owner_id,
                order_id=order_id,
                agreement_id=agreement_id,
                supplier_id=agreements[agreement_id].supplier_id,
                total=sum((p.amount for p in planned[(order_id, agreement_id)]), Decimal(0)),
                created=now,
                sent_at=None,
            )
            for order_id, agreement_id in keys
        ],
        batch_size=2000,
    )
    all_lines = []
    for po, key in zip(pos, keys, strict=True):
        for line in planned[key]:
            line.purchase_order_id = po.pk
            all_lines.append(line)
    PurchaseOrderLine.objects.bulk_create(all_lines, batch_size=2000)
    ordered_lines = {line.order_line_id for line in all_lines}
    ordered_orders = {order_id for order_id, _a in keys} | {
        ln["order_id"] for ln in lines if ln["pk"] in set(nothing_to_buy)
    }
    _set_line_status(ordered_lines, LineStatus.ORDERED, ordered_at=now)
    Order.objects.filter(pk__in=ordered_orders).update(status=OrderStatus.ORDERED)
    events = [
        PendingEvent(
            AuditEventType.CREATED,
            po,
            changes={"total": [None, po.total], "status": [None, po.status]},
            extra={"order": po.order_id, "supplier": po.supplier_id, "agreement": po.agreement_id, "day": day},
        )
        for po in pos
    ]
    events += [
        PendingEvent(
            AuditEventType.UPDATED,
            order_rows[oid],
            changes={"status": [OrderStatus.APPROVED, OrderStatus.ORDERED]},
            extra={"action": "purchase"},
        )
        for oid in sorted(ordered_orders)
    ]
    events += _line_events(ordered_lines, LineStatus.APPROVED, LineStatus.ORDERED, "purchase")
    record_events(actor, role, events)
    if nothing_to_buy:
        _deliver_service_lines(nothing_to_buy, actor=actor, role=role, day=day)
    _finish_orders({ln["order_id"] for ln in lines if ln["pk"] in set(nothing_to_buy)}, actor=actor, role=role)
    result.purchase_orders = [po.pk for po in pos]
    result.lines = len(all_lines)
    if send:
        send_purchase_orders(list(result.purchase_orders))
    return result


def send_purchase_orders(po_ids: list[int]) -> None:
    """Queue each purchase order for its supplier in the outbox, in the caller's transaction; its
    `sent_at` is set when the worker has delivered it (`do_mark_purchase_order_sent`)."""
    from samdrift.ordering import notify

    for po in PurchaseOrder.objects.filter(pk__in=po_ids).select_related("supplier", "agreement").order_by("pk"):
        notify.send_purchase_order(po)


@transaction.atomic
def do_resend_purchase_order(po: PurchaseOrder, *, actor: Any) -> PurchaseOrder:
    role = _role(actor, po.owner_id)
    record_event(actor, role, AuditEventType.UPDATED, po, extra={"action": "resend"})
    send_purchase_orders([po.pk])
    return po


@transaction.atomic
def do_confirm_purchase_order(po: PurchaseOrder, supplier_reference: str, *, actor: Any) -> PurchaseOrder:
    """Register the supplier's order confirmation (orderbekräftelse)."""
    role = _role(actor, po.owner_id)
    po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
    if po.status != POStatus.SENT:
        raise ValidationError(_("The purchase order is already confirmed."))
    (event,) = _confirm_purchase_orders([po], {po.pk: (supplier_reference or "").strip()})
    record_events(actor, role, [event])
    return po


def _confirm_purchase_orders(
    pos: list[PurchaseOrder], references: dict[int, str], extra: dict[int, dict[str, Any]] | None = None
) -> list[PendingEvent]:
    """Mark locked purchase orders confirmed by the supplier and return their audit events.

    A sent order becomes confirmed and its order lines ordered → confirmed (the lead-time stage);
    one already confirmed keeps its status and first confirmation time (a new confirmation only
    brings new dates). A reference of "" leaves a confirmed order's reference as it was.
    Set-based: one UPDATE for the orders and one for their order lines, however many."""
    now = timezone.now()
    first = [po.pk for po in pos if po.status == POStatus.SENT]
    events = []
    for po in pos:
        before = {"status": po.status, "supplier_reference": po.supplier_reference}
        reference = references.get(po.pk, "")
        if po.status == POStatus.SENT:
            po.status, po.confirmed_at, po.supplier_reference = POStatus.CONFIRMED, now, reference
        elif reference:
            po.supplier_reference = reference
        changes = {k: [v, getattr(po, k)] for k, v in before.items() if v != getattr(po, k)}
        events.append(PendingEvent(AuditEventType.UPDATED, po, changes=changes, extra=(extra or {}).get(po.pk)))
    PurchaseOrder.objects.bulk_update(pos, ["status", "confirmed_at", "supplier_reference"])
    if first:
        OrderLine.objects.filter(po_lines__purchase_order_id__in=first, status=LineStatus.ORDERED).update(
            status=LineStatus.CONFIRMED, confirmed_at=now
        )
    return events


def purchase_order_rows(po: PurchaseOrder) -> tuple[list[str], list[list[Any]]]:
    """The purchase order as rows for the supplier's CSV/XLSX attachment."""
    header = ["po_number", "article_number", "description", "quantity", "unit_price", "amount", "recipient", "delivery"]
    order = po.order
    delivery = str(order.delivery_site) if order.delivery_site_id else order.delivery_address
    rows = [
        [
            po.number,
            pl.article_number,
            pl.description,
            pl.quantity,
            str(pl.unit_price),
            str(pl.amount),
            str(pl.order_line.recipient),
            delivery,
        ]
        for pl in po.lines.select_related("order_line__recipient").order_by("id")
    ]
    return header, rows


def purchase_order_file(po: PurchaseOrder, fmt: str) -> bytes:
    header, rows = purchase_order_rows(po)
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(po.number)
        sheet.append(header)
        for row in rows:
            sheet.append(cells.xlsx_row(sheet, row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.StringIO()
    writer = cells.writer(text, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


@transaction.atomic
def do_mark_purchase_order_sent(po_id: str, when: datetime, *, actor: Any = None) -> None:
    """After the outbox delivered a purchase order: it left at this time (the first delivery
    counts). Called by the outbox worker (the system) once the supplier's server took the mail."""
    role = _role(actor)
    po = PurchaseOrder.objects.select_for_update().filter(pk=int(po_id), sent_at__isnull=True).first()
    if po is None:
        return
    po.sent_at = when
    po.save(update_fields=["sent_at"])
    record_event(actor, role, AuditEventType.UPDATED, po, changes={"sent_at": [None, when]}, extra={"action": "sent"})
