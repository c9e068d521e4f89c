"""Buying what was approved: purchase orders per supplier at the agreement price of the day,
the supplier's confirmation, deliveries (serial numbers, possibly partial) that become assets and
start billing, and the hand-over that closes a line.

Purchase orders for many approved orders are made set-based (`bulk_create_purchase_orders`):
a few queries for the whole batch, not a loop of queries per line.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from samdrift.core import cells
from samdrift.core.access import require_role
from samdrift.core.audit import PendingEvent, record_event, record_events
from samdrift.core.models import AuditEventType
from samdrift.core.money import to_money
from samdrift.ordering.actions import agreement_prices, called_off_value, check_call_off, service_prices, today
from samdrift.ordering.models import (
    PURCHASING_ROLES,
    Agreement,
    DeliveredUnit,
    Delivery,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    PackageLine,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ServiceKind,
)


def _role(actor: Any, owner_id: int | None = None) -> str:
    return require_role(actor, owner_id=owner_id, operator_roles=PURCHASING_ROLES)


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
    OrderLine.objects.filter(pk__in=ordered_lines).update(status=LineStatus.ORDERED, ordered_at=now)
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
    record_events(actor, role, events)
    if nothing_to_buy:
        _deliver_service_lines(nothing_to_buy, actor=actor, role=role, day=day)
    _finish_orders({ln["order_id"] for ln in lines if ln["pk"] in set(nothing_to_buy)})
    result.purchase_orders = [po.pk for po in pos]
    result.lines = len(all_lines)
    if send:
        send_purchase_orders(list(result.purchase_orders))
    return result


def send_purchase_orders(po_ids: list[int]) -> None:
    """Queue each purchase order for its supplier in the outbox, in the caller's transaction; its
    `sent_at` is set when the worker has delivered it (`notify.mark_purchase_order_sent`)."""
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


# --- order confirmations by file ---------------------------------------------------------------

CONFIRMATION_COLUMNS = ("purchase_order", "supplier_reference", "article_number", "quantity")
CONFIRMATION_OPTIONAL_COLUMNS = ("delivery_date",)
# Statuses a supplier may (re)confirm; once a delivery has arrived the confirmation is history.
CONFIRMABLE = frozenset({POStatus.SENT, POStatus.CONFIRMED})
MAX_ERRORS = 500  # listed; a file wrong on every row of 100,000 still gets a readable answer
_PO_NUMBER = re.compile(r"^(?:IO-?\s*)?(\d{1,18})$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00)?)?$")  # a spreadsheet date cell has a time


def parse_po_number(text: str) -> int | None:
    """The id in a purchase-order number as `PurchaseOrder.number` shows it (`IO-123`), or None."""
    match = _PO_NUMBER.match(text.strip())
    return int(match.group(1)) if match else None


def _whole(text: str) -> int | None:
    """A positive whole number ("3", or "3.0" from a spreadsheet cell), else None."""
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value() or not 0 < value < 10**9:
        return None
    return int(value)


@dataclass
class ConfirmationReportRow:
    """One row of a confirmation file as the check reads it: its values, what it does, its errors."""

    row: int  # the row's number in the file (the header is row 1)
    purchase_order: str  # as the file writes it
    article_number: str
    quantity: int | None  # None when not a positive whole number
    delivery_date: date | None
    outcome: str = ""  # what the row does once the file is registered; "" for a row with errors
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return REPORT_ERROR if self.errors else REPORT_OK


@dataclass
class ConfirmationResult:
    purchase_orders: list[int] = field(default_factory=list)  # confirmed now or again (none in a dry run)
    lines: int = 0  # purchase-order lines given a confirmed quantity and date
    filename: str = ""
    dry_run: bool = False
    rows: list[ConfirmationReportRow] = field(default_factory=list)  # every row of the file, in its order
    errors: list[str] = field(default_factory=list)  # "Row 3: …", at most MAX_ERRORS and a count of the rest

    @property
    def error_count(self) -> int:
        """Rows with errors."""
        return sum(1 for r in self.rows if r.errors)


@dataclass
class _ConfirmationRow:
    row: int
    number: str  # as the file writes it
    po_id: int | None
    reference: str
    article: str
    quantity: int | None
    delivery: date | None


@dataclass
class _ConfirmationCheck:
    """A confirmation file checked against the purchase orders (locked), for the dry run and the write."""

    rows: list[_ConfirmationRow]
    errors: list[tuple[int, str]]  # (row, message), messages to follow "Row 3: "
    pos: dict[int, PurchaseOrder]
    po_lines: dict[tuple[int, str], list[PurchaseOrderLine]]
    roles: dict[int, str | None]
    references: dict[int, tuple[str, int]]  # purchase order -> (the file's reference, its first row)

    def report(self) -> list[ConfirmationReportRow]:
        by_row: dict[int, list[str]] = defaultdict(list)
        for row, message in self.errors:
            by_row[row].append(message)  # as the import words it after "Row 3: "
        report = []
        for r in self.rows:
            outcome = ""
            po = self.pos.get(r.po_id) if r.po_id is not None else None
            if po is not None and not by_row.get(r.row):
                outcome = (
                    _("confirms %(po)s") if po.status == POStatus.SENT else _("confirms %(po)s again with new dates")
                ) % {"po": po.number}
            report.append(
                ConfirmationReportRow(
                    r.row, r.number[:40], r.article[:60], r.quantity, r.delivery, outcome, by_row.get(r.row, [])
                )
            )
        return report


REPORT_OK, REPORT_ERROR = "ok", "error"  # a report row's status


def _list_errors(errors: list[tuple[int, str]]) -> list[str]:
    """Errors as "Row 3: …" in the file's order (a row's own as found), at most MAX_ERRORS of them."""
    errors = sorted(errors, key=lambda e: e[0])
    listed = [_("Row %(row)s: %(error)s") % {"row": row, "error": msg} for row, msg in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        listed.append(_("… and %(n)s more errors.") % {"n": len(errors) - MAX_ERRORS})
    return listed


@transaction.atomic
def do_import_confirmations(
    content: bytes,
    filename: str,
    *,
    actor: Any,
    purchase_order: PurchaseOrder | None = None,
    dry_run: bool = False,
) -> ConfirmationResult:
    """Register suppliers' order confirmations (orderbekräftelser) from a CSV or XLSX file.

    One row per purchase order and article: `purchase_order` (our number, IO-123),
    `supplier_reference`, `article_number`, `quantity` and optionally `delivery_date`. A file may
    confirm many purchase orders; uploaded from one purchase order (`purchase_order`), every row
    must be that order's and the `purchase_order` column may be left out. Each line gets the
    confirmed quantity and expected delivery; each order is confirmed (a confirmed one again, with
    the new dates). All or nothing: every error, with its row number, refuses the whole file.
    Set-based: the orders and their lines are read in one query each, however long the file.

    `dry_run`: the same check, nothing written (no update, no audit event); the result's `rows`
    report every row with what it would do or its errors, and a file with row errors is reported,
    not refused. A file that cannot be read (no rows, columns missing) is refused either way.
    """
    check = _check_confirmations(content, filename, actor=actor, purchase_order=purchase_order)
    listed = _list_errors(check.errors)
    if dry_run:
        return ConfirmationResult(filename=filename, dry_run=True, rows=check.report(), errors=listed)
    if listed:
        raise ValidationError(listed)
    rows, pos, po_lines, roles, references = check.rows, check.pos, check.po_lines, check.roles, check.references
    report = check.report()  # before the write: it words a first confirmation by the status before

    # Write: each article's confirmed quantity fills its lines in order, all with the row's date.
    digest = hashlib.sha256(content).hexdigest()
    changed: list[PurchaseOrderLine] = []
    confirmed_rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        assert r.po_id is not None and r.quantity is not None
        remaining = r.quantity
        for pl in po_lines[(r.po_id, r.article)]:
            pl.confirmed_quantity = min(remaining, pl.quantity)
            pl.confirmed_delivery = r.delivery
            remaining -= pl.confirmed_quantity
            changed.append(pl)
        confirmed_rows[r.po_id].append(
            {"row": r.row, "article_number": r.article, "quantity": r.quantity, "delivery_date": r.delivery}
        )
    PurchaseOrderLine.objects.bulk_update(changed, ["confirmed_quantity", "confirmed_delivery"], batch_size=1000)
    confirmed = [pos[pk] for pk in sorted(confirmed_rows)]
    extra = {
        pk: {"action": "confirmation_file", "filename": filename[:255], "sha256": digest, "rows": rows_of}
        for pk, rows_of in confirmed_rows.items()
    }
    events = _confirm_purchase_orders(confirmed, {pk: ref for pk, (ref, _row) in references.items()}, extra)
    by_role: dict[str, list[PendingEvent]] = defaultdict(list)
    for po, event in zip(confirmed, events, strict=True):
        by_role[roles[po.owner_id] or ""].append(event)
    for role, role_events in by_role.items():
        record_events(actor, role, role_events)
    return ConfirmationResult(
        purchase_orders=[po.pk for po in confirmed],
        lines=len(changed),
        filename=filename,
        rows=report,
    )


def _check_confirmations(
    content: bytes, filename: str, *, actor: Any, purchase_order: PurchaseOrder | None
) -> _ConfirmationCheck:
    """Read and check a confirmation file (inside the import's transaction: the purchase orders are
    locked). Raises ValidationError only for a file without rows or columns; row errors are returned."""
    from samdrift.ordering.imports import read_table

    header, table = read_table(content, filename)
    required = [c for c in CONFIRMATION_COLUMNS if purchase_order is None or c != "purchase_order"]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(_("The file lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    if not table:
        raise ValidationError(_("The file has no rows."))
    idx = {c: header.index(c) for c in (*CONFIRMATION_COLUMNS, *CONFIRMATION_OPTIONAL_COLUMNS) if c in header}
    errors: list[tuple[int, str]] = []

    def refuse(row: int, message: str) -> None:
        errors.append((row, message))

    def cell(values: list[str], name: str) -> str:
        i = idx.get(name)
        return values[i] if i is not None and i < len(values) else ""

    # Read every row without the database first.
    rows: list[_ConfirmationRow] = []
    for n, values in table:
        number = cell(values, "purchase_order") or (purchase_order.number if purchase_order else "")
        po_id = parse_po_number(number)
        if not number:
            refuse(n, _("the purchase order number is missing."))
        elif purchase_order is not None and po_id != purchase_order.pk:
            refuse(
                n,
                _("the row is for purchase order %(po)s, not %(this)s.")
                % {"po": number, "this": purchase_order.number},
            )
            po_id = None
        elif po_id is None:
            refuse(n, _("purchase order %(po)s is unknown.") % {"po": number[:40]})
        reference = cell(values, "supplier_reference")
        if len(reference) > 100:
            refuse(n, _("the supplier's reference is longer than 100 characters."))
            reference = ""
        article = cell(values, "article_number")
        if not article:
            refuse(n, _("the article number is missing."))
        raw_quantity = cell(values, "quantity")
        quantity = _whole(raw_quantity)
        if quantity is None:
            refuse(n, _("the quantity %(q)s is not a positive whole number.") % {"q": raw_quantity[:20] or "–"})
        raw_day, day = cell(values, "delivery_date"), None
        if raw_day:
            match = _DAY.match(raw_day)
            try:
                day = date.fromisoformat(match.group(1)) if match else None
            except ValueError:
                day = None
            if day is None:
                refuse(n, _("%(d)s is not a date (YYYY-MM-DD).") % {"d": raw_day[:20]})
        rows.append(_ConfirmationRow(n, number, po_id, reference, article, quantity, day))

    # Then check them against the purchase orders the actor may see, read in one query each.
    wanted = {r.po_id for r in rows if r.po_id is not None}
    pos = {po.pk: po for po in PurchaseOrder.objects.for_user(actor).filter(pk__in=wanted).select_for_update()}
    po_lines: dict[tuple[int, str], list[PurchaseOrderLine]] = defaultdict(list)
    for pl in PurchaseOrderLine.objects.filter(purchase_order_id__in=list(pos)).order_by("id"):
        po_lines[(pl.purchase_order_id, pl.article_number)].append(pl)
    roles: dict[int, str | None] = {}
    for owner_id in {p.owner_id for p in pos.values()}:
        try:
            roles[owner_id] = _role(actor, owner_id)
        except PermissionDenied:
            roles[owner_id] = None
    seen: dict[tuple[int, str], int] = {}
    references: dict[int, tuple[str, int]] = {}
    for r in rows:
        if r.po_id is None:
            continue
        po = pos.get(r.po_id)
        if po is None:  # missing and another owner's look the same
            refuse(r.row, _("purchase order %(po)s is unknown.") % {"po": r.number[:40]})
            continue
        if roles[po.owner_id] is None:
            refuse(r.row, _("you may not register confirmations for purchase order %(po)s.") % {"po": po.number})
            continue
        if po.status not in CONFIRMABLE:
            refuse(
                r.row,
                _("purchase order %(po)s is %(status)s and can no longer be confirmed.")
                % {"po": po.number, "status": str(po.get_status_display()).lower()},
            )
        if r.reference:
            first = references.setdefault(po.pk, (r.reference, r.row))
            if first[0] != r.reference:
                refuse(
                    r.row,
                    _("purchase order %(po)s has two supplier's references: %(a)s (row %(first)s) and %(b)s.")
                    % {"po": po.number, "a": first[0], "first": first[1], "b": r.reference},
                )
        if r.delivery is not None and r.delivery < timezone.localdate(po.created):
            refuse(
                r.row,
                _("the delivery date %(d)s is before the purchase order was made (%(made)s).")
                % {"d": r.delivery, "made": timezone.localdate(po.created)},
            )
        if not r.article:
            continue
        key = (po.pk, r.article)
        lines = po_lines.get(key)
        if not lines:
            refuse(r.row, _("article %(a)s is not on purchase order %(po)s.") % {"a": r.article[:60], "po": po.number})
            continue
        if key in seen:
            refuse(
                r.row,
                _("article %(a)s of purchase order %(po)s is already confirmed on row %(first)s.")
                % {"a": r.article, "po": po.number, "first": seen[key]},
            )
            continue
        seen[key] = r.row
        ordered = sum(pl.quantity for pl in lines)
        if r.quantity is not None and r.quantity > ordered:
            refuse(
                r.row,
                _("the confirmed quantity %(q)s of article %(a)s is more than ordered (%(ordered)s).")
                % {"q": r.quantity, "a": r.article, "ordered": ordered},
            )
    return _ConfirmationCheck(rows, errors, pos, po_lines, roles, references)


# --- deliveries --------------------------------------------------------------------------------

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
        OrderLine.objects.filter(pk__in=complete).update(status=LineStatus.DELIVERED, delivered_at=now)
        # A line confirmed by nobody still passed the stage: the delivery confirms it.
        OrderLine.objects.filter(pk__in=complete, confirmed_at__isnull=True).update(confirmed_at=now)
        _finish_orders({order.pk})
    return delivery


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
    OrderLine.objects.filter(pk__in=line_ids).update(
        status=LineStatus.DELIVERED, ordered_at=now, confirmed_at=now, delivered_at=now
    )


def _finish_orders(order_ids: set[int]) -> None:
    """An order is delivered when every live line is, and closed when every one is handed over."""
    for order in Order.objects.filter(pk__in=order_ids):
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
            Order.objects.filter(pk=order.pk).update(status=new)


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
    _finish_orders({line.order_id})
    return line


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
