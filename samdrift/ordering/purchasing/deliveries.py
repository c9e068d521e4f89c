"""Deliveries (serial numbers, possibly partial) that become assets and start billing, and the
hand-over that closes a line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.ordering.actions.common import today
from samdrift.ordering.models import (
    DeliveredUnit,
    Delivery,
    LineStatus,
    OrderLine,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from samdrift.ordering.purchasing.confirmations import REPORT_ERROR, REPORT_OK, _list_errors
from samdrift.ordering.purchasing.lines import _complete_lines, _finish_orders, _role, _set_line_status, _start_services

DELIVERY_COLUMNS = ("article_number", "serial_number")


def parse_delivery_file(content: bytes, filename: str) -> list[tuple[int, str, str]]:
    """Rows (row number, article number, serial number) of a supplier's delivery file (CSV or XLSX)."""
    from samdrift.ordering.imports import read_table

    header, rows = read_table(content, filename)
    missing = [c for c in DELIVERY_COLUMNS if c not in header]
    if missing:
        raise ValidationError(_("The file lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    ia, isn = header.index("article_number"), header.index("serial_number")
    return [(n, (r[ia] if ia < len(r) else "").strip(), (r[isn] if isn < len(r) else "").strip()) for n, r in rows]


@dataclass
class DeliveryReportRow:
    """One delivered unit as the check reads it: what it becomes, or why it is refused."""

    row: int  # the row's number in the file (the header is row 1), else the unit's place (1, 2, …)
    article_number: str
    serial_number: str
    outcome: str = ""  # what the unit becomes once the delivery is registered; "" for a unit with errors
    errors: list[str] = field(default_factory=list)
    po_line: PurchaseOrderLine | None = None  # the line the unit is delivered on

    @property
    def status(self) -> str:
        return REPORT_ERROR if self.errors else REPORT_OK


@dataclass
class DeliveryCheck:
    """The dry run of a delivery (`check_delivery`): every unit's row; nothing is written."""

    rows: list[DeliveryReportRow]
    errors: list[str]  # "Row 3: …", as the registration would refuse the delivery

    @property
    def error_count(self) -> int:
        """Rows with errors."""
        return sum(1 for r in self.rows if r.errors)


def _check_delivery(
    po: PurchaseOrder, units: list[tuple[str, str]], rows: list[int] | None
) -> tuple[PurchaseOrder, list[DeliveryReportRow]]:
    """Lock the purchase order and check delivered units against its lines, one report row each:
    shared by the dry run and the registration. Raises ValidationError only for no units."""
    po = PurchaseOrder.objects.select_for_update().select_related("order", "supplier").get(pk=po.pk)
    if not units:
        raise ValidationError(_("The delivery has no units."))
    numbers = rows if rows is not None and len(rows) == len(units) else list(range(1, len(units) + 1))
    report = [DeliveryReportRow(n, a, s) for n, (a, s) in zip(numbers, units, strict=True)]
    po_lines = list(po.lines.select_related("asset_model__manufacturer", "order_line__recipient").order_by("id"))
    remaining = {pl.pk: pl.quantity - pl.delivered_quantity for pl in po_lines}
    by_article: dict[str, list[PurchaseOrderLine]] = defaultdict(list)
    for pl in po_lines:
        by_article[pl.article_number].append(pl)
    rows_of: dict[str, list[int]] = defaultdict(list)  # serial number -> the rows that name it
    for r in report:
        if r.serial_number:
            rows_of[r.serial_number].append(r.row)
    known = set(DeliveredUnit.objects.filter(serial_number__in=list(rows_of)).values_list("serial_number", flat=True))
    for r in report:
        article, serial = r.article_number, r.serial_number
        if serial in known:
            r.errors.append(_("Serial number %(s)s has already been delivered; it is refused.") % {"s": serial})
        if len(rows_of.get(serial, ())) > 1:
            r.errors.append(
                _("Serial number %(s)s appears twice in this delivery (rows %(rows)s).")
                % {"s": serial, "rows": ", ".join(str(n) for n in rows_of[serial])}
            )
        if not by_article.get(article):
            r.errors.append(_("Article %(a)s is not on purchase order %(po)s.") % {"a": article, "po": po.number})
            continue
        candidates = [pl for pl in by_article[article] if remaining[pl.pk] > 0]
        if not candidates:
            r.errors.append(_("More units of %(a)s than ordered.") % {"a": article})
            continue
        pl = candidates[0]
        if pl.asset_model_id and not serial:
            r.errors.append(_("A device (%(a)s) needs its serial number.") % {"a": article})
            continue
        remaining[pl.pk] -= 1  # a unit with a serial-number error still takes its place on the line
        if r.errors:
            continue
        r.po_line = pl
        if not pl.asset_model_id:
            r.outcome = _("delivered")
        elif pl.order_line.recipient.active:
            r.outcome = _("new asset, checked out to %(person)s") % {"person": pl.order_line.recipient}
        else:
            r.outcome = _("new asset, in stock (%(person)s is no longer active)") % {"person": pl.order_line.recipient}
    return po, report


@transaction.atomic
def check_delivery(
    po: PurchaseOrder, units: list[tuple[str, str]], *, actor: Any, rows: list[int] | None = None
) -> DeliveryCheck:
    """The dry run of `do_register_delivery`: the same check, row by row; nothing is written.

    A unit with errors is reported with them, not refused; only a delivery with no units is."""
    _role(actor, po.owner_id)
    _po, report = _check_delivery(po, units, rows)
    return DeliveryCheck(rows=report, errors=_list_errors([(r.row, e) for r in report for e in r.errors]))


@transaction.atomic
def do_register_delivery(
    po: PurchaseOrder,
    units: list[tuple[str, str]],
    *,
    actor: Any,
    delivered_on: date | None = None,
    filename: str = "",
    rows: list[int] | None = None,
) -> Delivery:
    """Register delivered units (article number, serial number) against a purchase order.

    Each unit of a device becomes an asset assigned to its recipient; each unit is charged to the
    owner at the agreement price plus the handling fee; when an order line is complete, its
    package's services start (monthly subscriptions, one-time service charges). All or nothing: a
    serial number delivered before, an unknown article or more units than ordered refuse the file,
    every error with its row (`rows`: the units' row numbers in the file; else 1, 2, …).
    `check_delivery` is the dry run.
    """
    from samdrift.assets import actions as asset_actions
    from samdrift.billing import services as billing

    role = _role(actor, po.owner_id)
    po, report = _check_delivery(po, units, rows)
    day = delivered_on or today()
    errors = _list_errors([(r.row, e) for r in report for e in r.errors])
    if errors:
        raise ValidationError(errors)
    serials = [s for _a, s in units if s]
    assigned: list[tuple[PurchaseOrderLine, str]] = []
    for r in report:
        assert r.po_line is not None
        assigned.append((r.po_line, r.serial_number))
    delivery = Delivery(
        owner_id=po.owner_id,
        purchase_order=po,
        delivered_on=day,
        filename=filename,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    delivery.save(force_insert=True)
    order = po.order
    owner = order.owner
    made_assets = []
    for pl, serial in assigned:
        line = pl.order_line
        asset = None
        if pl.asset_model_id:
            recipient = line.recipient
            asset = asset_actions.do_create_asset(
                {
                    "owner": owner,
                    "asset_tag": f"{po.number}-{serial}"[:40],
                    "model": pl.asset_model,
                    "serial_number": serial,
                    "status": "in_stock",
                    "cost_centre": order.cost_centre,
                    "org_unit": recipient.org_unit,
                    "site": order.delivery_site,
                    "purchase_date": day,
                    "price": to_money(pl.unit_price),
                    "supplier": po.supplier.name,
                    "order_reference": po.number,
                },
                actor=actor,
            )
            if recipient.active:
                asset_actions.do_check_out_asset(asset, recipient, actor=actor, cost_centre=order.cost_centre)
            made_assets.append(asset)
        unit = DeliveredUnit.objects.create(
            owner_id=po.owner_id, delivery=delivery, po_line=pl, serial_number=serial, asset=asset
        )
        if pl.billing_article is not None:
            # Through billing's published services, by the person who registered the delivery.
            billing.start_charge(
                owner=owner,
                cost_centre=order.cost_centre,
                article=pl.billing_article,
                description=f"{pl.description} ({po.number}{', ' + serial if serial else ''})",
                day=day,
                quantity=1,
                unit_price=(pl.unit_price * (1 + pl.handling_fee_percent / 100)).quantize(Decimal("0.0001")),
                source=unit,
                external_ref=f"ordering.poline:{pl.pk}",
                actor=actor,
            )
    counts: dict[int, int] = defaultdict(int)
    for pl, _s in assigned:
        counts[pl.pk] += 1
    for pl_id, n in counts.items():
        PurchaseOrderLine.objects.filter(pk=pl_id).update(delivered_quantity=F("delivered_quantity") + n)
    fresh = list(PurchaseOrderLine.objects.filter(purchase_order=po).values("quantity", "delivered_quantity"))
    new_status = (
        POStatus.DELIVERED if all(r["delivered_quantity"] >= r["quantity"] for r in fresh) else POStatus.PARTIAL
    )
    before = po.status
    po.status = new_status
    po.save(update_fields=["status"])
    record_event(
        actor, role, AuditEventType.CREATED, delivery,
        changes={"units": [None, len(assigned)]},
        extra={"purchase_order": po.pk, "serials": serials, "assets": [a.pk for a in made_assets], "filename": filename},
    )  # fmt: skip
    if before != new_status:
        record_event(actor, role, AuditEventType.UPDATED, po, changes={"status": [before, new_status]})
    complete = _complete_lines({pl.order_line_id for pl, _s in assigned})
    if complete:
        _start_services(complete, day=day, actor=actor)
        now = timezone.now()
        before_status = dict(OrderLine.objects.filter(pk__in=complete).values_list("pk", "status"))
        _set_line_status(complete, LineStatus.DELIVERED, delivered_at=now)
        # A line confirmed by nobody still passed the stage: the delivery confirms it.
        OrderLine.objects.filter(pk__in=complete, confirmed_at__isnull=True).update(confirmed_at=now)
        record_events(
            actor,
            role,
            [
                PendingEvent(
                    AuditEventType.UPDATED,
                    owner_id=po.owner_id,
                    object_type="ordering.orderline",
                    object_id=str(pk),
                    object_repr=str(pk),
                    changes={"status": [before_status[pk], LineStatus.DELIVERED]},
                    extra={"action": "deliver", "delivery": delivery.pk},
                )
                for pk in complete
            ],
        )
        _finish_orders({order.pk}, actor=actor, role=role)
    return delivery


@transaction.atomic
def do_hand_over_line(line: OrderLine, *, actor: Any) -> OrderLine:
    """The delivered package has reached its user: the line is closed."""
    role = _role(actor, line.owner_id)
    line = OrderLine.objects.select_for_update().get(pk=line.pk)
    if line.status != LineStatus.DELIVERED:
        raise ValidationError(_("Only a delivered line can be handed over."))
    now = timezone.now()
    line.status, line.handed_over_at = LineStatus.HANDED_OVER, now
    line.save(update_fields=["status", "handed_over_at"])
    record_event(
        actor, role, AuditEventType.UPDATED, line, changes={"status": [LineStatus.DELIVERED, LineStatus.HANDED_OVER]}
    )
    _finish_orders({line.order_id}, actor=actor, role=role)
    return line
